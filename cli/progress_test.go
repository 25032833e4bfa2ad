package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Writing a large study off a terminal shows no progress bar: nothing on
// stderr, and no callback at all.
func TestWriteProgressOffTerminal(t *testing.T) {
	var errw bytes.Buffer
	if writeProgress(&errw) != nil {
		t.Fatal("a progress callback for a buffer")
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	if writeProgress(devnull) != nil {
		t.Fatal("a progress callback for /dev/null")
	}
	dir := t.TempDir()
	vals := make([]string, 2*progressFrom)
	for i := range vals {
		vals[i] = fmt.Sprint(i)
	}
	specPath := filepath.Join(dir, "big.yaml")
	text := "description: {name: big, description: big}\nstudy:\n  - {name: a, description: a, run: {cmd: echo $(N)}}\n" +
		"global.parameters:\n  N: {values: [" + strings.Join(vals, ", ") + "], label: N.%%}\n"
	if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := Main([]string{"run", "--dry", "-y", "-o", filepath.Join(dir, "s"), specPath}, strings.NewReader(""), &out, &errw); code != 0 {
		t.Fatalf("exit %d: %s", code, errw.String())
	}
	if errw.Len() != 0 {
		t.Errorf("stderr off a terminal: %q", errw.String())
	}
	if !strings.Contains(out.String(), "Dry run: 2000 steps written") {
		t.Errorf("stdout %q", out.String())
	}
}
