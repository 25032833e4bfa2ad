package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/adapters/all"
	"github.com/maestro-go/maestro/adapters/bundle"
	"github.com/maestro-go/maestro/api"
	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/store"
)

// ConductorMain runs the conductor command: `conductor [-t N] [-d N] DIR`.
// Its exit status is the study's end: 0 FINISHED, 2 FAILURE, 3 CANCELLED;
// 1 when it could not drive the study, 2 for a wrong flag or argument.
func ConductorMain(args []string, out, errw io.Writer) int {
	o := conductor.Options{Adapters: all.Registry()}
	level := LevelInfo
	http, httpRemote := "", false
	cmd := &cobra.Command{
		Use:   "conductor [flags] DIR",
		Short: "Drive one written study to its end (maestro run starts it detached)",
		Example: "  conductor out/demo              # resume a study in the foreground\n" +
			"  conductor --http :0 out/demo    # and serve its HTTP API",
		Version: Version,
		Args:    nargs(1, 1, "one study directory"),
	}
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		if err := checkBundleFlags(o.Tunables); err != nil {
			return &usageError{err}
		}
		o.Dir, o.Out, o.Debug, o.Attach = args[0], out, level <= LevelDebug, serveAPI(http, httpRemote)
		end, err := conductor.Run(ctx, o)
		if err != nil {
			return &ranError{err}
		}
		if code := exitCode(end); code != ExitOK {
			return &ranError{&exitError{code: code, err: errors.New("")}}
		}
		return nil
	}
	fs := cmd.Flags()
	fs.IntVarP(&o.SleepSecs, "sleeptime", "t", 0, "seconds between scheduler checks (default: the study's setting)")
	fs.IntVarP(&level, "debug_lvl", "d", LevelInfo, "log level: 1 debug ... 5 critical")
	fs.DurationVar(&o.Tunables.CommandLimit, "scheduler-timeout", conductor.DefaultTunables().CommandLimit, "how long one scheduler command may take before it is killed and retried")
	fs.IntVar(&o.Tunables.BundleParallel, "bundle-parallel", 0, "steps a bundle (maestro run --bundle) runs at a time, and asks resources for; 0 = all of them")
	fs.DurationVar(&o.Tunables.BundleLead, "bundle-lead", 0, "how long before a bundle's walltime the scheduler warns it (0 = 60s)")
	fs.DurationVar(&o.Tunables.BundleGrace, "bundle-grace", 0, "how long a step a bundle stops has between TERM and KILL (0 = 10s; keep it below Slurm's KillWait)")
	fs.DurationVar(&o.Tunables.BundleMaxWalltime, "bundle-max-walltime", 0, "cap on a bundle's walltime, e.g. the partition's limit (0 = none)")
	fs.StringVar(&http, "http", "", "serve the HTTP API on HOST:PORT (loopback only, unless --http-remote)")
	fs.BoolVar(&httpRemote, "http-remote", false, "allow --http on a non-loopback address (the API has no authentication)")
	cmd.SetVersionTemplate(fmt.Sprintf("%s\n", conductorVersion))
	return execute(cmd, args, out, errw)
}

// checkBundleFlags checks the conductor's --bundle-* flags.
func checkBundleFlags(t conductor.Tunables) error {
	lead, grace := cmp.Or(t.BundleLead, bundle.DefaultLead), cmp.Or(t.BundleGrace, bundle.DefaultGrace)
	switch {
	case t.BundleParallel < 0:
		return errors.New("--bundle-parallel must be 0 (all of a bundle's steps at once) or more")
	case t.BundleLead < 0 || t.BundleGrace < 0 || t.BundleMaxWalltime < 0:
		return errors.New("--bundle-lead, --bundle-grace and --bundle-max-walltime must be 0 (the default) or more")
	case grace >= lead:
		return fmt.Errorf("--bundle-grace (%s) must be shorter than --bundle-lead (%s)", grace, lead)
	case t.BundleMaxWalltime > 0 && t.BundleMaxWalltime <= lead:
		return fmt.Errorf("--bundle-max-walltime (%s) must be longer than --bundle-lead (%s)", t.BundleMaxWalltime, lead)
	}
	return nil
}

// serveAPI returns the conductor.Options.Attach that serves the HTTP API
// (package api) on addr; nil for none ("").
func serveAPI(addr string, remote bool) func(string, func(), func(string, ...any)) (conductor.Attachment, error) {
	if addr == "" {
		return nil
	}
	return func(dir string, wake func(), logf func(string, ...any)) (conductor.Attachment, error) {
		st, err := store.Open(dir)
		if err != nil {
			return nil, err
		}
		l, err := api.Listen(addr, remote)
		if err != nil {
			return nil, err
		}
		srv := api.New(dir, st, wake)
		go srv.Serve(l)
		logf("%shttp://%s", apiLogPrefix, l.Addr())
		return srv, nil
	}
}

// conductorVersion is what `conductor --version` prints: maestro checks it
// before starting a conductor binary, to be sure it starts its own.
var conductorVersion = "conductor " + Version + " (maestro-go)"
