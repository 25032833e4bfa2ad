package lsf

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"

	"github.com/maestro-go/maestro/state"
)

// sample returns testdata/lsf/NAME without its comment lines.
func sample(t *testing.T, name string) string { return adaptertest.Testdata(t, "lsf/observed", name) }

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

// TestStatus: UNKWN reads as running (it can last for days, and a running
// step must not fall back to pending), ZOMBI as failed; DONE is exit 0.
func TestStatus(t *testing.T) {
	const runlimit = "TERM_RUNLIMIT: job killed after reaching LSF run time limit"
	got := map[string]adapters.Status{
		"unkwn": status("UNKWN", "-", "-"), "zombi": status("ZOMBI", "-", "-"), "blah": status("BLAH", "-", "-"),
		"done": status("DONE", "-", "-"), "exit": status("EXIT", "127", "-"), "limit": status("EXIT", "12", runlimit),
		"owner": status("EXIT", "", "TERM_OWNER: job killed by owner"),
	}
	adaptertest.CheckStatuses(t, got, map[string]adaptertest.Want{
		"unkwn": {State: state.Running, Code: -1, Reason: "LSF state UNKWN: mbatchd lost contact with the job's host"},
		"zombi": {State: state.Failed, Code: -1, Reason: "LSF state ZOMBI: the job was killed while its host was unreachable"},
		"blah":  {State: state.Pending, Code: -1, Reason: "unrecognized LSF state BLAH"},
		"done":  {State: state.Finished, Code: 0}, "exit": {State: state.Failed, Code: 127},
		"limit": {State: state.TimedOut, Code: 12, Reason: runlimit},
		"owner": {State: state.Cancelled, Code: -1, Reason: "TERM_OWNER: job killed by owner"},
	})
}

func TestParseReport(t *testing.T) {
	text := sample(t, "jobreport-runlimit.dtu.txt")
	st, ok := parseReport(text, "9603712")
	if !ok || st.State != state.TimedOut || st.ExitCode == nil || *st.ExitCode != 140 ||
		st.Reason != "TERM_RUNLIMIT: job killed after reaching LSF run time limit" {
		t.Errorf("run limit report: %v %+v", ok, st)
	}
	if _, ok := parseReport(text, "9603713"); ok {
		t.Error("another job's report read as this one's")
	}
	if _, ok := parseReport(text[:strings.Index(text, "TERM_RUNLIMIT")], "9603712"); ok {
		t.Error("a report cut short read as an end")
	}
	done := strings.Replace(text, "TERM_RUNLIMIT: job killed after reaching LSF run time limit.\nExited with exit code 140.", "Successfully completed.", 1)
	if st, ok := parseReport(done, "9603712"); !ok || st.State != state.Finished || *st.ExitCode != 0 {
		t.Errorf("a job that completed: %v %+v", ok, st)
	}
}

func TestTransient(t *testing.T) {
	for text, want := range map[string]bool{
		sample(t, "bsub-nonlsf-host.ert.stderr"):                                           true,
		"Cannot connect to LSF. Please wait ...\nCannot connect to LSF. Please wait ...\n": true,
		"LSF is processing your request. Please wait ...\n":                                true,
		sample(t, "bsub-not-submitted.toil.txt"):                                           false,
		"Cannot connect to LSF. Please wait ...\nNo such queue. Job not submitted\n":       false,
		"": false,
	} {
		if got := transient(text); got != want {
			t.Errorf("transient(%q) = %v", text, got)
		}
	}
}

func TestParseBsub(t *testing.T) {
	for file, w := range map[string]string{
		"bsub-default-queue.nextflow.txt": "2329803", "bsub-default-queue.snakemake-profile.txt": "123456",
		"bsub-default-queue.toil.txt": "39605914", "bsub-please-wait.ridgeback.txt": "12345678",
		"bsub-queue-dotted.gc3pie-brutus.txt": "473713", "bsub-queue.aiida-cern.txt": "764254593", "bsub-queue.buildtest-summit.txt": "58654",
	} {
		if id, err := parseBsub(sample(t, file)); err != nil || id != w {
			t.Errorf("%s: %q, %v; want %q", file, id, err, w)
		}
	}
	for _, bad := range []string{"", sample(t, "bsub-empty.ert.stdout"), sample(t, "bsub-rejected.ert.stderr"), "Job <abc> is submitted to queue <q>.", "Job 12 is submitted"} {
		if id, err := parseBsub(bad); err == nil {
			t.Errorf("parseBsub(%q) = %q", bad, id)
		}
	}
}

func TestOnlyLines(t *testing.T) {
	for _, c := range []struct {
		stderr string
		ok     bool
	}{
		{sample(t, "bjobs-notfound.aiida-cern.stderr"), true},
		{sample(t, "bjobs-notfound-empty-exit0.ert.stderr"), true},
		{"Job <1> is not found\nJob <12345678901> is not found.\n", true},
		{"LSF is processing your request. Please wait ...\nJob <1> is not found\n", true},
		{sample(t, "bsub-nonlsf-host.ert.stderr"), false},
		{sample(t, "bjobs-notfound.aiida-cern.stderr") + sample(t, "bsub-nonlsf-host.ert.stderr"), false},
		{"", false},
	} {
		if got := adapters.OnlyLines(c.stderr, notFound, busy); got != c.ok {
			t.Errorf("OnlyLines(not found, %q) = %v", c.stderr, got)
		}
	}
	for _, f := range []string{"bkill-finished.ert-7676.stderr", "bkill-nomatch.ert.stderr"} {
		if !adapters.OnlyLines(sample(t, f), alreadyEnded) {
			t.Errorf("%s: bkill of ended jobs counted as a failure", f)
		}
	}
	if adapters.OnlyLines("Job <5>: User permission denied\n", alreadyEnded) || adapters.OnlyLines(sample(t, "bsub-nonlsf-host.ert.stderr"), alreadyEnded) {
		t.Error("a refused bkill counted as ended jobs")
	}
	if !adapters.OnlyLines(sample(t, "bjobs-nounfinished.roslin.txt"), noJob) || !adapters.OnlyLines("Job <step_1> is not found\n", noJob) {
		t.Error("bjobs -J finding nothing counted as a failure")
	}
}

// rows reads the jobs of a recording in bjobs' default (-w, -u) layout:
// id -> STAT; continuation lines, busy notices and the header are not jobs.
func rows(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && strings.Trim(f[0], "0123456789") == "" {
			out[f[0]] = f[2]
		}
	}
	return out
}

// TestRecordedStates: every state the recordings of bjobs' other layouts
// show (default, -o with other fields, -json) maps as LSF means it; the
// adapter's parser takes none of those layouts for its own.
func TestRecordedStates(t *testing.T) {
	want := map[string]state.State{"PEND": state.Pending, "RUN": state.Running, "PSUSP": state.Waiting, "DONE": state.Finished,
		"EXIT": state.Failed, "UNKWN": state.Running, "ZOMBI": state.Failed}
	check := func(file string, stats map[string]string, n int) {
		t.Helper()
		if len(stats) != n {
			t.Errorf("%s: %d jobs, want %d: %v", file, len(stats), n, stats)
		}
		for id, stat := range stats {
			if st := status(stat, "-", "-"); st.State != want[stat] {
				t.Errorf("%s: job %s %s read as %s", file, id, stat, st.State)
			}
		}
		if got := parseBjobs(sample(t, file)); len(got) != 0 {
			t.Errorf("%s: another layout read as the query's: %v", file, got)
		}
	}
	for file, n := range map[string]int{"bjobs-w-states.nextflow.txt": 14, "bjobs-w-please-wait.nextflow.txt": 6, "bjobs-u-unkwn.nextflow-910.txt": 2,
		"bjobs-u.qtop-234-cern.txt": 10, "bjobs-a-done.nextflow-927.txt": 1, "bjobs-after-bkill.gc3pie-brutus.txt": 1} {
		check(file, rows(sample(t, file)), n)
	}
	for _, c := range []struct {
		file    string
		statCol int
		n       int
	}{{"bjobs-o-noheader.aiida-cern.txt", 1, 7}, {"bjobs-o-delim-header.gc3pie-514.txt", 1, 1}} {
		stats := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(sample(t, c.file)), "\n") {
			f := strings.Split(strings.TrimSpace(line), "|")
			if f[0] != "JOBID" {
				stats[f[0]] = f[c.statCol]
			}
		}
		check(c.file, stats, c.n)
	}
	for file, n := range map[string]int{"bjobs-json-full.roddy-dkfz.json": 1, "bjobs-json-psusp.buildtest-summit.json": 1,
		"bjobs-json-states.roddy-dkfz.json": 6, "bjobs-json-run.balsam-summit.json": 1} {
		stats := map[string]string{}
		for i, m := range regexp.MustCompile(`"STAT":\s*"(\w+)"`).FindAllStringSubmatch(sample(t, file), -1) {
			stats[strconv.Itoa(i)] = m[1]
		}
		check(file, stats, n)
	}
	// The bhist summary says how long a job spent in each state, not how it
	// ended: a job bjobs forgot is read from its job report instead.
	if h := sample(t, "bhist-summary.ert.txt"); !strings.Contains(h, "PEND    PSUSP  RUN  USUSP  SSUSP  UNKWN  TOTAL") || strings.Contains(h, "DONE") || strings.Contains(h, "EXIT") {
		t.Errorf("bhist summary: %q", h)
	}
}
