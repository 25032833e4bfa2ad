package adaptertest

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/study"
)

// Whole studies through an adapter: written as `maestro run` writes them,
// driven by a conductor in this process or, to be killed, in a child
// process (the caller's package calls ConductorMain from its TestMain),
// with the adapters of a registry (adapters/all.Registry, which this
// package cannot import: the adapters' own tests import it).

// conductorName is the argv[0] under which a test binary is a conductor.
const conductorName = "maestro-conductor"

// ConductorMain runs the conductor of the study named by the arguments
// (DIR) when the test binary was started as one, polling every second,
// and exits with 0 when the study finished; it returns at once otherwise.
func ConductorMain(reg adapters.Registry) {
	if filepath.Base(os.Args[0]) != conductorName || len(os.Args) != 2 {
		return
	}
	end, err := conductor.Run(context.Background(), conductor.Options{Dir: os.Args[1], SleepSecs: 1, Out: os.Stderr, Adapters: reg})
	if err != nil || end != state.StudyFinished {
		os.Stderr.WriteString("conductor: " + string(end) + " " + errText(err) + "\n")
		os.Exit(2)
	}
	os.Exit(0)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// WriteStudy writes the study of a spec (in a directory of its own, the
// spec's root) after edit changed the loaded spec (nil: none), with the
// given restart limit, and returns the study directory.
func WriteStudy(t testing.TB, reg adapters.Registry, specText string, edit func(*spec.Spec), restarts int) string {
	t.Helper()
	root := t.TempDir()
	path := filepath.Join(root, "study.yaml")
	if err := os.WriteFile(path, []byte(specText), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(s)
	}
	dir := filepath.Join(root, "study")
	st, err := study.New(s, dir, study.Options{Now: time.Now(), Settings: store.Settings{Attempts: 1, RLimit: restarts, SleepSecs: 1},
		Adapters: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(os.Environ()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// RunStudy drives a study to its end in this process, within limit, its
// scheduler commands running with env (nil: this process's environment).
func RunStudy(t testing.TB, reg adapters.Registry, dir string, env func() []string, limit time.Duration) state.Study {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	end, err := conductor.Run(ctx, conductor.Options{Dir: dir, SleepSecs: 1, Adapters: reg, Env: env})
	if err != nil {
		t.Fatalf("conductor: %v", err)
	}
	return end
}

// Steps returns the status of each step of a study by name.
func Steps(t testing.TB, dir string) map[string]store.StepStatus {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.StepStatus{}
	err = st.View(func(tx *store.Tx) error {
		infos, err := tx.Steps()
		if err != nil {
			return err
		}
		statuses, err := tx.Statuses()
		for i, s := range statuses {
			out[infos[i].Name] = s
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// KillRand returns the random source of a kill test: seeded from
// MAESTRO_KILL_SEED when set, else the clock; the seed is logged so that a
// failure can be replayed.
func KillRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := time.Now().UnixNano()
	if v := os.Getenv("MAESTRO_KILL_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("MAESTRO_KILL_SEED=%s: %v", v, err)
		}
	}
	t.Logf("kill seed %d (MAESTRO_KILL_SEED=%d replays it)", seed, seed)
	return rand.New(rand.NewSource(seed))
}

// KillLoop starts a conductor of the study kills times, SIGKILLing each
// at a random moment (seeded from MAESTRO_KILL_SEED when set, else the
// clock; the seed is logged to replay a failure), then lets one run to the
// end, which must be FINISHED. The conductors run with env.
func KillLoop(t *testing.T, dir string, env []string, kills int, limit time.Duration) {
	t.Helper()
	r := KillRand(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(exe, dir)
		cmd.Args[0] = conductorName
		cmd.Env = env
		return cmd
	}
	for k := 1; k <= kills; k++ {
		cmd := start()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+r.Intn(400)) * time.Millisecond) // the moment of the kill
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if end := studyState(t, dir); end.Ended() {
			t.Fatalf("the study ended %s after %d of %d kills: make it longer", end, k, kills)
		}
	}
	cmd := start()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { err = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the last conductor did not end the study in %s:\n%s", limit, out.String())
	}
	if err != nil {
		t.Fatalf("the last conductor: %v\n%s", err, out.String())
	}
}

func studyState(t testing.TB, dir string) state.Study {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s state.Study
	if err := st.View(func(tx *store.Tx) error { s, err = tx.StudyState(); return err }); err != nil {
		t.Fatal(err)
	}
	return s
}

// Ledger counts the lines of a file the steps of a study append their
// names to, as their last act.
func Ledger(t testing.TB, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range strings.Fields(string(data)) {
		count[l]++
	}
	return count
}
