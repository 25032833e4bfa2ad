package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/maestro-go/maestro/conductor"
)

// ConductorMain runs the conductor command: `conductor [-t N] [-d N] DIR`.
// Its exit status is the study's end: 0 FINISHED, 2 FAILURE, 3 CANCELLED.
func ConductorMain(args []string, out, errw io.Writer) int {
	fs := pflag.NewFlagSet("conductor", pflag.ContinueOnError)
	fs.SetOutput(errw)
	sleep := fs.IntP("sleeptime", "t", 0, "seconds between scheduler checks (default: the study's setting)")
	level := fs.IntP("debug_lvl", "d", LevelInfo, "log level: 1 debug ... 5 critical")
	fs.DurationVar(&conductor.CommandLimit, "scheduler-timeout", conductor.CommandLimit, "how long one scheduler command may take before it is killed and retried")
	httpAddr := fs.String("http", "", "serve the HTTP API on HOST:PORT (loopback only, unless --http-remote)")
	httpRemote := fs.Bool("http-remote", false, "allow --http on a non-loopback address (the API has no authentication)")
	fs.Usage = func() { fmt.Fprintf(errw, "usage: conductor [-t N] [-d N] DIR\n%s", fs.FlagUsages()) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return ExitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	end, err := conductor.Run(ctx, conductor.Options{Dir: fs.Arg(0), SleepSecs: *sleep, Out: out, Debug: *level <= LevelDebug,
		HTTP: *httpAddr, HTTPRemote: *httpRemote})
	if err != nil {
		fmt.Fprintln(errw, "conductor:", oneLine(err.Error()))
		return ExitError
	}
	return exitCode(end)
}
