package conductor

import (
	"context"
	"fmt"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// collectLocal applies the ends of local steps; the local executor knows
// them the moment they happen.
func (e *engine) collectLocal() {
	if len(e.m.localJobs) == 0 {
		return
	}
	ids := make([]string, 0, len(e.m.localJobs))
	for id := range e.m.localJobs {
		ids = append(ids, id)
	}
	res, _ := e.local.Query(context.Background(), ids)
	for id, s := range res {
		if s.State.Terminal() {
			e.apply(e.m.localJobs[id], s)
		}
	}
}

// apply hands the machine what an executor reports of step i's job.
func (e *engine) apply(i int32, s adapters.Status) {
	if e.m.apply(i, s) {
		e.misses[i] = 0
		if e.m.steps[i].Scheduled {
			e.limitUntil = time.Time{} // room under a submission limit
		}
	}
}

// poll asks the scheduler about every job in flight, in as few commands as
// it allows. What the scheduler answered is applied even when part of the
// query failed; a job it could not be asked about this time is neither
// changed nor counted as missing. A query that failed outright is retried
// with backoff, and after three in a row submissions pause until the
// scheduler answers again. A job the scheduler no longer knows has ended
// if its script recorded how (see adapters.Records); only a job missing
// Tunables.MissLimit polls in a row, with no record, is NOTFOUND.
func (e *engine) poll(ctx context.Context) {
	ids := make([]string, 0, len(e.m.schedJobs))
	for id := range e.m.schedJobs {
		ids = append(ids, id)
	}
	res := make(map[string]adapters.Status, len(ids))
	unknown := map[string]bool{}
	var failed error
	for _, part := range adapters.Chunks(ids, e.sched.Capabilities().MaxIDs) {
		cctx, cancel := context.WithTimeout(ctx, e.t.CommandLimit)
		r, err := e.sched.Query(cctx, part)
		cancel()
		for id, s := range r {
			res[id] = s
		}
		if err != nil {
			failed = err
			for _, id := range part {
				if _, ok := r[id]; !ok {
					unknown[id] = true
				}
			}
		}
	}
	switch {
	case failed != nil && len(res) == 0:
		e.schedFailed(fmt.Errorf("query: %w", failed))
		return
	case failed != nil:
		e.schedUp()
		e.logf("scheduler query answered for %d of %d jobs: %v", len(res), len(ids), failed)
	default:
		e.schedUp()
	}
	for _, id := range ids {
		i, ok := e.m.schedJobs[id]
		if !ok || unknown[id] {
			continue
		}
		if s, found := res[id]; found {
			e.misses[i] = 0
			if s.State.Terminal() {
				if code, ok := e.records.Exit(e.job(i), id); ok {
					s.ExitCode = &code // the script's own word beats the scheduler's
				}
			}
			e.apply(i, s)
			continue
		}
		if code, ok := e.records.Exit(e.job(i), id); ok {
			s := adapters.Status{State: state.Finished, ExitCode: &code,
				Reason: "job " + id + " left the scheduler's view; its script recorded its end"}
			if code != 0 {
				s.State = state.Failed
			}
			e.apply(i, s)
			continue
		}
		e.misses[i]++
		if int(e.misses[i]) >= e.t.MissLimit {
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
	e.pollBackoff = min(max(2*e.pollBackoff, e.sleep()), e.t.MaxBackoff)
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
	if len(e.m.limbo) == 0 {
		return
	}
	steps := make([]int32, 0, len(e.m.limbo))
	for i := range e.m.limbo {
		steps = append(steps, i)
	}
	found, err := e.findJobs(ctx, steps)
	if err != nil {
		e.schedFailed(fmt.Errorf("finding jobs: %w", err))
		return
	}
	for i := range e.m.limbo {
		id, ok := found[e.m.steps[i].JobName]
		if ok {
			e.logf("%s: found job %s, submitted before the answer was lost", e.m.steps[i].Name, id)
		}
		e.m.settle(i, id)
	}
}

// findJobs asks the scheduler for jobs of the given steps submitted since
// they were marked: job name -> id.
func (e *engine) findJobs(ctx context.Context, steps []int32) (map[string]string, error) {
	if len(steps) == 0 {
		return nil, nil
	}
	jobs := make([]*adapters.Job, 0, len(steps))
	since := time.Now()
	for _, i := range steps {
		jobs = append(jobs, e.job(i))
		since = minTime(since, e.m.status[i].MarkedAt)
	}
	cctx, cancel := context.WithTimeout(ctx, e.t.CommandLimit)
	defer cancel()
	found, err := e.sched.Find(cctx, jobs, since)
	if err == nil {
		e.schedUp()
	}
	return found, err
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
