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
	"github.com/mattn/go-isatty"

	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

type statusOptions struct {
	layout                    string
	disableTheme, disablePage bool
}

func (a *App) status(args []string) error {
	var o statusOptions
	fs := a.flagSet("status", "[--layout flat|narrow|legacy] [--disable-theme] [--disable-pager] DIR...")
	fs.StringVar(&o.layout, "layout", "flat", "table layout: flat, narrow or legacy")
	fs.BoolVar(&o.disableTheme, "disable-theme", false, "print without colours")
	fs.BoolVar(&o.disablePage, "disable-pager", false, "print straight to the terminal, without a pager")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("status needs at least one study directory")
	}
	render, ok := map[string]func(io.Writer, *status.Table, status.Theme){
		"flat": status.Flat, "narrow": status.Narrow, "legacy": status.Legacy}[o.layout]
	if !ok {
		return fmt.Errorf("unknown --layout '%s' (have %s)", o.layout, strings.Join(status.Layouts, ", "))
	}
	tty := isTerminal(a.Out)
	var theme status.Theme
	if tty && !o.disableTheme && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" {
		theme = status.NewTheme(lipgloss.NewRenderer(a.Out))
	}
	var buf bytes.Buffer
	failed := 0
	for _, dir := range fs.Args() {
		t, err := loadTable(dir, a)
		if err != nil {
			failed++
			fmt.Fprintf(a.Err, "maestro: %s\n", oneLine(err.Error()))
			continue
		}
		render(&buf, t, theme)
	}
	if tty && !o.disablePage && os.Getenv("TERM") != "dumb" {
		page(buf.Bytes(), a.Out)
	} else {
		a.Out.Write(buf.Bytes())
	}
	if failed > 0 {
		return errQuiet
	}
	return nil
}

// loadTable reads the status of the study in dir.
func loadTable(dir string, a *App) (*status.Table, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("No status to report -- %s is not a study directory", dir)
	}
	s, err := store.Open(abs)
	if errors.Is(err, store.ErrNoStudy) {
		return nil, fmt.Errorf("No status to report -- %s holds no study", dir)
	}
	if err != nil {
		return nil, err
	}
	_, st, rows, err := status.Load(s, a.Now())
	if err != nil {
		return nil, err
	}
	return &status.Table{Title: abs, State: st, Rows: rows}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// page shows text through $PAGER (else less -R), falling back to printing.
func page(text []byte, out io.Writer) {
	pager := os.Getenv("PAGER")
	if pager == "" {
		pager = "less -R"
	}
	cmd := exec.Command("sh", "-c", pager)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(text), out, os.Stderr
	if err := cmd.Run(); err != nil {
		out.Write(text)
	}
}
