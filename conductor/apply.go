package conductor

import "fmt"

// Apply carries out a study's queued requests when no conductor is driving
// it: a cancel stops what is still in flight and cancels the rest; an
// update changes the stored settings for the next conductor. opt gives the
// study directory, the adapters and the tunables; its other fields are not
// used.
func Apply(opt Options) error {
	dir := opt.Dir
	st, err := open(dir)
	if err != nil {
		return err
	}
	unlock, err := Lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	e, err := newEngine(dir, st, opt)
	if err != nil {
		return err
	}
	defer e.closeLog()
	e.recover()
	e.takeRequests()
	if e.cancelling {
		_, err := e.finish()
		return err
	}
	e.rec.flush(e.m, true)
	if e.m.pending() {
		return fmt.Errorf("cannot record the requests in %s: %v", dir, e.rec.err)
	}
	return nil
}
