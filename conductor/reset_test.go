package conductor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// openCounting counts the executors the conductor opens of the fake
// scheduler.
type openCounting struct {
	fakeAdapter
	opens *atomic.Int32
}

func (a openCounting) Open(c adapters.Config) (adapters.Executor, error) {
	a.opens.Add(1)
	return a.fakeAdapter.Open(c)
}

func counted(opt Options, f *fakeSched) (Options, *atomic.Int32) {
	n := &atomic.Int32{}
	opt.Adapters = opt.Adapters.With(openCounting{fakeAdapter{nil, f}, n})
	return opt, n
}

func setStatus(t *testing.T, dir string, i int, s store.StepStatus) {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.PutStatus(i, &s) }); err != nil {
		t.Fatal(err)
	}
}

// A step cancelled while marked as being submitted (the scheduler could
// not be asked then) has its job looked for by the restart, which cancels
// it, so that the rerun is the only run. Only then is the scheduler
// opened.
func TestResetSettlesMarksOfCancelledSteps(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Pending} })
	dir := writeStudy(t, f, twoSteps, store.Settings{})
	setStatus(t, dir, 0, store.StepStatus{State: state.Cancelled, Submitting: true, MarkedAt: time.Now().Add(-time.Minute)})
	setStatus(t, dir, 1, store.StepStatus{State: state.Cancelled})
	if _, err := f.Submit(context.Background(), &adapters.Job{Name: "a"}); err != nil { // the job the cancel could not see
		t.Fatal(err)
	}
	opt, opens := counted(options(dir, f), f)
	n, err := Reset(opt, nil)
	if err != nil || n != 2 {
		t.Fatalf("reset: %d, %v", n, err)
	}
	if len(f.cancelled) != 1 || f.cancelled[0] != "1" || opens.Load() != 1 {
		t.Errorf("cancelled %v, scheduler opened %d times", f.cancelled, opens.Load())
	}
	if st := readStatus(t, dir)["a"]; st.State != state.Initialized || st.Submitting {
		t.Errorf("a after reset: %+v", st)
	}

	setStatus(t, dir, 0, store.StepStatus{State: state.Failed})
	if n, err := Reset(opt, nil); err != nil || n != 1 || opens.Load() != 1 {
		t.Errorf("reset with no mark: %d, %v; scheduler opened %d times in all", n, err, opens.Load())
	}
}

// With no conductor, an update rewrites the settings and opens no
// executor; a cancel opens them to stop what runs.
func TestApplyOpensOnlyWhatItNeeds(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Pending} })
	dir := writeStudy(t, f, twoSteps, store.Settings{})
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	request := func(r store.Request) {
		t.Helper()
		if err := db.Update(func(tx *store.Tx) error { return tx.AddRequest(r) }); err != nil {
			t.Fatal(err)
		}
	}
	throttle := 7
	request(store.Request{Kind: store.RequestUpdate, Throttle: &throttle})
	opt, opens := counted(options(dir, f), f)
	if err := Apply(opt); err != nil {
		t.Fatal(err)
	}
	var settings store.Settings
	db.View(func(tx *store.Tx) error { settings, err = tx.Settings(); return err })
	if settings.Throttle != 7 || opens.Load() != 0 {
		t.Errorf("throttle %d after the update, scheduler opened %d times", settings.Throttle, opens.Load())
	}

	setStatus(t, dir, 0, store.StepStatus{State: state.Pending, JobID: "9"})
	request(store.Request{Kind: store.RequestCancel})
	if err := Apply(opt); err != nil {
		t.Fatal(err)
	}
	var was state.Study
	db.View(func(tx *store.Tx) error { was, err = tx.StudyState(); return err })
	if was != state.StudyCancelled || opens.Load() != 1 || len(f.cancelled) != 1 || f.cancelled[0] != "9" {
		t.Errorf("after the cancel: study %s, scheduler opened %d times, cancelled %v", was, opens.Load(), f.cancelled)
	}
}
