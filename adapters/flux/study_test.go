package flux_test

import (
	"github.com/maestro-go/maestro/adapters/all"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/state"
)

// fluxStudy is samples/pipeline_flux.yaml's pipeline with what a study
// on Flux meets: a step that fails and one that depends on it, a step
// that reaches its time limit and is finished by its restart command, and
// eight steps that are not nested, each launching 2 procs with
// $(LAUNCHER), on an instance of 2 cores.
const fluxStudy = `description: {name: flux_study, description: a pipeline on the fake Flux}
batch: {type: flux}
env:
  variables: {STEPS: 100}
  labels: {RESULT: result.$(SIZE.label).$(TRIAL.label).txt}
study:
  - name: setup
    description: local
    run: {cmd: "echo steps=$(STEPS) > input.cfg"}
  - name: simulate
    description: one Flux job per parameter combination
    run:
      cmd: '$(LAUNCHER) echo "size $(SIZE) trial $(TRIAL) with $(cat $(setup.workspace)/input.cfg)" > $(RESULT)'
      depends: [setup]
      nodes: 1
      procs: 1
      walltime: "00:05:00"
  - name: collect
    description: local funnel
    run:
      cmd: "cat $(simulate.workspace)/*/result.*.txt | sort > all_results.txt"
      depends: [simulate_*]
  - name: broken
    description: fails
    run: {cmd: "exit 3", procs: 1}
  - name: after_broken
    description: never runs
    run: {cmd: "echo ran > ran.txt", depends: [broken], procs: 1}
  - name: overtime
    description: reaches its time limit, then its restart command finishes it
    run:
      cmd: "sleep 300"
      restart: "echo restarted > restarted.txt"
      procs: 1
      walltime: "00:01:00"
  - name: wide
    description: not nested, 2 procs through $(LAUNCHER)
    run:
      cmd: "$(LAUNCHER) echo wide $(W) > wide.txt"
      procs: 2
      walltime: "00:05:00"
global.parameters:
  SIZE: {values: [10, 20, 10, 20, 10, 20, 10, 20], label: SIZE.%%}
  TRIAL: {values: [1, 1, 2, 2, 3, 3, 4, 4], label: TRIAL.%%}
  W: {values: [1, 2, 3, 4, 5, 6, 7, 8], label: W.%%}
`

// TestStudy: the study on a 2-core fake instance ends with every step in
// its right state, a minute of walltime taking 1.2 s.
func TestStudy(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvTimeScale+"=0.02", fakesched.EnvFluxCores+"=2")
	checkStudy(t, f.Environ, 3*time.Minute)
}

// checkStudy runs fluxStudy and checks how each step ended.
func checkStudy(t *testing.T, env func() []string, limit time.Duration) {
	dir := adaptertest.WriteStudy(t, all.Registry(), fluxStudy, nil, 1)
	if end := adaptertest.RunStudy(t, all.Registry(), dir, env, limit); end != state.StudyFailure {
		t.Errorf("study ended %s, want FAILURE (broken fails)", end)
	}
	steps := adaptertest.Steps(t, dir)
	want := map[string]state.State{"setup": state.Finished, "collect": state.Finished, "broken": state.Failed,
		"after_broken": state.Failed, "overtime": state.Finished}
	for name, st := range steps {
		w, ok := want[name]
		if !ok && (strings.HasPrefix(name, "simulate_") || strings.HasPrefix(name, "wide_")) {
			w, ok = state.Finished, true
		}
		if !ok || st.State != w {
			t.Errorf("%s: %s (%s), want %s", name, st.State, st.Reason, w)
		}
	}
	if len(steps) != 5+8+8 {
		t.Errorf("%d steps", len(steps))
	}
	if b := steps["broken"]; b.ExitCode == nil || *b.ExitCode != 3 {
		t.Errorf("broken: exit code %v", b.ExitCode)
	}
	if a := steps["after_broken"]; a.JobID != "" {
		t.Errorf("after_broken was submitted as %s", a.JobID)
	}
	if o := steps["overtime"]; o.Restarts != 1 {
		t.Errorf("overtime: %d restarts, want 1", o.Restarts)
	}
	all, err := os.ReadFile(filepath.Join(dir, "collect", "all_results.txt"))
	if err != nil || strings.Count(string(all), "with steps=100") != 8 {
		t.Errorf("all_results.txt: %q %v", all, err)
	}
	for _, w := range []string{"1", "8"} {
		if out, err := os.ReadFile(filepath.Join(dir, "wide", "W."+w, "wide.txt")); err != nil || string(out) != "wide "+w+"\nwide "+w+"\n" {
			t.Errorf("wide W.%s: %q %v (two tasks each)", w, out, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "overtime", "restarted.txt")); err != nil {
		t.Errorf("overtime's restart command did not run: %v", err)
	}
}

// killStudy: a study whose steps append their names to a ledger.
const killStudy = `description: {name: flux_kill, description: killed conductors on the fake Flux}
batch: {type: flux}
study:
  - name: first
    description: local start
    run: {cmd: "echo first >> $(SPECROOT)/ledger"}
  - name: fan
    description: eight Flux jobs
    run:
      cmd: "sleep 3; echo fan_X.$(X) >> $(SPECROOT)/ledger"
      depends: [first]
      procs: 1
  - name: funnel
    description: local, after the fan
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", depends: [fan_*]}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6, 7, 8], label: X.%%}
`

// TestKilledConductor: a conductor SIGKILLed at random moments of the
// study, again and again, leaves every step run exactly once.
func TestKilledConductor(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvFluxCores+"=4")
	dir := adaptertest.WriteStudy(t, all.Registry(), killStudy, nil, 1)
	adaptertest.KillLoop(t, dir, f.Environ(), 10, 3*time.Minute)
	count := adaptertest.Ledger(t, filepath.Join(filepath.Dir(dir), "ledger"))
	for _, s := range []string{"first", "fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.5", "fan_X.6", "fan_X.7", "fan_X.8", "funnel"} {
		if count[s] != 1 {
			t.Errorf("step %s ran %d times; ledger %v", s, count[s], count)
		}
	}
	if len(count) != 10 {
		t.Errorf("ledger %v", count)
	}
}
