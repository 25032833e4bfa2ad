package lsf

import (
	"testing"

	"github.com/maestro-go/maestro/adapters/adaptertest"

	"github.com/maestro-go/maestro/state"
)

// sample returns testdata/lsf/NAME without its comment lines.
func sample(t *testing.T, name string) string { return adaptertest.Testdata(t, "lsf", name) }

func TestState(t *testing.T) {
	for in, w := range map[string]state.State{
		"PEND": state.Pending, "RUN": state.Running, "WAIT": state.Waiting, "PROV": state.Waiting,
		"PSUSP": state.Waiting, "USUSP": state.Waiting, "SSUSP": state.Waiting,
		"DONE": state.Finished, "EXIT": state.Failed,
	} {
		if got, ok := State(in); !ok || got != w {
			t.Errorf("State(%q) = %s, %v; want %s", in, got, ok, w)
		}
	}
	for _, in := range []string{"", "UNKWN", "ZOMBI", "run", "RUNNING"} {
		if got, ok := State(in); ok {
			t.Errorf("State(%q) = %s, want unknown", in, got)
		}
	}
	for in, w := range map[string]state.State{
		"TERM_RUNLIMIT: job killed after reaching LSF run time limit": state.TimedOut,
		"TERM_RUNLIMIT":                   state.TimedOut,
		"TERM_OWNER: job killed by owner": state.Cancelled,
		"TERM_FORCE_OWNER: job killed by owner without time for cleanup":  state.Cancelled,
		"TERM_ADMIN: job killed by root or LSF administrator":             state.Failed,
		"TERM_MEMLIMIT: job killed after reaching LSF memory usage limit": state.Failed,
		"": state.Failed,
	} {
		if got := exitState(in); got != w {
			t.Errorf("exitState(%q) = %s, want %s", in, got, w)
		}
	}
}

func TestParseBjobs(t *testing.T) {
	const runlimit = "TERM_RUNLIMIT: job killed after reaching LSF run time limit"
	const owner = "TERM_OWNER: job killed by owner"
	adaptertest.CheckStatuses(t, parseBjobs(sample(t, "bjobs.txt")), map[string]adaptertest.Want{
		"1001":         {State: state.Pending, Code: -1, Reason: ""},
		"12345678":     {State: state.Running, Code: -1, Reason: ""}, // 8 digits: lost by the Python tool's jobid:7
		"1003":         {State: state.Waiting, Code: -1, Reason: ""},
		"1004":         {State: state.Waiting, Code: -1, Reason: ""},
		"1005":         {State: state.Waiting, Code: -1, Reason: ""},
		"1006":         {State: state.Waiting, Code: -1, Reason: ""},
		"1007":         {State: state.Waiting, Code: -1, Reason: ""},
		"1008":         {State: state.Finished, Code: 0, Reason: ""},
		"1009":         {State: state.Failed, Code: 3, Reason: ""},
		"1010":         {State: state.TimedOut, Code: 140, Reason: runlimit},
		"1011":         {State: state.Cancelled, Code: 130, Reason: owner},
		"1012":         {State: state.Cancelled, Code: -1, Reason: owner}, // killed while pending
		"1013":         {State: state.Failed, Code: 137, Reason: "TERM_MEMLIMIT: job killed after reaching LSF memory usage limit"},
		"1014":         {State: state.Pending, Code: -1, Reason: "LSF state UNKWN"},
		"1015":         {State: state.Pending, Code: -1, Reason: "LSF state ZOMBI"},
		"1016":         {State: state.Pending, Code: -1, Reason: "unrecognized LSF state BLAH"},
		"123456789012": {State: state.Finished, Code: 0, Reason: ""}, // 12 digits round-trip
	})
	// Other lines (stderr merged in, a header, a cut id) are skipped.
	adaptertest.CheckStatuses(t, parseBjobs(sample(t, "bjobs-unknown.stderr")+"JOBID|STAT|EXIT_CODE|EXIT_REASON\n12345678901|RUN|-|-\n"), map[string]adaptertest.Want{
		"12345678901": {State: state.Running, Code: -1, Reason: ""},
	})
}

func TestParseBsub(t *testing.T) {
	for file, w := range map[string]string{"bsub.txt": "123456789012", "bsub-default.txt": "4242"} {
		if id, err := parseBsub(sample(t, file)); err != nil || id != w {
			t.Errorf("%s: %q, %v; want %q", file, id, err, w)
		}
	}
	for _, bad := range []string{"", sample(t, "bsub-noqueue.stderr"), "Job <abc> is submitted to queue <q>.", "Job 12 is submitted"} {
		if id, err := parseBsub(bad); err == nil {
			t.Errorf("parseBsub(%q) = %q", bad, id)
		}
	}
}

func TestOnly(t *testing.T) {
	for _, c := range []struct {
		stderr string
		ok     bool
	}{
		{sample(t, "bjobs-unknown.stderr"), true},
		{"Job <1> is not found\nJob <12345678901> is not found.\n", true},
		{sample(t, "bjobs-down.stderr"), false},
		{sample(t, "bjobs-unknown.stderr") + sample(t, "bjobs-down.stderr"), false},
		{"", false},
	} {
		if got := only(c.stderr, notFound); got != c.ok {
			t.Errorf("only(not found, %q) = %v", c.stderr, got)
		}
	}
	if !only(sample(t, "bkill-ended.stderr"), alreadyEnded) {
		t.Error("bkill of ended jobs counted as a failure")
	}
	if only("Job <5>: User permission denied\n", alreadyEnded) || only(sample(t, "bjobs-down.stderr"), alreadyEnded) {
		t.Error("a refused bkill counted as ended jobs")
	}
}
