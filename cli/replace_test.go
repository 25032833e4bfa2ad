package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/maestro-go/maestro/conductor"
)

// Two `maestro run -y -o SAME` at once: one launches, the other finds the
// path taken (by the study of the first, or its conductor) and refuses; no
// study is lost.
func TestConcurrentRunsSameOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	for _, name := range []string{"maestro", "conductor"} {
		if err := os.Symlink(os.Args[0], filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	specPath := filepath.Join(dir, "s.yaml")
	os.WriteFile(specPath, []byte(`description: {name: slow, description: runs a while}
study:
  - {name: wait, description: waits, run: {cmd: "sleep 30"}}
`), 0o644)
	out := filepath.Join(dir, "out")
	var wg sync.WaitGroup
	results := make([]string, 2)
	errs := make([]error, 2)
	for k := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(filepath.Join(bin, "maestro"), "run", "-y", "-o", out, specPath)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
			b, err := cmd.CombinedOutput()
			results[k], errs[k] = string(b), err
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		// The conductor must be gone before the directory is removed: it
		// writes its last state and log once it has cancelled.
		cancelStudy(out)
		waitFor(t, "the cancelled study's conductor to exit", func() bool { return conductor.Running(out) <= 0 })
	})
	launched := 0
	for k := range results {
		if strings.Contains(results[k], "launched") {
			launched++
			continue
		}
		refused := strings.Contains(results[k], "is being run by conductor") || strings.Contains(results[k], "appeared while this run was asking")
		if errs[k] == nil || !refused {
			t.Errorf("the other run: %v\n%s", errs[k], results[k])
		}
	}
	if launched != 1 {
		t.Fatalf("%d runs say launched:\n%s\n%s", launched, results[0], results[1])
	}
	if pid := conductor.Running(out); pid <= 0 {
		t.Fatalf("no conductor drives the launched study (%d)", pid)
	}
}
