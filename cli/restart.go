package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// restart resumes a study: one that ended in FAILURE or CANCELLED runs its
// unfinished steps again; one whose conductor died is picked up where it
// stood (in-flight jobs are adopted, nothing is submitted twice).
func (a *App) restartCommand() *cobra.Command {
	var lo launchOptions
	var only []string
	cmd := &cobra.Command{
		Use:   "restart [flags] DIR",
		Short: "Resume a study whose conductor stopped, or rerun its unfinished or chosen steps",
		Example: "  maestro restart out/demo\n" +
			"  maestro restart --only simulate out/demo   # rerun simulate and what depends on it",
		Args:              nargs(1, 1, "one study directory"),
		ValidArgsFunction: completeStudies(1),
	}
	cmd.RunE = body(func(args []string) error { return a.restart(lo, only, args) })
	fs := cmd.Flags()
	lo.flags(fs)
	fs.StringArrayVar(&only, "only", nil, "rerun this step (a name from status, or a spec step for all its combinations) and its descendants; repeatable")
	cmd.RegisterFlagCompletionFunc("only", completeSteps)
	return cmd
}

func (a *App) restart(lo launchOptions, only []string, args []string) error {
	dir, _ := filepath.Abs(args[0])
	st, err := openStudy(dir)
	if err != nil {
		return err
	}
	if pid := conductor.Running(dir); pid != 0 {
		return fmt.Errorf("conductor %d is driving %s; cancel the study or let it end first", pid, dir)
	}
	var info *store.StudyInfo
	var was state.Study
	err = st.View(func(tx *store.Tx) error {
		var err error
		if info, err = tx.Info(); err != nil {
			return err
		}
		was, err = tx.StudyState()
		return err
	})
	if err != nil {
		return err
	}
	if err := lo.prepare(); err != nil {
		return err
	}
	n, err := conductor.Reset(conductor.Options{Dir: dir, Adapters: a.Adapters}, only)
	if err != nil {
		return err
	}
	switch {
	case n == 0 && was == state.StudyFinished:
		fmt.Fprintln(a.Out, "Nothing to restart: every step FINISHED (use --only STEP to rerun steps).")
		return nil
	case n == 0:
		fmt.Fprintf(a.Out, "Resuming %s.\n", dir)
	default:
		fmt.Fprintf(a.Out, "Restarting %s of %s.\n", status.Steps(n), dir)
	}
	return a.launch(dir, info.Stem, lo)
}
