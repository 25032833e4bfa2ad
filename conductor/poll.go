package conductor

import (
	"context"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// maxBackoff bounds the wait between scheduler queries after failures.
var maxBackoff = 10 * time.Minute

// collectLocal applies the ends of local steps; the local executor knows
// them the moment they happen.
func (e *engine) collectLocal() {
	if len(e.localJobs) == 0 {
		return
	}
	ids := make([]string, 0, len(e.localJobs))
	for id := range e.localJobs {
		ids = append(ids, id)
	}
	res, _ := e.local.Query(context.Background(), ids)
	for id, s := range res {
		if s.State.Terminal() {
			e.apply(e.localJobs[id], s)
		}
	}
}

// poll asks the scheduler about every job in flight, in as few commands as
// it allows. A failed query changes no step: it is retried with backoff,
// and after failing three times in a row submissions pause until the
// scheduler answers again.
func (e *engine) poll(ctx context.Context) {
	ids := make([]string, 0, len(e.schedJobs))
	for id := range e.schedJobs {
		ids = append(ids, id)
	}
	chunk := e.sched.Capabilities().MaxIDs
	if chunk <= 0 {
		chunk = len(ids)
	}
	res := make(map[string]adapters.Status, len(ids))
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		cctx, cancel := context.WithTimeout(ctx, CommandLimit)
		r, err := e.sched.Query(cctx, part)
		cancel()
		if err != nil {
			e.queryFailed(err)
			return
		}
		for id, s := range r {
			res[id] = s
		}
	}
	if e.schedFailures > 0 {
		e.logf("the scheduler answers again after %d failed queries; resuming", e.schedFailures)
	}
	e.schedFailures, e.schedDown, e.pollBackoff = 0, false, 0
	for _, id := range ids {
		i, ok := e.schedJobs[id]
		if !ok {
			continue
		}
		if s, found := res[id]; found {
			e.misses[i] = 0
			e.apply(i, s)
			continue
		}
		e.misses[i]++
		if int(e.misses[i]) >= MissLimit {
			e.apply(i, adapters.Status{State: state.NotFound, Reason: "job " + id + " is known to no scheduler command any more"})
		}
	}
	e.nextPoll = time.Now().Add(e.sleep())
}

func (e *engine) queryFailed(err error) {
	e.schedFailures++
	e.pollBackoff = min(max(2*e.pollBackoff, e.sleep()), maxBackoff)
	e.nextPoll = time.Now().Add(e.pollBackoff)
	if e.schedFailures >= 3 && !e.schedDown {
		e.schedDown = true
		e.logf("the scheduler failed %d queries in a row; pausing submissions until it answers (the study stays RUNNING)", e.schedFailures)
	}
	e.logf("scheduler query failed (%d in a row): %v; next try in %s", e.schedFailures, err, e.pollBackoff)
}
