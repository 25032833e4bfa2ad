package conductor

import (
	"context"
	"time"

	"github.com/maestro-go/maestro/store"
)

// takeRequests takes queued cancel and update requests and applies them.
func (e *engine) takeRequests() {
	pending := false
	if err := e.st.View(func(tx *store.Tx) error { pending = tx.PendingRequests(); return nil }); err != nil {
		e.logf("cannot read requests: %v", err)
		return
	}
	if !pending {
		return
	}
	var reqs []store.Request
	err := e.st.Update(func(tx *store.Tx) error {
		var err error
		reqs, err = tx.TakeRequests()
		return err
	})
	if err != nil {
		e.logf("cannot take requests: %v", err)
		return
	}
	e.obey(reqs)
}

// obey applies requests in the order they were made.
func (e *engine) obey(reqs []store.Request) {
	for _, r := range reqs {
		switch r.Kind {
		case store.RequestCancel:
			e.cancel()
		case store.RequestUpdate:
			e.update(r)
		}
	}
}

func (e *engine) update(r store.Request) {
	e.m.update(r)
	if r.Sleep != nil {
		e.sched.askBy(time.Now().Add(e.sleep()))
	}
	e.logf("settings updated: throttle %d, rlimit %d, sleep %ds", e.m.settings.Throttle, e.m.settings.RLimit, e.m.settings.SleepSecs)
}

// cancel stops every job in flight and cancels every step not yet ended.
func (e *engine) cancel() {
	e.logf("cancel requested")
	e.cancelling = true
	e.resolveLimbo(context.Background()) // a job it finds is cancelled below
	cancelJobs(e.local, mapKeys(e.m.localJobs), e.t.CommandLimit, e.logf)
	e.sched.cancel(append(mapKeys(e.m.schedJobs), bundleIDs(e.m.bundles)...))
	e.m.cancel()
}

// mapKeys returns the job ids of a set of jobs in flight.
func mapKeys(jobs map[string]int32) []string {
	ids := make([]string, 0, len(jobs))
	for id := range jobs {
		ids = append(ids, id)
	}
	return ids
}
