package flux

import (
	"math"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"

	"github.com/maestro-go/maestro/state"
)

// sample returns testdata/flux/NAME without its comment lines.
func sample(t *testing.T, name string) string { return adaptertest.Testdata(t, "flux/captured", name) }

func TestParseID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{
		// Pairs of the same jobs' F58 and decimal ids, as flux-core 0.89
		// prints them (flux jobs --json "id" and "jobid" of one record).
		{"ƒiFkbMhFM", 91088924704768},
		{"ƒiFsPiQD5", 91093387444224},
		{"ƒiFxrykWs", 91096977768448},
		{"ƒiHP9Htes", 91150983626752},
		{"ƒ68GN", 999999}, // flux cancel 999999: "ƒ68GN: unknown job id"
		{"fiFkbMhFM", 91088924704768},
		{" ƒiFkbMhFM\n", 91088924704768},
		{"91088924704768", 91088924704768},
		{"0x52d800000000", 0x52d800000000},
		{"ƒ1", 0},
		{"12345678901234567890", 12345678901234567890},
		{"ƒjpXCZedGfVQ", math.MaxUint64},
	} {
		if got, err := ParseID(c.in); err != nil || got != c.want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "ƒ", "f", "ƒ0", "ƒIl", "fNol", "-5", "x-y", "0xZZ", "ƒjpXCZedGfVR", "ƒ1111111111111", "18446744073709551616"} {
		if got, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) = %d, want an error", bad, got)
		}
	}
}

func TestF58RoundTrip(t *testing.T) {
	for _, id := range []uint64{0, 1, 57, 58, 999999, 1234567890, 91088924704768, 1 << 63, math.MaxUint64} {
		f := F58(id)
		if !strings.HasPrefix(f, "ƒ") {
			t.Errorf("F58(%d) = %q", id, f)
		}
		for _, s := range []string{f, "f" + strings.TrimPrefix(f, "ƒ")} {
			if got, err := ParseID(s); err != nil || got != id {
				t.Errorf("ParseID(%q) = %d, %v; want %d", s, got, err, id)
			}
		}
	}
	if F58(999999) != "ƒ68GN" || F58(91088924704768) != "ƒiFkbMhFM" {
		t.Errorf("F58 = %s %s", F58(999999), F58(91088924704768))
	}
}

func TestState(t *testing.T) {
	for in, w := range map[string]state.State{
		"D": state.Pending, "P": state.Pending, "S": state.Pending, "R": state.Running, "C": state.Finishing,
		"CD": state.Finished, "F": state.Failed, "CA": state.Cancelled, "TO": state.TimedOut,
	} {
		if got, ok := State(in); !ok || got != w {
			t.Errorf("State(%q) = %s, %v; want %s", in, got, ok, w)
		}
	}
	for _, in := range []string{"", "I", "PD", "cd", "RUN"} {
		if got, ok := State(in); ok {
			t.Errorf("State(%q) = %s, want unknown", in, got)
		}
	}
}

func TestReturnCode(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"3", 3, true}, {"255", 255, true}, {"143", 143, true},
		{"-9", 137, true}, {"-15", 143, true}, // the job shell killed by a signal
		{"-128", 0, false}, // cancelled before it ran
		{"", 0, false}, {" ", 0, false}, {"x", 0, false},
	} {
		if got, ok := returnCode(c.in); got != c.want || ok != c.ok {
			t.Errorf("returnCode(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestParseJobs: the states and return codes real flux prints; lines that
// are not job lines (stderr merged in, a header) are skipped.
func TestParseJobs(t *testing.T) {
	got := parseJobs(sample(t, "jobs-unknown.stderr") + sample(t, "jobs-unknown.txt") + "JOBID ST RC\n" + "ƒ2ExN9Hh R\n" + "fugXUoh N\n" + "34577842177 P\n" + "f2YQwgmD C\n")
	adaptertest.CheckStatuses(t, got, map[uint64]adaptertest.Want{
		39963328512: {State: state.Finished, Code: 0},
		47227863040: {State: state.Running, Code: -1},
		34577842176: {State: state.Pending, Code: -1},
		34577842177: {State: state.Pending, Code: -1},
		58686701568: {State: state.Finishing, Code: -1},
	})
	adaptertest.CheckStatuses(t, parseJobs("ƒ2ExN9Hh XY\n"), map[uint64]adaptertest.Want{
		47227863040: {State: state.Pending, Code: -1, Reason: "unrecognized Flux job status XY"},
	})
}

func TestParseSubmit(t *testing.T) {
	for file, w := range map[string]string{"batch.txt": "ƒLadWs9", "submit.txt": "ƒGx7GrB", "submit-ascii.txt": "fPyosM1"} {
		if id, err := parseSubmit("submit", sample(t, file)); err != nil || id != w {
			t.Errorf("%s: %q, %v; want %q", file, id, err, w)
		}
	}
	if id, err := parseSubmit("batch", "91088924704768\n"); err != nil || id != "91088924704768" {
		t.Errorf("a decimal id: %q %v", id, err)
	}
	for _, bad := range []string{"", "\n", sample(t, "batch-nosize.stderr"), "ƒiFkbMhFM\nƒiFsPiQD5\n", "job submitted"} {
		if id, err := parseSubmit("batch", bad); err == nil || !strings.Contains(err.Error(), "flux batch printed no job id") {
			t.Errorf("parseSubmit(%q) = %q, %v", bad, id, err)
		}
	}
}

func TestOnlyLines(t *testing.T) {
	for _, c := range []struct {
		stderr string
		ok     bool
	}{
		{sample(t, "jobs-unknown.stderr"), true},
		{sample(t, "jobs-none-known.stderr"), true},
		{sample(t, "jobs-f58-unknown.stderr"), true},
		{sample(t, "jobs-down.stderr"), false},
		{sample(t, "jobs-no-uri.stderr"), false},
		{sample(t, "jobs-badid.stderr"), false},
		{sample(t, "jobs-unknown.stderr") + sample(t, "jobs-down.stderr"), false},
		{"flux-jobs: WARNING: Filtering options ignored with jobid list\n", false}, // failed for another reason
		{"", false},
	} {
		if got := adapters.OnlyLines(c.stderr, unknownJob, ignoredFilters); got != c.ok {
			t.Errorf("only(unknown ids, %q) = %v", c.stderr, got)
		}
	}
	if !adapters.OnlyLines(sample(t, "cancel-ended.stderr"), endedJob) || !adapters.OnlyLines(sample(t, "cancel-ended-ascii.stderr"), endedJob) {
		t.Error("cancel of ended jobs counted as a failure")
	}
	if adapters.OnlyLines("flux-cancel: ERROR: ƒ68GN: Permission denied\n", endedJob) || adapters.OnlyLines(sample(t, "jobs-down.stderr"), endedJob) {
		t.Error("a refused cancel counted as ended jobs")
	}
}
