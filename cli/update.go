package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/store"
)

// updateOptions are the flags of `maestro update`.
type updateOptions struct{ throttle, rlimit, sleep []int }

func (a *App) updateCommand() *cobra.Command {
	var o updateOptions
	cmd := &cobra.Command{
		Use:   "update [flags] DIR...",
		Short: "Change the throttle, restart limit or sleep of studies, running or not",
		Example: "  maestro update --throttle 8 out/demo\n" +
			"  maestro update out/demo            # asks, showing the current values",
		Args:              nargs(1, -1, "study directory"),
		ValidArgsFunction: completeStudies(-1),
	}
	cmd.RunE = body(func(args []string) error { return a.update(o, args) })
	fs := cmd.Flags()
	fs.IntSliceVar(&o.throttle, "throttle", nil, "max jobs in flight (0 = no limit); one value, or one per directory")
	fs.IntSliceVar(&o.rlimit, "rlimit", nil, "restart limit (0 = unlimited); one value, or one per directory")
	fs.IntSliceVar(&o.sleep, "sleep", nil, "seconds between scheduler checks; one value, or one per directory")
	return cmd
}

func (a *App) update(o updateOptions, dirs []string) error {
	throttle, rlimit, sleep := &o.throttle, &o.rlimit, &o.sleep
	reqs := make([]store.Request, len(dirs))
	for _, f := range []struct {
		name string
		vals []int
		set  func(r *store.Request, v *int)
	}{
		{"throttle", *throttle, func(r *store.Request, v *int) { r.Throttle = v }},
		{"rlimit", *rlimit, func(r *store.Request, v *int) { r.RLimit = v }},
		{"sleep", *sleep, func(r *store.Request, v *int) { r.Sleep = v }},
	} {
		if len(f.vals) != 0 && len(f.vals) != 1 && len(f.vals) != len(dirs) {
			return usagef("--%s takes one value or one per directory (%d directories, %d values)", f.name, len(dirs), len(f.vals))
		}
		for i := range dirs {
			if len(f.vals) == 0 {
				continue
			}
			v := f.vals[min(i, len(f.vals)-1)]
			if v < 0 {
				return usagef("--%s must be 0 or more", f.name)
			}
			f.set(&reqs[i], &v)
		}
	}
	if len(*throttle)+len(*rlimit)+len(*sleep) == 0 {
		if err := a.askUpdate(dirs, &reqs); err != nil {
			return err
		}
	}
	for i, dir := range dirs {
		if err := a.updateOne(dir, reqs[i]); err != nil {
			return err
		}
	}
	return nil
}

// askUpdate reads settings interactively, applied to every directory,
// after showing each study's current ones.
func (a *App) askUpdate(dirs []string, reqs *[]store.Request) error {
	for _, dir := range dirs {
		s, err := settingsOf(dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Out, "%s now has throttle %d, rlimit %d, sleep %d.\n", dir, s.Throttle, s.RLimit, s.SleepSecs)
	}
	for {
		fmt.Fprint(a.Out, "What would you like to update? [rlimit/throttle/sleep/done/quit] ")
		line, err := a.In.ReadString('\n')
		key := trimLower(line)
		switch key {
		case "done":
			return nil
		case "quit", "":
			if key == "" && err == nil {
				continue
			}
			return &exitError{code: ExitOK, err: errors.New("")}
		case "rlimit", "throttle", "sleep":
			fmt.Fprintf(a.Out, "New %s value: ", key)
			vline, _ := a.In.ReadString('\n')
			v, perr := strconv.Atoi(strings.TrimSpace(vline))
			if perr != nil || v < 0 {
				fmt.Fprintln(a.Out, "Please give a whole number, 0 or more.")
				continue
			}
			for i := range *reqs {
				val := v
				r := &(*reqs)[i]
				switch key {
				case "rlimit":
					r.RLimit = &val
				case "throttle":
					r.Throttle = &val
				case "sleep":
					r.Sleep = &val
				}
			}
		default:
			fmt.Fprintf(a.Out, "Unknown choice '%s'.\n", key)
		}
		if err != nil {
			return nil
		}
	}
}

// settingsOf reads the settings stored for the study in dir.
func settingsOf(dir string) (store.Settings, error) {
	st, err := openStudy(dir)
	if err != nil {
		return store.Settings{}, err
	}
	var s store.Settings
	err = st.View(func(tx *store.Tx) error {
		var err error
		s, err = tx.Settings()
		return err
	})
	return s, err
}

func (a *App) updateOne(dir string, r store.Request) error {
	dir, _ = filepath.Abs(dir)
	r.Kind = store.RequestUpdate
	ended, err := endedState(dir)
	if err != nil {
		return err
	}
	pid, err := a.request(dir, r)
	switch {
	case err != nil:
		return err
	case ended != "":
		fmt.Fprintf(a.Out, "%s ended %s, so nothing changes now: %s is stored for its next `maestro restart`.\n", dir, ended, changes(r))
	case pid > 0:
		fmt.Fprintf(a.Out, "Updated %s (conductor %d applies it on its next cycle).\n", dir, pid)
	default:
		fmt.Fprintf(a.Out, "Updated %s.\n", dir)
	}
	return nil
}

// changes says what an update request sets.
func changes(r store.Request) string {
	var parts []string
	for _, f := range []struct {
		name string
		v    *int
	}{{"throttle", r.Throttle}, {"rlimit", r.RLimit}, {"sleep", r.Sleep}} {
		if f.v != nil {
			parts = append(parts, fmt.Sprintf("%s %d", f.name, *f.v))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
