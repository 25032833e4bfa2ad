package conductor

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// run is the conductor's loop: every pass applies requests, collects what
// changed, submits what is ready and records it; between passes it sleeps
// until a local step ends, a request arrives or the scheduler is due.
func (e *engine) run(ctx context.Context) (state.Study, error) {
	host, _ := os.Hostname()
	err := e.st.Update(func(tx *store.Tx) error {
		if err := tx.SetConductor(&store.Conductor{PID: os.Getpid(), Host: host, Started: time.Now()}); err != nil {
			return err
		}
		return tx.SetStudyState(state.StudyRunning)
	})
	if err != nil {
		return "", err
	}
	e.m.study = state.StudyRunning
	e.logf("conductor %d driving study '%s' in %s (%d steps, throttle %d, sleep %ds)",
		os.Getpid(), e.info.Name, e.dir, len(e.m.steps), e.m.settings.Throttle, e.m.settings.SleepSecs)
	e.recover()

	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	tick := time.NewTicker(e.t.RequestCheck)
	defer tick.Stop()
	pollTimer := time.NewTimer(time.Hour)
	defer pollTimer.Stop()
	checkRequests := true
	for {
		if checkRequests {
			e.takeRequests()
			checkRequests = false
		}
		e.collectLocal()
		if (e.m.schedInFlight() || len(e.m.limbo) > 0) && e.sched.due() {
			e.resolveLimbo(ctx)
			if e.m.schedInFlight() {
				e.poll(ctx)
			}
		}
		e.submit(ctx)
		e.rec.flush(e.m, false)
		if e.m.open == 0 {
			return e.finish()
		}
		if err := e.rec.stalled(e.m); err != nil {
			return e.m.study, err
		}
		wait := time.Hour
		if e.m.schedInFlight() || len(e.m.limbo) > 0 || e.sched.down && len(e.m.readySched) > 0 {
			wait = max(time.Until(e.sched.next), time.Millisecond)
		}
		if len(e.m.readySched) > 0 && !e.sched.limitUntil.IsZero() {
			wait = min(wait, max(time.Until(e.sched.limitUntil), time.Millisecond))
		}
		if e.m.pending() {
			wait = min(wait, max(time.Until(e.rec.lastFlush.Add(e.t.FlushInterval)), time.Millisecond))
		}
		if e.rec.err != nil {
			wait = min(wait, writeRetry)
		}
		pollTimer.Reset(wait)
		select {
		case <-ctx.Done():
			if e.stopOnInterrupt {
				stopped, scheduled := e.stopLocal()
				e.logf("conductor interrupted: stopped %d local steps (a restart runs them again); %d scheduled jobs keep running (`maestro cancel %s` cancels them)",
					stopped, scheduled, e.dir)
			}
			e.rec.flush(e.m, true)
			if e.m.pending() {
				err := fmt.Errorf("stopping (%v) with changes that could not be recorded (%v): their jobs may run again on restart", context.Cause(ctx), e.rec.err)
				e.logf("%v", err)
				return e.m.study, err
			}
			e.logf("conductor stopping (%v); the study stays %s: resume it with `maestro restart %s`", context.Cause(ctx), e.m.study, e.dir)
			return e.m.study, ctx.Err()
		case <-e.wake:
		case <-usr1:
			checkRequests = true
		case <-e.requests:
			checkRequests = true
		case <-tick.C:
			checkRequests = true
		case <-pollTimer.C:
		}
	}
}

// finish records the study's end state.
func (e *engine) finish() (state.Study, error) {
	end := e.m.end()
	e.rec.flush(e.m, true)
	if e.m.pending() {
		err := fmt.Errorf("the study ended %s but that cannot be recorded in %s (%v); when it is writable again, run `maestro restart %s`", end, e.dir, e.rec.err, e.dir)
		e.logf("%v", err)
		return end, err
	}
	if e.info.ScriptsDir != "" {
		os.RemoveAll(e.info.ScriptsDir)
	}
	e.logf("study '%s' ended %s", e.info.Name, end)
	return end, nil
}

// recover rebuilds what is in flight and ready from the store (see
// machine.recover): the local executor adopts the local jobs an earlier
// conductor started, and the scheduler is asked at once.
func (e *engine) recover() {
	e.m.recover(e.adopt)
	e.sched.next = time.Now()
}

// adopt hands the local executor the job of local step i that an earlier
// conductor started (or may have started since the given time, when its
// job id was never recorded); false means the step is lost.
func (e *engine) adopt(i int32, since time.Time) (string, bool) {
	ad, ok := e.local.(adapters.Adopter)
	if !ok {
		return "", false
	}
	known := e.m.status[i].JobID
	id, ok := ad.Adopt(known, e.job(i), since)
	if ok && known == "" {
		e.logf("%s: found job %s that the previous conductor started without recording it", e.m.steps[i].Name, id)
	}
	return id, ok
}
