package conductor

import (
	"context"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/store"
)

// takeRequests applies queued cancel and update requests.
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
		if next := time.Now().Add(e.sleep()); next.Before(e.nextPoll) {
			e.nextPoll = next
		}
	}
	e.logf("settings updated: throttle %d, rlimit %d, sleep %ds", e.m.settings.Throttle, e.m.settings.RLimit, e.m.settings.SleepSecs)
}

// cancel stops every job in flight and cancels every step not yet ended.
func (e *engine) cancel() {
	e.logf("cancel requested")
	e.cancelling = true
	e.resolveLimbo(context.Background()) // a job it finds is cancelled below
	for _, group := range []struct {
		jobs map[string]int32
		ex   adapters.Executor
	}{{e.m.localJobs, e.local}, {e.m.schedJobs, e.sched}} {
		if len(group.jobs) == 0 {
			continue
		}
		ids := make([]string, 0, len(group.jobs))
		for id := range group.jobs {
			ids = append(ids, id)
		}
		for _, part := range adapters.Chunks(ids, group.ex.Capabilities().MaxIDs) {
			ctx, cancel := context.WithTimeout(context.Background(), e.t.CommandLimit)
			if err := group.ex.Cancel(ctx, part); err != nil {
				e.logf("cancelling jobs %v: %v", part, err)
			}
			cancel()
		}
	}
	e.m.cancel()
}
