package conductor

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

// submit starts ready steps while the throttle allows. While the scheduler
// is down, one scheduled submission per backoff period probes it.
func (e *engine) submit(ctx context.Context) {
	if e.cancelling || e.rec.err != nil {
		return
	}
	deadline := time.Now().Add(e.t.SubmitSlice)
	switch {
	case e.sched.limited():
	case !e.sched.down:
		ahead := e.t.MarkAhead
		if arr := e.arrays(); arr != nil && len(e.m.readySched) > 0 && e.arrayed(e.m.readySched[0]) {
			ahead = max(ahead, arr.MaxArray())
		}
		ahead = max(ahead, e.m.settings.Bundle)
		e.m.readySched = e.submitQueue(ctx, e.m.readySched, deadline, ahead)
	case e.sched.due():
		e.m.readySched = e.submitQueue(ctx, e.m.readySched, deadline, 1)
	}
	e.m.readyLocal = e.submitQueue(ctx, e.m.readyLocal, deadline, 8*e.localCap())
}

// submitQueue submits from the front of q. Steps are first marked
// Submitting, up to ahead of them in one transaction (see
// store.StepStatus.Submitting), those to go in one bundle with its name;
// only marked steps are submitted.
func (e *engine) submitQueue(ctx context.Context, q []int32, deadline time.Time, ahead int) []int32 {
	for len(q) > 0 && !e.m.submittable(q[0]) {
		e.m.queued[q[0]] = false
		q = q[1:]
	}
	if len(q) == 0 || !e.room(e.m.steps[q[0]].Scheduled) {
		return q
	}
	marked := false
	t := e.m.settings.Throttle
	room := len(q) + ahead // the throttle's room, in steps
	if t > 0 {
		room = t - e.m.inFlightSteps()
	}
	for k := 0; k < len(q) && k < ahead; k++ {
		if t > 1 && room-k < 2 && e.bundleSize(q[k]) > 1 {
			break // no room for a bundle now: wait for it rather than submit the step alone
		}
		if g := e.bundleGroup(q[k:], room-k); g != nil {
			e.m.markBundle(g, e.bundleName)
			marked = true
			k += len(g) - 1
			continue
		}
		marked = e.m.mark(q[k]) || marked
	}
	if marked {
		if e.rec.flush(e.m, false); e.m.pending() {
			return q // the marks are not recorded: submit nothing yet
		}
	}
	n, submitted := 0, 0
	for ; n < len(q) && submitted < ahead; n++ {
		i := q[n]
		if !e.m.submittable(i) {
			e.m.queued[i] = false
			continue
		}
		if !e.m.status[i].Submitting || !e.room(e.m.steps[i].Scheduled) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		if e.m.status[i].Bundle != "" {
			k, ok := e.submitBundle(ctx, q[n:])
			submitted += k
			if !ok {
				n += k
				break
			}
			n += k - 1
			continue
		}
		if group := e.arrayGroup(q[n:], ahead-submitted); len(group) > 1 {
			k, ok := e.submitArray(ctx, group)
			submitted += k
			if !ok {
				n += k
				break
			}
			n += len(group) - 1
			continue
		}
		if !e.submitOne(ctx, i) {
			break
		}
		e.m.queued[i] = false
		submitted++
	}
	if n > len(q)/2 && n > 64 { // let the consumed front be collected
		return append([]int32(nil), q[n:]...)
	}
	return q[n:]
}

// room reports whether the throttle allows one more job of the kind.
func (e *engine) room(scheduled bool) bool {
	if t := e.m.settings.Throttle; t > 0 && e.m.inFlightSteps() >= t {
		return false
	}
	return scheduled || len(e.m.localJobs) < e.localCap()
}

func (e *engine) job(i int32) *adapters.Job {
	info, st := &e.m.steps[i], &e.m.status[i]
	script := info.Script
	if st.Restarts > 0 && info.Restart != "" {
		script = info.Restart
	}
	return &adapters.Job{Name: info.JobName, Script: script, Workspace: filepath.Join(e.dir, info.Workspace),
		Walltime: info.Walltime, Token: strconv.Itoa(st.Token), Nested: info.Nested, Resources: adapters.ResourceKey(info)}
}

// submitOne submits step i; false means it is not in flight now and the
// queue should wait.
func (e *engine) submitOne(ctx context.Context, i int32) bool {
	info := &e.m.steps[i]
	var id string
	var err error
	if info.Scheduled {
		id, err = e.sched.submit(ctx, e.job(i))
	} else {
		cctx, cancel := context.WithTimeout(ctx, e.t.CommandLimit)
		id, err = e.local.Submit(cctx, e.job(i))
		cancel()
	}
	if err != nil {
		return e.submitFailed(i, err)
	}
	e.m.inFlight(i, id, time.Now())
	return true
}

// submitFailed handles a failed submission. A scheduler that could not be
// reached costs no attempt: the step waits (and the scheduler backs off). When
// the failure leaves unknown whether the job was created (a timeout, an
// answer with no job id), the step is kept aside until the scheduler can
// be asked. A refusal for a submission limit is back-pressure: the step
// waits at the head of the queue, at no cost, until jobs end.
func (e *engine) submitFailed(i int32, err error) bool {
	info := &e.m.steps[i]
	if info.Scheduled && errors.Is(err, adapters.ErrLimit) {
		e.m.unmark(i)
		return false
	}
	if info.Scheduled && (errors.Is(err, adapters.ErrUnavailable) || errors.Is(err, adapters.ErrUncertain)) {
		if errors.Is(err, adapters.ErrUncertain) { // an outage is noted by the scheduler wrapper
			e.logf("%s: %v; looking for its job before submitting again", info.Name, err)
		}
		e.m.uncertain(i) // Submitting stays set: find the job, or submit again
		return false
	}
	if e.m.rejected(i, err) {
		return true
	}
	e.logf("%s: submission attempt %d of %d failed: %v", info.Name, e.m.status[i].Attempts, e.m.settings.Attempts, err)
	return false
}

// arrays is the scheduler's array submission, where it has one; nil
// otherwise.
func (e *engine) arrays() adapters.ArraySubmitter {
	if e.sched == nil {
		return nil
	}
	arr, _ := e.sched.ex.(adapters.ArraySubmitter)
	return arr
}

// arrayed reports whether step i goes to the scheduler in job arrays
// (where it has them): with maestro run --array (Settings.Array) every
// scheduled step does; with neither --array nor --bundle, those whose
// spec asks (store.StepInfo.Array).
func (e *engine) arrayed(i int32) bool {
	info := &e.m.steps[i]
	return info.Scheduled && (e.m.settings.Array || e.m.settings.Bundle == 0 && info.Array)
}

// arrayGroup returns the steps at the front of q that go to the scheduler
// as one array: consecutive expansions of one arrayed step that ask for
// the same resources (as far as the study recorded them:
// adapters.ResourceKey), marked and submittable, at most max of them,
// the scheduler's MaxArray and what the throttle leaves room for.
func (e *engine) arrayGroup(q []int32, limit int) []int32 {
	arr := e.arrays()
	if arr == nil || !e.arrayed(q[0]) {
		return nil
	}
	limit = min(limit, arr.MaxArray())
	if t := e.m.settings.Throttle; t > 0 {
		limit = min(limit, t-e.m.inFlightSteps())
	}
	step, key := e.m.steps[q[0]].Step, adapters.ResourceKey(&e.m.steps[q[0]])
	n := 0
	for n < len(q) && n < limit {
		i := q[n]
		if e.m.steps[i].Step != step || adapters.ResourceKey(&e.m.steps[i]) != key || !e.m.submittable(i) || !e.m.status[i].Submitting {
			break
		}
		n++
	}
	return q[:n]
}

// submitArray submits group as one job array; each step is then in
// flight with its own task id. It returns how many steps it consumed from
// the queue and whether the queue may go on. A refusal that is no limit,
// outage or unreadable answer (the steps' headers differ, say) submits
// the steps one by one instead.
func (e *engine) submitArray(ctx context.Context, group []int32) (int, bool) {
	jobs := make([]*adapters.Job, len(group))
	for k, i := range group {
		jobs[k] = e.job(i)
	}
	ids, err := e.sched.submitArray(ctx, e.arrays(), jobs)
	switch {
	case err == nil:
		now := time.Now()
		for k, i := range group {
			e.m.inFlight(i, ids[k], now)
			e.m.queued[i] = false
		}
		e.logf("%s: %d steps submitted as one array (%s ... %s)", e.m.steps[group[0]].Step, len(group), ids[0], ids[len(ids)-1])
		return len(group), true
	case errors.Is(err, adapters.ErrLimit):
		for _, i := range group {
			e.m.unmark(i)
		}
		return 0, false
	case errors.Is(err, adapters.ErrUnavailable), errors.Is(err, adapters.ErrUncertain):
		e.logf("%s: %d steps submitted as an array: %v; looking for their jobs before submitting again", e.m.steps[group[0]].Step, len(group), err)
		for _, i := range group {
			e.m.uncertain(i)
		}
		return len(group), false
	}
	e.logf("%s: cannot submit %d steps as one array (%v); submitting them one by one", e.m.steps[group[0]].Step, len(group), err)
	for k, i := range group {
		if !e.submitOne(ctx, i) {
			return k, false
		}
		e.m.queued[i] = false
	}
	return len(group), true
}
