package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/tui"
)

// dryStudy launches a --dry fan study of n values (n+1 steps) once for a
// benchmark and its sub-benchmarks.
func dryStudy(b *testing.B, n int) string {
	dir := benchDir(b)
	specPath := writeFanSpec(b, dir, n)
	study := filepath.Join(dir, "study")
	if code := Main([]string{"run", "--dry", "-o", study, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
		b.Fatalf("run --dry: exit %d", code)
	}
	return study
}

// BenchmarkStatusJSON measures `maestro status --json` of a 100,000-step
// study, written to io.Discard (target: at most 1 s).
func BenchmarkStatusJSON(b *testing.B) {
	const n = 100_000
	study := dryStudy(b, n)
	b.Run(fmt.Sprintf("steps=%d", n+1), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if code := Main([]string{"status", "--json", study}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
				b.Fatalf("exit %d", code)
			}
		}
	})
}

// BenchmarkWatchFirstFrame measures `maestro status --watch` of a
// 100,000-step study from opening the study to the first frame (target:
// at most 0.5 s).
func BenchmarkWatchFirstFrame(b *testing.B) {
	const n = 100_000
	study := dryStudy(b, n)
	b.Run(fmt.Sprintf("steps=%d", n+1), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s, err := store.Open(study)
			if err != nil {
				b.Fatal(err)
			}
			d, err := tui.Load(s, study)
			if err != nil {
				b.Fatal(err)
			}
			m := tui.New(d, tui.Options{})
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
			if v := m.View(); !strings.Contains(v, "sim_X.") {
				b.Fatalf("first frame lacks the steps:\n%s", v)
			}
		}
	})
}
