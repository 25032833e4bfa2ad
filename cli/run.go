package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/gcbudget"
	"github.com/maestro-go/maestro/pgen"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/study"
)

// runOptions are the flags of `maestro run`.
type runOptions struct {
	attempts, rlimit, throttle, sleep int
	bundle                            int
	dry, hashws, yes, no, usetmp, arr bool
	bundleSet                         bool // --bundle was given
	pgen, out                         string
	pargs                             []string
	launch                            launchOptions

	// heapBudget is how large the heap may grow between collections
	// while the study is read and written (gcbudget); 0 leaves the
	// collector alone.
	heapBudget uint64
}

// runHeapBudget is runOptions.heapBudget: a million-step study is written
// with a live heap of about 350 MiB, within 1 GiB of memory in all
// (docs/BENCHMARKS.md).
const runHeapBudget = 768 << 20

func (a *App) runCommand() *cobra.Command {
	o := runOptions{heapBudget: runHeapBudget}
	cmd := &cobra.Command{
		Use:   "run [flags] SPEC",
		Short: "Write a study from its YAML spec and launch its conductor",
		Example: "  maestro run -y study.yaml                 # detached; prints the study directory\n" +
			"  maestro run -fg -y -o out/demo study.yaml # in the foreground, into out/demo",
		Args:              nargs(1, 1, "exactly one study spec"),
		ValidArgsFunction: completeFiles("yaml", "yml"),
	}
	cmd.RunE = body(func(args []string) error {
		o.bundleSet = cmd.Flags().Changed("bundle")
		return a.run(&o, args)
	})
	fs := cmd.Flags()
	fs.IntVarP(&o.attempts, "attempts", "a", 1, "submission attempts (>= 1) before a step is marked FAILED")
	fs.IntVarP(&o.rlimit, "rlimit", "r", 1, "restarts (>= 0) of a timed-out step with a restart cmd; 0 = unlimited")
	fs.IntVarP(&o.throttle, "throttle", "t", 0, "max jobs in flight (>= 0); 0 = no limit")
	fs.IntVarP(&o.sleep, "sleeptime", "s", 60, "seconds between scheduler status checks")
	fs.BoolVar(&o.dry, "dry", false, "write the study directory and every script; launch nothing")
	fs.StringVarP(&o.pgen, "pgen", "p", "", "Python parameter generator file; replaces global.parameters")
	fs.StringArrayVar(&o.pargs, "pargs", nil, "KEY:VALUE argument for the pgen (repeatable)")
	fs.StringVarP(&o.out, "out", "o", "", "exact study directory (no timestamp); overrides OUTPUT_PATH")
	o.launch.flags(fs)
	fs.BoolVar(&o.hashws, "hashws", false, "name parameterized workspaces by the md5 of their combination")
	fs.BoolVarP(&o.yes, "autoyes", "y", false, "answer yes to every prompt")
	fs.BoolVarP(&o.no, "autono", "n", false, "answer no to every prompt")
	fs.BoolVar(&o.usetmp, "usetmp", false, "write scripts to a temporary directory removed at the end")
	fs.BoolVar(&o.arr, "array", false, "submit the expansions of a step that are ready together as job arrays (Slurm; Flux steps that are not nested), each step still tracked on its own")
	fs.IntVar(&o.bundle, "bundle", 0, "run up to K ready scheduled steps that ask for the same resources in one scheduler job, each step still tracked on its own")
	cmd.RegisterFlagCompletionFunc("pgen", completeFiles("py"))
	cmd.MarkFlagDirname("out")
	return cmd
}

func (a *App) run(o *runOptions, args []string) error {
	if err := o.check(); err != nil {
		return &usageError{err}
	}
	restoreGC := gcbudget.Set(o.heapBudget)
	defer restoreGC()
	s, err := spec.Load(args[0])
	if err != nil {
		return err
	}
	for _, w := range s.Warnings {
		a.Log.Debugf("%s", w)
	}
	opt := study.Options{Adapters: a.Adapters, Out: o.out, HashWS: o.hashws, Dry: o.dry, UseTmp: o.usetmp, Pgen: o.pgen, Now: a.Now(),
		Settings: store.Settings{Attempts: o.attempts, RLimit: o.rlimit, Throttle: o.throttle, SleepSecs: o.sleep, Array: o.arr, Bundle: o.bundle}}
	dir, err := study.Dir(s, opt)
	if err != nil {
		return err
	}
	if o.pgen != "" {
		pargs, err := parsePargs(o.pargs)
		if err != nil {
			return err
		}
		if s.Params, err = pgen.Run(pgen.Request{File: o.pgen, Spec: s, Pargs: pargs, OutputPath: dir, Stdout: a.Out}); err != nil {
			return err
		}
	}
	opt.Progress = writeProgress(a.Err)
	st, err := study.New(s, dir, opt)
	if err != nil {
		return err
	}
	for _, w := range st.Warnings {
		a.Log.Warnf("%s", w)
	}
	yes := o.yes || o.dry
	replace, err := checkOut(st, args[0], o.pgen)
	if err != nil {
		return err
	}
	if replace {
		if o.no || !yes && !a.ask("Output path already exists. Would you like to overwrite it? [yn] ") {
			fmt.Fprintln(a.Out, "Opting to quit -- not cleaning up old out path.")
			return nil
		}
	}
	if !o.dry {
		if err := o.launch.prepare(); err != nil {
			return err
		}
	}
	if !yes && !o.no {
		how := "run locally"
		if t := s.Batch.Type; t != "" && t != "local" {
			how = "submitted through " + t
		}
		fmt.Fprintf(a.Out, "Study '%s': %s, %s, to be written to %s\n", s.Name, status.Steps(len(st.Graph.Nodes)), how, dir)
	}
	if o.no || !yes && !a.ask("Would you like to launch the study? [yn] ") {
		fmt.Fprintln(a.Out, "Opting to quit -- nothing was written.")
		return nil
	}
	// From here until the new study's conductor holds it, no other run
	// writes into the same parent directory.
	unlock, err := study.LockParent(dir)
	if err != nil {
		return err
	}
	defer unlock()
	o.launch.started = unlock
	switch {
	case st.Exists() && !replace:
		return fmt.Errorf("%s appeared while this run was asking; refusing to replace it", dir)
	case st.Exists():
		if err := removeStudy(st, args[0], o.pgen); err != nil {
			return err
		}
	}
	if err := st.Write(a.Environ()); err != nil {
		return err
	}
	restoreGC() // the conductor of -fg paces its own heap
	if o.dry {
		fmt.Fprintf(a.Out, "Dry run: %s written to %s\n", status.Steps(len(st.Graph.Nodes)), dir)
		return nil
	}
	return a.launch(dir, study.Stem(s.Name), o.launch)
}

func (o *runOptions) check() error {
	switch {
	case o.attempts < 1:
		return errors.New("--attempts must be at least 1")
	case o.rlimit < 0:
		return errors.New("--rlimit must be 0 (unlimited) or more")
	case o.throttle < 0:
		return errors.New("--throttle must be 0 (no limit) or more")
	case o.sleep < 0:
		return errors.New("--sleeptime must be 0 or more seconds")
	case o.bundleSet && o.bundle < 1:
		return fmt.Errorf("--bundle must be at least 1 (steps per scheduler job), not %d", o.bundle)
	case o.bundleSet && o.arr:
		return errors.New("--bundle and --array cannot be used together: choose job arrays or bundles")
	case len(o.pargs) > 0 && o.pgen == "":
		return errors.New("--pargs needs --pgen: the arguments are for a parameter generator")
	case o.yes && o.no:
		return errors.New("choose one of --autoyes and --autono")
	}
	return nil
}

// singleDashLong rewrites the Python tool's single-dash long flags (-fg) so
// that pflag does not read them as a cluster of short flags.
func singleDashLong(args []string, names ...string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		for _, n := range names {
			if a == "-"+n {
				out[i] = "--" + n
			}
		}
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
	}
	return out
}

// checkOut says whether the study's directory exists, and refuses one
// that may not be replaced (Study.CheckReplace). It looks under the
// parent's lock, so that a study another run is writing there is seen
// once it is written, not half-way.
func checkOut(st *study.Study, inputs ...string) (exists bool, err error) {
	unlock, err := study.LockParent(st.Dir)
	if err != nil {
		return false, err
	}
	defer unlock()
	if !st.Exists() {
		return false, nil
	}
	return true, st.CheckReplace(inputs...)
}

// removeStudy deletes an existing study the user chose to overwrite,
// refusing while a conductor is driving it.
func removeStudy(st *study.Study, inputs ...string) error {
	if pid := conductor.Running(st.Dir); pid != 0 {
		return fmt.Errorf("%s is being run by conductor pid %d; cancel it first (maestro cancel %s)", st.Dir, pid, st.Dir)
	}
	return st.Remove(inputs...)
}

// parsePargs splits KEY:VALUE pairs at the first colon, stripping both.
func parsePargs(pargs []string) (map[string]string, error) {
	out := make(map[string]string, len(pargs))
	for _, p := range pargs {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("--pargs '%s' is not KEY:VALUE", p)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}
