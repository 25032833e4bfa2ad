package conductor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/maestro-go/maestro/state"
)

// Reset prepares a stopped study to run again and returns how many steps
// it reset. Without only, every step that ended without finishing
// (FAILED, TIMEDOUT, CANCELLED, ...) and its descendants go back to
// INITIALIZED; FINISHED steps are kept. With only, the named steps (an
// expanded name such as sim_X.1, or a step of the spec, meaning all its
// combinations) and their descendants do, whatever their state. opt
// gives the study directory, the adapters and the tunables; its other
// fields are not used.
func Reset(opt Options, only []string) (int, error) {
	dir := opt.Dir
	st, err := open(dir)
	if err != nil {
		return 0, err
	}
	unlock, err := Lock(dir)
	if err != nil {
		return 0, err
	}
	defer unlock()
	e, err := newEngine(dir, st, opt)
	if err != nil {
		return 0, err
	}
	defer e.closeLog()
	roots, err := e.resetRoots(only)
	if err != nil {
		return 0, err
	}
	e.openCount = 0
	for i := range e.status {
		if !e.status[i].State.Terminal() {
			e.openCount++
		}
	}
	if err := e.settleMarks(); err != nil {
		return 0, err
	}
	seen := make([]bool, len(e.steps))
	stack := roots
	n := 0
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			continue
		}
		seen[i] = true
		stack = append(stack, e.children[i]...)
		s := &e.status[i]
		if s.State == state.Initialized && !s.Submitting {
			continue
		}
		if s.State.InFlight() || s.Submitting {
			return 0, fmt.Errorf("step %s is still %s as job %s; cancel the study or let it end first", e.steps[i].Name, s.State, s.JobID)
		}
		e.set(i, state.Initialized, "reset by maestro restart")
		s.JobID, s.Submitted, s.Started, s.Ended, s.ExitCode = "", time.Time{}, time.Time{}, time.Time{}, nil
		s.Restarts, s.Attempts, s.HWRetries = 0, 0, 0
		n++
	}
	if n > 0 {
		e.studyState, e.metaDirty = state.StudyInitialized, true
	}
	e.flush(true)
	if e.pending() {
		return 0, fmt.Errorf("cannot record the reset in %s", dir)
	}
	e.logf("maestro restart reset %d steps", n)
	return n, nil
}

// settleMarks deals with steps that ended (cancelled) while marked as
// being submitted, because the scheduler could not be asked then whether
// their job was created: a job found now is cancelled, so that the rerun
// is the only run; either way the mark goes.
func (e *engine) settleMarks() error {
	var marked []int32
	for i := range e.status {
		if s := &e.status[i]; s.Submitting && s.State.Terminal() {
			if !e.steps[i].Scheduled {
				s.Submitting, e.dirty[int32(i)] = false, true
				continue
			}
			marked = append(marked, int32(i))
		}
	}
	if len(marked) == 0 {
		return nil
	}
	found, err := e.findJobs(context.Background(), marked)
	if err != nil {
		return fmt.Errorf("cannot tell whether %d cancelled steps (%s, ...) were submitted: %v; try again when the scheduler answers",
			len(marked), e.steps[marked[0]].Name, err)
	}
	var ids []string
	for _, i := range marked {
		if id, ok := found[e.steps[i].JobName]; ok {
			e.logf("%s: found job %s, submitted while the study was cancelled; cancelling it", e.steps[i].Name, id)
			ids = append(ids, id)
		}
		e.status[i].Submitting, e.dirty[i] = false, true
	}
	if len(ids) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), e.t.CommandLimit)
		defer cancel()
		if err := e.sched.Cancel(ctx, ids); err != nil {
			e.logf("cancelling jobs %v: %v (they may have ended)", ids, err)
		}
	}
	return nil
}

// resetRoots returns the steps a reset starts from.
func (e *engine) resetRoots(only []string) ([]int32, error) {
	var roots []int32
	if len(only) == 0 {
		for i := range e.status {
			if s := e.status[i].State; s.Terminal() && s != state.Finished {
				roots = append(roots, int32(i))
			}
		}
		return roots, nil
	}
	for _, name := range only {
		matched := false
		for i := range e.steps {
			if e.steps[i].Name == name || e.steps[i].Step == name {
				roots = append(roots, int32(i))
				matched = true
			}
		}
		if !matched {
			return nil, fmt.Errorf("--only %s: no step of the study has that name (steps are named like %s)", name, e.exampleNames())
		}
	}
	return roots, nil
}

func (e *engine) exampleNames() string {
	var names []string
	for i := 0; i < len(e.steps) && i < 3; i++ {
		names = append(names, e.steps[i].Name)
	}
	return strings.Join(names, ", ")
}
