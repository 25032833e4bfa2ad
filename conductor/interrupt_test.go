package conductor

import (
	"context"
	"errors"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// An interrupted conductor with StopLocal stops its local steps and
// records them to run again, and leaves scheduled jobs alone.
func TestInterruptStopsLocalStepsOnly(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Pending} })
	dir := writeStudy(t, f, `
  - {name: job, description: scheduled, run: {cmd: echo job, procs: 1}}
  - {name: loc, description: local, run: {cmd: sleep 60}}
`, store.Settings{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended := make(chan error, 1)
	go func() {
		opt := options(dir, f)
		opt.StopLocal = true
		_, err := Run(ctx, opt)
		ended <- err
	}()
	var pid int
	for deadline := time.Now().Add(30 * time.Second); ; {
		st := readStatus(t, dir)
		if st["loc"].State == state.Running && st["job"].State == state.Pending {
			pid, _ = strconv.Atoi(st["loc"].JobID)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the steps did not start: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	st := readStatus(t, dir)
	if s := st["loc"]; s.State != state.Initialized || s.JobID != "" || s.Submitting {
		t.Errorf("the local step is %s as job %q (submitting %v), want INITIALIZED with no job", s.State, s.JobID, s.Submitting)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the local step's process %d is still there (%v)", pid, err)
	}
	if s := st["job"]; s.State != state.Pending || s.JobID == "" {
		t.Errorf("the scheduled step is %s as job %q, want PENDING as before", s.State, s.JobID)
	}
	if len(f.cancelled) > 0 {
		t.Errorf("scheduled jobs %v were cancelled", f.cancelled)
	}
}
