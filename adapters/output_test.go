package adapters

import (
	"os"
	"path/filepath"
	"testing"
)

// Each earlier run's output is kept, numbered in order, and a first
// submission moves nothing.
func TestKeepOutputNumbersEarlierRuns(t *testing.T) {
	ws := t.TempDir()
	if err := KeepOutput(ws, "s"); err != nil {
		t.Fatal(err)
	}
	run := func(text string) {
		for _, ext := range []string{".out", ".err"} {
			if err := os.WriteFile(filepath.Join(ws, "s"+ext), []byte(text+ext), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, text := range []string{"first", "second", "third"} {
		if err := KeepOutput(ws, "s"); err != nil {
			t.Fatal(err)
		}
		run(text)
	}
	want := map[string]string{"s.out.1": "first.out", "s.err.1": "first.err", "s.out.2": "second.out",
		"s.err.2": "second.err", "s.out": "third.out", "s.err": "third.err"}
	entries, _ := os.ReadDir(ws)
	if len(entries) != len(want) {
		t.Errorf("%d files in the workspace, want %d", len(entries), len(want))
	}
	for name, text := range want {
		got, err := os.ReadFile(filepath.Join(ws, name))
		if err != nil || string(got) != text {
			t.Errorf("%s = %q (%v), want %q", name, got, err, text)
		}
	}
}
