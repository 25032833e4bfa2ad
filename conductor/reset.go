package conductor

import (
	"context"
	"fmt"
	"slices"
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
	e, err := load(dir, st, opt)
	if err != nil {
		return 0, err
	}
	defer e.closeLog()
	roots, err := e.m.resetRoots(only)
	if err != nil {
		return 0, err
	}
	if err := e.settleMarks(); err != nil {
		return 0, err
	}
	n, err := e.m.reset(roots)
	if err != nil {
		return 0, err
	}
	e.rec.flush(e.m, true)
	if e.m.pending() {
		return 0, fmt.Errorf("cannot record the reset in %s", dir)
	}
	e.logf("maestro restart reset %d steps", n)
	return n, nil
}

// settleMarks deals with steps that ended (cancelled) while marked as
// being submitted, because the scheduler could not be asked then whether
// their job was created: a job found now is cancelled, so that the rerun
// is the only run; either way the mark goes. Only then is the scheduler
// opened.
func (e *engine) settleMarks() error {
	marked := e.m.endedMarked()
	if len(marked) == 0 {
		return nil
	}
	if err := e.openSched(); err != nil {
		return err
	}
	found, err := e.findJobs(context.Background(), marked)
	if err != nil {
		return fmt.Errorf("cannot tell whether %d cancelled steps (%s, ...) were submitted: %v; try again when the scheduler answers",
			len(marked), e.m.steps[marked[0]].Name, err)
	}
	var ids []string
	for _, i := range marked {
		if id, ok := found[i]; ok {
			e.logf("%s: found job %s, submitted while the study was cancelled; cancelling it", e.m.steps[i].Name, id)
			if !slices.Contains(ids, id) { // the steps of a bundle share its job
				ids = append(ids, id)
			}
		}
		e.m.unmark(i)
	}
	e.sched.cancel(ids)
	return nil
}
