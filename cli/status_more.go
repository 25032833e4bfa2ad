package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
)

// failedStates are the end states that count as a failure.
var failedStates = map[state.State]bool{state.Failed: true, state.TimedOut: true, state.HWFailure: true,
	state.NotFound: true, state.Unknown: true, state.Incomplete: true}

// statusFailed prints, for each failed step, its exit code and reason and
// the last lines of its stderr.
func (a *App) statusFailed(dirs []string, lines int) error {
	if len(dirs) == 0 {
		return errors.New("status --failed needs at least one study directory")
	}
	return a.eachStudy(dirs, func(snap *status.Snapshot) error {
		n := 0
		for i := range snap.Steps {
			info, st := &snap.Steps[i], &snap.Status[i]
			if !failedStates[st.State] {
				continue
			}
			n++
			code := "unknown"
			if st.ExitCode != nil {
				code = fmt.Sprint(*st.ExitCode)
			}
			fmt.Fprintf(a.Out, "%s  %s  job %s, exit code %s\n", st.State, info.Name, orDash(st.JobID), code)
			if st.Reason != "" {
				fmt.Fprintf(a.Out, "  reason: %s\n", st.Reason)
			}
			if errFile := status.ErrFile(snap.Dir, info, st); errFile != "" {
				fmt.Fprintf(a.Out, "  stderr: %s\n", errFile)
				for _, l := range status.Tail(errFile, lines) {
					fmt.Fprintf(a.Out, "  | %s\n", l)
				}
			}
		}
		if n == 0 {
			fmt.Fprintf(a.Out, "No failed steps in %s.\n", snap.Dir)
		}
		return nil
	})
}

func orDash(s string) string {
	if s == "" {
		return "--"
	}
	return s
}

// statusAPI reads a study from a conductor's HTTP API.
func (a *App) statusAPI(o statusOptions) error {
	base := strings.TrimSuffix(o.apiURL, "/")
	if !strings.Contains(base, "://") { // HOST:PORT, as given to --http
		base = "http://" + base
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(base + "/api/v1/state")
	if err != nil {
		return fmt.Errorf("cannot reach the conductor's API: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("the conductor's API answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if o.json {
		_, err := io.Copy(a.Out, resp.Body)
		return err
	}
	t, err := status.TableFromJSON(resp.Body)
	if err != nil {
		return err
	}
	render, err := layout(o.layout)
	if err != nil {
		return err
	}
	var theme status.Theme
	if isTerminal(a.Out) && !o.disableTheme && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" {
		theme = status.NewTheme(lipgloss.NewRenderer(a.Out))
	}
	render(a.Out, t, theme)
	return nil
}
