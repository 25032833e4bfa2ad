package slurm

import (
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters/adaptertest"

	"github.com/maestro-go/maestro/state"
)

// captured returns testdata/slurm/NAME without its comment lines.
func captured(t *testing.T, name string) string { return adaptertest.Testdata(t, "slurm", name) }

func TestParseSqueue(t *testing.T) {
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "squeue.txt")), map[string]adaptertest.Want{
		"15": {State: state.Finished, Code: -1, Reason: ""},
		"16": {State: state.Failed, Code: -1, Reason: "NonZeroExitCode"},
		"17": {State: state.TimedOut, Code: -1, Reason: "TimeLimit"},
		"18": {State: state.Cancelled, Code: -1, Reason: ""},
		"19": {State: state.Pending, Code: -1, Reason: "JobHeldUser"},
		"20": {State: state.Running, Code: -1, Reason: ""},
	})
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "squeue-unknown.txt")), map[string]adaptertest.Want{})
}

func TestParseSacct(t *testing.T) {
	adaptertest.CheckStatuses(t, parseSacct(captured(t, "sacct.txt")), map[string]adaptertest.Want{
		"15": {State: state.Finished, Code: 0, Reason: ""},
		"16": {State: state.Failed, Code: 3, Reason: ""},
		"17": {State: state.TimedOut, Code: 0, Reason: ""},
		"18": {State: state.Cancelled, Code: 0, Reason: ""},
		"19": {State: state.Pending, Code: -1, Reason: ""},
		"20": {State: state.Running, Code: -1, Reason: ""},
	})
}

func TestParseScontrol(t *testing.T) {
	for file, w := range map[string]map[string]adaptertest.Want{
		"scontrol-fail.txt":       {"16": {State: state.Failed, Code: 3, Reason: "NonZeroExitCode"}},
		"scontrol-timeout.txt":    {"17": {State: state.TimedOut, Code: 143, Reason: "TimeLimit"}},
		"scontrol-cancel_run.txt": {"18": {State: state.Cancelled, Code: 143, Reason: ""}},
		"scontrol-held.txt":       {"19": {State: state.Pending, Code: -1, Reason: "JobHeldUser"}},
		"scontrol-unknown.txt":    {},
	} {
		t.Run(file, func(t *testing.T) { adaptertest.CheckStatuses(t, parseScontrol(captured(t, file)), w) })
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
