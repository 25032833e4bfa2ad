package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/state"
)

const outageSpec = `description: {name: outage, description: Slurm goes away and comes back}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
  - name: fan
    description: six Slurm jobs
    run: {cmd: "sleep 2; echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}
  - name: funnel
    description: local, after the fan
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", depends: [fan_*]}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6], label: X.%%}
`

// TestSchedulerOutage runs a study on the real Slurm cluster while wrappers
// on PATH make sbatch and squeue fail, then hang, for a while: the study
// still completes with every step FINISHED, once.
func TestSchedulerOutage(t *testing.T) {
	if ok, err := haveSlurm(); !ok {
		if err != nil {
			t.Fatal(err)
		}
		t.Skip("no Slurm cluster")
	}
	dir := t.TempDir()
	bin, ctl := filepath.Join(dir, "bin"), filepath.Join(dir, "mode")
	os.Mkdir(bin, 0o755)
	for _, name := range []string{"sbatch", "squeue"} {
		real, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		wrapper := `#!/bin/bash
case "$(cat ` + ctl + ` 2>/dev/null)" in
  fail) echo "` + name + `: error: Unable to contact slurm controller (connect failure)" >&2; exit 1 ;;
  hang) sleep 3600 ;;
esac
exec ` + real + ` "$@"
`
		if err := os.WriteFile(filepath.Join(bin, name), []byte(wrapper), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mode := func(m string) { os.WriteFile(ctl, []byte(m), 0o644) }
	specPath := filepath.Join(dir, "study.yaml")
	os.WriteFile(specPath, []byte(outageSpec), 0o644)
	study := filepath.Join(dir, "study")
	writeStudy(t, specPath, study)

	mode("fail")
	cmd := conductorCmd(study)
	cmd.Args = []string{"conductor", "-t", "1", "--scheduler-timeout", "2s", study}
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for _, phase := range []struct {
		mode string
		d    time.Duration
	}{{"fail", 5 * time.Second}, {"ok", 3 * time.Second}, {"hang", 6 * time.Second}, {"fail", 3 * time.Second}, {"ok", 0}} {
		mode(phase.mode)
		time.Sleep(phase.d)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the study did not end in 3 minutes:\n%s", out)
	}
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s:\n%s", s, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "ledger"))
	for _, step := range []string{"fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.5", "fan_X.6", "funnel"} {
		if n := strings.Count(string(data), step+"\n"); n != 1 {
			t.Errorf("%s ran %d times", step, n)
		}
	}
	for _, want := range []string{"pausing submissions", "answers again"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the conductor log does not say %q:\n%s", want, out)
		}
	}
}
