package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

func (a *App) cancelCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "cancel [flags] DIR...",
		Short:             "Cancel studies: their running steps are killed, the rest marked CANCELLED",
		Example:           "  maestro cancel out/demo\n  maestro cancel -y out/a out/b",
		Args:              nargs(1, -1, "study directory"),
		ValidArgsFunction: completeStudies(-1),
	}
	cmd.RunE = body(func(args []string) error { return a.cancel(yes, args) })
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *App) cancel(yes bool, args []string) error {
	if !yes {
		what := "the study " + args[0]
		if len(args) > 1 {
			what = fmt.Sprintf("%d studies (%s)", len(args), strings.Join(args, ", "))
		}
		fmt.Fprintf(a.Out, "Cancel %s? Running steps are killed, scheduled jobs cancelled. Are you sure? [y|[n]]: ", what)
		line, err := a.In.ReadString('\n')
		if err != nil && strings.TrimSpace(line) == "" {
			fmt.Fprintln(a.Out)
			return errors.New("no answer (no terminal?); nothing was cancelled; pass -y to cancel without asking")
		}
		if ans := trimLower(line); ans != "y" && ans != "yes" {
			fmt.Fprintln(a.Out, "Cancellation aborted.")
			return nil
		}
	}
	failed := false
	for _, dir := range args {
		if err := a.cancelOne(dir); err != nil {
			failed = true
			fmt.Fprintln(a.Err, "maestro:", oneLine(err.Error()))
		}
	}
	if failed {
		return errQuiet
	}
	return nil
}

// cancelOne asks the study's conductor to cancel; with no conductor
// running it cancels the study itself.
func (a *App) cancelOne(dir string) error {
	dir, _ = filepath.Abs(dir)
	if ended, err := endedState(dir); err != nil {
		return err
	} else if ended != "" {
		fmt.Fprintf(a.Out, "Nothing to cancel: %s already ended %s.\n", dir, ended)
		return nil
	}
	pid, err := a.request(dir, store.Request{Kind: store.RequestCancel})
	switch {
	case err != nil:
		return err
	case pid > 0:
		fmt.Fprintf(a.Out, "Cancelling %s (conductor %d).\n", dir, pid)
	default:
		fmt.Fprintf(a.Out, "Cancelled %s.\n", dir)
	}
	return nil
}

// request queues r for the study in dir and tells its conductor, whose pid
// it returns; with no conductor running, it carries r out itself (pid 0).
func (a *App) request(dir string, r store.Request) (int, error) {
	st, err := openStudy(dir)
	if err != nil {
		return 0, err
	}
	r.At = time.Now()
	if err := st.Update(func(tx *store.Tx) error { return tx.AddRequest(r) }); err != nil {
		return 0, err
	}
	if pid := conductor.Running(dir); pid > 0 {
		syscall.Kill(pid, syscall.SIGUSR1)
		return pid, nil
	}
	return 0, conductor.Apply(conductor.Options{Dir: dir, Adapters: a.Adapters})
}

// endedState is the end state of the study in dir when it has ended and
// no conductor drives it, else "".
func endedState(dir string) (state.Study, error) {
	st, err := openStudy(dir)
	if err != nil {
		return "", err
	}
	var s state.Study
	if err := st.View(func(tx *store.Tx) error {
		var err error
		s, err = tx.StudyState()
		return err
	}); err != nil {
		return "", err
	}
	switch s {
	case state.StudyFinished, state.StudyFailure, state.StudyCancelled:
		if conductor.Running(dir) == 0 {
			return s, nil
		}
	}
	return "", nil
}

// openStudy opens a study directory's database with user-facing errors.
func openStudy(dir string) (*store.Store, error) {
	st, err := store.Open(dir)
	if errors.Is(err, store.ErrNoStudy) {
		return nil, fmt.Errorf("%s holds no study", dir)
	}
	return st, err
}
