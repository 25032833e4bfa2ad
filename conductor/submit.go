package conductor

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// submitSlice bounds one pass of submissions, so that a long queue of
// scheduler submissions is recorded, and requests are heard, as it goes.
var submitSlice = 2 * time.Second

// submit starts ready steps while the throttle allows.
func (e *engine) submit(ctx context.Context) {
	if e.cancelling {
		return
	}
	deadline := time.Now().Add(submitSlice)
	if !e.schedDown {
		e.readySched = e.submitQueue(ctx, e.readySched, deadline)
	}
	e.readyLocal = e.submitQueue(ctx, e.readyLocal, deadline)
}

func (e *engine) submitQueue(ctx context.Context, q []int32, deadline time.Time) []int32 {
	n := 0
	for ; n < len(q); n++ {
		i := q[n]
		if e.status[i].State != state.Initialized {
			e.queued[i] = false
			continue
		}
		if !e.room(e.steps[i].Scheduled) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		if !e.submitOne(ctx, i) {
			break
		}
		e.queued[i] = false
	}
	if n > len(q)/2 && n > 64 { // let the consumed front be collected
		return append([]int32(nil), q[n:]...)
	}
	return q[n:]
}

// room reports whether the throttle allows one more job of the kind.
func (e *engine) room(scheduled bool) bool {
	if t := e.settings.Throttle; t > 0 && e.inflightLocal+e.inflightSched >= t {
		return false
	}
	return scheduled || e.inflightLocal < e.localCap()
}

// submitOne submits step i; false means it failed and stays queued.
func (e *engine) submitOne(ctx context.Context, i int32) bool {
	info, st := &e.steps[i], &e.status[i]
	script := info.Script
	if st.Restarts > 0 && info.Restart != "" {
		script = info.Restart
	}
	ex := e.local
	if info.Scheduled {
		ex = e.sched
	}
	job := &adapters.Job{Name: info.JobName, Script: script, Workspace: filepath.Join(e.dir, info.Workspace), Walltime: info.Walltime}
	cctx, cancel := context.WithTimeout(ctx, CommandLimit)
	id, err := ex.Submit(cctx, job)
	cancel()
	if err != nil {
		st.Attempts++
		if st.Attempts >= e.settings.Attempts {
			e.set(i, state.Failed, fmt.Sprintf("submission failed %d time(s): %v", st.Attempts, err))
			e.endDescendants(i, state.Failed)
			return true
		}
		e.logf("%s: submission attempt %d of %d failed: %v", info.Name, st.Attempts, e.settings.Attempts, err)
		e.set(i, state.Initialized, fmt.Sprintf("submission attempt %d failed: %v", st.Attempts, err))
		return false
	}
	now := time.Now()
	st.JobID, st.Submitted, st.Started, st.Ended, st.ExitCode = id, now, time.Time{}, time.Time{}, nil
	if info.Scheduled {
		e.schedJobs[id] = i
		e.inflightSched++
		e.urgent = true
		e.set(i, state.Pending, "")
		return true
	}
	e.localJobs[id] = i
	e.inflightLocal++
	st.Started = now
	e.set(i, state.Running, "")
	return true
}
