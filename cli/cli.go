// Package cli implements the maestro command line: one file per command,
// each with its own flag set, options struct and injected I/O.
package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	_ "github.com/maestro-go/maestro/adapters/all" // the adapter registry
)

// Exit codes, mapped in one place.
const (
	ExitOK        = 0
	ExitError     = 1 // bad input or a failed command
	ExitFailure   = 2 // run -fg: the study ended in FAILURE
	ExitCancelled = 3 // run -fg: the study ended CANCELLED
)

// Version is the maestro version.
const Version = "0.1.0"

// App is one invocation: its I/O and the clock, injected for tests.
type App struct {
	In       *bufio.Reader
	Out, Err io.Writer
	Log      *Logger
	Now      func() time.Time
	Environ  func() []string
}

// exitError carries a specific exit code up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

var commands = map[string]func(*App, []string) error{
	"run":     (*App).run,
	"status":  (*App).status,
	"cancel":  (*App).cancel,
	"update":  (*App).update,
	"restart": (*App).restart,
}

// Main runs maestro with args (without the program name) and returns the
// exit status.
func Main(args []string, in io.Reader, out, errw io.Writer) int {
	app := &App{In: bufio.NewReader(in), Out: out, Err: errw, Now: time.Now, Environ: os.Environ}
	fs := pflag.NewFlagSet("maestro", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(errw)
	level := fs.IntP("debug_lvl", "d", LevelInfo, "log level: 1 debug, 2 info, 3 warning, 4 error, 5 critical")
	version := fs.BoolP("version", "v", false, "print the version and exit")
	fs.StringP("logpath", "l", "", "accepted for compatibility; unused")
	fs.BoolP("logstdout", "c", false, "accepted for compatibility; unused")
	fs.Usage = func() {
		fmt.Fprintf(errw, "usage: maestro [-d N] [-v] {run,status,cancel,update,restart} ...\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if *version {
		fmt.Fprintln(out, "maestro", Version)
		return ExitOK
	}
	if *level < LevelDebug || *level > LevelCritical {
		fmt.Fprintln(errw, "maestro: -d takes a level from 1 (debug) to 5 (critical)")
		return ExitError
	}
	app.Log = &Logger{w: errw, level: *level}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return ExitError
	}
	cmd, ok := commands[rest[0]]
	if !ok {
		fmt.Fprintf(errw, "maestro: unknown command '%s' (have run, status, cancel, update, restart)\n", rest[0])
		return ExitError
	}
	if err := cmd(app, rest[1:]); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintln(errw, "maestro:", ee.err)
			}
			return ee.code
		}
		if !errors.Is(err, errQuiet) {
			fmt.Fprintln(errw, "maestro:", oneLine(err.Error()))
		}
		return ExitError
	}
	return ExitOK
}

// errQuiet is a failure whose message was already printed.
var errQuiet = errors.New("")

// oneLine keeps an error message to one line.
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// flagSet returns a command's flag set, writing usage to stderr.
func (a *App) flagSet(name, usage string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(a.Err)
	fs.Usage = func() { fmt.Fprintf(a.Err, "usage: maestro %s %s\n%s", name, usage, fs.FlagUsages()) }
	return fs
}

// parse parses a command's flags; --help is a clean exit.
func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return &exitError{code: ExitOK, err: errors.New("")}
		}
		return errQuiet
	}
	return nil
}

// ask prints a yes/no question and reads the answer; end of input is no.
func (a *App) ask(question string) bool {
	for {
		fmt.Fprint(a.Out, question)
		line, err := a.In.ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true
		case "n", "no":
			return false
		}
		if err != nil {
			fmt.Fprintln(a.Out)
			return false
		}
	}
}
