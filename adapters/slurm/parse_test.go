package slurm

import (
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters/adaptertest"

	"github.com/maestro-go/maestro/state"
)

// captured returns testdata/slurm/NAME without its comment lines.
func captured(t *testing.T, name string) string { return adaptertest.Testdata(t, "slurm", name) }

// squeue's exit_code is the raw wait status: right for every code.
func TestParseSqueue(t *testing.T) {
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "squeue.txt")), map[string]adaptertest.Want{
		"10": {State: state.Finished, Code: 0, Reason: ""},
		"11": {State: state.Failed, Code: 3, Reason: "NonZeroExitCode"},
		"12": {State: state.TimedOut, Code: 143, Reason: "TimeLimit"},
		"13": {State: state.Cancelled, Code: 143, Reason: ""},
		"14": {State: state.Pending, Code: -1, Reason: "JobHeldUser"},
		"15": {State: state.Running, Code: -1, Reason: ""},
		"16": {State: state.Failed, Code: 137, Reason: "NonZeroExitCode"},
		"17": {State: state.Failed, Code: 255, Reason: "NonZeroExitCode"},
		"18": {State: state.Failed, Code: 137, Reason: "JobLaunchFailure"},
	})
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "squeue-unknown.txt")), map[string]adaptertest.Want{})
}

// sacct keeps only the low bits of a code of 128 or more (16: exit 137
// reads 9, 17: exit 255 reads 127), which is why it is asked last and a
// script's own record overrides it; a cancelled job's 0 is no exit code.
func TestParseSacct(t *testing.T) {
	adaptertest.CheckStatuses(t, parseSacct(captured(t, "sacct.txt")), map[string]adaptertest.Want{
		"10": {State: state.Finished, Code: 0, Reason: ""},
		"11": {State: state.Failed, Code: 3, Reason: ""},
		"12": {State: state.TimedOut, Code: 0, Reason: ""},
		"13": {State: state.Cancelled, Code: -1, Reason: ""},
		"14": {State: state.Pending, Code: -1, Reason: ""},
		"15": {State: state.Running, Code: -1, Reason: ""},
		"16": {State: state.Failed, Code: 9, Reason: ""},
		"17": {State: state.Failed, Code: 127, Reason: ""},
		"18": {State: state.Failed, Code: 137, Reason: ""},
	})
}

func TestParseScontrol(t *testing.T) {
	for file, w := range map[string]map[string]adaptertest.Want{
		"scontrol-fail.txt":       {"11": {State: state.Failed, Code: 3, Reason: "NonZeroExitCode"}},
		"scontrol-timeout.txt":    {"12": {State: state.TimedOut, Code: 143, Reason: "TimeLimit"}},
		"scontrol-cancel_run.txt": {"13": {State: state.Cancelled, Code: 143, Reason: ""}},
		"scontrol-held.txt":       {"14": {State: state.Pending, Code: -1, Reason: "JobHeldUser"}},
		"scontrol-code137.txt":    {"16": {State: state.Failed, Code: 137, Reason: "NonZeroExitCode"}},
		"scontrol-code255.txt":    {"17": {State: state.Failed, Code: 255, Reason: "NonZeroExitCode"}},
		"scontrol-sigkill.txt":    {"18": {State: state.Failed, Code: 137, Reason: "JobLaunchFailure"}},
		"scontrol-unknown.txt":    {},
	} {
		t.Run(file, func(t *testing.T) { adaptertest.CheckStatuses(t, parseScontrol(captured(t, file)), w) })
	}
}

func TestParseSbatch(t *testing.T) {
	want := strings.TrimSpace(captured(t, "sbatch.txt"))
	if id, ok := parseSbatch(captured(t, "sbatch.txt")); !ok || id != want {
		t.Fatalf("sbatch: %q %v", id, ok)
	}
	for _, bad := range []string{"", "Submitted batch job 12", "sbatch: error: Batch job submission failed", "12\nWelcome"} {
		if id, ok := parseSbatch(bad); ok {
			t.Errorf("parseSbatch(%q) = %q", bad, id)
		}
	}
	for in, w := range map[string]string{
		"77;cluster2\n": "77",
		"NOTICE: the scratch file system is purged on Fridays\nsbatch: warning: notice\n78\n": "78",
		"\n79\n\n": "79",
	} {
		if id, ok := parseSbatch(in); !ok || id != w {
			t.Errorf("parseSbatch(%q) = %q, %v; want %s", in, id, ok, w)
		}
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
	if s := status("SOMETHING_NEW", "", 0, false); s.State != state.Pending || !strings.Contains(s.Reason, "SOMETHING_NEW") {
		t.Errorf("unknown state status: %+v", s)
	}
}
