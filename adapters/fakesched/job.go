package fakesched

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// phase is where a job is in its life, shared by both fakes; each prints
// it in its own scheduler's words.
type phase string

const (
	pending phase = "PENDING"
	running phase = "RUNNING"
	cleanup phase = "CLEANUP" // the script ended; flux releases resources
	ended   phase = "ENDED"
)

// ending is how an ended job ended.
type ending string

const (
	exited    ending = "EXITED"    // the script exited (Exit holds its code)
	timedOut  ending = "TIMEOUT"   // killed at its walltime
	cancelled ending = "CANCELLED" // cancelled (bkill, flux cancel)
)

// job is the state of one job, in jobs/<id>.json.
type job struct {
	ID        uint64        `json:"id"`
	Sched     string        `json:"sched"` // "lsf" or "flux": the fake that owns it
	Name      string        `json:"name"`
	Queue     string        `json:"queue"`
	User      string        `json:"user"`
	Dir       string        `json:"dir"`                // working directory
	Script    string        `json:"script"`             // the spooled copy that runs
	Args      []string      `json:"args,omitempty"`     // the script's arguments (flux submit and batch pass them)
	Stdout    string        `json:"stdout"`             // "" discards
	Stderr    string        `json:"stderr"`             // "" goes with stdout
	Limit     time.Duration `json:"limit"`              // scaled walltime; 0 for none
	Cores     int           `json:"cores,omitempty"`    // Flux: cores the job holds while it runs
	GPUs      int           `json:"gpus,omitempty"`     // Flux: GPUs asked for (the fake instance has none)
	Tasks     int           `json:"tasks,omitempty"`    // Flux: copies of the script run together (flux submit -n)
	Instance  string        `json:"instance,omitempty"` // Flux: the state directory of a flux batch job's own instance
	CC        string        `json:"cc,omitempty"`       // Flux: the index of a copy of flux submit --cc (FLUX_JOB_CC)
	Env       []string      `json:"env"`
	Phase     phase         `json:"phase"`
	End       ending        `json:"end,omitempty"`
	Exit      *int          `json:"exit,omitempty"` // 128+signal when killed; nil if it never ran
	Submitted time.Time     `json:"submitted"`
	Started   time.Time     `json:"started,omitzero"`
	Ended     time.Time     `json:"ended,omitzero"`
}

// profile is what differs between the schedulers when running a job.
type profile struct {
	cancel  []syscall.Signal    // sent in turn, FAKESCHED_GRACE apart, on cancel
	limit   []syscall.Signal    // ... when the walltime is reached
	cleanup time.Duration       // how long a job stays in the cleanup phase
	report  func(j *job) string // appended to the job's output file when it ends
	env     func(j *job) []string
}

var profiles = map[string]profile{"lsf": lsfProfile, "flux": fluxProfile}

// store is a state directory.
type store struct{ dir string }

func openStore() (*store, error) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		return nil, errors.New(EnvDir + " is not set")
	}
	if err := os.MkdirAll(filepath.Join(dir, "jobs"), 0o755); err != nil {
		return nil, err
	}
	return &store{dir: dir}, nil
}

func (s *store) path(id uint64, ext string) string {
	return filepath.Join(s.dir, "jobs", strconv.FormatUint(id, 10)+ext)
}

// nextSeq returns 1, 2, 3... across every process using the directory.
func (s *store) nextSeq() (uint64, error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "seq"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return 0, err
	}
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	seq, _ := strconv.ParseUint(strings.TrimSpace(string(buf[:n])), 10, 64)
	seq++
	// Written over the old number, never truncated first: a command
	// killed in between (its conductor died) must not leave the file
	// empty, which would hand out the same ids again. The number only
	// grows, so it covers the old one.
	text := strconv.FormatUint(seq, 10)
	if _, err := f.WriteAt([]byte(text), 0); err != nil {
		return 0, err
	}
	return seq, f.Truncate(int64(len(text)))
}

// save writes a job atomically: readers see the old state or the new.
func (s *store) save(j *job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	tmp := s.path(j.ID, fmt.Sprintf(".%d.tmp", os.Getpid()))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.path(j.ID, ".json"))
}

// load reads a job of the given scheduler ("" for any); ok is false for
// an id that scheduler never gave out, or has forgotten.
func (s *store) load(sched string, id uint64) (*job, bool) {
	data, err := os.ReadFile(s.path(id, ".json"))
	if err != nil {
		return nil, false
	}
	var j job
	if json.Unmarshal(data, &j) != nil || sched != "" && j.Sched != sched || forgotten(&j) {
		return nil, false
	}
	return &j, true
}

// all lists the jobs of a scheduler ("" for any), by id.
func (s *store) all(sched string) []*job {
	names, _ := filepath.Glob(filepath.Join(s.dir, "jobs", "*.json"))
	var out []*job
	for _, n := range names {
		if id, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(n), ".json"), 10, 64); err == nil {
			if j, ok := s.load(sched, id); ok {
				out = append(out, j)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// forgotten reports whether an ended job is past FAKESCHED_FORGET.
func forgotten(j *job) bool {
	forget := duration(EnvForget, 0)
	return forget > 0 && j.Phase == ended && time.Since(j.Ended) > forget
}

// requestCancel asks the job's supervisor to cancel it, as a scheduler
// daemon is asked: the command returns at once and the job ends soon.
func (s *store) requestCancel(id uint64) {
	if f, err := os.OpenFile(s.path(id, ".cancel"), os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		f.Close()
	}
}

func (s *store) cancelRequested(id uint64) bool {
	_, err := os.Stat(s.path(id, ".cancel"))
	return err == nil
}

// submit spools the script, records the job as pending and starts its
// supervisor, a process of its own session that outlives the command.
func (s *store) submit(j *job, script []byte) error {
	j.Script = s.path(j.ID, ".sh")
	if err := os.WriteFile(j.Script, script, 0o755); err != nil {
		return err
	}
	j.User, j.Phase, j.Submitted = user(), pending, time.Now()
	j.Env = append(os.Environ(), profiles[j.Sched].env(j)...)
	// The supervisor starts first and waits for the job's record: a
	// command killed in between leaves no job (it printed no id), never
	// one recorded that nothing runs.
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, s.dir, strconv.FormatUint(j.ID, 10))
	cmd.Args[0] = supervisorName
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if log, err := os.Create(s.path(j.ID, ".log")); err == nil {
		cmd.Stdout, cmd.Stderr = log, log // never the command's own pipes
		defer log.Close()
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	cmd.Process.Release()
	return s.save(j)
}

// recordWait is how long a supervisor waits for its job's record.
const recordWait = 10 * time.Second

// poll is how often a supervisor looks for a cancel request.
const poll = 10 * time.Millisecond

// supervise runs one job (args: state directory, job id): it waits out
// the pending time, runs the script in its own process group with its
// output files, enforces the walltime and cancel requests by killing the
// group, and records how the job ended.
func supervise(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fakesched-job DIR ID")
		return 2
	}
	s := &store{dir: args[0]}
	id, _ := strconv.ParseUint(args[1], 10, 64)
	j, ok := s.load("", id)
	for start := time.Now(); !ok && time.Since(start) < recordWait; j, ok = s.load("", id) {
		time.Sleep(poll)
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "no job %d in %s\n", id, s.dir)
		return 1
	}
	p := profiles[j.Sched]
	finish := func(end ending) int {
		if p.cleanup > 0 && j.Exit != nil {
			j.Phase = cleanup
			s.save(j)
			time.Sleep(p.cleanup)
		}
		j.Phase, j.End, j.Ended = ended, end, time.Now()
		if p.report != nil && j.Stdout != "" && j.Exit != nil {
			if f, err := os.OpenFile(j.Stdout, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				f.WriteString(p.report(j))
				f.Close()
			}
		}
		if err := s.save(j); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	for run := time.Now().Add(duration(EnvPending, 100*time.Millisecond)); ; time.Sleep(poll) {
		if s.cancelRequested(id) {
			return finish(cancelled)
		}
		if time.Now().Before(run) {
			continue
		}
		if fits, ok := s.claim(j); !ok {
			code := 1 // flux: "alloc unsatisfiable request", F 1
			j.Exit = &code
			return finish(exited)
		} else if fits {
			break
		}
	}
	if j.Instance != "" {
		defer Shutdown(j.Instance) // what the batch script left in its instance
	}
	cmd, closeOutput, err := command(j)
	if err == nil {
		err = cmd.Start()
	}
	closeOutput()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code := 127 // as a shell that cannot run the script
		j.Exit = &code
		return finish(exited)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	var limit <-chan time.Time
	if j.Limit > 0 {
		limit = time.After(j.Limit)
	}
	tick := time.NewTicker(poll)
	end := exited
wait:
	for {
		select {
		case <-done:
			break wait
		case <-limit:
			if end == exited {
				end = timedOut
				go kill(cmd.Process.Pid, p.limit)
			}
		case <-tick.C:
			if end == exited && s.cancelRequested(id) {
				end = cancelled
				go kill(cmd.Process.Pid, p.cancel)
			}
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what the script left behind
	code := exitCode(cmd.ProcessState)
	j.Exit = &code
	return finish(end)
}

// claim starts a pending job when the instance has the cores it needs
// (fits), as Flux's scheduler does; ok is false when it never can. A job
// that needs no cores (LSF's) always fits.
func (s *store) claim(j *job) (fits, ok bool) {
	if j.Cores == 0 && j.GPUs == 0 {
		j.Phase, j.Started = running, time.Now()
		s.save(j)
		return true, true
	}
	total := instanceCores(s.dir)
	if j.Cores > total || j.GPUs > 0 {
		return false, false
	}
	f, err := os.OpenFile(filepath.Join(s.dir, "cores.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return false, true
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX) != nil {
		return false, true
	}
	used := 0
	for _, o := range s.all(j.Sched) {
		if o.ID != j.ID && (o.Phase == running || o.Phase == cleanup) {
			used += o.Cores
		}
	}
	if used+j.Cores > total {
		return false, true
	}
	j.Phase, j.Started = running, time.Now()
	s.save(j)
	return true, true
}

// instanceCores is how many cores the Flux instance of a state directory
// has: a flux batch job's instance has those of its allocation, the
// top-level one FAKESCHED_FLUX_CORES (8, as the recorded instance).
func instanceCores(dir string) int {
	if data, err := os.ReadFile(filepath.Join(dir, "cores")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			return n
		}
	}
	if n, err := strconv.Atoi(os.Getenv(EnvFluxCores)); err == nil && n > 0 {
		return n
	}
	return 8
}

// command prepares the script of a job, run Tasks times together;
// closeOutput closes this process's copies of the output files once it
// has started (or failed to).
func command(j *job) (*exec.Cmd, func(), error) {
	cmd := exec.Command(j.Script, j.Args...)
	if data, err := os.ReadFile(j.Script); err == nil && !strings.HasPrefix(string(data), "#!") {
		cmd = exec.Command("/bin/sh", append([]string{j.Script}, j.Args...)...)
	}
	if j.Tasks > 1 { // the exit status is the last failing task's
		cmd = exec.Command("/bin/sh", append([]string{"-c", `i=0; while [ $i -lt ` + strconv.Itoa(j.Tasks) + ` ]; do "$0" "$@" & pids="$pids $!"; i=$((i+1)); done
rc=0; for p in $pids; do wait $p || rc=$?; done; exit $rc`, j.Script}, j.Args...)...)
	}
	cmd.Dir, cmd.Env = j.Dir, j.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	open := func(path string) (*os.File, error) {
		if path == "" {
			return nil, nil
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			files = append(files, f)
		}
		return f, err
	}
	out, err := open(j.Stdout)
	if err != nil {
		return nil, closeAll, err
	}
	errf := out
	if j.Stderr != "" && j.Stderr != j.Stdout {
		if errf, err = open(j.Stderr); err != nil {
			return nil, closeAll, err
		}
	}
	if out != nil {
		cmd.Stdout = out
	}
	if errf != nil {
		cmd.Stderr = errf
	}
	return cmd, closeAll, nil
}

// kill sends signals to a process group in turn until it is gone.
func kill(pgid int, signals []syscall.Signal) {
	grace := duration(EnvGrace, 500*time.Millisecond)
	for i, sig := range signals {
		if syscall.Kill(-pgid, sig) != nil {
			return
		}
		if i < len(signals)-1 {
			time.Sleep(grace)
		}
	}
}

// exitCode is the script's exit code, 128+signal when a signal killed it.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// resolve makes a path of the job's relative to its working directory.
func resolve(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
