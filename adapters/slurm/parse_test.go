package slurm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// captured returns a file of testdata/slurm (real output of the local
// cluster, made by capture.sh) without its comment lines.
func captured(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "slurm", name))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "# ") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

type want struct {
	state  state.State
	code   int // -1: no exit code
	reason string
}

func check(t *testing.T, got map[string]adapters.Status, wants map[string]want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d jobs, want %d: %v", len(got), len(wants), got)
	}
	for id, w := range wants {
		g, ok := got[id]
		if !ok {
			t.Errorf("job %s missing", id)
			continue
		}
		if g.State != w.state || g.Reason != w.reason {
			t.Errorf("job %s: %s (%q), want %s (%q)", id, g.State, g.Reason, w.state, w.reason)
		}
		switch {
		case w.code < 0 && g.ExitCode != nil:
			t.Errorf("job %s: exit code %d, want none", id, *g.ExitCode)
		case w.code >= 0 && (g.ExitCode == nil || *g.ExitCode != w.code):
			t.Errorf("job %s: exit code %v, want %d", id, g.ExitCode, w.code)
		}
	}
}

func TestParseSqueue(t *testing.T) {
	check(t, parseSqueue(captured(t, "squeue.txt")), map[string]want{
		"15": {state.Finished, -1, ""},
		"16": {state.Failed, -1, "NonZeroExitCode"},
		"17": {state.TimedOut, -1, "TimeLimit"},
		"18": {state.Cancelled, -1, ""},
		"19": {state.Pending, -1, "JobHeldUser"},
		"20": {state.Running, -1, ""},
	})
	check(t, parseSqueue(captured(t, "squeue-unknown.txt")), map[string]want{})
}

func TestParseSacct(t *testing.T) {
	check(t, parseSacct(captured(t, "sacct.txt")), map[string]want{
		"15": {state.Finished, 0, ""},
		"16": {state.Failed, 3, ""},
		"17": {state.TimedOut, 0, ""},
		"18": {state.Cancelled, 0, ""},
		"19": {state.Pending, -1, ""},
		"20": {state.Running, -1, ""},
	})
}

func TestParseScontrol(t *testing.T) {
	for file, w := range map[string]map[string]want{
		"scontrol-fail.txt":       {"16": {state.Failed, 3, "NonZeroExitCode"}},
		"scontrol-timeout.txt":    {"17": {state.TimedOut, 143, "TimeLimit"}},
		"scontrol-cancel_run.txt": {"18": {state.Cancelled, 143, ""}},
		"scontrol-held.txt":       {"19": {state.Pending, -1, "JobHeldUser"}},
		"scontrol-unknown.txt":    {},
	} {
		t.Run(file, func(t *testing.T) { check(t, parseScontrol(captured(t, file)), w) })
	}
}

func TestParseSbatch(t *testing.T) {
	if id, ok := parseSbatch(captured(t, "sbatch.txt")); !ok || id != "45" {
		t.Fatalf("sbatch: %q %v", id, ok)
	}
	for _, bad := range []string{"", "Submitted batch job 12", "sbatch: error: Batch job submission failed"} {
		if id, ok := parseSbatch(bad); ok {
			t.Errorf("parseSbatch(%q) = %q", bad, id)
		}
	}
	if id, ok := parseSbatch("77;cluster2\n"); !ok || id != "77" {
		t.Errorf("federated id: %q", id)
	}
}

func TestState(t *testing.T) {
	for in, w := range map[string]state.State{
		"PENDING": state.Pending, "CONFIGURING": state.Pending, "REQUEUED": state.Pending, "RESIZING": state.Pending,
		"RUNNING": state.Running, "COMPLETING": state.Finishing, "COMPLETED": state.Finished,
		"FAILED": state.Failed, "OUT_OF_MEMORY": state.Failed, "BOOT_FAIL": state.Failed, "DEADLINE": state.Failed,
		"TIMEOUT": state.TimedOut, "CANCELLED": state.Cancelled, "CANCELLED by 1000": state.Cancelled,
		"NODE_FAIL": state.HWFailure, "SUSPENDED": state.Waiting, "STOPPED": state.Waiting, "PREEMPTED": state.Waiting,
	} {
		if got, ok := State(in); !ok || got != w {
			t.Errorf("State(%q) = %s, %v; want %s", in, got, ok, w)
		}
	}
	if _, ok := State("SOMETHING_NEW"); ok {
		t.Error("an unknown state must not be mapped")
	}
	if s := status("SOMETHING_NEW", "", ""); s.State != state.Pending || !strings.Contains(s.Reason, "SOMETHING_NEW") {
		t.Errorf("unknown state status: %+v", s)
	}
}
