package local

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// KillGrace is how long a cancelled or timed-out step has between SIGTERM
// and SIGKILL.
var KillGrace = 3 * time.Second

type executor struct {
	cfg  adapters.Config
	mu   sync.Mutex
	jobs map[string]*job
}

type job struct {
	pid       int
	done      bool
	cancelled bool
	timedOut  bool
	status    adapters.Status
	timer     *time.Timer
}

// Open implements adapters.Adapter.
func (*Adapter) Open(cfg adapters.Config) (adapters.Executor, error) {
	if cfg.Notify == nil {
		cfg.Notify = func() {}
	}
	return &executor{cfg: cfg, jobs: map[string]*job{}}, nil
}

func (e *executor) Capabilities() adapters.Capabilities { return adapters.Capabilities{Local: true} }

// Submit starts the script in its workspace, in a process group of its own
// (so cancel reaches everything it started), with output in <name>.out and
// <name>.err. The job id is the process id.
func (e *executor) Submit(_ context.Context, j *adapters.Job) (string, error) {
	var limit time.Duration
	if adapters.Truthy(j.Walltime) {
		var err error
		if limit, err = adapters.ParseWalltime(j.Walltime); err != nil {
			return "", err
		}
	}
	out, err := os.OpenFile(filepath.Join(j.Workspace, j.Name+".out"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	defer out.Close()
	errf, err := os.OpenFile(filepath.Join(j.Workspace, j.Name+".err"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	defer errf.Close()
	cmd := exec.Command(j.Script)
	cmd.Dir, cmd.Stdout, cmd.Stderr = j.Workspace, out, errf
	// A local step dies with its conductor; a new conductor reruns it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	id := strconv.Itoa(cmd.Process.Pid)
	jb := &job{pid: cmd.Process.Pid, status: adapters.Status{State: state.Running}}
	e.mu.Lock()
	e.jobs[id] = jb
	if limit > 0 {
		jb.timer = time.AfterFunc(limit, func() {
			e.mu.Lock()
			jb.timedOut = !jb.done
			e.mu.Unlock()
			e.stop(jb)
		})
	}
	e.mu.Unlock()
	go e.wait(cmd, jb)
	return id, nil
}

func (e *executor) wait(cmd *exec.Cmd, jb *job) {
	err := cmd.Wait()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			code = 255
		} else if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		} else {
			code = ee.ExitCode()
		}
	}
	e.mu.Lock()
	jb.done = true
	if jb.timer != nil {
		jb.timer.Stop()
	}
	st := state.Finished
	switch {
	case jb.cancelled:
		st = state.Cancelled
	case jb.timedOut:
		st = state.TimedOut
	case code != 0:
		st = state.Failed
	}
	jb.status = adapters.Status{State: st, ExitCode: &code}
	e.mu.Unlock()
	e.cfg.Notify()
}

// stop asks a job's process group to end, then forces it after KillGrace.
func (e *executor) stop(jb *job) {
	syscall.Kill(-jb.pid, syscall.SIGTERM)
	time.AfterFunc(KillGrace, func() {
		e.mu.Lock()
		done := jb.done
		e.mu.Unlock()
		if !done {
			syscall.Kill(-jb.pid, syscall.SIGKILL)
		}
	})
}

// Query implements adapters.Executor from what the executor has seen.
func (e *executor) Query(_ context.Context, ids []string) (map[string]adapters.Status, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]adapters.Status, len(ids))
	for _, id := range ids {
		if jb, ok := e.jobs[id]; ok {
			out[id] = jb.status
		}
	}
	return out, nil
}

// Cancel implements adapters.Executor: the job's whole process group is
// stopped.
func (e *executor) Cancel(_ context.Context, ids []string) error {
	for _, id := range ids {
		e.mu.Lock()
		jb, ok := e.jobs[id]
		running := ok && !jb.done
		if running {
			jb.cancelled = true
		}
		e.mu.Unlock()
		if running {
			e.stop(jb)
		}
	}
	return nil
}
