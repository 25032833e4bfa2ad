package cli

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/state"
)

// The chaos test throws the faults of issue 10 at one study on the real
// Slurm cluster at once: the conductor SIGKILLed at random moments,
// slurmctld restarted, sbatch printing warnings before the job id, and a
// QOS that takes at most MAESTRO_SLURM_QOS_LIMIT jobs. Each step appends
// its name to a ledger beside the study as its last act; every step must
// have run exactly once, as exactly one Slurm job, and the study must end
// FINISHED. MAESTRO_CHAOS_SEED=N replays the kill points of a logged seed.

const (
	chaosFan   = 98 // Slurm steps, between a local first step and funnel
	chaosKills = 10
	// Submissions chaosWarnFrom to chaosWarnTo print a line before the id.
	chaosWarnFrom, chaosWarnTo = 10, 30
)

func chaosSpec(qos string) string {
	var vals []string
	for i := 1; i <= chaosFan; i++ {
		vals = append(vals, strconv.Itoa(i))
	}
	return `description: {name: chaos, description: everything at once}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug, qos: ` + qos + `}
study:
  - name: first
    description: local start
    run: {cmd: "sleep 1; echo first >> $(SPECROOT)/ledger"}
  - name: fan
    description: Slurm jobs under a submit limit
    run:
      cmd: "sleep 1; echo fan_X.$(X) >> $(SPECROOT)/ledger"
      depends: [first]
      procs: 1
  - name: funnel
    description: local, after the fan
    run: {cmd: "sleep 1; echo funnel >> $(SPECROOT)/ledger", depends: [fan_*]}
global.parameters:
  X: {values: [` + strings.Join(vals, ", ") + `], label: X.%%}
`
}

// chaosSeed is MAESTRO_CHAOS_SEED, or a new seed.
func chaosSeed(t *testing.T) int64 {
	t.Helper()
	s := os.Getenv("MAESTRO_CHAOS_SEED")
	if s == "" {
		return time.Now().UnixNano()
	}
	seed, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("MAESTRO_CHAOS_SEED: %v", err)
	}
	return seed
}

func TestChaosSlurm(t *testing.T) {
	qos, limit := slurmQOS(t)
	if os.Getenv("LOCAL_SLURM_DIR") == "" {
		if os.Getenv("MAESTRO_REQUIRE_SLURM") == "1" {
			t.Fatal("MAESTRO_REQUIRE_SLURM=1 but LOCAL_SLURM_DIR is not set: slurmctld cannot be restarted")
		}
		t.Skip("no LOCAL_SLURM_DIR: not the local cluster, slurmctld cannot be restarted")
	}
	seed := chaosSeed(t)
	t.Logf("seed %d (MAESTRO_CHAOS_SEED=%d replays it); QOS %s takes %d jobs", seed, seed, qos, limit)
	r := rand.New(rand.NewSource(seed))

	dir, study := studyIn(t, chaosSpec(qos))
	steps := append(append([]string{"first"}, fanNames(chaosFan)...), "funnel")
	bin, count := filepath.Join(dir, "bin"), filepath.Join(dir, "submissions")
	// A killed conductor's sbatch may still run beside the next one's: the
	// counter is locked.
	wrap(t, bin, map[string]string{"sbatch": fmt.Sprintf(`exec 9>>%[1]s.lock; flock 9
n=$(( $(cat %[1]s 2>/dev/null || echo 0) + 1 )); echo $n > %[1]s
exec 9>&-
if [ $n -ge %[2]d ] && [ $n -le %[3]d ]; then
  if [ $((n %% 2)) = 0 ]; then echo "sbatch: warning: partition debug is drained on Mondays"
  else echo "NOTICE: /scratch is purged on Fridays"; fi
fi`, count, chaosWarnFrom, chaosWarnTo)})
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	restartScript := mustAbs("../testdata/slurm/restart-slurmctld.sh")

	// Kill k lands once the ledger has reached about k/(kills+2) of the
	// steps, and a random delay after that (which may be right at the
	// start of a conductor, recovering: jobs run on while none is). The
	// last kill leaves the fan unfinished, so the study cannot end first.
	// slurmctld restarts once, in the middle of one conductor's life.
	span := len(steps) / (chaosKills + 2)
	restartIn := 3 + r.Intn(chaosKills-4)
	logs := &strings.Builder{}
	began := time.Now()
	for k := 1; k <= chaosKills; k++ {
		target := k*span - span/2 + r.Intn(span)
		delay := time.Duration(r.Intn(1500)) * time.Millisecond
		cmd := conductorCmd(study)
		cmd.Env = env
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		running := func() bool {
			select {
			case err := <-done:
				done <- err
				return false
			default:
				return true
			}
		}
		if k == restartIn {
			half := target - span/2
			if !waitLedger(dir, half, running) {
				chaosFail(t, k, cmd, done, out, logs, "before the slurmctld restart (ledger at %d of %d)", len(ledgerLines(dir)), half)
			}
			time.Sleep(time.Duration(r.Intn(1000)) * time.Millisecond)
			t.Logf("conductor %d: restarting slurmctld with %d steps in the ledger", k, len(ledgerLines(dir)))
			if b, err := exec.Command("bash", restartScript).CombinedOutput(); err != nil {
				t.Fatalf("restarting slurmctld: %v\n%s", err, b)
			}
			t.Logf("conductor %d: slurmctld is back (%.1fs into the study)", k, time.Since(began).Seconds())
		}
		if !waitLedger(dir, target, running) {
			chaosFail(t, k, cmd, done, out, logs, "(ledger at %d of %d)", len(ledgerLines(dir)), target)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		err := <-done
		at := len(ledgerLines(dir))
		fmt.Fprintf(logs, "--- conductor %d (%v):\n%s", k, err, out)
		t.Logf("kill %d: %v after the ledger reached %d: %.1fs after the conductor started, %.1fs into the study, %d steps in the ledger",
			k, delay, target, time.Since(started).Seconds(), time.Since(began).Seconds(), at)
		if s := studyState(t, study); s.Ended() || err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("kill %d did not land while the study ran: conductor %v, study %s\n%s", k, err, s, logs)
		}
	}
	cmd := conductorCmd(study)
	cmd.Env = env
	out, err := runBounded(cmd, 4*time.Minute)
	fmt.Fprintf(logs, "--- last conductor (%v):\n%s", err, out)
	t.Logf("the study ended %.1fs after it began", time.Since(began).Seconds())
	if s := studyState(t, study); s != state.StudyFinished {
		t.Fatalf("study ended %s (%v):\n%s", s, err, logs)
	}
	checkOnce(t, dir, steps)
	for name, st := range adaptertest.Steps(t, study) {
		if st.State != state.Finished {
			t.Errorf("%s ended %s", name, st.State)
		}
	}
	checkOneJobEach(t, study, chaosFan, began)
	data, _ := os.ReadFile(count)
	n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	t.Logf("%d sbatch calls; calls %d-%d printed a warning before the id", n, chaosWarnFrom, chaosWarnTo)
	if n <= chaosWarnTo {
		t.Errorf("only %d sbatch calls: the warnings (%d-%d) did not all happen", n, chaosWarnFrom, chaosWarnTo)
	}
	if !strings.Contains(logs.String(), "takes no more jobs") {
		t.Errorf("the submit limit of %d was never reached", limit)
	}
	if t.Failed() {
		t.Log(logs)
	}
}

// chaosFail ends the test when conductor k stopped or got stuck before it
// could be killed.
func chaosFail(t *testing.T, k int, cmd *exec.Cmd, done chan error, out *bytes.Buffer, logs *strings.Builder, format string, args ...any) {
	t.Helper()
	cmd.Process.Kill()
	err := <-done
	t.Fatalf("conductor %d ended (%v) or stalled %s:\n%s--- conductor %d:\n%s", k, err, fmt.Sprintf(format, args...), logs, k, out)
}

func ledgerLines(dir string) []string {
	data, _ := os.ReadFile(filepath.Join(dir, "ledger"))
	return strings.Fields(string(data))
}

// waitLedger waits until the ledger has n lines, while running() holds, for
// at most two minutes.
func waitLedger(dir string, n int, running func() bool) bool {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) && running() {
		if len(ledgerLines(dir)) >= n {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// checkOneJobEach checks that Slurm ran exactly one job in the workspace
// of each of the study's n scheduled steps, from squeue (which keeps ended
// jobs for MinJobAge) and accounting (which lags a little), waiting up to
// a minute for them to agree on n jobs.
func checkOneJobEach(t *testing.T, study string, n int, since time.Time) {
	t.Helper()
	prefix := study + string(filepath.Separator)
	var jobs map[string]map[string]bool // workspace -> job ids
	deadline := time.Now().Add(time.Minute)
	for {
		jobs = map[string]map[string]bool{}
		add := func(id, workdir string) {
			if workdir = filepath.Clean(workdir); strings.HasPrefix(workdir, prefix) {
				if jobs[workdir] == nil {
					jobs[workdir] = map[string]bool{}
				}
				jobs[workdir][id] = true
			}
		}
		q, _ := exec.Command("squeue", "-h", "-t", "all", "-o", "%i|%Z").Output()
		a, _ := exec.Command("sacct", "-X", "-n", "-P", "-a", "-o", "JobIDRaw,WorkDir",
			"-S", since.Add(-time.Minute).Format("2006-01-02T15:04:05")).Output()
		for _, line := range strings.Split(string(q)+"\n"+string(a), "\n") {
			if id, workdir, ok := strings.Cut(strings.TrimSpace(line), "|"); ok {
				add(id, workdir)
			}
		}
		total := 0
		for _, ids := range jobs {
			total += len(ids)
		}
		if total >= n && len(jobs) == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(jobs) != n {
		t.Errorf("Slurm has jobs in %d workspaces, want %d", len(jobs), n)
	}
	for ws, ids := range jobs {
		if len(ids) != 1 {
			t.Errorf("%d Slurm jobs ran in %s: %v", len(ids), ws, ids)
		}
	}
}
