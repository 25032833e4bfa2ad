package conductor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/all"
	"github.com/maestro-go/maestro/adapters/local"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/study"
)

// fakeSched is a scheduler whose jobs end as a test says: outcome gives
// the end state of the n-th submission (from 1) of a job name.
type fakeSched struct {
	mu            sync.Mutex
	outcome       func(name string, n int) adapters.Status
	submitErr     func(name string, n int) error // an error, after which the job may still exist
	createOn      func(name string, n int) bool  // with submitErr: whether the job was created anyway
	queryErr      bool
	queries       int             // Query calls so far
	partial       bool            // each query answers for its first id only, with an error for the rest
	forget        map[string]bool // names whose jobs vanish
	forgetBundles bool            // bundle jobs vanish
	submits       map[string]int
	arrays        int // SubmitArray calls
	// arrayKeys is, for each SubmitArray call, the resource key its jobs
	// carry, "mixed" when they differ.
	arrayKeys []string
	// bundle runs the k-th bundle job submitted (from 1), whose runner is
	// cmd, and gives its state; nil runs it to its end (FINISHED when it
	// exits 0, else FAILED).
	bundle    func(k int, j *adapters.Job, cmd *exec.Cmd) adapters.Status
	bundles   int // bundle jobs submitted
	scripts   map[string][]string
	jobs      map[string]adapters.Status
	names     map[string]string // id -> name
	next      int
	cancelled []string // job ids Cancel was given
}

// fakeAdapter hands the conductor a fakeSched, writing scripts as the
// local adapter does.
type fakeAdapter struct {
	*local.Adapter
	f *fakeSched
}

func (fakeAdapter) Name() string                                      { return "fake" }
func (a fakeAdapter) Open(adapters.Config) (adapters.Executor, error) { return a.f, nil }

// options drive the study in dir with f as its scheduler, one unit of the
// study's sleep setting lasting 5 ms.
func options(dir string, f *fakeSched) Options {
	return Options{Dir: dir, Adapters: all.Registry().With(fakeAdapter{local.New(), f}),
		Tunables: Tunables{SleepUnit: 5 * time.Millisecond}}
}

func (f *fakeSched) Capabilities() adapters.Capabilities { return adapters.Capabilities{MaxIDs: 2} }

func (f *fakeSched) Submit(_ context.Context, j *adapters.Job) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submits[j.Name]++
	n := f.submits[j.Name]
	f.scripts[j.Name] = append(f.scripts[j.Name], filepath.Base(j.Script))
	var err error
	if f.submitErr != nil {
		err = f.submitErr(j.Name, n)
	}
	if err != nil && (f.createOn == nil || !f.createOn(j.Name, n)) {
		return "", err
	}
	f.next++
	id := fmt.Sprint(f.next)
	f.names[id] = j.Name
	if strings.HasPrefix(j.Name, "bundle-") {
		f.jobs[id] = f.runBundle(j, id)
	} else {
		f.jobs[id] = f.outcome(j.Name, n)
	}
	return id, err
}

// runBundle runs a bundle job's runner as its scheduler would, as job id.
func (f *fakeSched) runBundle(j *adapters.Job, id string) adapters.Status {
	f.bundles++
	cmd := exec.Command(j.Script)
	cmd.Dir, cmd.Env = j.Workspace, append(os.Environ(), "SLURM_JOB_ID="+id)
	if f.bundle != nil {
		return f.bundle(f.bundles, j, cmd)
	}
	if err := cmd.Run(); err != nil {
		return done(state.Failed, 1)
	}
	return done(state.Finished, 0)
}

// MaxArray and SubmitArray make the fake an array scheduler: an array of
// n jobs is one call, with task ids ARRAY_K.
func (f *fakeSched) MaxArray() int { return 3 }

func (f *fakeSched) SubmitArray(_ context.Context, jobs []*adapters.Job, _ int) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arrays++
	key := jobs[0].Resources
	for _, j := range jobs {
		if j.Resources != key {
			key = "mixed"
		}
	}
	f.arrayKeys = append(f.arrayKeys, key)
	var ids []string
	for k, j := range jobs {
		f.submits[j.Name]++
		f.scripts[j.Name] = append(f.scripts[j.Name], filepath.Base(j.Script))
		id := fmt.Sprintf("%d_%d", 1000+f.arrays, k)
		f.names[id] = j.Name
		f.jobs[id] = f.outcome(j.Name, f.submits[j.Name])
		ids = append(ids, id)
	}
	return ids, nil
}

func (f *fakeSched) Query(_ context.Context, ids []string) (map[string]adapters.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	if f.queryErr {
		return nil, errors.New("squeue: error: Unable to contact slurm controller")
	}
	out := map[string]adapters.Status{}
	for _, id := range ids {
		if st, ok := f.jobs[id]; ok && !f.forget[f.names[id]] && !(f.forgetBundles && strings.HasPrefix(f.names[id], "bundle-")) {
			out[id] = st
		}
		if f.partial && len(ids) > 1 {
			return out, errors.New("sacct: error: Problem talking to the database: Connection refused")
		}
	}
	return out, nil
}

func (f *fakeSched) Cancel(_ context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, ids...)
	return nil
}

func (f *fakeSched) Find(_ context.Context, jobs []*adapters.Job, _ time.Time) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for id, name := range f.names {
		for _, j := range jobs {
			if j.Name == name {
				out[name] = id
			}
		}
	}
	return out, nil
}

func done(st state.State, code int) adapters.Status {
	return adapters.Status{State: st, ExitCode: &code}
}

func newFake(outcome func(string, int) adapters.Status) *fakeSched {
	return &fakeSched{outcome: outcome, forget: map[string]bool{}, submits: map[string]int{},
		scripts: map[string][]string{}, jobs: map[string]adapters.Status{}, names: map[string]string{}}
}

// runStudy writes a study of the given steps for the fake scheduler and
// runs a conductor on it to the end.
func runStudy(t *testing.T, f *fakeSched, steps string, settings store.Settings) (state.Study, map[string]store.StepStatus) {
	t.Helper()
	dir := writeStudy(t, f, steps, settings)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end, err := Run(ctx, options(dir, f))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return end, readStatus(t, dir)
}

// writeStudy writes a study of the given steps for the fake scheduler.
func writeStudy(t *testing.T, f *fakeSched, steps string, settings store.Settings) string {
	t.Helper()
	root := t.TempDir()
	specPath := filepath.Join(root, "t.yaml")
	text := "description: {name: t, description: t}\nbatch: {type: slurm, host: h, bank: b, queue: q}\nstudy:\n" + steps
	if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	s.Batch.Type = "fake"
	dir := filepath.Join(root, "s")
	if settings.Attempts == 0 {
		settings.Attempts = 1
	}
	settings.SleepSecs = 1
	st, err := study.New(s, dir, study.Options{Now: time.Now(), Settings: settings,
		Adapters: options(dir, f).Adapters})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(os.Environ()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readStatus returns the recorded status of every step by name.
func readStatus(t *testing.T, dir string) map[string]store.StepStatus {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.StepStatus{}
	err = db.View(func(tx *store.Tx) error {
		infos, err := tx.Steps()
		if err != nil {
			return err
		}
		stats, err := tx.Statuses()
		for i := range infos {
			out[infos[i].Name] = stats[i]
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const twoSteps = `
  - {name: a, description: a, run: {cmd: echo a, restart: echo again, procs: 1}}
  - {name: b, description: b, run: {cmd: echo b, procs: 1, depends: [a]}}
`

func TestNodeFailureIsResubmittedBounded(t *testing.T) {
	t.Parallel()
	f := newFake(func(name string, n int) adapters.Status {
		if name == "a" && n <= 2 {
			return adapters.Status{State: state.HWFailure}
		}
		return done(state.Finished, 0)
	})
	end, st := runStudy(t, f, twoSteps, store.Settings{})
	if end != state.StudyFinished || st["a"].HWRetries != 2 || f.submits["a"] != 3 {
		t.Fatalf("end %s, a %+v, submits %d", end, st["a"], f.submits["a"])
	}

	f = newFake(func(name string, n int) adapters.Status { return adapters.Status{State: state.HWFailure} })
	end, st = runStudy(t, f, twoSteps, store.Settings{})
	if end != state.StudyFailure || st["a"].State != state.Failed || f.submits["a"] != 1+DefaultTunables().MaxHWRetries || st["b"].State != state.Failed {
		t.Fatalf("end %s, a %+v, b %s, submits %d", end, st["a"], st["b"].State, f.submits["a"])
	}
}

func TestTimeoutsRestartUpToTheLimit(t *testing.T) {
	t.Parallel()
	timesOut := func(k int) func(string, int) adapters.Status {
		return func(name string, n int) adapters.Status {
			if name == "a" && n <= k {
				return adapters.Status{State: state.TimedOut}
			}
			return done(state.Finished, 0)
		}
	}
	f := newFake(timesOut(2))
	end, st := runStudy(t, f, twoSteps, store.Settings{RLimit: 2})
	if end != state.StudyFinished || st["a"].Restarts != 2 {
		t.Fatalf("end %s, a %+v", end, st["a"])
	}
	if got := strings.Join(f.scripts["a"], " "); got != "a.sh a.restart.sh a.restart.sh" {
		t.Fatalf("scripts submitted: %s", got)
	}

	f = newFake(timesOut(5))
	end, st = runStudy(t, f, twoSteps, store.Settings{RLimit: 1})
	if end != state.StudyFailure || st["a"].State != state.Failed || !strings.Contains(st["a"].Reason, "restart limit") {
		t.Fatalf("end %s, a %+v", end, st["a"])
	}

	f = newFake(timesOut(5))
	end, st = runStudy(t, f, `
  - {name: a, description: a, run: {cmd: echo a, procs: 1}}
  - {name: b, description: b, run: {cmd: echo b, procs: 1, depends: [a]}}
`, store.Settings{RLimit: 3})
	if end != state.StudyFailure || st["a"].State != state.TimedOut || st["b"].State != state.Failed || f.submits["a"] != 1 {
		t.Fatalf("end %s, a %+v, b %s", end, st["a"], st["b"].State)
	}
}

func TestVanishedJobIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Running} })
	f.forget["a"] = true
	end, st := runStudy(t, f, twoSteps, store.Settings{})
	if end != state.StudyFailure || st["a"].State != state.NotFound || st["b"].State != state.Failed {
		t.Fatalf("end %s, a %+v, b %s", end, st["a"], st["b"].State)
	}
}

func TestQueryOutageChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.queryErr = true
	go func() { // the scheduler answers again after three failed queries
		for {
			f.mu.Lock()
			if f.queries >= 3 {
				f.queryErr = false
				f.mu.Unlock()
				return
			}
			f.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()
	end, st := runStudy(t, f, twoSteps, store.Settings{})
	if end != state.StudyFinished || st["a"].State != state.Finished || f.submits["a"] != 1 {
		t.Fatalf("end %s, a %+v, submits %d", end, st["a"], f.submits["a"])
	}
}

func TestLostSubmissionIsFoundNotRepeated(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.submitErr = func(name string, n int) error {
		if name == "a" && n == 1 {
			return fmt.Errorf("sbatch timed out: %w", adapters.ErrUnavailable)
		}
		return nil
	}
	f.createOn = func(string, int) bool { return true } // the job was created before the timeout
	end, st := runStudy(t, f, twoSteps, store.Settings{})
	if end != state.StudyFinished || f.submits["a"] != 1 || st["a"].JobID != "1" {
		t.Fatalf("end %s, a %+v, submits %d", end, st["a"], f.submits["a"])
	}
}

func TestRejectedSubmissionUsesAttempts(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.submitErr = func(name string, n int) error {
		if name == "a" && n == 1 {
			return errors.New("sbatch: error: invalid partition specified")
		}
		return nil
	}
	end, st := runStudy(t, f, twoSteps, store.Settings{Attempts: 2})
	if end != state.StudyFinished || f.submits["a"] != 2 || st["a"].Attempts != 1 {
		t.Fatalf("end %s, a %+v, submits %d", end, st["a"], f.submits["a"])
	}
	f = newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.submitErr = func(string, int) error { return errors.New("sbatch: error: invalid partition specified") }
	end, st = runStudy(t, f, twoSteps, store.Settings{Attempts: 1})
	if end != state.StudyFailure || !strings.Contains(st["a"].Reason, "invalid partition") || st["b"].State != state.Failed {
		t.Fatalf("end %s, a %+v", end, st["a"])
	}
}

// cancelWhen asks the study in dir to cancel as soon as ready, checked
// under f's lock, holds.
func cancelWhen(t *testing.T, dir string, f *fakeSched, ready func() bool) {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			f.mu.Lock()
			ok := ready()
			f.mu.Unlock()
			if ok {
				break
			}
			time.Sleep(time.Millisecond)
		}
		db.Update(func(tx *store.Tx) error { return tx.AddRequest(store.Request{Kind: store.RequestCancel}) })
	}()
}
