package conductor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/bundle"
	"github.com/maestro-go/maestro/state"
)

// Bundles (maestro run --bundle K; docs/SCHEDULERS.md, Bundles): ready
// scheduled steps that ask for the same resources (bundle.Key) go to the
// scheduler up to K in one job, which runs each in its own workspace
// and records its start and end in files; each step is still tracked on
// its own, with the bundle's job id.
//
// A bundle is formed when its steps are marked Submitting: the bundle's
// job name (bundleName: of its steps' names and tokens) is recorded with
// each mark, in the same transaction, so a conductor that dies in
// between looks for that job by name, and every member of one bundle
// settles alike. Once submitted, the members' outcomes come from the
// bundle's files (bundle.Read, Outcome.Status), given the state of the
// bundle's job.

// bundleSize is how many steps step i may share one scheduler job with,
// itself included; 1 is a job of its own. It is the one place that
// decides: the study's --bundle (Settings.Bundle) for a scheduled step,
// else, without --array, its spec's bundle (store.StepInfo.Bundle); a
// step restarted after a timeout, or whose bundle could not be written
// or was refused, runs alone.
func (e *engine) bundleSize(i int32) int {
	k := e.m.settings.Bundle
	if k == 0 && !e.m.settings.Array {
		k = e.m.steps[i].Bundle
	}
	if k <= 1 || !e.m.steps[i].Scheduled || e.m.status[i].Restarts > 0 || e.unbundled[i] || e.writer == nil {
		return 1
	}
	return k
}

// bundleKey is bundle.Key of step i's resources.
func (e *engine) bundleKey(i int32) string {
	if k, ok := e.keys[i]; ok {
		return k
	}
	k := bundle.Key(e.script(i))
	e.keys[i] = k
	return k
}

// script is what a script writer needs of step i for a bundle's header.
func (e *engine) script(i int32) *adapters.Script {
	return e.stored(&e.m.steps[i])
}

// bundleGroup returns the steps at the front of q to mark as one bundle:
// consecutive unmarked, submittable steps of one bundle size and key, at
// most that size and limit (the throttle's room); nil when fewer than
// two.
func (e *engine) bundleGroup(q []int32, limit int) []int32 {
	size := e.bundleSize(q[0])
	limit = min(limit, size)
	if size < 2 || limit < 2 {
		return nil
	}
	key := e.bundleKey(q[0])
	n := 0
	for ; n < len(q) && n < limit; n++ {
		i := q[n]
		if st := &e.m.status[i]; st.State != state.Initialized || st.Submitting || e.m.limbo[i] ||
			e.bundleSize(i) != size || e.bundleKey(i) != key {
			break
		}
	}
	if n < 2 {
		return nil
	}
	return q[:n]
}

// bundleName is the job name of a bundle of the given marked steps: the
// same steps and tokens always give the same name, another submission of
// any of them another.
func (e *engine) bundleName(group []int32) string {
	h := sha256.New()
	for _, i := range group {
		h.Write([]byte(e.m.steps[i].JobName))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(e.m.status[i].Token)))
		h.Write([]byte{0})
	}
	return "bundle-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// bundleJob is the scheduler job of the bundle named name, as submitted:
// what Find and the bundle's own exit record know it by.
func (e *engine) bundleJob(name string) *adapters.Job {
	return &adapters.Job{Name: name, Workspace: bundle.Dir(e.records.Dir, name), Token: "1"}
}

// findJob is the job to look for of step i: its bundle's, or its own.
func (e *engine) findJob(i int32) *adapters.Job {
	if b := e.m.status[i].Bundle; b != "" {
		return e.bundleJob(b)
	}
	return e.job(i)
}

// submitBundle submits the bundle marked at the front of q (its
// consecutive steps marked with one bundle name) as one job. It returns
// how many steps it consumed from the queue and whether the queue may go
// on. A bundle whose steps changed since they were marked (one was
// cancelled), or that the throttle has no room for, is unmarked and
// formed again; one that cannot be written, or that the scheduler refuses
// for another reason than a limit or an outage, is unmarked and its steps
// are submitted alone.
func (e *engine) submitBundle(ctx context.Context, q []int32) (int, bool) {
	name := e.m.status[q[0]].Bundle
	n := 0
	for n < len(q) && e.m.submittable(q[n]) && e.m.status[q[n]].Submitting && e.m.status[q[n]].Bundle == name {
		n++
	}
	group := q[:n]
	unmark := func(alone bool) (int, bool) {
		for _, i := range group {
			e.m.unmark(i)
			if alone {
				e.unbundled[i] = true
			}
		}
		return 0, false
	}
	if e.bundleName(group) != name || !e.roomFor(len(group)) {
		return unmark(false)
	}
	members := make([]bundle.Member, len(group))
	for k, i := range group {
		members[k] = bundle.Member{Job: e.job(i), Script: e.script(i)}
	}
	b, err := bundle.New(name, e.records.Dir, members, bundle.Options{Parallel: e.t.BundleParallel,
		Lead: e.t.BundleLead, Grace: e.t.BundleGrace, MaxWalltime: e.t.BundleMaxWalltime})
	var job *adapters.Job
	if err == nil {
		job, err = b.Write(e.writer, e.records, e.bundleJob(name).Token)
	}
	if err != nil {
		e.logf("%s: cannot bundle %d steps (%v); submitting them alone", e.m.steps[group[0]].Name, len(group), err)
		return unmark(true)
	}
	id, err := e.sched.submit(ctx, job)
	switch {
	case err == nil:
		now := time.Now()
		for _, i := range group {
			e.m.inFlight(i, id, now)
			e.m.queued[i] = false
		}
		e.logf("%s: %d steps (%s ... %s) submitted as job %s, %d at a time, walltime %s", name, len(group),
			e.m.steps[group[0]].Name, e.m.steps[group[len(group)-1]].Name, id, b.Parallel, orText(job.Walltime, "none asked"))
		return len(group), true
	case errors.Is(err, adapters.ErrLimit):
		return unmark(false)
	case errors.Is(err, adapters.ErrUnavailable), errors.Is(err, adapters.ErrUncertain):
		e.logf("%s: %d steps submitted as one bundle: %v; looking for its job before submitting again", name, len(group), err)
		for _, i := range group {
			e.m.uncertain(i)
		}
		return len(group), false
	}
	e.logf("%s: the scheduler refused the bundle of %d steps (%v); submitting them alone", name, len(group), err)
	return unmark(true)
}

// roomFor reports whether the throttle has room for n more steps.
func (e *engine) roomFor(n int) bool {
	t := e.m.settings.Throttle
	return t <= 0 || e.m.inFlightSteps()+n <= t
}

// pollBundle applies what the scheduler said of bundle job id (found:
// whether it listed it) to each of its steps in flight, from what the
// bundle's files say of them. A bundle job the scheduler no longer knows
// has ended if its runner recorded how; only one missing
// Tunables.MissLimit polls in a row, with no record, is NOTFOUND.
func (e *engine) pollBundle(id string, s adapters.Status, found bool) {
	members := e.m.bundles[id]
	name := e.m.status[members[0]].Bundle
	if !found {
		if code, ok := e.records.Exit(e.bundleJob(name), id); ok {
			s = adapters.Status{State: state.Finished, ExitCode: &code,
				Reason: "bundle job " + id + " left the scheduler's view; its runner recorded its end"}
			if code != 0 {
				s.State = state.Failed
			}
		} else if e.bundleMisses[id]++; int(e.bundleMisses[id]) < e.t.MissLimit {
			return
		} else {
			s = adapters.Status{State: state.NotFound, Reason: "bundle job " + id + " is known to no scheduler command any more"}
		}
	}
	delete(e.bundleMisses, id)
	if s.State == state.Pending {
		return // no step of it can have started
	}
	dir := bundle.Dir(e.records.Dir, name)
	for _, i := range append([]int32(nil), members...) {
		o := bundle.Read(dir, e.job(i), id)
		st, again := o.Status(s.State)
		if again {
			e.m.unstarted(i, st.Reason+"; back in the ready queue")
			continue
		}
		if st.State == state.Pending || st.State == state.Running && o.Start.IsZero() {
			continue // not started, or its start is being written
		}
		// The step's times are its files', in whole seconds both.
		if ss := &e.m.status[i]; !o.Start.IsZero() {
			ss.Started = o.Start
		}
		if st.State.Terminal() && !o.End.IsZero() {
			e.m.status[i].Ended = o.End
		}
		e.apply(i, st)
	}
}

// bundleIDs returns the job ids of the bundles in flight.
func bundleIDs(bundles map[string][]int32) []string {
	ids := make([]string, 0, len(bundles))
	for id := range bundles {
		ids = append(ids, id)
	}
	return ids
}
