package adaptertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// Want is the status a parser should report for one job; Code -1 means no
// exit code.
type Want struct {
	State  state.State
	Code   int
	Reason string
}

// CheckStatuses compares what a parser of scheduler output returned with
// what it should have, job by job.
func CheckStatuses[K comparable](t testing.TB, got map[K]adapters.Status, wants map[K]Want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d jobs, want %d: %v", len(got), len(wants), got)
	}
	for id, w := range wants {
		g, ok := got[id]
		name := fmt.Sprint(id)
		if !ok {
			t.Errorf("job %s missing", name)
			continue
		}
		if g.State != w.State || g.Reason != w.Reason {
			t.Errorf("job %s: %s (%q), want %s (%q)", name, g.State, g.Reason, w.State, w.Reason)
		}
		switch {
		case w.Code < 0 && g.ExitCode != nil:
			t.Errorf("job %s: exit code %d, want none", name, *g.ExitCode)
		case w.Code >= 0 && (g.ExitCode == nil || *g.ExitCode != w.Code):
			t.Errorf("job %s: exit code %v, want %d", name, g.ExitCode, w.Code)
		}
	}
}

// Testdata returns testdata/<dir>/<name> of the repository (from an
// adapter package) without its comment lines: files of scheduler output
// start with a "# " line naming the command that produced it.
func Testdata(t testing.TB, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if !strings.HasPrefix(lines[0], "# ") {
		t.Fatalf("%s must start with a comment naming the command that produced it", name)
	}
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "# ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
