package local

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

type executor struct {
	cfg  adapters.Config
	a    Adapter // its tunables, defaults filled in
	rec  *adapters.Recorder
	mu   sync.Mutex
	jobs map[string]*job
}

type job struct {
	pid       int
	rc        string // where the exit trap records the status
	done      bool
	cancelled bool
	timedOut  bool
	status    adapters.Status
	timer     *time.Timer
}

// Open implements adapters.Adapter.
func (a *Adapter) Open(cfg adapters.Config) (adapters.Executor, error) {
	rec, err := adapters.NewRecorder(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	tun, def := *a, New()
	if tun.KillGrace <= 0 {
		tun.KillGrace = def.KillGrace
	}
	if tun.AdoptPoll <= 0 {
		tun.AdoptPoll = def.AdoptPoll
	}
	return &executor{cfg: adapters.WithDefaults(cfg), a: tun, rec: rec, jobs: map[string]*job{}}, nil
}

func (e *executor) Capabilities() adapters.Capabilities { return adapters.Capabilities{Local: true} }

func walltime(j *adapters.Job) (time.Duration, error) {
	if !adapters.Truthy(j.Walltime) {
		return 0, nil
	}
	return adapters.ParseWalltime(j.Walltime)
}

// Submit starts the script in its workspace, in a process group of its own
// (so cancel reaches everything it started), with output in <name>.out and
// <name>.err (an earlier run's kept, see adapters.KeepOutput). The job id
// is the process id.
func (e *executor) Submit(_ context.Context, j *adapters.Job) (string, error) {
	limit, err := walltime(j)
	if err != nil {
		return "", err
	}
	if err := adapters.KeepOutput(j.Workspace, j.Name); err != nil {
		return "", err
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
	rc := e.rec.Path(j.Name)
	if rc != "" {
		os.Remove(rc)
		os.Remove(rc + ".pid")
	}
	env := append(os.Environ(), e.rec.Env(j)...)
	var cmd *exec.Cmd
	for try := 0; ; try++ {
		cmd = exec.Command(j.Script)
		cmd.Dir, cmd.Stdout, cmd.Stderr, cmd.Env = j.Workspace, out, errf, env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		err := cmd.Start()
		if err == nil {
			break
		}
		// A script written a moment ago can still be open for writing in a
		// process forked meanwhile (it closes at that process's exec).
		if !errors.Is(err, syscall.ETXTBSY) || try == 20 {
			return "", err
		}
		time.Sleep(10 * time.Millisecond)
	}
	id := strconv.Itoa(cmd.Process.Pid)
	jb := &job{pid: cmd.Process.Pid, rc: rc, status: adapters.Status{State: state.Running}}
	e.track(id, jb, limit)
	go func() {
		err := cmd.Wait()
		e.end(jb, exitCode(err))
	}()
	return id, nil
}

// track registers a running job and arms its walltime.
func (e *executor) track(id string, jb *job, limit time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.jobs[id] = jb
	if limit > 0 {
		jb.timer = time.AfterFunc(limit, func() {
			e.mu.Lock()
			jb.timedOut = !jb.done
			e.mu.Unlock()
			e.stop(jb)
		})
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return 255
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// end records how a job ended and wakes the conductor.
func (e *executor) end(jb *job, code int) {
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

// Adopt takes over a step an earlier conductor started: a process still
// running is watched until it ends; one that ended left its exit status
// behind (see adapters.Recorder). An empty id means the old conductor may have
// started the step without recording it: the process id file tells. A step
// found neither way is lost (false), and what is left of it is killed.
func (e *executor) Adopt(id string, j *adapters.Job, _ time.Time) (string, bool) {
	rc := e.rec.Path(j.Name)
	if rc == "" {
		return "", false
	}
	if id == "" {
		pid, ok := adapters.ReadRecord(rc+".pid", j.Token, "")
		if !ok {
			return "", false // never started
		}
		id = strconv.Itoa(pid)
	}
	pid, err := strconv.Atoi(id)
	if err != nil || pid <= 1 {
		return "", false
	}
	jb := &job{pid: pid, rc: rc, status: adapters.Status{State: state.Running}}
	if ours(pid, rc, j.Token) {
		e.track(id, jb, 0)
		go e.watch(jb, j.Token)
		return id, true
	}
	code, ok := adapters.ReadRecord(rc, j.Token, "")
	if !ok {
		killGroup(pid)
		return "", false
	}
	e.track(id, jb, 0)
	e.end(jb, code)
	return id, true
}

// Find implements adapters.Executor: a job a dead conductor started
// without recording it left its process id behind (see Adopt), and is
// watched from now on.
func (e *executor) Find(_ context.Context, jobs []*adapters.Job, since time.Time) (map[string]string, error) {
	found := map[string]string{}
	for _, j := range jobs {
		if id, ok := e.Adopt("", j, since); ok {
			found[j.Name] = id
		}
	}
	return found, nil
}

// watch polls an adopted process, which is not our child, until it ends.
func (e *executor) watch(jb *job, token string) {
	for ours(jb.pid, jb.rc, token) {
		time.Sleep(e.a.AdoptPoll)
	}
	code, ok := adapters.ReadRecord(jb.rc, token, "")
	if !ok {
		code = 255 // it ended without a word: killed, or not a bash script
	}
	e.end(jb, code)
}

// ours reports whether pid is alive and is the step's process: its
// environment names the step's status file and submission token.
func ours(pid int, rc, token string) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	var haveRC, haveToken bool
	for _, kv := range strings.Split(string(env), "\x00") {
		haveRC = haveRC || kv == "MAESTRO_RC="+rc
		haveToken = haveToken || kv == "MAESTRO_TOKEN="+token
	}
	return haveRC && haveToken
}

// killGroup ends what is left of a lost job's process group. A group whose
// leader is gone keeps its id reserved while any member lives, so the id
// cannot name someone else's group; a live leader was checked by ours.
func killGroup(pid int) {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// stop asks a job's process group to end, then forces it after KillGrace.
func (e *executor) stop(jb *job) {
	syscall.Kill(-jb.pid, syscall.SIGTERM)
	time.AfterFunc(e.a.KillGrace, func() {
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
