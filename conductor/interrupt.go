package conductor

import (
	"context"
	"time"
)

// interruptWait bounds how long an interrupted conductor waits for the
// local steps it stopped to end (the local executor forces them after its
// grace time).
const interruptWait = 30 * time.Second

// stopLocal is the conductor's orderly end when its user interrupts it
// (Options.StopLocal, for `maestro run -fg`): the local steps in flight
// are stopped (their process groups) and waited for, and each goes back to
// INITIALIZED with no job, so that `maestro restart` runs it again, once.
// A step that does not end in time stays in flight, for the next
// conductor to adopt. Scheduled jobs are left alone. It returns how many
// local steps it stopped and how many scheduled jobs are still in flight.
func (e *engine) stopLocal() (stopped, scheduled int) {
	ids := mapKeys(e.m.localJobs)
	if len(ids) > 0 {
		if err := e.local.Cancel(context.Background(), ids); err != nil {
			e.logf("stopping local steps: %v", err)
		}
	}
	deadline := time.After(interruptWait)
	for len(ids) > 0 {
		res, _ := e.local.Query(context.Background(), ids)
		left := ids[:0]
		for _, id := range ids {
			if s, ok := res[id]; ok && !s.State.Terminal() {
				left = append(left, id)
				continue
			}
			e.m.stopped(e.m.localJobs[id])
			stopped++
		}
		if ids = left; len(ids) == 0 {
			break
		}
		select {
		case <-e.wake:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			e.logf("%d local steps did not end within %s; the next conductor adopts them", len(ids), interruptWait)
			ids = nil
		}
	}
	return stopped, len(e.m.schedJobs) + len(e.m.bundles) + len(e.m.limbo)
}
