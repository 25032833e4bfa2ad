package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// Bundles (maestro run --bundle K), most on the real cluster. This cluster's
// one node has 8 CPUs, so the conductor is given --bundle-parallel (a
// bundle of K one-task steps otherwise asks for K tasks at once): the
// tests launch `maestro run --bundle K` detached, as users do, with a
// `conductor` on PATH that is this test binary with the conductor flags
// of the test.

// bundleEnv writes an sbatch wrapper and a conductor with the given
// flags into dir/bin, and returns the environment that has maestro use
// both. The wrapper counts the jobs sbatch created in calls (one line
// each) and the calls it refused (the cluster is shared: a full
// MaxJobCount, say) in calls.refused.
func bundleEnv(t *testing.T, dir, calls string, flags ...string) []string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	wrap(t, bin, map[string]string{"sbatch": `out=$("$REAL" "$@"); rc=$?
if [ $rc -eq 0 ]; then echo x >> ` + calls + `; else echo $rc >> ` + calls + `.refused; fi
printf '%s\n' "$out"; exit $rc`})
	text := "#!/bin/bash\nexec -a conductor " + shellQuote(os.Args[0]) + " " + strings.Join(flags, " ") + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "conductor"), []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
}

// runDetached runs `maestro run -y -s 1 -o study ARGS spec` with env and
// waits, at most limit, for the study to end; its conductor is killed at
// the end of the test if it still runs.
func runDetached(t *testing.T, env []string, study, specPath string, limit time.Duration, args ...string) state.Study {
	t.Helper()
	run := exec.Command(os.Args[0], append(append([]string{"run", "-y", "-s", "1", "-o", study}, args...), specPath)...)
	run.Args[0] = "maestro"
	run.Env = env
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("maestro run: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if pid := conductor.Running(study); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	deadline := time.Now().Add(limit)
	for s := studyState(t, study); !s.Ended(); s = studyState(t, study) {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(study, "logs", "bundles.log"))
			t.Fatalf("the study is still %s after %s; its log:\n%s", s, limit, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return studyState(t, study)
}

// statusJSON reads `maestro status --json` of the study.
func statusJSON(t *testing.T, study string) *status.Document {
	t.Helper()
	cmd := exec.Command(os.Args[0], "status", "--json", study)
	cmd.Args[0] = "maestro"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("maestro status --json: %v", err)
	}
	var doc status.Document
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	return &doc
}

func bundleSpec(n int, fan string) string {
	var vals []string
	for i := 1; i <= n; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	return `description: {name: bundles, description: steps in bundles}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
` + fan + `
global.parameters:
  X: {values: [` + strings.Join(vals, ", ") + `], label: X.%%}
`
}

// The acceptance run: a 2,000-step fan and its funnel with --bundle 50
// are 40 bundle jobs and one job for the funnel (41 jobs, counted
// by a wrapper on PATH); the study FINISHES, every step FINISHED, ran once
// and has its own start and end time in `maestro status --json`, with
// its bundle's job id.
func TestBundlesOnSlurm(t *testing.T) {
	needSlurm(t)
	t.Parallel()
	const n, k = 2000, 50
	dir := t.TempDir()
	specPath := filepath.Join(dir, "bundles.yaml")
	os.WriteFile(specPath, []byte(bundleSpec(n, `  - name: fan
    description: one step of a bundle each
    run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}
  - name: funnel
    description: after the fan
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", procs: 1, depends: [fan_*]}`)), 0o644)
	calls := filepath.Join(dir, "sbatch-calls")
	env := bundleEnv(t, dir, calls, "--bundle-parallel", "2")
	study := filepath.Join(dir, "bundles")
	start := time.Now()
	if s := runDetached(t, env, study, specPath, 10*time.Minute, "--bundle", fmt.Sprint(k)); s != state.StudyFinished {
		t.Fatalf("study ended %s", s)
	}
	refused, _ := os.ReadFile(calls + ".refused")
	t.Logf("%d steps and a funnel in bundles of %d: %s from maestro run to the study's end, %d jobs submitted (%d sbatch calls refused)",
		n, k, time.Since(start).Round(time.Second), strings.Count(readFile(calls), "\n"), strings.Count(string(refused), "\n"))
	if c := strings.Count(readFile(calls), "\n"); c != n/k+1 {
		var odd []string // the log's lines other than bundles submitted
		for _, l := range strings.Split(readFile(filepath.Join(study, "logs", "bundles.log")), "\n") {
			if !strings.Contains(l, "steps (fan_X") {
				odd = append(odd, l)
			}
		}
		t.Errorf("%d jobs submitted, want %d bundles and the funnel; the log but the bundles submitted:\n%s", c, n/k, strings.Join(odd, "\n"))
	}
	doc := statusJSON(t, study)
	members := map[string]int{}
	var funnel string
	for _, s := range doc.Steps {
		if s.State != string(state.Finished) || s.JobID == nil || s.Start == nil || s.End == nil || s.End.Before(*s.Start) {
			t.Errorf("%s: %s, job %v, start %v, end %v", s.Name, s.State, deref(s.JobID), deref(s.Start), deref(s.End))
			continue
		}
		if s.Name == "funnel" {
			funnel = *s.JobID
			continue
		}
		members[*s.JobID]++
	}
	if len(doc.Steps) != n+1 || len(members) != n/k || members[funnel] != 0 {
		t.Errorf("%d steps in %d bundle jobs (funnel %s in one of them: %v)", len(doc.Steps), len(members), funnel, members[funnel] != 0)
	}
	for id, m := range members {
		if m != k {
			t.Errorf("bundle job %s ran %d steps, want %d", id, m, k)
		}
	}
	names := append(fanNames(n), "funnel")
	checkOnce(t, dir, names)
}

// A bundle whose walltime runs out (capped at one minute, warned 20 s
// ahead): the step it was running is TIMEDOUT and restarted alone with
// its restart cmd; the steps it never started run in a later bundle; the
// ones it finished are not run again.
func TestBundleWalltimeOnSlurm(t *testing.T) {
	needSlurm(t)
	t.Parallel()
	dir := t.TempDir()
	specPath := filepath.Join(dir, "bundles.yaml")
	os.WriteFile(specPath, []byte(bundleSpec(5, `  - name: fan
    description: the third sleeps past its bundle's walltime
    run:
      cmd: "if [ $(X) = 3 ]; then sleep 300; fi; echo fan_X.$(X) >> $(SPECROOT)/ledger"
      restart: "echo fan_X.$(X) >> $(SPECROOT)/ledger"
      procs: 1
      walltime: "00:01:00"`)), 0o644)
	calls := filepath.Join(dir, "sbatch-calls")
	// Slurm's KillWait is 5 s here: the grace must be shorter.
	env := bundleEnv(t, dir, calls, "--bundle-parallel", "1", "--bundle-max-walltime", "1m", "--bundle-lead", "20s", "--bundle-grace", "3s")
	study := filepath.Join(dir, "bundles")
	if s := runDetached(t, env, study, specPath, 5*time.Minute, "--bundle", "5", "--rlimit", "1"); s != state.StudyFinished {
		t.Fatalf("study ended %s", s)
	}
	st := adaptertest.Steps(t, study)
	first := st["fan_X.1"].JobID
	sleeper := st["fan_X.3"]
	if sleeper.Restarts != 1 || sleeper.JobID == first || sleeper.Bundle != "" {
		t.Errorf("fan_X.3: %+v, want restarted once, alone", sleeper)
	}
	later := 0
	for _, name := range fanNames(5) {
		s := st[name]
		if s.State != state.Finished || name != "fan_X.3" && (s.Restarts != 0 || s.Attempts != 0 || s.Bundle == "") {
			t.Errorf("%s: %+v", name, s)
		}
		if name != "fan_X.3" && s.JobID != first {
			later++
		}
	}
	if later == 0 {
		t.Errorf("no step went back to the ready queue: the bundle started them all before its walltime")
	}
	events := readFile(filepath.Join(study, "logs", "events.jsonl"))
	if !strings.Contains(events, `"step":"fan_X.3"`) || !containsLine(events, `"step":"fan_X.3"`, `"to":"TIMEDOUT"`) {
		t.Errorf("no TIMEDOUT event of fan_X.3 in events.jsonl:\n%s", events)
	}
	t.Logf("%d jobs submitted; %d steps ran in a later bundle", strings.Count(readFile(calls), "\n"), later)
	checkOnce(t, dir, fanNames(5))
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}

// containsLine reports whether one line of text holds every part.
func containsLine(text string, parts ...string) bool {
	for _, l := range strings.Split(text, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// The conductor of a bundle study on the real cluster, SIGKILLed at ten
// random moments (the seed is logged): afterwards every step ran exactly
// once.
func TestBundleCrashRecoverySlurm(t *testing.T) {
	needSlurm(t)
	t.Parallel()
	dir := t.TempDir()
	calls := filepath.Join(dir, "sbatch-calls")
	env := bundleEnv(t, dir, calls)
	crashLoopWith(t, crashSlurmSpec, 10, []string{"first", "fan_X.1", "fan_X.2", "fan_X.3", "fan_X.4", "fan_X.5", "fan_X.6", "fan_X.7", "fan_X.8", "funnel"},
		crash{dir: dir, settings: &store.Settings{Attempts: 1, RLimit: 1, SleepSecs: 1, Bundle: 4}, env: env})
	t.Logf("%d jobs submitted", strings.Count(readFile(calls), "\n"))
	st := adaptertest.Steps(t, filepath.Join(dir, "study"))
	for _, name := range fanNames(8) {
		if st[name].Bundle == "" {
			t.Errorf("%s ran alone (%+v), want it in a bundle", name, st[name])
		}
	}
}

// A conductor killed after sbatch created a bundle's job but before it
// read the answer: the next conductor finds the bundle by its recorded
// name and submits nothing again; each step runs once.
func TestKilledAfterBundleSbatch(t *testing.T) {
	needSlurm(t)
	t.Parallel()
	dir := t.TempDir()
	specPath := filepath.Join(dir, "study.yaml")
	os.WriteFile(specPath, []byte(fanSpec("killedbundle", 3, "")), 0o644)
	study := filepath.Join(dir, "study")
	writeStudyWith(t, specPath, study, store.Settings{Attempts: 1, RLimit: 1, SleepSecs: 1, Bundle: 3})
	bin := filepath.Join(dir, "bin")
	calls, submitted := filepath.Join(dir, "sbatch-calls"), filepath.Join(dir, "submitted")
	wrap(t, bin, map[string]string{"sbatch": `echo x >> ` + calls + `
if [ ! -e ` + submitted + ` ]; then "$REAL" "$@" > ` + submitted + `.tmp; mv ` + submitted + `.tmp ` + submitted + `; sleep 10; exit 1; fi`})
	env := "PATH=" + bin + ":" + os.Getenv("PATH")
	cmd := conductorCmd(study)
	cmd.Env = append(cmd.Env, env)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bundle's job to be created", func() bool { _, err := os.Stat(submitted); return err == nil })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for name, s := range adaptertest.Steps(t, study) {
		if !s.Submitting || s.Bundle == "" || s.JobID != "" {
			t.Fatalf("%s: %+v, want marked for its bundle with no job recorded", name, s)
		}
	}
	out := runConductor(t, study, env)
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s:\n%s", s, out)
	}
	if c := strings.Count(readFile(calls), "\n"); c != 1 || !strings.Contains(out, "found job") {
		t.Errorf("%d sbatch calls, want the one bundle found again:\n%s", c, out)
	}
	id := strings.Fields(readFile(submitted))
	for name, s := range adaptertest.Steps(t, study) {
		if len(id) == 0 || s.JobID != id[len(id)-1] {
			t.Errorf("%s: job %s, want the bundle's %v", name, s.JobID, id)
		}
	}
	checkOnce(t, dir, fanNames(3))
}

// `maestro run --bundle K` stores K in the study's settings, and the
// resources of its scheduled steps that the conductor bundles by.
func TestBundleFlagStored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	study := filepath.Join(dir, "study")
	var out strings.Builder
	if code := Main([]string{"run", "--dry", "--bundle", "7", "-o", study, "../samples/pipeline_slurm.yaml"}, strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	st, err := store.Open(study)
	if err != nil {
		t.Fatal(err)
	}
	var settings store.Settings
	var steps []store.StepInfo
	st.View(func(tx *store.Tx) error {
		if settings, err = tx.Settings(); err != nil {
			return err
		}
		steps, err = tx.Steps()
		return err
	})
	if err != nil || settings.Bundle != 7 {
		t.Fatalf("settings %+v, %v", settings, err)
	}
	scheduled := 0
	for _, s := range steps {
		if s.Scheduled {
			scheduled++
			if len(s.Resources) == 0 {
				t.Errorf("%s: no resources stored", s.Name)
			}
		}
	}
	if scheduled == 0 {
		t.Fatal("the sample has no scheduled step")
	}
}
