package conductor

import (
	"context"
	"fmt"
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
	res := make(map[string]adapters.Status, len(ids))
	for _, part := range adapters.Chunks(ids, e.sched.Capabilities().MaxIDs) {
		cctx, cancel := context.WithTimeout(ctx, CommandLimit)
		r, err := e.sched.Query(cctx, part)
		cancel()
		if err != nil {
			e.schedFailed(fmt.Errorf("query: %w", err))
			return
		}
		for id, s := range r {
			res[id] = s
		}
	}
	e.schedUp()
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

// schedFailed notes a scheduler command that failed: the next try waits
// with exponential backoff, and after three failures in a row scheduled
// submissions pause (the study stays RUNNING) until the scheduler answers.
func (e *engine) schedFailed(err error) {
	e.schedFailures++
	e.pollBackoff = min(max(2*e.pollBackoff, e.sleep()), maxBackoff)
	e.nextPoll = time.Now().Add(e.pollBackoff)
	if e.schedFailures >= 3 && !e.schedDown {
		e.schedDown = true
		e.logf("the scheduler failed %d times in a row; pausing submissions until it answers (the study stays RUNNING)", e.schedFailures)
	}
	e.logf("scheduler command failed (%d in a row): %v; next try in %s", e.schedFailures, err, e.pollBackoff)
}

// schedUp notes that the scheduler answered.
func (e *engine) schedUp() {
	if e.schedFailures > 0 {
		e.logf("the scheduler answers again after %d failures; resuming", e.schedFailures)
	}
	e.schedFailures, e.schedDown, e.pollBackoff = 0, false, 0
}

// resolveLimbo asks the scheduler for the jobs of steps a conductor was
// submitting when it died or lost the answer: a job found is watched; a
// step without one is submitted (again).
func (e *engine) resolveLimbo(ctx context.Context) {
	if len(e.limbo) == 0 {
		return
	}
	var jobs []*adapters.Job
	since := time.Now()
	for i := range e.limbo {
		jobs = append(jobs, e.job(i))
		since = minTime(since, e.status[i].MarkedAt)
	}
	cctx, cancel := context.WithTimeout(ctx, CommandLimit)
	found, err := e.sched.Find(cctx, jobs, since)
	cancel()
	if err != nil {
		e.schedFailed(fmt.Errorf("finding jobs: %w", err))
		return
	}
	e.schedUp()
	for i := range e.limbo {
		st := &e.status[i]
		if id, ok := found[e.steps[i].JobName]; ok {
			e.logf("%s: found job %s, submitted before the answer was lost", e.steps[i].Name, id)
			e.inFlight(i, id, st.MarkedAt)
		} else {
			st.Submitting = false
			e.dirty[i] = true
			if e.waiting[i] == 0 {
				e.enqueue(i)
			}
		}
		delete(e.limbo, i)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
