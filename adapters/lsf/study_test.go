package lsf_test

import (
	"github.com/maestro-go/maestro/adapters/all"
	"path/filepath"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/state"
)

// killStudy: a study whose steps append their names to a ledger.
const killStudy = `description: {name: lsf_kill, description: killed conductors on the fake LSF}
batch: {type: lsf, host: h, bank: b, queue: q}
study:
  - name: first
    description: local start
    run: {cmd: "echo first >> $(SPECROOT)/ledger"}
  - name: fan
    description: eight LSF jobs
    run:
      cmd: "sleep 3; echo fan_X.$(X) >> $(SPECROOT)/ledger"
      depends: [first]
      procs: 1
      walltime: "00:10"
  - name: funnel
    description: local, after the fan
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", depends: [fan_*]}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6, 7, 8], label: X.%%}
`

var killSteps = []string{"first", "fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.5", "fan_X.6", "fan_X.7", "fan_X.8", "funnel"}

func once(t *testing.T, dir string) {
	t.Helper()
	count := adaptertest.Ledger(t, filepath.Join(filepath.Dir(dir), "ledger"))
	for _, s := range killSteps {
		if count[s] != 1 {
			t.Errorf("step %s ran %d times; ledger %v", s, count[s], count)
		}
	}
	if len(count) != len(killSteps) {
		t.Errorf("ledger %v", count)
	}
}

// TestKilledConductor: a conductor SIGKILLed at random moments of the
// study, again and again, leaves every step run exactly once; new jobs
// are not listed by bjobs for their first half second.
func TestKilledConductor(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvHidden+"=500ms")
	dir := adaptertest.WriteStudy(t, all.Registry(), killStudy, nil, 1)
	adaptertest.KillLoop(t, dir, f.Environ(), 10, 3*time.Minute)
	once(t, dir)
}

// TestLostAnswers: every bsub takes its job but answers nothing (exit 0),
// as seen in the wild; the conductor finds each job instead of submitting
// it again.
func TestLostAnswers(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvLose+"=submit")
	dir := adaptertest.WriteStudy(t, all.Registry(), killStudy, nil, 1)
	if end := adaptertest.RunStudy(t, all.Registry(), dir, f.Environ, 3*time.Minute); end != state.StudyFinished {
		t.Fatalf("study ended %s", end)
	}
	once(t, dir)
}
