package cli

import (
	"errors"
	"fmt"
	"os"

	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/state"
)

// mountTmpfs mounts a tmpfs of size bytes at dir for the test; it skips
// where mounting is not allowed (not root), unless CI requires it.
func mountTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		if os.Getenv("MAESTRO_REQUIRE_TMPFS") == "1" {
			t.Fatalf("MAESTRO_REQUIRE_TMPFS=1 but a tmpfs cannot be mounted: %v", err)
		}
		t.Skipf("cannot mount a tmpfs (%v): run as root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// syncBuffer collects a process's output for reading while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A study on a disk that fills up while it runs: the conductor submits
// nothing more while it cannot record, holds what it knows, and once there
// is room again the study ends FINISHED with every step run exactly once.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	fs := filepath.Join(dir, "fs")
	mountTmpfs(t, fs, 8<<20)
	const n = 30
	specPath := filepath.Join(dir, "study.yaml")
	os.WriteFile(specPath, []byte(fanSpecLocal(n)), 0o644)
	study := filepath.Join(fs, "study")
	writeStudy(t, specPath, study)

	cmd := conductorCmd(study)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ledger := func() int { return strings.Count(readFile(filepath.Join(dir, "ledger")), "\n") }
	waitFor(t, "5 steps to run", func() bool { return ledger() >= 5 })

	filler, err := os.Create(filepath.Join(fs, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	filler.Close()
	waitFor(t, "the conductor to find the disk full", func() bool { return strings.Contains(out.String(), "submissions stop until a write succeeds") })
	full := ledger()
	// Give a conductor that would go on submitting a moment to show it.
	select {
	case err := <-exited:
		t.Fatalf("the conductor exited on a full disk (%v):\n%s", err, out)
	case <-time.After(3 * time.Second):
	}
	if ran := ledger() - full; ran > 2 {
		t.Errorf("%d steps ran while nothing could be recorded", ran)
	}
	os.Remove(filepath.Join(fs, "filler"))
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the study did not end once there was room:\n%s", out)
	}
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s:\n%s", s, out)
	}
	checkOnce(t, dir, fanNames(n))
	if !strings.Contains(out.String(), "submissions resume") {
		t.Errorf("the log does not say submissions resumed:\n%s", out)
	}
}

func fanSpecLocal(n int) string {
	var vals []string
	for i := 1; i <= n; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	return `description: {name: fulldisk, description: the disk fills up}
study:
  - name: fan
    description: local steps
    run: {cmd: "sleep 0.3; echo fan_X.$(X) >> $(SPECROOT)/ledger"}
global.parameters:
  X: {values: [` + strings.Join(vals, ", ") + `], label: X.%%}
`
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

// waitFor waits up to two minutes for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 2 minutes for %s", what)
		}
	}
}
