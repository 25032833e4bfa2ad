package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/api"
	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/spf13/pflag"
)

// launchWait bounds how long `maestro run` waits to see its conductor
// take over the study.
const launchWait = 10 * time.Second

// launchOptions are the run and restart flags that go to the conductor.
type launchOptions struct {
	fg         bool
	http       string
	httpRemote bool
	exe        string // the conductor binary, found by prepare
	started    func() // called once the conductor holds the study
}

func (o *launchOptions) flags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.fg, "fg", false, "run the conductor in the foreground")
	fs.StringVar(&o.http, "http", "", "have the conductor serve its HTTP API on HOST:PORT (loopback only, unless --http-remote)")
	fs.BoolVar(&o.httpRemote, "http-remote", false, "allow --http on a non-loopback address (the API has no authentication)")
}

// prepare checks, before anything is written, what launch needs: a free
// --http port, and (detached) maestro's own conductor binary.
func (o *launchOptions) prepare() error {
	if o.http != "" {
		if err := api.CheckAddr(o.http, o.httpRemote); err != nil {
			return &usageError{err}
		}
		l, err := net.Listen("tcp", o.http)
		if err != nil {
			return fmt.Errorf("--http %s: cannot listen there (%v); choose another port, or port 0 for any free one", o.http, err)
		}
		l.Close()
	}
	if o.fg {
		return nil
	}
	var err error
	o.exe, err = conductorPath()
	return err
}

// launch starts the conductor for the study in dir: in this process with
// fg, else as a detached process in its own session (it survives the
// terminal), with its output in DIR/<stem>.txt. o has been prepared.
func (a *App) launch(dir, stem string, o launchOptions) error {
	if o.fg {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		end, err := conductor.Run(ctx, conductor.Options{Dir: dir, Adapters: a.Adapters, Out: a.Out, Debug: a.Log.level <= LevelDebug,
			Attach: serveAPI(o.http, o.httpRemote), Started: o.started, StopLocal: true})
		if ctx.Err() != nil {
			return &exitError{code: ExitInterrupt, err: fmt.Errorf("interrupted; resume the study with: maestro restart %s", shellQuote(dir))}
		}
		if err != nil {
			return err
		}
		return studyExit(end)
	}
	exe := o.exe
	logPath := filepath.Join(dir, stem+".txt")
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	start, _ := logf.Seek(0, io.SeekEnd)
	args := []string{"conductor"}
	if a.Log.level <= LevelDebug {
		args = append(args, "-d", "1")
	}
	if o.http != "" {
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
	pid := conductor.Running(dir)
	for ; pid <= 0; pid = conductor.Running(dir) {
		select {
		case err := <-exited:
			if pid = conductor.Running(dir); pid > 0 || err == nil {
				break
			}
			return fmt.Errorf("the conductor %s exited at once (%v); see %s", exe, err, logPath)
		case <-deadline:
			return fmt.Errorf("the conductor %s did not take over %s within %s; see %s", exe, dir, launchWait, logPath)
		case <-time.After(10 * time.Millisecond):
			continue
		}
		break
	}
	if o.started != nil {
		o.started()
	}
	fmt.Fprintln(a.Out, "Study launched successfully.")
	fmt.Fprintf(a.Out, "  study directory  %s\n", dir)
	fmt.Fprintf(a.Out, "  conductor        pid %d (%s)\n", pid, exe)
	fmt.Fprintf(a.Out, "  conductor log    %s\n", logPath)
	if o.http != "" {
		fmt.Fprintf(a.Out, "  HTTP API         %s\n", orText(apiURL(logPath, start), "see the conductor log"))
	}
	fmt.Fprintf(a.Out, "Follow it with: maestro status %s   (or --watch)\n", shellQuote(dir))
	return nil
}

// apiURL finds the address the conductor's API listens on (the port it
// chose for :0) in what the conductor logged from offset start.
func apiURL(logPath string, start int64) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	f.Seek(start, io.SeekStart)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, url, ok := strings.Cut(sc.Text(), apiLogPrefix); ok {
			return url
		}
	}
	return ""
}

// apiLogPrefix starts the conductor's log line naming its API's address.
const apiLogPrefix = "HTTP API on "

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shellQuote quotes a path for a command line to copy, when it needs it.
func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '+' || r == '=' || r == ',' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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

// conductorPath finds maestro's own conductor: beside the running maestro
// first, else on PATH; a binary that does not answer the version handshake
// (another tool's conductor, another maestro version) is refused, by name.
func conductorPath() (string, error) {
	var tried []string
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "conductor")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			if err := handshake(p); err != nil {
				return "", err
			}
			return p, nil
		}
		tried = append(tried, filepath.Dir(exe))
	}
	p, err := exec.LookPath("conductor")
	if err != nil {
		return "", fmt.Errorf("cannot find maestro's conductor beside maestro (%s) or on PATH; install both side by side (make install), or use -fg", strings.Join(tried, ""))
	}
	if err := handshake(p); err != nil {
		return "", err
	}
	return p, nil
}

// handshakeWait bounds `conductor --version`.
const handshakeWait = 10 * time.Second

// handshake checks that the conductor binary at path is this maestro's:
// its --version must print conductorVersion.
func handshake(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), handshakeWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Args[0] = "conductor"
	got, err := cmd.CombinedOutput()
	first, _, _ := strings.Cut(strings.TrimSpace(string(got)), "\n")
	if strings.TrimSpace(first) == conductorVersion {
		return nil
	}
	if len(first) > 100 {
		first = first[:100] + "..."
	}
	why := fmt.Sprintf("its --version printed %q", first)
	if err != nil {
		why = fmt.Sprintf("%s (%v)", why, err)
	}
	return fmt.Errorf("%s is not this maestro's conductor (%s), %s; put maestro %s's conductor beside maestro or first on PATH",
		path, conductorVersion, why, Version)
}
