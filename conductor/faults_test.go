package conductor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// failingDB lets the first ok writes through, then fails every write
// with ENOSPC, as a full disk does, until it is healed.
type failingDB struct {
	Database
	ok       int64
	writes   atomic.Int64
	failures atomic.Int64
	healed   atomic.Bool
}

func (f *failingDB) Update(fn func(*store.Tx) error) error {
	if f.writes.Add(1) > f.ok && !f.healed.Load() {
		f.failures.Add(1)
		return &errnoErr{syscall.ENOSPC}
	}
	return f.Database.Update(fn)
}

type errnoErr struct{ errno syscall.Errno }

func (e *errnoErr) Error() string { return "write meta/maestro.db: " + e.errno.Error() }

// A write that fails stops submissions: the job already submitted is
// watched to its end, and its end is held until a write succeeds, however
// long the give-up time has passed; then the study goes on, and every
// step runs exactly once.
func TestFailedWriteStopsSubmissions(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, `
  - {name: a, description: a, run: {cmd: echo a, procs: 1}}
  - {name: b, description: b, run: {cmd: echo b, procs: 1, depends: [a]}}
  - {name: c, description: c, run: {cmd: echo c, procs: 1, depends: [b]}}
`, store.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Write 1 records the conductor, write 2 marks a as being submitted;
	// the write of a's job id is the first to fail.
	fdb := &failingDB{ok: 2}
	var duringFailure map[string]int
	go func() {
		for fdb.failures.Load() < 5 { // retried for longer than the give-up time
			time.Sleep(10 * time.Millisecond)
		}
		f.mu.Lock()
		duringFailure = maps.Clone(f.submits)
		f.mu.Unlock()
		fdb.healed.Store(true)
	}()
	end, err := Run(ctx, withDB(giveUp(options(dir, f), 50*time.Millisecond), func(db Database) Database { fdb.Database = db; return fdb }))
	if err != nil || end != state.StudyFinished {
		t.Fatalf("end %s, %v", end, err)
	}
	if duringFailure["a"] != 1 || duringFailure["b"] != 0 {
		t.Errorf("submissions while writes failed: %v", duringFailure)
	}
	for _, name := range []string{"a", "b", "c"} {
		if f.submits[name] != 1 {
			t.Errorf("%s submitted %d times", name, f.submits[name])
		}
	}
}

// Writes that fail before anything ran: nothing is submitted, and after
// the give-up time the conductor stops with an error that says why; a
// later conductor runs the study.
func TestWriteFailureGivesUp(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, twoSteps, store.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fdb := &failingDB{ok: 1} // the marks of a are not recorded
	_, err := Run(ctx, withDB(giveUp(options(dir, f), 50*time.Millisecond), func(db Database) Database { fdb.Database = db; return fdb }))
	if err == nil || !strings.Contains(err.Error(), "cannot record the state") || !strings.Contains(err.Error(), "maestro restart") {
		t.Fatalf("run with a full disk: %v", err)
	}
	if len(f.submits) != 0 {
		t.Fatalf("submitted while nothing could be recorded: %v", f.submits)
	}
	end, err := Run(ctx, options(dir, f))
	if err != nil || end != state.StudyFinished || f.submits["a"] != 1 || f.submits["b"] != 1 {
		t.Fatalf("after space returned: %s, %v, %v", end, err, f.submits)
	}
}

// A write that fails for a while only pauses submissions.
func TestWriteFailureThatHealsResumes(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, `
  - {name: a, description: a, run: {cmd: echo a, procs: 1}}
  - {name: b, description: b, run: {cmd: echo b, procs: 1, depends: [a]}}
`, store.Settings{})
	healing := &healingDB{failures: 3}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end, err := Run(ctx, withDB(options(dir, f), func(db Database) Database { healing.Database = db; return healing }))
	if err != nil || end != state.StudyFinished || f.submits["a"] != 1 || f.submits["b"] != 1 {
		t.Fatalf("end %s, %v, submits %v", end, err, f.submits)
	}
}

// healingDB fails the writes after the first two, failures times.
type healingDB struct {
	Database
	writes, failures int
}

func (h *healingDB) Update(fn func(*store.Tx) error) error {
	h.writes++
	if h.writes > 2 && h.failures > 0 {
		h.failures--
		return errors.New("write meta/maestro.db: input/output error")
	}
	return h.Database.Update(fn)
}

// The end of a study that cannot be recorded is an error, not an exit 0
// with the study left RUNNING.
func TestUnrecordedEndIsAnError(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, `
  - {name: a, description: a, run: {cmd: echo a, procs: 1}}
`, store.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fdb := &failingDB{ok: 3} // conductor, mark, job id
	_, err := Run(ctx, withDB(options(dir, f), func(db Database) Database { fdb.Database = db; return fdb }))
	if err == nil || !strings.Contains(err.Error(), "cannot be recorded") {
		t.Fatalf("got %v", err)
	}
}

// Steps marked for submission when a cancel arrives lose the mark, so the
// cancelled study can be restarted; a restart of a study with nothing to
// rerun leaves its state alone.
func TestCancelledStudyRestarts(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Running} })
	dir := writeStudy(t, f, `
  - {name: a, description: a, run: {cmd: echo a, procs: 1}}
  - {name: b, description: b, run: {cmd: echo b, procs: 1}}
  - {name: c, description: c, run: {cmd: echo c, procs: 1}}
`, store.Settings{Throttle: 1})
	cancelWhen(t, dir, f, func() bool { return len(f.jobs) > 0 }) // once the first job runs
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end, err := Run(ctx, options(dir, f))
	if err != nil || end != state.StudyCancelled {
		t.Fatalf("end %s, %v", end, err)
	}
	for name, st := range readStatus(t, dir) {
		if st.Submitting || st.State != state.Cancelled {
			t.Errorf("%s after cancel: %+v", name, st)
		}
	}
	n, err := Reset(options(dir, f), nil)
	if err != nil || n != 3 {
		t.Fatalf("reset: %d, %v", n, err)
	}

	f = newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	if end, err := Run(ctx, options(dir, f)); err != nil || end != state.StudyFinished {
		t.Fatalf("rerun: %s, %v", end, err)
	}
}

// Restarting a FINISHED study resets nothing and keeps it FINISHED.
func TestResetOfFinishedStudyChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	dir := writeStudy(t, f, twoSteps, store.Settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if end, err := Run(ctx, options(dir, f)); err != nil || end != state.StudyFinished {
		t.Fatalf("end %s, %v", end, err)
	}
	n, err := Reset(options(dir, f), nil)
	if err != nil || n != 0 {
		t.Fatalf("reset: %d, %v", n, err)
	}
	db, _ := store.Open(dir)
	var was state.Study
	db.View(func(tx *store.Tx) error { was, err = tx.StudyState(); return err })
	if was != state.StudyFinished {
		t.Fatalf("study state after an empty reset: %s", was)
	}
}

// A refusal for a submission limit is back-pressure: the step waits and is
// submitted again at no cost in attempts, however often it is refused.
func TestSubmitLimitIsBackPressure(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.submitErr = func(name string, n int) error {
		if n <= 3 {
			return fmt.Errorf("%w: sbatch failed (exit 1): Batch job submission failed: Job violates accounting/QOS policy", adapters.ErrLimit)
		}
		return nil
	}
	end, st := runStudy(t, f, twoSteps, store.Settings{Attempts: 1})
	if end != state.StudyFinished || st["a"].Attempts != 0 || f.submits["a"] != 4 || f.submits["b"] != 4 {
		t.Fatalf("end %s, a %+v, submits %v", end, st["a"], f.submits)
	}
}

// A submission whose answer has no job id may have created the job: it is
// found by name, not submitted again.
func TestUnreadableAnswerIsFoundNotRepeated(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.submitErr = func(name string, n int) error {
		if n == 1 {
			return fmt.Errorf(`%w: sbatch printed no job id: "Welcome to the cluster"`, adapters.ErrUncertain)
		}
		return nil
	}
	f.createOn = func(string, int) bool { return true }
	end, st := runStudy(t, f, twoSteps, store.Settings{})
	if end != state.StudyFinished || f.submits["a"] != 1 || f.submits["b"] != 1 || st["a"].Attempts != 0 {
		t.Fatalf("end %s, a %+v, submits %v", end, st["a"], f.submits)
	}
}

// A query that answers for some jobs and fails for others applies what it
// answered and counts nothing else as missing.
func TestPartialQueryIsUsed(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return done(state.Finished, 0) })
	f.partial = true
	end, st := runStudy(t, f, `
  - {name: a, description: a, run: {cmd: echo a, procs: 1}}
  - {name: b, description: b, run: {cmd: echo b, procs: 1}}
  - {name: c, description: c, run: {cmd: echo c, procs: 1}}
`, store.Settings{})
	if end != state.StudyFinished {
		t.Fatalf("end %s: %+v", end, st)
	}
	for name, s := range st {
		if s.State != state.Finished {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

func withDB(opt Options, db func(Database) Database) Options {
	opt.DB = db
	return opt
}

func giveUp(opt Options, d time.Duration) Options {
	opt.Tunables.WriteGiveUp = d
	return opt
}
