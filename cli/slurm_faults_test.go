package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// Faults of real clusters, reproduced on the real Slurm cluster through
// wrappers on PATH: site notices and unreadable sbatch answers, jobs that
// Slurm forgot while no conductor was looking and no accounting keeps,
// and submission limits.

func needSlurm(t *testing.T) {
	t.Helper()
	if ok, err := haveSlurm(); !ok {
		if err != nil {
			t.Fatal(err)
		}
		t.Skip("no Slurm cluster")
	}
}

// wrap writes a bash wrapper for each scheduler command into bin: body
// runs first with $REAL naming the real command, and may exec it.
func wrap(t *testing.T, bin string, bodies map[string]string) {
	t.Helper()
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range bodies {
		real, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		text := "#!/bin/bash\nREAL=" + real + "\n" + body + "\nexec \"$REAL\" \"$@\"\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// studyIn writes spec text into a new directory and the study beside it.
func studyIn(t *testing.T, specText string) (dir, study string) {
	dir = t.TempDir()
	specPath := filepath.Join(dir, "study.yaml")
	if err := os.WriteFile(specPath, []byte(specText), 0o644); err != nil {
		t.Fatal(err)
	}
	study = filepath.Join(dir, "study")
	writeStudy(t, specPath, study)
	return dir, study
}

// runConductor runs the conductor on study to its end with extra
// environment, and returns its output.
func runConductor(t *testing.T, study string, env ...string) string {
	t.Helper()
	cmd := conductorCmd(study)
	cmd.Env = append(cmd.Env, env...)
	out, err := runBounded(cmd, 4*time.Minute)
	if err != nil && !strings.Contains(err.Error(), "exit status") {
		t.Fatalf("conductor: %v\n%s", err, out)
	}
	return out
}

// runBounded runs cmd, killing it after limit.
func runBounded(cmd *exec.Cmd, limit time.Duration) (string, error) {
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("did not end within %s", limit)
	}
}

func fanNames(n int) []string {
	var names []string
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("fan_X.%d", i))
	}
	return names
}

func fanSpec(name string, n int, extra string) string {
	var vals []string
	for i := 1; i <= n; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	return `description: {name: ` + name + `, description: faults}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug` + extra + `}
study:
  - name: fan
    description: Slurm jobs
    run: {cmd: "sleep 1; echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1}
global.parameters:
  X: {values: [` + strings.Join(vals, ", ") + `], label: X.%%}
`
}

func checkOnce(t *testing.T, dir string, steps []string) {
	t.Helper()
	count := adaptertest.Ledger(t, filepath.Join(dir, "ledger"))
	for _, s := range steps {
		if count[s] != 1 {
			t.Errorf("step %s ran %d times", s, count[s])
		}
	}
	if len(count) != len(steps) {
		t.Errorf("the ledger has %d steps, want %d: %v", len(count), len(steps), count)
	}
}

// An sbatch that prints a site notice before the id is read right; one
// whose answer has no id at all (the job was created) leads to the job
// being found by name, never to a second job.
func TestSbatchNoticesAndUnreadableAnswers(t *testing.T) {
	needSlurm(t)
	dir, study := studyIn(t, fanSpec("notices", 8, ""))
	count := filepath.Join(dir, "submissions")
	bin := filepath.Join(dir, "bin")
	// Answers 1-3 carry a notice before the id, answers 4-6 no id at all.
	wrap(t, bin, map[string]string{"sbatch": `n=$(( $(cat ` + count + ` 2>/dev/null || echo 0) + 1 )); echo $n > ` + count + `
if [ $n -le 3 ]; then echo "NOTICE: the scratch file system is purged on Fridays"; fi
if [ $n -gt 3 ] && [ $n -le 6 ]; then "$REAL" "$@" >/dev/null; echo "sbatch: Submitted, see the portal"; exit 0; fi`})
	cmd := conductorCmd(study)
	cmd.Env = append(cmd.Env, "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := runBounded(cmd, 3*time.Minute)
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s (%v):\n%s", s, err, out)
	}
	checkOnce(t, dir, fanNames(8))
	if !strings.Contains(out, "looking for its job") || !strings.Contains(out, "found job") {
		t.Errorf("the log does not show unreadable answers resolved by name:\n%s", out)
	}
}

// waitSubmittedN waits until at least n steps have a job id (or 2 minutes).
func waitSubmittedN(study string, n int) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := store.Open(study)
		if err == nil {
			k := 0
			st.View(func(tx *store.Tx) error {
				stats, err := tx.Statuses()
				for _, s := range stats {
					if s.JobID != "" || s.State.Terminal() {
						k++
					}
				}
				return err
			})
			if k >= n {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Jobs that ended while no conductor ran, and that Slurm has since
// forgotten (past MinJobAge, no accounting), end as their scripts
// recorded, with exit codes of 128 and more intact: not NOTFOUND, and not
// run again.
func TestForgottenJobsWithoutAccounting(t *testing.T) {
	needSlurm(t)
	dir, study := studyIn(t, `description: {name: forgotten, description: jobs Slurm forgot}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
  - name: ok
    description: ends well
    run: {cmd: "sleep 2; echo ok >> $(SPECROOT)/ledger", procs: 1}
  - name: oom
    description: its program killed as the OOM killer does
    run: {cmd: "sleep 2; echo oom >> $(SPECROOT)/ledger; bash -c 'kill -9 $$'", procs: 1}
  - name: code255
    description: exits 255
    run: {cmd: "sleep 2; echo code255 >> $(SPECROOT)/ledger; exit 255", procs: 1}
  - name: after
    description: after ok
    run: {cmd: "echo after >> $(SPECROOT)/ledger", depends: [ok]}
`)
	cmd := conductorCmd(study)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitSubmittedN(study, 3)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	var ids []string
	for _, name := range []string{"ok", "oom", "code255"} {
		ids = append(ids, adaptertest.Steps(t, study)[name].JobID)
	}
	waitSlurmEnded(t, ids)

	bin := filepath.Join(dir, "bin")
	wrap(t, bin, map[string]string{
		"squeue":   `echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1`,
		"scontrol": `[ "$1" = show ] && { echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; }`,
		"sacct":    `echo "sacct: error: Slurm accounting storage is disabled" >&2; exit 1`,
	})
	out := runConductor(t, study, "PATH="+bin+":"+os.Getenv("PATH"))
	st := adaptertest.Steps(t, study)
	want := map[string]struct {
		state state.State
		code  int
	}{"ok": {state.Finished, 0}, "oom": {state.Failed, 137}, "code255": {state.Failed, 255}, "after": {state.Finished, 0}}
	for name, w := range want {
		if s := st[name]; s.State != w.state || s.ExitCode == nil || *s.ExitCode != w.code {
			t.Errorf("%s: %+v, want %s with exit code %d", name, s, w.state, w.code)
		}
	}
	checkOnce(t, dir, []string{"ok", "oom", "code255", "after"})
	if t.Failed() {
		t.Log(out)
	}
}

// waitSlurmEnded waits until the real squeue reports every id ended.
func waitSlurmEnded(t *testing.T, ids []string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		out, err := exec.Command("squeue", "-h", "-t", "all", "-o", "%T", "-j", strings.Join(ids, ",")).Output()
		states := strings.Fields(string(out))
		ended := err == nil && len(states) == len(ids)
		for _, s := range states {
			ended = ended && s != "PENDING" && s != "RUNNING" && s != "COMPLETING" && s != "CONFIGURING"
		}
		if ended {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("jobs %v did not end", ids)
}

// slurmQOS returns the QOS with a submission limit that testdata/slurm/
// limits.sh made, and its limit; CI makes one, elsewhere the test skips.
func slurmQOS(t *testing.T) (string, int) {
	t.Helper()
	needSlurm(t)
	qos := os.Getenv("MAESTRO_SLURM_QOS")
	var limit int
	fmt.Sscan(os.Getenv("MAESTRO_SLURM_QOS_LIMIT"), &limit)
	if qos == "" || limit <= 0 {
		if os.Getenv("MAESTRO_REQUIRE_SLURM") == "1" {
			t.Fatal("MAESTRO_REQUIRE_SLURM=1 but no QOS with a submit limit: run testdata/slurm/limits.sh")
		}
		t.Skip("no QOS with a submit limit (testdata/slurm/limits.sh)")
	}
	return qos, limit
}

// A QOS's MaxSubmitJobsPerUser refuses jobs beyond its limit: that is
// back-pressure, so every step still runs once, with one attempt each.
func TestSubmitLimitOnSlurm(t *testing.T) {
	qos, limit := slurmQOS(t)
	n := limit + 10
	dir, study := studyIn(t, fanSpec("limited", n, ", qos: "+qos))
	out := runConductor(t, study)
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s:\n%s", s, out)
	}
	checkOnce(t, dir, fanNames(n))
	if !strings.Contains(out, "takes no more jobs") {
		t.Errorf("the limit was never reached (limit %d, %d steps):\n%s", limit, n, out)
	}
}

// A hung sacct (a slurmdbd outage) costs nothing while squeue answers:
// the study runs to its end, with its exit codes, at the pace of squeue.
func TestHungSacct(t *testing.T) {
	needSlurm(t)
	dir, study := studyIn(t, `description: {name: hungsacct, description: slurmdbd hangs}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
  - name: ok
    description: ends well
    run: {cmd: "echo ok >> $(SPECROOT)/ledger", procs: 1}
  - name: code137
    description: its program killed
    run: {cmd: "echo code137 >> $(SPECROOT)/ledger; exit 137", procs: 1, depends: [ok]}
`)
	bin := filepath.Join(dir, "bin")
	wrap(t, bin, map[string]string{"sacct": `sleep 3600`})
	cmd := conductorCmd(study)
	cmd.Args = []string{"conductor", "-t", "1", "--scheduler-timeout", "3s", study}
	cmd.Env = append(cmd.Env, "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := runBounded(cmd, 2*time.Minute)
	st := adaptertest.Steps(t, study)
	if s := st["code137"]; s.State != state.Failed || s.ExitCode == nil || *s.ExitCode != 137 || st["ok"].State != state.Finished {
		t.Fatalf("ok %+v, code137 %+v (%v):\n%s", st["ok"], s, err, out)
	}
	if strings.Contains(out, "pausing submissions") {
		t.Errorf("a hung sacct paused submissions:\n%s", out)
	}
	checkOnce(t, dir, []string{"ok", "code137"})
}

// A conductor killed while sbatch runs: sbatch dies with it, so it cannot
// create a job after the next conductor looked for one and found none.
func TestKilledDuringSbatch(t *testing.T) {
	needSlurm(t)
	dir, study := studyIn(t, fanSpec("killedsbatch", 3, ""))
	bin := filepath.Join(dir, "bin")
	started := filepath.Join(dir, "sbatch-started")
	// The first sbatch takes a while to answer, as on a busy controller.
	slept := filepath.Join(dir, "sbatch-slept")
	wrap(t, bin, map[string]string{"sbatch": `if mkdir ` + started + ` 2>/dev/null; then sleep 3; touch ` + slept + `; fi`})
	env := "PATH=" + bin + ":" + os.Getenv("PATH")
	cmd := conductorCmd(study)
	cmd.Env = append(cmd.Env, env)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first sbatch to start", func() bool { _, err := os.Stat(started); return err == nil })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	out := runConductor(t, study, env)
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s:\n%s", s, out)
	}
	// An sbatch that outlived its conductor would go on after its pause
	// and submit a second job for its step.
	deadline := time.Now().Add(5 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(slept); err == nil {
			t.Fatal("the first sbatch outlived its conductor")
		}
	}
	checkOnce(t, dir, fanNames(3))
}

// --array on the real cluster: a 2,000-step fan and its funnel go to Slurm
// in at most 3 sbatch calls (MaxArraySize left at 1001), each step with
// its own array task id; every 100th step exits 1, and exactly those 20
// and the funnel fail; `maestro restart` reruns exactly those 20.
func TestArraysOnSlurm(t *testing.T) {
	needSlurm(t)
	const n = 2000
	var vals []string
	for i := 1; i <= n; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	dir := t.TempDir()
	specPath := filepath.Join(dir, "arrays.yaml")
	os.WriteFile(specPath, []byte(`description: {name: arrays, description: a wide fan as job arrays}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
  - name: fan
    description: one array task each
    run: {cmd: "echo fan_X.$(X) >> $(SPECROOT)/ledger; [ $(( $(X) % 100 )) -ne 0 ]", procs: 1}
  - name: funnel
    description: after the fan
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", procs: 1, depends: [fan_*]}
global.parameters:
  X: {values: [`+strings.Join(vals, ", ")+`], label: X.%%}
`), 0o644)
	bin := filepath.Join(dir, "bin")
	calls := filepath.Join(dir, "sbatch-calls")
	wrap(t, bin, map[string]string{"sbatch": `echo x >> ` + calls})
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	study := filepath.Join(dir, "arrays")
	run := exec.Command(os.Args[0], "run", "-fg", "-y", "--array", "-s", "1", "-o", study, specPath)
	run.Args[0] = "maestro"
	run.Env = env
	out, err := runBounded(run, 8*time.Minute)
	if s := studyState(t, study); s != state.StudyFailure {
		t.Fatalf("study ended %s (%v):\n%s", s, err, out)
	}
	if k := strings.Count(readFile(calls), "\n"); k > 3 {
		t.Errorf("%d sbatch calls for %d steps and a funnel, want at most 3", k, n)
	}
	st := adaptertest.Steps(t, study)
	ids := map[string]bool{}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("fan_X.%d", i)
		s := st[name]
		want := state.Finished
		if i%100 == 0 {
			want = state.Failed
		}
		if s.State != want || !strings.Contains(s.JobID, "_") || ids[s.JobID] {
			t.Errorf("%s: %s as job %q, want %s as a task of its own", name, s.State, s.JobID, want)
		}
		ids[s.JobID] = true
	}
	if st["funnel"].State != state.Failed || len(st) != n+1 {
		t.Errorf("funnel %s, %d rows", st["funnel"].State, len(st))
	}

	restart := exec.Command(os.Args[0], "restart", "-fg", study)
	restart.Args[0] = "maestro"
	restart.Env = env
	if out, err := runBounded(restart, 4*time.Minute); studyState(t, study) != state.StudyFailure {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	count := adaptertest.Ledger(t, filepath.Join(dir, "ledger"))
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("fan_X.%d", i)
		want := 1
		if i%100 == 0 {
			want = 2
		}
		if count[name] != want {
			t.Errorf("%s ran %d times, want %d", name, count[name], want)
		}
	}
}
