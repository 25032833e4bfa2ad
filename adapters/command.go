package adapters

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// CommandEnv is the environment scheduler commands run with: the
// conductor's own. Tests point it at fake commands.
var CommandEnv = os.Environ

// Command runs a scheduler command with a deadline: a command that hangs
// is killed with its process group when ctx ends, so it can never stall the
// conductor. stdin may be nil.
func Command(ctx context.Context, stdin []byte, name string, args ...string) (stdout, stderr string, err error) {
	return CommandIn(ctx, nil, stdin, name, args...)
}

// CommandIn is Command with variables added to the environment (such as
// FLUX_URI).
func CommandIn(ctx context.Context, env []string, stdin []byte, name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(CommandEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil && err != nil {
		err = fmt.Errorf("%s timed out: %w", name, context.Cause(ctx))
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
	return out.String(), errb.String(), err
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
