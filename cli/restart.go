package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// restart resumes a study: one that ended in FAILURE or CANCELLED runs its
// unfinished steps again; one whose conductor died is picked up where it
// stood (in-flight jobs are adopted, nothing is submitted twice).
func (a *App) restart(args []string) error {
	fs := a.flagSet("restart", "[-fg] [--only STEP]... DIR")
	var lo launchOptions
	lo.flags(fs)
	only := fs.StringArray("only", nil, "rerun this step (a name from status, or a spec step for all its combinations) and its descendants; repeatable")
	if err := parse(fs, singleDashLong(args, "fg")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("restart takes one study directory")
	}
	dir, _ := filepath.Abs(fs.Arg(0))
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
	n, err := conductor.Reset(dir, *only)
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
		fmt.Fprintf(a.Out, "Restarting %d steps of %s.\n", n, dir)
	}
	return a.launch(dir, info.Stem, lo)
}
