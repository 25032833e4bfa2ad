package conductor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

const arrayFan = `
  - {name: fan, description: fan, run: {cmd: "echo $(X)", procs: 1}}
  - {name: funnel, description: funnel, run: {cmd: echo done, procs: 1, depends: [fan_*]}}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6, 7], label: X.%%}
`

// With arrays asked for, the expansions of a step that are ready together
// go to the scheduler as arrays of at most MaxArray; each step keeps its
// own task id, and a failed task is resubmitted alone.
func TestArrays(t *testing.T) {
	t.Parallel()
	f := newFake(func(name string, n int) adapters.Status {
		if name == "fan_X.5" && n == 1 {
			return done(state.Failed, 1)
		}
		return done(state.Finished, 0)
	})
	dir := writeStudy(t, f, arrayFan, store.Settings{Array: true, Attempts: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end, err := Run(ctx, options(dir, f))
	if err != nil || end != state.StudyFailure {
		t.Fatalf("end %s, %v", end, err)
	}
	st := readStatus(t, dir)
	if f.arrays != 2 { // 7 fan steps: arrays of 3 and 3; the last goes alone
		t.Errorf("%d array submissions, want 2 (7 steps, MaxArray 3)", f.arrays)
	}
	seen := map[string]bool{}
	for _, name := range []string{"fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.6"} {
		s := st[name]
		if s.State != state.Finished || !strings.Contains(s.JobID, "_") || seen[s.JobID] {
			t.Errorf("%s: %s as job %q, want FINISHED as a task of its own", name, s.State, s.JobID)
		}
		seen[s.JobID] = true
	}
	if s := st["fan_X.5"]; s.State != state.Failed || st["funnel"].State != state.Failed {
		t.Errorf("fan_X.5 %s, funnel %s", s.State, st["funnel"].State)
	}

	// restart reruns the failed task alone.
	if n, err := Reset(options(dir, f), nil); err != nil || n != 2 {
		t.Fatalf("reset: %d, %v", n, err)
	}
	arrays := f.arrays
	if end, err := Run(ctx, options(dir, f)); err != nil || end != state.StudyFinished {
		t.Fatalf("rerun: %s, %v", end, err)
	}
	if f.submits["fan_X.5"] != 2 || f.submits["fan_X.1"] != 1 || f.arrays != arrays {
		t.Errorf("rerun submitted %v with %d more arrays", f.submits, f.arrays-arrays)
	}
}

// Without --array every step is a job of its own.
func TestNoArraysUnlessAsked(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, arrayFan, store.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if end, err := Run(ctx, options(dir, f)); err != nil || end != state.StudyFinished || f.arrays != 0 {
		t.Fatalf("end %s, %v, %d arrays", end, err, f.arrays)
	}
}

const specArrays = `
  - {name: fan, description: arrayed by its spec, run: {cmd: "echo $(X)", procs: 1, array: true}}
  - {name: solo, description: not arrayed, run: {cmd: "echo $(X)", procs: 1}}
  - {name: packed, description: bundled by its spec, run: {cmd: "echo $(X)", procs: 1, bundle: 3}}
  - {name: funnel, description: funnel, run: {cmd: echo done, procs: 1, depends: [fan_*, solo_*, packed_*]}}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6, 7], label: X.%%}
`

// A step whose spec says array: true goes in arrays, one without it in
// the same study does not, and one whose spec says bundle: 3 goes in
// bundles of 3; maestro run --array arrays every scheduled step and
// overrides the spec's bundles.
func TestArraysBySpec(t *testing.T) {
	t.Parallel()
	for _, all := range []bool{false, true} {
		f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
		dir := writeStudy(t, f, specArrays, store.Settings{Array: all})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		end, err := Run(ctx, options(dir, f))
		cancel()
		if err != nil || end != state.StudyFinished {
			t.Fatalf("--array %v: end %s, %v", all, end, err)
		}
		for name, s := range readStatus(t, dir) {
			inArray := strings.Contains(s.JobID, "_")
			want := strings.HasPrefix(name, "fan_") && name != "fan_X.7" || // 3 + 3 of 7, MaxArray 3: the last goes alone
				all && name != "funnel" && !strings.HasSuffix(name, "X.7")
			bundled := strings.HasPrefix(name, "packed_") && name != "packed_X.7" && !all // 3 + 3, the last alone
			if inArray != want || (s.Bundle != "") != bundled {
				t.Errorf("--array %v: %s as job %q, bundle %q; want in an array %v, in a bundle %v", all, name, s.JobID, s.Bundle, want, bundled)
			}
			if n := f.submits[name]; bundled && n != 0 || !bundled && n != 1 {
				t.Errorf("--array %v: %s submitted %d times on its own", all, name, n)
			}
		}
		if want := map[bool]int{false: 2, true: 6}[all]; f.arrays != want {
			t.Errorf("--array %v: %d arrays, want %d", all, f.arrays, want)
		}
	}
}

// The expansions of a step go in one array only while they ask for the
// same resources, by the study's record of them: each array's jobs carry
// one resource key (adapters.ResourceKey), which the scheduler can check
// them by without reading their scripts.
func TestArraysByResources(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, `
  - {name: fan, description: fan, run: {cmd: "echo $(X)", procs: $(P), walltime: "00:05:00"}}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6], label: X.%%}
  P: {values: [1, 1, 2, 2, 1, 1], label: P.%%}
`, store.Settings{Array: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if end, err := Run(ctx, options(dir, f)); err != nil || end != state.StudyFinished {
		t.Fatalf("end %s, %v", end, err)
	}
	one := adapters.ResourceKey(&store.StepInfo{Walltime: "00:05:00", Resources: []store.KV{{Key: "procs", Value: "1"}}})
	two := adapters.ResourceKey(&store.StepInfo{Walltime: "00:05:00", Resources: []store.KV{{Key: "procs", Value: "2"}}})
	if want := []string{one, two, one}; !slices.Equal(f.arrayKeys, want) {
		t.Errorf("arrays carried keys %q, want %q (MaxArray 3: one array a run of equal resources)", f.arrayKeys, want)
	}
}
