package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// The crash tests kill the conductor with SIGKILL at random moments of a
// study, start it again each time, and check that every step ran exactly
// once (each appends its name to a ledger as its last act) and that the
// study ends FINISHED.

const crashLocalSpec = `description: {name: crash, description: killed conductors}
study:
  - name: first
    description: starts the study
    run: {cmd: "sleep 0.2; echo first >> $(SPECROOT)/ledger"}
  - name: fan
    description: ten local steps
    run:
      cmd: "sleep 1.$(X); echo fan_X.$(X) >> $(SPECROOT)/ledger"
      depends: [first]
  - name: funnel
    description: after the fan
    run: {cmd: "sleep 0.3; echo funnel >> $(SPECROOT)/ledger", depends: [fan_*]}
  - name: last
    description: after the funnel
    run: {cmd: "echo last >> $(SPECROOT)/ledger", depends: [funnel]}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 5], label: X.%%}
`

const crashSlurmSpec = `description: {name: crash_slurm, description: killed conductors on Slurm}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
  - name: first
    description: local start
    run: {cmd: "echo first >> $(SPECROOT)/ledger"}
  - name: fan
    description: eight Slurm jobs
    run:
      cmd: "sleep 5; echo fan_X.$(X) >> $(SPECROOT)/ledger"
      depends: [first]
      procs: 1
  - name: funnel
    description: local, after the fan
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", depends: [fan_*]}
global.parameters:
  X: {values: [1, 2, 3, 4, 5, 6, 7, 8], label: X.%%}
`

func TestCrashRecoveryLocal(t *testing.T) {
	t.Parallel()
	crashLoop(t, crashLocalSpec, 12, []string{"first", "fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.5",
		"fan_X.6", "fan_X.7", "fan_X.8", "fan_X.9", "funnel", "last"})
}

func TestCrashRecoverySlurm(t *testing.T) {
	if ok, err := haveSlurm(); !ok {
		if err != nil {
			t.Fatal(err)
		}
		t.Skip("no Slurm cluster")
	}
	crashLoop(t, crashSlurmSpec, 10, []string{"first", "fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.5", "fan_X.6", "fan_X.7", "fan_X.8", "funnel"})
}

// crashLoop kills the conductor of the study kills times at moments drawn
// from a seed it logs (MAESTRO_KILL_SEED gives one, to replay a failure),
// then lets one conductor finish the study.
func crashLoop(t *testing.T, specText string, kills int, steps []string) {
	crashLoopWith(t, specText, kills, steps, crash{})
}

// crash is how crashLoopWith runs a study; zero fields take defaults.
type crash struct {
	dir      string          // the test's directory; default: a new temporary one
	settings *store.Settings // the study's; default: studySettings
	env      []string        // the conductors'; default: os.Environ()
	window   time.Duration   // each conductor is killed 20 ms to 20 ms + window after its start; default: 300 ms
}

// crashLoopWith is crashLoop as c says; it returns the study's directory.
func crashLoopWith(t *testing.T, specText string, kills int, steps []string, c crash) string {
	if c.dir == "" {
		c.dir = t.TempDir()
	}
	if c.settings == nil {
		c.settings = &studySettings
	}
	if c.env == nil {
		c.env = os.Environ()
	}
	if c.window == 0 {
		c.window = 300 * time.Millisecond
	}
	specPath := filepath.Join(c.dir, "study.yaml")
	if err := os.WriteFile(specPath, []byte(specText), 0o644); err != nil {
		t.Fatal(err)
	}
	study := filepath.Join(c.dir, "study")
	writeStudyWith(t, specPath, study, *c.settings)
	r := adaptertest.KillRand(t)
	for k := 1; k <= kills; k++ {
		cmd := conductorCmd(study)
		cmd.Env = c.env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20*time.Millisecond + time.Duration(r.Int63n(int64(c.window))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if s := studyState(t, study); s.Ended() {
			t.Fatalf("the study ended %s after %d of %d kills: make it longer", s, k, kills)
		}
	}
	cmd := conductorCmd(study)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s (%v):\n%s", s, err, out)
	}
	checkOnce(t, c.dir, steps)
	return study
}

// conductorCmd runs this test binary as the conductor (see TestMain), with
// a one-second scheduler poll.
func conductorCmd(study string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-t", "1", study)
	cmd.Args[0] = "conductor"
	cmd.Env = os.Environ()
	return cmd
}

func studyState(t *testing.T, study string) state.Study {
	st, err := store.Open(study)
	if err != nil {
		t.Fatal(err)
	}
	var s state.Study
	st.View(func(tx *store.Tx) error {
		var err error
		s, err = tx.StudyState()
		return err
	})
	return s
}
