package conductor

import (
	"context"
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
	res, _ := e.local.Query(context.Background(), mapKeys(e.m.localJobs))
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
			e.sched.jobEnded()
		}
	}
}

// poll asks the scheduler about every job in flight, in as few commands as
// it allows. What the scheduler answered is applied even when part of the
// query failed; a job it could not be asked about this time is neither
// changed nor counted as missing; a query that failed outright changes
// nothing (the scheduler wrapper backs off). A job the scheduler no longer knows has ended
// if its script recorded how (see adapters.Records); only a job missing
// Tunables.MissLimit polls in a row, with no record, is NOTFOUND.
func (e *engine) poll(ctx context.Context) {
	ids := append(mapKeys(e.m.schedJobs), bundleIDs(e.m.bundles)...)
	res, unknown, ok := e.sched.query(ctx, ids)
	if !ok {
		return
	}
	for _, id := range ids {
		if _, ok := e.m.bundles[id]; ok {
			if !unknown[id] {
				s, found := res[id]
				e.pollBundle(id, s, found)
			}
			continue
		}
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
		return // backed off: the scheduler is asked again later
	}
	for i := range e.m.limbo {
		id, ok := found[i]
		if ok {
			e.logf("%s: found job %s (%s), submitted before the answer was lost", e.m.steps[i].Name, id, e.findJob(i).Name)
		}
		e.m.settle(i, id)
	}
}

// findJobs asks the scheduler for the jobs of the given steps (their own,
// or their bundles') submitted since they were marked: step -> job id.
func (e *engine) findJobs(ctx context.Context, steps []int32) (map[int32]string, error) {
	if len(steps) == 0 {
		return nil, nil
	}
	jobs := make([]*adapters.Job, 0, len(steps))
	seen := map[string]bool{}
	since := time.Now()
	for _, i := range steps {
		if j := e.findJob(i); !seen[j.Name] {
			seen[j.Name] = true
			jobs = append(jobs, j)
		}
		since = minTime(since, e.m.status[i].MarkedAt)
	}
	byName, err := e.sched.find(ctx, jobs, since)
	if err != nil {
		return nil, err
	}
	found := make(map[int32]string, len(byName))
	for _, i := range steps {
		if id, ok := byName[e.findJob(i).Name]; ok {
			found[i] = id
		}
	}
	return found, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
