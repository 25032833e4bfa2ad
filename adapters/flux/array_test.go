package flux_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/all"
	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/adapters/flux"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// arrayStudy is a fan of n steps its spec puts in job arrays (run.array),
// a step after each of them, also in arrays, which become ready a few at
// a time, and a funnel after them all; each step appends its name to a
// ledger as its last act. Fan steps whose X is fail exit 1.
func arrayStudy(n, fail int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprint(i + 1)
	}
	return `description: {name: flux_arrays, description: job arrays on the fake Flux}
batch: {type: flux}
study:
  - name: fan
    description: tasks of arrays
    run: {cmd: "sleep 0.2; echo fan_X.$(X) >> $(SPECROOT)/ledger; [ $(X) != ` + fmt.Sprint(fail) + ` ]", procs: 1, array: true}
  - name: post
    description: one after each fan step
    run: {cmd: "echo post_X.$(X) >> $(SPECROOT)/ledger", procs: 1, array: true, depends: [fan]}
  - name: funnel
    description: a Flux job after them all
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", procs: 1, depends: [post_*]}
global.parameters:
  X: {values: [` + strings.Join(vals, ", ") + `], label: X.%%}
`
}

// fluxArrays lists the arrays the fake Flux was given (flux submit --cc
// names a copy array-HASH-I): array name -> its tasks' indexes.
func fluxArrays(t *testing.T, f *fakesched.Fake) map[string][]string {
	t.Helper()
	cmd := exec.Command(filepath.Join(f.Bin, "flux"), "jobs", "-a", "-n", "-c", "100000", "-o", "{name}")
	cmd.Env = f.Environ()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("flux jobs: %v", err)
	}
	arrays := map[string][]string{}
	for _, name := range strings.Fields(string(out)) {
		if i := strings.LastIndexByte(name, '-'); strings.HasPrefix(name, "array-") && i > 0 {
			arrays[name[:i]] = append(arrays[name[:i]], name[i+1:])
		}
	}
	return arrays
}

// TestArrayStudy: on the fake Flux, a fan of 40 array steps goes in one
// flux submit --cc, each step a job of its own, tracked on its own:
// the one that exits 1 fails alone, its dependant with it, and the funnel
// after them all; every other step finishes, and each ran once.
func TestArrayStudy(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvFluxCores+"=8")
	const n, fail = 40, 7
	dir := adaptertest.WriteStudy(t, all.Registry(), arrayStudy(n, fail), nil, 1)
	if end := adaptertest.RunStudy(t, all.Registry(), dir, f.Environ, 3*time.Minute); end != state.StudyFailure {
		t.Fatalf("study ended %s, want FAILURE (fan_X.%d fails)", end, fail)
	}
	steps := adaptertest.Steps(t, dir)
	ids := map[string]string{}
	for i := 1; i <= n; i++ {
		for _, name := range []string{fmt.Sprintf("fan_X.%d", i), fmt.Sprintf("post_X.%d", i)} {
			st, want := steps[name], state.Finished
			if i == fail {
				want = state.Failed
			}
			if st.State != want {
				t.Errorf("%s: %s (%s), want %s", name, st.State, st.Reason, want)
			}
			if i == fail && strings.HasPrefix(name, "post_") {
				continue // never submitted
			}
			if _, err := flux.ParseID(st.JobID); err != nil || ids[st.JobID] != "" {
				t.Errorf("%s: job %q, want a Flux job of its own (%q has it too)", name, st.JobID, ids[st.JobID])
			}
			ids[st.JobID] = name
		}
	}
	if fan := steps[fmt.Sprintf("fan_X.%d", fail)]; fan.ExitCode == nil || *fan.ExitCode != 1 {
		t.Errorf("fan_X.%d: exit code %v, want 1", fail, fan.ExitCode)
	}
	if steps["funnel"].State != state.Failed || steps["funnel"].JobID != "" {
		t.Errorf("funnel: %s as %q, want FAILED unsubmitted", steps["funnel"].State, steps["funnel"].JobID)
	}
	// The posts go in arrays of those that became ready together (a post
	// ready alone goes as a job of its own).
	arrays := fluxArrays(t, f)
	fans := 0
	for _, idx := range arrays {
		if len(idx) == n {
			fans++
		}
	}
	if fans != 1 {
		t.Errorf("the fan of %d went in %d arrays of %d: %v", n, fans, n, arrays)
	}
	count := adaptertest.Ledger(t, filepath.Join(filepath.Dir(dir), "ledger"))
	for name, c := range count {
		if c != 1 {
			t.Errorf("%s ran %d times", name, c)
		}
	}
	if len(count) != 2*n-1 {
		t.Errorf("%d steps ran, want %d: %v", len(count), 2*n-1, count)
	}
}

// TestKilledConductorArrays: the conductor of an array study SIGKILLed at
// random moments (marking steps, submitting arrays, naming their tasks,
// recording them, polling), again and again: every step runs exactly
// once, and the study ends FINISHED.
func TestKilledConductorArrays(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvFluxCores+"=8")
	const n = 30
	dir := adaptertest.WriteStudy(t, all.Registry(), arrayStudy(n, 0), nil, 1)
	adaptertest.KillLoop(t, dir, f.Environ(), 10, 3*time.Minute)
	count := adaptertest.Ledger(t, filepath.Join(filepath.Dir(dir), "ledger"))
	for i := 1; i <= n; i++ {
		for _, s := range []string{fmt.Sprintf("fan_X.%d", i), fmt.Sprintf("post_X.%d", i)} {
			if count[s] != 1 {
				t.Errorf("step %s ran %d times", s, count[s])
			}
		}
	}
	if count["funnel"] != 1 || len(count) != 2*n+1 {
		t.Errorf("ledger %v", count)
	}
	t.Logf("%d arrays submitted", len(fluxArrays(t, f)))
	if t.Failed() {
		logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
		for _, l := range logs {
			text, _ := os.ReadFile(l)
			t.Logf("the conductors' log %s:\n%s", l, text)
		}
	}
}

// TestArrayRefusals: SubmitArray refuses, before it submits anything
// (so that the conductor submits the steps one by one), steps that ask
// for different resources, and an array the instance refuses leaves no
// task list, so Find looks for none of it; a broker that cannot be
// reached is an outage.
func TestArrayRefusals(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t)
	state := t.TempDir()
	open := func(b spec.Batch) adapters.ArraySubmitter {
		ex, err := flux.New().Open(adapters.Config{Batch: &b, StateDir: state, Env: f.Environ, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		return ex.(adapters.ArraySubmitter)
	}
	job := func(name, header string) *adapters.Job {
		ws := t.TempDir()
		script := filepath.Join(ws, name+".flux.sh")
		text := "#!/bin/bash\n#flux: " + header + "\n#flux: --job-name=" + name + "\n#flux: --output=" + name + ".out\n\ntrue\n"
		if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		return &adapters.Job{Name: name, Script: script, Workspace: ws, Token: "1"}
	}
	ctx := context.Background()
	as := open(spec.Batch{Type: "flux"})
	if _, err := as.SubmitArray(ctx, []*adapters.Job{job("a", "-n 1"), job("b", "-n 2")}, 0); err == nil || !strings.Contains(err.Error(), "same resources") {
		t.Errorf("different resources: %v", err)
	}
	if _, err := as.SubmitArray(ctx, []*adapters.Job{job("c", "-n 1 --setattr=x={y}")}, 0); err == nil || !strings.Contains(err.Error(), "braces") {
		t.Errorf("braces: %v", err)
	}
	// No job is submitted as another's task: the fake knows no job yet.
	if got := fluxArrays(t, f); len(got) != 0 {
		t.Errorf("refused arrays submitted %v", got)
	}
	queued := []*adapters.Job{job("d", "-n 1 -q nope"), job("e", "-n 1 -q nope")}
	_, err := as.SubmitArray(ctx, queued, 0)
	if err == nil || errors.Is(err, adapters.ErrUncertain) || !strings.Contains(err.Error(), "refused the queue") {
		t.Errorf("refused queue: %v", err)
	}
	if lists, _ := filepath.Glob(filepath.Join(state, "array-*.tasks")); len(lists) != 0 {
		t.Errorf("a refused array left its task list: %v", lists)
	}
	f.Set(fakesched.EnvFail, "submit")
	if _, err := as.SubmitArray(ctx, []*adapters.Job{job("g", "-n 1"), job("h", "-n 1")}, 0); !errors.Is(err, adapters.ErrUnavailable) {
		t.Errorf("broker down: %v, want unavailable", err)
	}
}
