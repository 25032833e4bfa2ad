package conductor

import (
	"fmt"
	"strconv"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// open is the number of steps that have not reached an end state.
func (e *engine) open() int { return e.openCount }

// set moves step i to s, recording the change as an event.
func (e *engine) set(i int32, s state.State, reason string) {
	st := &e.status[i]
	from := st.State
	if from == s && reason == st.Reason {
		return
	}
	switch {
	case !from.Terminal() && s.Terminal():
		e.openCount--
	case from.Terminal() && !s.Terminal():
		e.openCount++
	}
	st.State, st.Reason = s, reason
	if s.Terminal() && st.Ended.IsZero() {
		st.Ended = time.Now()
	}
	e.dirty[i] = true
	if from != s {
		e.events = append(e.events, store.Event{Time: time.Now(), Step: e.steps[i].Name, Index: int(i), From: from, To: s, Reason: reason})
		e.debugf("%s: %s -> %s %s", e.steps[i].Name, from, s, reason)
	}
}

// recover rebuilds the in-memory view from the store, for a fresh study and
// after a conductor died alike: jobs in flight are watched again (local
// ones adopted), steps being submitted are looked for, and only a local
// step that left nothing behind runs again.
func (e *engine) recover() {
	e.schedJobs, e.localJobs, e.limbo = map[string]int32{}, map[string]int32{}, map[int32]bool{}
	e.openCount = 0
	for i := range e.status {
		if !e.status[i].State.Terminal() {
			e.openCount++
		}
	}
	for i := range e.status {
		st := &e.status[i]
		if st.State == state.Initialized && st.Submitting {
			// The old conductor was submitting it: find out whether it did.
			switch {
			case e.steps[i].Scheduled:
				e.limbo[int32(i)] = true
			case !e.adopt(int32(i)):
				st.Submitting = false
				e.dirty[int32(i)] = true
			}
			continue
		}
		if !st.State.InFlight() {
			continue
		}
		if e.steps[i].Scheduled {
			e.schedJobs[st.JobID] = int32(i)
			e.inflightSched++
			continue
		}
		if e.adopt(int32(i)) {
			continue
		}
		e.set(int32(i), state.Initialized, "its process ended with the previous conductor and left no exit status; running it again")
		st.JobID, st.Started, st.Submitted, st.Ended = "", time.Time{}, time.Time{}, time.Time{}
	}
	for i := range e.status {
		e.waiting[i] = 0
		for _, p := range e.steps[i].Parents {
			if e.status[p].State != state.Finished {
				e.waiting[i]++
			}
		}
	}
	for i := range e.status {
		switch e.status[i].State {
		case state.Initialized:
			if e.waiting[i] == 0 && !e.limbo[int32(i)] {
				e.enqueue(int32(i))
			}
		case state.Cancelled:
			e.endDescendants(int32(i), state.Cancelled)
		case state.Finished:
		default:
			if e.status[i].State.Terminal() {
				e.endDescendants(int32(i), state.Failed)
			}
		}
	}
	e.nextPoll = time.Now()
}

// adopt hands a local step an earlier conductor started (or may have
// started, when its job id was never recorded) to the local executor;
// false means the step is lost.
func (e *engine) adopt(i int32) bool {
	ad, ok := e.local.(adapters.Adopter)
	if !ok {
		return false
	}
	st := &e.status[i]
	since := st.Submitted
	if st.JobID == "" {
		since = st.MarkedAt
	}
	id, ok := ad.Adopt(st.JobID, e.job(i), since)
	switch {
	case !ok:
		return false
	case st.JobID == "":
		e.inFlight(i, id, since)
		e.logf("%s: found job %s that the previous conductor started without recording it", e.steps[i].Name, id)
	default:
		e.localJobs[id] = i
		e.inflightLocal++
	}
	return true
}

// enqueue makes step i ready to submit.
func (e *engine) enqueue(i int32) {
	if e.queued[i] {
		return
	}
	e.queued[i] = true
	if e.steps[i].Scheduled {
		e.readySched = append(e.readySched, i)
	} else {
		e.readyLocal = append(e.readyLocal, i)
	}
}

// endDescendants gives every unstarted descendant of i the state s: FAILED
// below a failure, CANCELLED below a cancellation.
func (e *engine) endDescendants(i int32, s state.State) {
	why := fmt.Sprintf("upstream step %s ended %s", e.steps[i].Name, e.status[i].State)
	stack := append([]int32(nil), e.children[i]...)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e.status[c].State != state.Initialized {
			continue
		}
		e.set(c, s, why)
		stack = append(stack, e.children[c]...)
	}
}

// finished releases the children of a step that FINISHED.
func (e *engine) finished(i int32) {
	for _, c := range e.children[i] {
		e.waiting[c]--
		if e.waiting[c] == 0 && e.status[c].State == state.Initialized {
			e.enqueue(c)
		}
	}
}

// apply reacts to what an executor reports of step i's job.
func (e *engine) apply(i int32, s adapters.Status) {
	st := &e.status[i]
	if !st.State.InFlight() {
		return // a late report for a step already ended or reset
	}
	if s.ExitCode != nil {
		code := *s.ExitCode
		st.ExitCode = &code
	}
	if !s.State.Terminal() {
		if s.State == state.Running && st.Started.IsZero() {
			st.Started = time.Now()
		}
		e.set(i, s.State, s.Reason)
		return
	}
	e.release(i)
	if st.Started.IsZero() {
		st.Started = st.Submitted
	}
	info := &e.steps[i]
	switch s.State {
	case state.Finished:
		e.set(i, state.Finished, s.Reason)
		e.finished(i)
	case state.TimedOut:
		switch {
		case info.Restart == "":
			e.set(i, state.TimedOut, "walltime exceeded and the step has no restart cmd")
			e.endDescendants(i, state.Failed)
		case e.settings.RLimit == 0 || st.Restarts < e.settings.RLimit:
			st.Restarts++
			e.retry(i, s, fmt.Sprintf("walltime exceeded; restart %d with the restart cmd", st.Restarts))
		default:
			e.set(i, state.Failed, fmt.Sprintf("walltime exceeded and the restart limit (%d) is used up", e.settings.RLimit))
			e.endDescendants(i, state.Failed)
		}
	case state.HWFailure:
		if st.HWRetries < e.t.MaxHWRetries {
			st.HWRetries++
			e.retry(i, s, fmt.Sprintf("node failure; resubmission %d of %d", st.HWRetries, e.t.MaxHWRetries))
			return
		}
		e.set(i, state.Failed, fmt.Sprintf("node failure %d times", e.t.MaxHWRetries+1))
		e.endDescendants(i, state.Failed)
	case state.Failed:
		if !info.Scheduled {
			st.Attempts++
			if st.Attempts < e.settings.Attempts {
				e.retry(i, s, fmt.Sprintf("attempt %d of %d failed with exit code %s", st.Attempts, e.settings.Attempts, exitText(st.ExitCode)))
				return
			}
		}
		e.set(i, state.Failed, orText(s.Reason, "exit code "+exitText(st.ExitCode)))
		e.endDescendants(i, state.Failed)
	case state.Cancelled:
		e.set(i, state.Cancelled, s.Reason)
		e.endDescendants(i, state.Cancelled)
	default:
		e.set(i, s.State, s.Reason)
		e.endDescendants(i, state.Failed)
	}
}

// retry records how step i's job ended (ended, in the scheduler's words)
// and sends the step back to the ready queue.
func (e *engine) retry(i int32, ended adapters.Status, why string) {
	e.set(i, ended.State, ended.Reason)
	e.status[i].Ended = time.Time{}
	e.set(i, state.Initialized, why)
	e.enqueue(i)
}

// release forgets step i's job as in flight.
func (e *engine) release(i int32) {
	id := e.status[i].JobID
	if e.steps[i].Scheduled {
		if _, ok := e.schedJobs[id]; ok {
			delete(e.schedJobs, id)
			e.inflightSched--
			e.limitUntil = time.Time{} // room under a submission limit
		}
	} else if _, ok := e.localJobs[id]; ok {
		delete(e.localJobs, id)
		e.inflightLocal--
	}
	e.misses[i] = 0
}

func exitText(code *int) string {
	if code == nil {
		return "unknown"
	}
	return strconv.Itoa(*code)
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
