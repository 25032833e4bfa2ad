package conductor

import (
	"fmt"
	"slices"

	"github.com/maestro-go/maestro/store"
)

// Apply carries out a study's queued requests when no conductor is driving
// it: a cancel stops what is still in flight and cancels the rest; an
// update changes the stored settings for the next conductor, and opens no
// executor. opt gives the study directory, the adapters and the tunables;
// its other fields are not used.
func Apply(opt Options) error {
	dir := opt.Dir
	st, err := open(dir)
	if err != nil {
		return err
	}
	unlock, err := Lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	e, err := load(dir, st, opt)
	if err != nil {
		return err
	}
	defer e.closeLog()
	var reqs []store.Request
	err = e.st.Update(func(tx *store.Tx) error {
		var err error
		if reqs, err = tx.TakeRequests(); err != nil {
			return err
		}
		if slices.ContainsFunc(reqs, func(r store.Request) bool { return r.Kind == store.RequestCancel }) {
			// A cancel stops jobs: it needs the executors, and the
			// requests stay queued if they cannot be opened.
			return e.openExecutors()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if e.local != nil {
		e.recover()
	}
	e.obey(reqs)
	if e.cancelling {
		_, err := e.finish()
		return err
	}
	e.rec.flush(e.m, true)
	if e.m.pending() {
		return fmt.Errorf("cannot record the requests in %s: %v", dir, e.rec.err)
	}
	return nil
}
