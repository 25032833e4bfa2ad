package adapters

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Command runs a scheduler command with a deadline, in the environment
// of cfg.Env: a command that hangs is killed with its process group when
// ctx ends, so it can never stall the conductor. stdin may be nil.
func (cfg Config) Command(ctx context.Context, stdin []byte, name string, args ...string) (stdout, stderr string, err error) {
	return cfg.CommandIn(ctx, nil, stdin, name, args...)
}

// CommandIn is Command with variables added to the environment (such as
// FLUX_URI).
func (cfg Config) CommandIn(ctx context.Context, env []string, stdin []byte, name string, args ...string) (stdout, stderr string, err error) {
	environ := os.Environ
	if cfg.Env != nil {
		environ = cfg.Env
	}
	cmd := exec.CommandContext(ctx, lookPath(name, environ()), args...)
	cmd.Args[0] = name
	cmd.Env = append(environ(), env...)
	// A command outlives no conductor: an sbatch left running by a killed
	// conductor could create its job after the next conductor looked for
	// it, and the step would run twice.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil && err != nil {
		err = fmt.Errorf("%s timed out: %w", name, context.DeadlineExceeded)
	} else if err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && msg != "" {
			err = fmt.Errorf("%s failed (exit %d): %s", name, ee.ExitCode(), msg)
		} else {
			err = fmt.Errorf("%s failed: %w", name, err)
		}
	}
	return out.String(), errb.String(), classify(err, errb.String())
}

// Chunks splits ids into groups of at most n (n <= 0: one group).
func Chunks(ids []string, n int) [][]string {
	if n <= 0 || len(ids) <= n {
		return [][]string{ids}
	}
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return append(out, ids)
}

// ErrUnavailable marks a scheduler command that failed because the
// scheduler could not be reached or did not answer in time, as opposed to
// one it refused: retrying later may work, and it says nothing of a job.
var ErrUnavailable = errors.New("scheduler unavailable")

// ErrUncertain marks a submission whose answer could not be read: the job
// may have been created, so it must be looked for before it is submitted
// again.
var ErrUncertain = errors.New("submission answer unreadable")

// ErrLimit marks a submission the scheduler refused for a limit on how
// many jobs a user or account may have: back-pressure, not a failure of
// the step. The job was not created; submit it again once jobs end.
var ErrLimit = errors.New("scheduler job limit reached")

// transient are fragments of scheduler messages that mean "try again".
var transient = []string{
	"Unable to contact", "Socket timed out", "Connection refused", "connect failure",
	"Transport endpoint", "temporarily unavailable", "Communication connection failure",
	"Zero Bytes were transmitted", "in standby mode", "timed out", "Try again",
	"Batch job submission failed: Resource temporarily", "Job submission failed: Job/step already completing",
	"LIM is down", "try later", "Unable to connect to Flux", "Connection reset",
}

// limits are fragments of scheduler messages that refuse a job for a
// submission limit: Slurm's QOSMaxSubmitJobPerUserLimit,
// AssocMaxSubmitJobLimit, QOSGrpSubmitJobsLimit, ..., and a full
// MaxJobCount; LSF's pending-job thresholds.
var limits = []string{
	"SubmitJob", "MaxJobCount", "temporarily unable to accept job", "Pending job threshold",
}

// classify wraps err with ErrUnavailable when it is a timeout or a
// scheduler message that means the scheduler is unreachable or busy, and
// with ErrLimit for a submission limit. It reads the whole of the
// command's stderr, whose first lines may name the reason the last line
// does not.
func classify(err error, stderr string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	for _, l := range limits {
		if strings.Contains(stderr, l) || strings.Contains(msg, l) {
			return fmt.Errorf("%w: %v", ErrLimit, err)
		}
	}
	for _, t := range transient {
		if strings.Contains(msg, t) {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return err
}

// lookPath finds a command on the PATH of env (exec.Command looks on this
// process's PATH, which a test would have to change for the whole
// process); a name not found there is returned as it is, for exec to
// report.
func lookPath(name string, env []string) string {
	if strings.ContainsRune(name, '/') {
		return name
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return name
}
