package conductor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// bundleFan is a fan of seven scheduled steps, each appending its name
// to a ledger as it ends, fan_X.2 failing, and a funnel after it.
const bundleFan = `
  - {name: fan, description: fan, run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger; [ $(X) -ne 2 ]", procs: 1, walltime: "00:05:00"}}
  - {name: funnel, description: funnel, run: {cmd: echo done, procs: 1, depends: [fan_*]}}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6, 7], label: X.%%}
`

// ledger counts how many times each step appended its name to the
// study's ledger.
func ledger(t *testing.T, dir string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "ledger"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range strings.Fields(string(data)) {
		count[l]++
	}
	return count
}

func runBundled(t *testing.T, f *fakeSched, steps string, settings store.Settings, tune func(*Tunables)) (string, state.Study) {
	t.Helper()
	dir := writeStudy(t, f, steps, settings)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opt := options(dir, f)
	if tune != nil {
		tune(&opt.Tunables)
	}
	end, err := Run(ctx, opt)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return dir, end
}

// With --bundle 3, the seven ready fan steps go as two bundles of three
// and one job of its own; each step has its own state, exit code, start
// and end (from the bundle's files), and its bundle's job id.
func TestBundles(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir, end := runBundled(t, f, bundleFan, store.Settings{Bundle: 3}, nil)
	if end != state.StudyFailure {
		t.Fatalf("end %s", end)
	}
	if f.bundles != 2 || f.submits["fan_X.7"] != 1 || f.submits["funnel"] != 0 {
		t.Errorf("%d bundles, submissions %v; want 2 bundles and fan_X.7 alone", f.bundles, f.submits)
	}
	st := readStatus(t, dir)
	jobs := map[string][]string{}
	for _, name := range []string{"fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.5", "fan_X.6"} {
		s := st[name]
		want, code := state.Finished, 0
		if name == "fan_X.2" {
			want, code = state.Failed, 1
		}
		// Its start and end are the bundle's files', in whole seconds.
		if s.State != want || s.ExitCode == nil || *s.ExitCode != code || s.Started.IsZero() || s.Ended.Before(s.Started) ||
			s.Started.Nanosecond() != 0 || s.Ended.Nanosecond() != 0 ||
			!strings.HasPrefix(f.names[s.JobID], "bundle-") || s.Bundle != f.names[s.JobID] {
			t.Errorf("%s: %+v, want %s with code %d in a bundle", name, s, want, code)
		}
		jobs[s.JobID] = append(jobs[s.JobID], name)
	}
	if len(jobs) != 2 {
		t.Errorf("bundles %v", jobs)
	}
	if s := st["fan_X.7"]; s.State != state.Finished || f.names[s.JobID] != "fan_X.7" {
		t.Errorf("fan_X.7: %+v", s)
	}
	if st["funnel"].State != state.Failed {
		t.Errorf("funnel %s", st["funnel"].State)
	}
	if got := ledger(t, dir); len(got) != 6 || got["fan_X.1"] != 1 || got["fan_X.6"] != 1 {
		t.Errorf("ledger %v, want the six bundled steps once each", got)
	}
}

// The throttle counts steps, not jobs: with --throttle 2 no bundle holds
// more than two steps.
func TestBundlesWithinThrottle(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir, _ := runBundled(t, f, bundleFan, store.Settings{Bundle: 3, Throttle: 2}, nil)
	tables, _ := filepath.Glob(filepath.Join(dir, "meta", "jobs", "bundles", "*", "steps.tsv"))
	if len(tables) != f.bundles || f.bundles < 3 {
		t.Fatalf("%d bundle tables, %d bundles", len(tables), f.bundles)
	}
	for _, p := range tables {
		data, _ := os.ReadFile(p)
		if n := strings.Count(string(data), "\n"); n > 2 {
			t.Errorf("%s: %d steps, throttle 2", p, n)
		}
	}
}

// A bundle that ended before it started any step (cancelled by someone
// else) sends its steps back to the ready queue at no cost: they run in
// the next bundle, once each, with no attempt spent.
func TestBundleNeverStarted(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.bundle = func(k int, _ *adapters.Job, cmd *exec.Cmd) adapters.Status {
		if k == 1 {
			return adapters.Status{State: state.Cancelled, Reason: "cancelled by an administrator"}
		}
		if err := cmd.Run(); err != nil {
			return done(state.Failed, 1)
		}
		return done(state.Finished, 0)
	}
	dir, end := runBundled(t, f, `
  - {name: fan, description: fan, run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}}
global.parameters:
  X: {values: [1, 2, 3, 4], label: X.%%}
`, store.Settings{Bundle: 4}, nil)
	if end != state.StudyFinished || f.bundles != 2 {
		t.Fatalf("end %s after %d bundles", end, f.bundles)
	}
	for name, s := range readStatus(t, dir) {
		if s.Attempts != 0 || s.State != state.Finished {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if got := ledger(t, dir); len(got) != 4 || got["fan_X.1"] != 1 || got["fan_X.4"] != 1 {
		t.Errorf("ledger %v", got)
	}
}

// runSleeperFan runs a fan of n steps with the walltime given, all in
// bundles of n that run one step at a time, where fan_X.2 sleeps past any
// walltime and has a restart script: the study must finish after the
// number of bundles given, with fan_X.2 restarted once, alone, with its
// restart script. It returns the study and its steps' states.
func runSleeperFan(t *testing.T, f *fakeSched, walltime string, n, bundles int) (string, map[string]store.StepStatus) {
	t.Helper()
	values := make([]string, n)
	for i := range values {
		values[i] = strconv.Itoa(i + 1)
	}
	dir, end := runBundled(t, f, `
  - name: fan
    description: fan
    run:
      cmd: "if [ $(X) = 2 ]; then sleep 60; fi; echo fan_X.$(X) >> $(SPECROOT)/ledger"
      restart: "echo fan_X.$(X) >> $(SPECROOT)/ledger"
      procs: 1
      walltime: "`+walltime+`"
global.parameters:
  X: {values: [`+strings.Join(values, ", ")+`], label: X.%%}
`, store.Settings{Bundle: n, RLimit: 1}, func(t *Tunables) {
		t.BundleParallel, t.BundleLead, t.BundleGrace = 1, 2*time.Second, time.Second
	})
	if end != state.StudyFinished || f.bundles != bundles {
		t.Fatalf("end %s after %d bundles, want FINISHED after %d", end, f.bundles, bundles)
	}
	st := readStatus(t, dir)
	if s := st["fan_X.2"]; s.Restarts != 1 || f.names[s.JobID] != "fan_X.2" || len(f.scripts["fan_X.2"]) != 1 ||
		!strings.Contains(f.scripts["fan_X.2"][0], "restart") {
		t.Errorf("fan_X.2: %+v, submitted alone as %v, want restarted once alone", s, f.scripts["fan_X.2"])
	}
	return dir, st
}

// At a bundle's walltime (the scheduler's warning, USR1) the step running
// is TIMEDOUT and restarted alone with its restart script; the steps not
// yet started go back to the ready queue and run in a later bundle; the
// step that FINISHED is not run again.
func TestBundleTimeout(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.bundle = func(k int, j *adapters.Job, cmd *exec.Cmd) adapters.Status {
		if err := cmd.Start(); err != nil {
			return done(state.Failed, 1)
		}
		if k == 1 {
			start := filepath.Join(j.Workspace, "fan_X.2.start")
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(start); err == nil {
					break
				}
			}
			cmd.Process.Signal(syscall.SIGUSR1)
			cmd.Wait()
			return adapters.Status{State: state.TimedOut, Reason: "time limit"}
		}
		if err := cmd.Wait(); err != nil {
			return done(state.Failed, 1)
		}
		return done(state.Finished, 0)
	}
	dir, st := runSleeperFan(t, f, "00:01:00", 4, 2)
	first := st["fan_X.1"].JobID
	for _, name := range []string{"fan_X.3", "fan_X.4"} {
		if s := st[name]; s.JobID == first || !strings.HasPrefix(f.names[s.JobID], "bundle-") || s.Attempts != 0 {
			t.Errorf("%s: %+v, want it in the second bundle", name, s)
		}
	}
	// The fake runs bundles only: fan_X.2's restart, a job of its own,
	// leaves no line.
	for name, want := range map[string]int{"fan_X.1": 1, "fan_X.2": 0, "fan_X.3": 1, "fan_X.4": 1} {
		if n := ledger(t, dir)[name]; n != want {
			t.Errorf("%s ran to its end %d times in bundles, want %d", name, n, want)
		}
	}
}

// A step that overruns its own walltime inside a bundle is TIMEDOUT on
// its own and restarted alone with its restart script, while the bundle
// goes on with the steps after it, which run once.
func TestBundleStepWalltime(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir, st := runSleeperFan(t, f, "00:00:01", 3, 1)
	for name, want := range map[string]int{"fan_X.1": 1, "fan_X.2": 0, "fan_X.3": 1} {
		if n := ledger(t, dir)[name]; n != want || name != "fan_X.2" && st[name].State != state.Finished {
			t.Errorf("%s: %s, ran to its end %d times in its bundle, want %d", name, st[name].State, n, want)
		}
	}
}

// The answer to a bundle's submission is lost (the job was created): the
// conductor finds the bundle by its name and never submits it again.
func TestLostBundleIsFoundNotRepeated(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.submitErr = func(name string, n int) error {
		return fmt.Errorf("%w: sbatch printed no job id", adapters.ErrUncertain)
	}
	f.createOn = func(string, int) bool { return true }
	dir, end := runBundled(t, f, `
  - {name: fan, description: fan, run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}}
global.parameters:
  X: {values: [1, 2, 3, 4], label: X.%%}
`, store.Settings{Bundle: 4}, nil)
	if end != state.StudyFinished || f.bundles != 1 {
		t.Fatalf("end %s after %d bundles (%v)", end, f.bundles, f.submits)
	}
	for name, n := range ledger(t, dir) {
		if n != 1 {
			t.Errorf("%s ran %d times", name, n)
		}
	}
}

// A conductor that dies after a bundle's submission, before it could
// record the job id, leaves its steps marked with the bundle's name: the
// next conductor finds the job by that name, and reads each step's end
// from the bundle's files.
func TestBundleFoundAfterConductorDied(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, `
  - {name: fan, description: fan, run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}}
global.parameters:
  X: {values: [1, 2, 3], label: X.%%}
`, store.Settings{Bundle: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Write 1 records the conductor, write 2 the marks; the job id is
	// never recorded: the first conductor is stopped while it holds it.
	fdb := &failingDB{ok: 2}
	f.bundle = func(_ int, _ *adapters.Job, cmd *exec.Cmd) adapters.Status {
		err := cmd.Run()
		go func() {
			for fdb.failures.Load() == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		if err != nil {
			return done(state.Failed, 1)
		}
		return done(state.Finished, 0)
	}
	if _, err := Run(ctx, withDB(options(dir, f), func(db Database) Database { fdb.Database = db; return fdb })); err == nil {
		t.Fatal("the first conductor recorded everything")
	}
	for name, s := range readStatus(t, dir) {
		if !s.Submitting || s.Bundle == "" || s.JobID != "" {
			t.Fatalf("%s: %+v, want marked for its bundle, no job recorded", name, s)
		}
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if end, err := Run(ctx2, options(dir, f)); err != nil || end != state.StudyFinished {
		t.Fatalf("second conductor: %s, %v", end, err)
	}
	if f.bundles != 1 {
		t.Errorf("%d bundles submitted, want 1", f.bundles)
	}
	for name, s := range readStatus(t, dir) {
		if s.State != state.Finished || s.Started.IsZero() || !strings.HasPrefix(f.names[s.JobID], "bundle-") {
			t.Errorf("%s: %+v", name, s)
		}
	}
	for name, n := range ledger(t, dir) {
		if n != 1 {
			t.Errorf("%s ran %d times", name, n)
		}
	}
}

// A cancel stops the bundle's job (once, however many steps it holds)
// and cancels every step; `maestro restart` then runs them all in a new
// bundle.
func TestBundleCancel(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.bundle = func(k int, _ *adapters.Job, cmd *exec.Cmd) adapters.Status {
		if k == 1 {
			return adapters.Status{State: state.Running}
		}
		if err := cmd.Run(); err != nil {
			return done(state.Failed, 1)
		}
		return done(state.Finished, 0)
	}
	dir := writeStudy(t, f, `
  - {name: fan, description: fan, run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}}
global.parameters:
  X: {values: [1, 2, 3], label: X.%%}
`, store.Settings{Bundle: 3})
	cancelWhen(t, dir, f, func() bool { return f.bundles > 0 }) // once the bundle is in flight
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if end, err := Run(ctx, options(dir, f)); err != nil || end != state.StudyCancelled {
		t.Fatalf("end %s, %v", end, err)
	}
	if len(f.cancelled) != 1 || !strings.HasPrefix(f.names[f.cancelled[0]], "bundle-") {
		t.Errorf("cancelled %v, want the bundle's job once", f.cancelled)
	}
	for name, s := range readStatus(t, dir) {
		if s.State != state.Cancelled || s.Submitting {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if n, err := Reset(options(dir, f), nil); err != nil || n != 3 {
		t.Fatalf("reset: %d, %v", n, err)
	}
	if end, err := Run(ctx, options(dir, f)); err != nil || end != state.StudyFinished || f.bundles != 2 {
		t.Fatalf("rerun: %s, %v, %d bundles", end, err, f.bundles)
	}
	if got := ledger(t, dir); len(got) != 3 || got["fan_X.1"] != 1 {
		t.Errorf("ledger %v", got)
	}
}

// A bundle the scheduler refuses outright is not tried again as a
// bundle: its steps are submitted alone, at no attempt's cost.
func TestRefusedBundleGoesAlone(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.submitErr = func(name string, _ int) error {
		if strings.HasPrefix(name, "bundle-") {
			return fmt.Errorf("sbatch: error: Batch job submission failed: Requested node configuration is not available")
		}
		return nil
	}
	dir, end := runBundled(t, f, `
  - {name: fan, description: fan, run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}}
global.parameters:
  X: {values: [1, 2, 3], label: X.%%}
`, store.Settings{Bundle: 3}, nil)
	if end != state.StudyFinished || f.bundles != 0 {
		t.Fatalf("end %s, %d bundles run", end, f.bundles)
	}
	for name, s := range readStatus(t, dir) {
		if f.submits[name] != 1 || s.Attempts != 0 || s.Bundle != "" || f.names[s.JobID] != name {
			t.Errorf("%s: %+v, submitted %d times", name, s, f.submits[name])
		}
	}
}

// A bundle job that left the scheduler's view (no accounting kept it)
// is NOTFOUND after MissLimit polls; its steps' ends are still their
// files': FINISHED, and the one it never started (the runner was not
// there to start it) goes back to the ready queue.
func TestVanishedBundle(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.forgetBundles = true
	f.bundle = func(k int, j *adapters.Job, cmd *exec.Cmd) adapters.Status {
		if k == 1 { // the runner got as far as the first two steps
			table, _ := os.ReadFile(filepath.Join(j.Workspace, "steps.tsv"))
			lines := strings.Split(strings.TrimSpace(string(table)), "\n")
			os.WriteFile(filepath.Join(j.Workspace, "steps.tsv"), []byte(strings.Join(lines[:2], "\n")+"\n"), 0o644)
		}
		cmd.Run()
		return adapters.Status{State: state.Running}
	}
	dir, end := runBundled(t, f, `
  - {name: fan, description: fan, run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}}
global.parameters:
  X: {values: [1, 2, 3], label: X.%%}
`, store.Settings{Bundle: 3}, nil)
	if end != state.StudyFinished {
		t.Fatalf("end %s", end)
	}
	st := readStatus(t, dir)
	if st["fan_X.1"].JobID != st["fan_X.2"].JobID || st["fan_X.3"].JobID == st["fan_X.1"].JobID || f.submits["fan_X.3"] != 1 {
		t.Errorf("fan_X.3 not run alone after its bundle vanished: %v, submissions %v", st, f.submits)
	}
	if got := ledger(t, dir); len(got) != 2 || got["fan_X.1"] != 1 || got["fan_X.2"] != 1 {
		t.Errorf("ledger %v", got)
	}
}
