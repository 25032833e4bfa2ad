package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/api"
	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/spf13/pflag"
)

// launchWait bounds how long `maestro run` waits to see its conductor
// take over the study.
var launchWait = 10 * time.Second

// launchOptions are the run and restart flags that go to the conductor.
type launchOptions struct {
	fg         bool
	http       string
	httpRemote bool
	started    func() // called once the conductor holds the study
}

func (o *launchOptions) flags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.fg, "fg", false, "run the conductor in the foreground")
	fs.StringVar(&o.http, "http", "", "have the conductor serve its HTTP API on HOST:PORT (loopback only, unless --http-remote)")
	fs.BoolVar(&o.httpRemote, "http-remote", false, "allow --http on a non-loopback address (the API has no authentication)")
}

// launch starts the conductor for the study in dir: in this process with
// fg, else as a detached process in its own session (it survives the
// terminal), with its output in DIR/<stem>.txt.
func (a *App) launch(dir, stem string, o launchOptions) error {
	if o.fg {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		end, err := conductor.Run(ctx, conductor.Options{Dir: dir, Out: a.Out, Debug: a.Log.level <= LevelDebug,
			HTTP: o.http, HTTPRemote: o.httpRemote, Started: o.started})
		if err != nil {
			return err
		}
		return studyExit(end)
	}
	exe, err := conductorPath()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(dir, stem+".txt"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"conductor"}
	if a.Log.level <= LevelDebug {
		args = append(args, "-d", "1")
	}
	if o.http != "" {
		if err := api.CheckAddr(o.http, o.httpRemote); err != nil {
			return err
		}
		args = append(args, "--http", o.http)
		if o.httpRemote {
			args = append(args, "--http-remote")
		}
	}
	cmd := &exec.Cmd{Path: exe, Args: append(args, dir), Dir: dir, Stdout: logf, Stderr: logf,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true}}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start the conductor %s: %w", exe, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(launchWait)
	for conductor.Running(dir) <= 0 {
		select {
		case err := <-exited:
			if conductor.Running(dir) > 0 || err == nil {
				break
			}
			return fmt.Errorf("the conductor exited at once (%v); see %s", err, filepath.Join(dir, stem+".txt"))
		case <-deadline:
			return fmt.Errorf("the conductor did not take over %s within %s; see %s", dir, launchWait, filepath.Join(dir, stem+".txt"))
		case <-time.After(10 * time.Millisecond):
			continue
		}
		break
	}
	if o.started != nil {
		o.started()
	}
	fmt.Fprintln(a.Out, "Study launched successfully.")
	return nil
}

// exitCode maps a study's end state to the exit status.
func exitCode(end state.Study) int {
	switch end {
	case state.StudyFinished:
		return ExitOK
	case state.StudyCancelled:
		return ExitCancelled
	}
	return ExitFailure
}

// studyExit is exitCode as an error for a command.
func studyExit(end state.Study) error {
	if code := exitCode(end); code != ExitOK {
		return &exitError{code: code, err: errors.New("")}
	}
	return nil
}

// conductorPath finds the conductor binary: beside maestro, else on PATH.
func conductorPath() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "conductor")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("conductor")
	if err != nil {
		return "", errors.New("cannot find the conductor binary beside maestro or on PATH; install both, or use -fg")
	}
	return p, nil
}
