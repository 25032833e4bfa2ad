package tui

import (
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"

	"github.com/maestro-go/maestro/store"
)

// Run shows the study in dir (an absolute path) live on the terminal out
// until the user quits. The caller checks that out is a terminal. Keys
// come from stdin when it is a terminal, else from /dev/tty.
func Run(s *store.Store, dir string, out *os.File, opt Options) error {
	d, err := Load(s, dir)
	if err != nil {
		return err
	}
	if src, ok := opt.Source.(StoreSource); ok && src.Liveness != nil {
		d.Conductor = src.Liveness(dir, d.State)
	}
	if opt.Renderer == nil {
		opt.Renderer = lipgloss.NewRenderer(out)
		if os.Getenv("NO_COLOR") != "" {
			opt.Renderer = lipgloss.NewRenderer(io.Discard) // no colours, as for a pipe
		}
	}
	if opt.Source == nil {
		opt.Source = StoreSource{Store: s, Dir: dir}
	}
	opts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithOutput(out)}
	if !isatty.IsTerminal(os.Stdin.Fd()) {
		opts = append(opts, tea.WithInputTTY())
	}
	_, err = tea.NewProgram(New(d, opt), opts...).Run()
	return err
}
