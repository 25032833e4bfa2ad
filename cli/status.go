package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/tui"
)

type statusOptions struct {
	layout                    string
	disableTheme, disablePage bool
	json, watch, failed       bool
	apiURL                    string
	lines                     int
}

// errWatchTTY is the one line --watch prints without a terminal.
var errWatchTTY = errors.New("--watch needs a terminal; use maestro status or --json")

func (a *App) statusCommand() *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:   "status [flags] DIR...",
		Short: "Show the state of each step of one or more studies",
		Example: "  maestro status out/demo\n" +
			"  maestro status --watch out/demo   # live; ? shows the keys\n" +
			"  maestro status --json out/demo | jq .state",
		ValidArgsFunction: completeStudies(-1),
	}
	cmd.RunE = body(func(args []string) error { return a.status(o, args) })
	fs := cmd.Flags()
	fs.StringVar(&o.layout, "layout", "flat", "table layout: flat, narrow or legacy")
	fs.BoolVar(&o.disableTheme, "disable-theme", false, "print without colours")
	fs.BoolVar(&o.disablePage, "disable-pager", false, "print straight to the terminal, without a pager")
	fs.BoolVar(&o.json, "json", false, "print each study as one JSON document per line (docs/STATUS.md)")
	fs.BoolVar(&o.watch, "watch", false, "show one study live in the terminal; q quits")
	fs.BoolVar(&o.failed, "failed", false, "show each failed step's exit code, reason and the end of its stderr")
	fs.IntVar(&o.lines, "lines", 10, "with --failed, how many lines of stderr to show")
	fs.StringVar(&o.apiURL, "api-url", "", "read the study from a conductor's HTTP API (conductor --http URL) instead of a directory")
	cmd.RegisterFlagCompletionFunc("layout", cobra.FixedCompletions(status.Layouts, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *App) status(o statusOptions, args []string) error {
	render, err := layout(o.layout)
	if err != nil {
		return &usageError{err}
	}
	if o.watch {
		return a.watch(args, o)
	}
	if o.apiURL != "" {
		return a.statusAPI(o)
	}
	if o.failed {
		return a.statusFailed(args, o.lines)
	}
	if len(args) == 0 {
		return usagef("status needs at least one study directory")
	}
	if o.json {
		return a.statusJSON(args)
	}
	tty := isTerminal(a.Out)
	var theme status.Theme
	if tty && !o.disableTheme && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" {
		theme = status.NewTheme(lipgloss.NewRenderer(a.Out))
	}
	cols, rows := 0, 0
	if tty {
		cols, rows, _ = term.GetSize(a.Out.(*os.File).Fd())
	}
	var buf bytes.Buffer
	err = a.eachStudy(args, func(snap *status.Snapshot) error {
		render(&buf, &status.Table{Title: snap.Dir, State: snap.State, Rows: status.Rows(snap, a.Now()),
			Conductor: snap.Conductor, Width: cols}, theme)
		return nil
	})
	if tty && !o.disablePage && os.Getenv("TERM") != "dumb" && !fits(buf.Bytes(), cols, rows) {
		page(buf.Bytes(), a.Out)
	} else {
		a.Out.Write(buf.Bytes())
	}
	return err
}

// fits reports whether text fits a terminal of cols x rows whole, with a
// line to spare for the prompt: then it needs no pager (as less -F
// decides).
func fits(text []byte, cols, rows int) bool {
	if cols <= 0 || rows <= 0 {
		return false
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if len(lines) > rows-1 {
		return false
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > cols {
			return false
		}
	}
	return true
}

// layout returns the renderer of a --layout name.
func layout(name string) (func(io.Writer, *status.Table, status.Theme), error) {
	render, ok := map[string]func(io.Writer, *status.Table, status.Theme){
		"flat": status.Flat, "narrow": status.Narrow, "legacy": status.Legacy}[name]
	if !ok {
		return nil, fmt.Errorf("unknown --layout '%s' (have %s)", name, strings.Join(status.Layouts, ", "))
	}
	return render, nil
}

// statusJSON writes one JSON document per study, one per line (JSON
// Lines), in the order given.
func (a *App) statusJSON(dirs []string) error {
	var s *store.Store
	head := func(st *store.Store, abs string) (*status.Snapshot, error) { s = st; return status.ReadHead(st, abs) }
	return a.eachStudyRead(dirs, head, func(snap *status.Snapshot) error { return status.StreamJSON(a.Out, s, snap, a.Now()) })
}

// eachStudy reads each study directory and hands it to fn, in order; a
// directory without a study is reported on stderr and skipped, and makes
// the exit status non-zero.
func (a *App) eachStudy(dirs []string, fn func(*status.Snapshot) error) error {
	read := func(s *store.Store, abs string) (*status.Snapshot, error) { return status.ReadSnapshot(s, abs, nil) }
	return a.eachStudyRead(dirs, read, fn)
}

// eachStudyRead is eachStudy with the snapshot read by read.
func (a *App) eachStudyRead(dirs []string, read func(*store.Store, string) (*status.Snapshot, error), fn func(*status.Snapshot) error) error {
	failed := false
	for _, dir := range dirs {
		abs, s, err := openStatusStudy(dir)
		var snap *status.Snapshot
		if err == nil {
			snap, err = read(s, abs)
		}
		if err == nil {
			snap.Conductor = liveness(abs, snap.State)
		}
		if err != nil {
			failed = true
			fmt.Fprintf(a.Err, "maestro: %s\n", oneLine(err.Error()))
			continue
		}
		if err := fn(snap); err != nil {
			return err
		}
	}
	if failed {
		return errQuiet
	}
	return nil
}

// watch shows one study live; without a terminal it stops at once.
func (a *App) watch(dirs []string, o statusOptions) error {
	switch {
	case o.json:
		return usagef("--watch and --json do not go together; --json prints once")
	case len(dirs) != 1:
		return usagef("--watch shows one study: give one study directory")
	}
	if !isTerminal(a.Out) || os.Getenv("TERM") == "dumb" {
		return errWatchTTY
	}
	abs, s, err := openStatusStudy(dirs[0])
	if err != nil {
		return err
	}
	opt := tui.Options{Now: a.Now, Source: tui.StoreSource{Store: s, Dir: abs, Liveness: liveness}}
	if o.disableTheme {
		opt.Renderer = lipgloss.NewRenderer(io.Discard) // styles that print plain text
	}
	return tui.Run(s, abs, a.Out.(*os.File), opt)
}

// liveness says whether a conductor drives the study in dir, in state s
// (see status.Snapshot.Conductor).
func liveness(dir string, s state.Study) string {
	switch {
	case conductor.Running(dir) != 0:
		return status.ConductorRunning
	case s == state.StudyRunning:
		return status.ConductorGone
	}
	return status.ConductorNone
}

// openStatusStudy opens the study in dir, returning its absolute path.
func openStatusStudy(dir string) (string, *store.Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return "", nil, fmt.Errorf("No status to report -- %s is not a study directory", dir)
	}
	s, err := store.Open(abs)
	if errors.Is(err, store.ErrNoStudy) {
		return "", nil, fmt.Errorf("No status to report -- %s holds no study", dir)
	}
	if err != nil {
		return "", nil, err
	}
	return abs, s, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// page shows text through $PAGER (else less), falling back to printing.
// Unless $LESS says otherwise, less runs as git runs it, with FRX: it quits
// when the text fits one screen, keeps colours, and leaves the text on the
// screen when it ends.
func page(text []byte, out io.Writer) {
	pager := os.Getenv("PAGER")
	if pager == "" {
		pager = "less"
	}
	cmd := exec.Command("sh", "-c", pager)
	if _, set := os.LookupEnv("LESS"); !set {
		cmd.Env = append(os.Environ(), "LESS=FRX")
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(text), out, os.Stderr
	if err := cmd.Run(); err != nil {
		out.Write(text)
	}
}
