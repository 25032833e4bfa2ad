// Package cli implements the maestro command line: one file per command,
// each with its own flags, options struct and injected I/O. The commands
// are wired with cobra (on top of pflag), which gives every command its
// --help, and the shells their completion.
package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/all"
)

// Exit codes, mapped in one place.
const (
	ExitOK        = 0
	ExitError     = 1   // a failed command
	ExitUsage     = 2   // a wrong flag or argument (as argparse exits)
	ExitFailure   = 2   // run -fg: the study ended in FAILURE
	ExitCancelled = 3   // run -fg: the study ended CANCELLED
	ExitInterrupt = 130 // run -fg: interrupted (Ctrl-C), as shells report SIGINT
)

// Version is the maestro version; the conductor reports the same one,
// which is how maestro knows a conductor binary is its own.
const Version = "0.1.0"

// App is one invocation: its I/O and the clock, injected for tests.
type App struct {
	In       *bufio.Reader
	Out, Err io.Writer
	Log      *Logger
	Now      func() time.Time
	Environ  func() []string
	// Adapters are the schedulers studies may name.
	Adapters adapters.Registry
}

// exitError carries a specific exit code up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// usageError is a wrong flag or argument: Main prints it with the usage
// and exits ExitUsage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

// usagef makes a usageError.
func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// ranError is an error from a command's body, as opposed to one cobra
// found in the command line.
type ranError struct{ err error }

func (e *ranError) Error() string { return e.err.Error() }
func (e *ranError) Unwrap() error { return e.err }

// body adapts a command's body to cobra, marking its errors as its own.
func body(fn func(args []string) error) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		if err := fn(args); err != nil {
			return &ranError{err}
		}
		return nil
	}
}

// nargs checks a command's count of arguments: between lo and hi
// (hi < 0: no limit); what names them in the error.
func nargs(lo, hi int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < lo && lo == 1 && hi == 1:
			return usagef("%s needs %s", cmd.Name(), what)
		case len(args) < lo:
			return usagef("%s needs at least %d %s", cmd.Name(), lo, what)
		case hi >= 0 && len(args) > hi:
			return usagef("%s takes %s, got %d arguments: %s", cmd.Name(), what, len(args), strings.Join(args, " "))
		}
		return nil
	}
}

// Main runs maestro with args (without the program name) and returns the
// exit status.
func Main(args []string, in io.Reader, out, errw io.Writer) int {
	app := &App{In: bufio.NewReader(in), Out: out, Err: errw, Now: time.Now, Environ: os.Environ,
		Adapters: all.Registry(), Log: &Logger{w: errw, level: LevelInfo}}
	return execute(app.root(), singleDashLong(args, "fg"), out, errw)
}

// root is the maestro command and its subcommands.
func (a *App) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "maestro [flags] COMMAND",
		Short: "Launch and follow Maestro studies on a workstation or through Slurm, Flux or LSF",
		Long: "maestro writes a study from its YAML spec and hands it to a conductor, which\n" +
			"runs its steps; status, cancel, update and restart act on the study's directory.",
		Example: "  maestro run -y study.yaml\n  maestro status --watch out/study_20250101-120000",
		Version: Version,
		Args:    unknownCommand,
		RunE:    func(*cobra.Command, []string) error { return usagef("a command is needed") },
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if a.Log.level < LevelDebug || a.Log.level > LevelCritical {
				return usagef("-d takes a level from 1 (debug) to 5 (critical), not %d", a.Log.level)
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.IntVarP(&a.Log.level, "debug_lvl", "d", LevelInfo, "log level: 1 debug, 2 info, 3 warning, 4 error, 5 critical")
	pf.StringP("logpath", "l", "", "accepted for compatibility; unused")
	pf.BoolP("logstdout", "c", false, "accepted for compatibility; unused")
	pf.MarkHidden("logpath")
	pf.MarkHidden("logstdout")
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("maestro {{.Version}}\n")
	root.AddCommand(a.runCommand(), a.statusCommand(), a.cancelCommand(), a.updateCommand(), a.restartCommand(),
		versionCommand("maestro"))
	return root
}

// unknownCommand rejects a word that names no command, suggesting the
// nearest ones.
func unknownCommand(root *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var have []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			have = append(have, c.Name())
		}
	}
	if near := root.SuggestionsFor(args[0]); len(near) > 0 {
		return usagef("unknown command '%s'; did you mean %s?", args[0], strings.Join(near, " or "))
	}
	return usagef("unknown command '%s' (have %s)", args[0], strings.Join(have, ", "))
}

// versionCommand is `maestro version`.
func versionCommand(name string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  nargs(0, 0, "no arguments"),
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), name, Version) },
	}
}

// execute runs a command line and maps how it ended to an exit status:
// a wrong flag or argument prints one line naming it and the usage.
func execute(root *cobra.Command, args []string, out, errw io.Writer) int {
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errw)
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	cmd, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	var re *ranError
	if errors.As(err, &ue) || !errors.As(err, &re) {
		fmt.Fprintf(errw, "%s: %s\n", root.Name(), oneLine(err.Error()))
		fmt.Fprintf(errw, "usage: %s\nRun '%s --help' for more.\n", cmd.UseLine(), cmd.CommandPath())
		return ExitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(errw, "%s: %s\n", root.Name(), ee.err)
		}
		return ee.code
	}
	if !errors.Is(err, errQuiet) {
		fmt.Fprintf(errw, "%s: %s\n", root.Name(), oneLine(err.Error()))
	}
	return ExitError
}

// errQuiet is a failure whose message was already printed.
var errQuiet = errors.New("")

// oneLine keeps an error message to one line.
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

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
