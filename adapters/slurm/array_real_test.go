package slurm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/slurm"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/store"
)

// arrayJobs writes n trivial step scripts, each in a workspace of its
// own, as the study writer does, asking for procs, with the batch args
// given, and returns
// them as the conductor hands them over: with the resource key of the
// study's record of their step.
func arrayJobs(tb testing.TB, n int, token, procs string, args ...spec.KV) []*adapters.Job {
	tb.Helper()
	root := tb.TempDir()
	batch := &spec.Batch{Type: "slurm", Shell: "/bin/bash", Queue: os.Getenv("LOCAL_SLURM_PARTITION"), Args: args}
	jobs := make([]*adapters.Job, n)
	for i := range jobs {
		name := fmt.Sprintf("wide_X.%d", i)
		ws := filepath.Join(root, name)
		step := &spec.Step{Name: name, Description: "wide", Run: spec.Run{Cmd: "true", Procs: procs}}
		text, err := adapters.Render(slurm.New(), &adapters.Script{JobName: name, Step: step, Batch: batch}, "true", true)
		if err == nil {
			err = os.Mkdir(ws, 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(ws, name+".slurm.sh"), text, 0o755)
		}
		if err != nil {
			tb.Fatal(err)
		}
		key := adapters.ResourceKey(&store.StepInfo{Resources: adapters.StoreResources(&step.Run)})
		jobs[i] = &adapters.Job{Name: name, Script: filepath.Join(ws, name+".slurm.sh"), Workspace: ws, Token: token, Resources: key}
	}
	return jobs
}

// countCalls puts wrappers of the named commands first on PATH that
// count their calls, all together.
func countCalls(tb testing.TB, names ...string) (count func() int) {
	tb.Helper()
	dir := tb.TempDir()
	log := filepath.Join(dir, "calls")
	for _, name := range names {
		real, err := exec.LookPath(name)
		if err != nil {
			tb.Fatal(err)
		}
		wrapper := fmt.Sprintf("#!/bin/sh\necho >> '%s'\nexec '%s' \"$@\"\n", log, real)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(wrapper), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return func() int {
		data, _ := os.ReadFile(log)
		return strings.Count(string(data), "\n")
	}
}

// submitArrays submits jobs in arrays of at most MaxArray; refused is
// how many submissions the cluster refused for a limit.
func submitArrays(tb testing.TB, as adapters.ArraySubmitter, jobs []*adapters.Job) (ids []string, refused int) {
	tb.Helper()
	for max := as.MaxArray(); len(jobs) > 0; {
		chunk := jobs[:min(max, len(jobs))]
		jobs = jobs[len(chunk):]
		got, err := as.SubmitArray(context.Background(), chunk, 0)
		// A cluster shared by other tests may be full (MaxJobCount, ended
		// jobs kept MinJobAge): wait until it takes the array again.
		for deadline := time.Now().Add(5 * time.Minute); errors.Is(err, adapters.ErrLimit) && time.Now().Before(deadline); {
			tb.Logf("waiting for room: %v", err)
			refused++
			time.Sleep(5 * time.Second)
			got, err = as.SubmitArray(context.Background(), chunk, 0)
		}
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, got...)
	}
	return ids, refused
}

// cancelArrays cancels the arrays of task ids by their base ids.
func cancelArrays(ids []string) {
	base := map[string]bool{}
	for _, id := range ids {
		b, _, _ := strings.Cut(id, "_")
		base[b] = true
	}
	args := make([]string, 0, len(base))
	for b := range base {
		args = append(args, b)
	}
	exec.Command("scancel", args...).Run()
}

// 2,000 steps go to the real cluster (MaxArraySize at its default, 1001)
// in 2 sbatch calls, counted through a wrapper on PATH, each step with
// its own task id, and every task is answered for by the queries of one
// poll: one squeue call per array.
func TestArray2000(t *testing.T) {
	requireSlurm(t)
	count := countCalls(t, "sbatch")
	ex, err := slurm.New().Open(adapters.Config{Batch: &spec.Batch{Type: "slurm"}, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	as := ex.(adapters.ArraySubmitter)
	if max := as.MaxArray(); max != 1001 {
		t.Fatalf("MaxArray %d, want the cluster's MaxArraySize 1001", max)
	}
	jobs := arrayJobs(t, 2000, "1", "1")
	ids, refused := submitArrays(t, as, jobs)
	t.Cleanup(func() { cancelArrays(ids) })
	if n := count() - refused; n != 2 {
		t.Errorf("%d sbatch calls for 2,000 steps, want 2", n)
	}
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if len(ids) != 2000 || len(distinct) != 2000 {
		t.Fatalf("%d ids, %d distinct, for 2,000 steps", len(ids), len(distinct))
	}
	queries := countCalls(t, "squeue", "sacct", "scontrol")
	answered := 0
	for _, part := range adapters.Chunks(ids, ex.Capabilities().MaxIDs) {
		res, err := ex.Query(context.Background(), part)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		for _, id := range part {
			if _, ok := res[id]; ok {
				answered++
			}
		}
	}
	if answered != 2000 {
		t.Errorf("the queries answered for %d of 2,000 tasks", answered)
	}
	if n := queries(); n != 2 {
		t.Errorf("%d commands queried 2,000 tasks of 2 arrays, want 2", n)
	}
}

// An array one of whose jobs carries other resources, and whose header
// asks for them, is refused on the real cluster, and none of its tasks
// runs a step: no task list is written, the array is cancelled, and once
// Slurm has ended its tasks no step has written its output or exit
// record.
func TestArrayMismatchRunsNoStep(t *testing.T) {
	requireSlurm(t)
	stateDir := t.TempDir()
	ex, err := slurm.New().Open(adapters.Config{Batch: &spec.Batch{Type: "slurm"}, StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	jobs := arrayJobs(t, 6, "1", "1")
	odd := arrayJobs(t, 4, "1", "2")[3] // another workspace, same name
	if odd.Resources == jobs[0].Resources {
		t.Fatalf("steps asking for 1 and 2 procs carry one key %q", odd.Resources)
	}
	jobs[3] = odd
	_, err = ex.(adapters.ArraySubmitter).SubmitArray(context.Background(), jobs, 0)
	if err == nil || !strings.Contains(err.Error(), "same resources") {
		t.Fatalf("submit: %v, want a refusal for other resources", err)
	}
	if lists, _ := filepath.Glob(filepath.Join(stateDir, "*.tasks")); len(lists) != 0 {
		t.Errorf("task lists written: %v", lists)
	}
	drivers, _ := filepath.Glob(filepath.Join(stateDir, "array-*.slurm.sh"))
	if len(drivers) != 1 {
		t.Fatalf("drivers %v, want the one submitted", drivers)
	}
	name := strings.TrimSuffix(filepath.Base(drivers[0]), ".slurm.sh")
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
		out, err := exec.Command("squeue", "-h", "-r", "-n", name, "-o", "%i %T").Output()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("array %s still listed after 2 minutes: %s %v", name, out, err)
		}
	}
	for _, j := range jobs {
		for _, f := range []string{j.Name + ".out", j.Name + ".err"} {
			if _, err := os.Stat(filepath.Join(j.Workspace, f)); err == nil {
				t.Errorf("%s ran: it wrote %s", j.Name, f)
			}
		}
	}
	if recs, _ := filepath.Glob(filepath.Join(stateDir, "*.rc")); len(recs) != 0 {
		t.Errorf("exit records written: %v", recs)
	}
}

// BenchmarkArrayOverhead measures what SubmitArray of 1,000 steps costs
// beyond its sbatch call, without a cluster: sbatch on PATH is a script
// that prints a job id, and each round times SubmitArray (header, driver,
// task list, the command) and the same script run bare by exec, in turn;
// the medians of the rounds are reported.
func BenchmarkArrayOverhead(b *testing.B) {
	bin := b.TempDir()
	for name, text := range map[string]string{"sbatch": "echo 12345", "scontrol": "echo MaxArraySize = 1001"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+text+"\n"), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	b.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	ex, err := slurm.New().Open(adapters.Config{Batch: &spec.Batch{Type: "slurm"}, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	as := ex.(adapters.ArraySubmitter)
	as.MaxArray()
	var tArray, tBare []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		jobs := arrayJobs(b, 1000, fmt.Sprint(i), "1")
		start := time.Now()
		b.StartTimer()
		if _, err := as.SubmitArray(context.Background(), jobs, 0); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		tArray = append(tArray, time.Since(start))
		start = time.Now()
		if err := exec.Command("sbatch", "--parsable", "--hold", "--array=0-999", "bare.sh").Run(); err != nil {
			b.Fatal(err)
		}
		tBare = append(tBare, time.Since(start))
	}
	array, bare := median(tArray), median(tBare)
	b.ReportMetric(float64(array.Microseconds())/1000, "array-ms")
	b.ReportMetric(float64(bare.Microseconds())/1000, "bare-command-ms")
	b.ReportMetric(float64((array-bare).Microseconds())/1000, "overhead-ms")
}

// BenchmarkSlurmArraySubmit measures, on the real cluster in the same
// run, steps submitted per second as one job array (SubmitArray of
// 1,000 steps whose jobs carry their resource key, as the conductor
// hands them over: one sbatch, the task list written meanwhile), as one
// sbatch per step (Submit, 100 steps), and with a bare `sbatch
// --array=0-999` of a trivial script; and how long a query of the 1,000
// tasks' ids takes, in how many squeue, sacct and scontrol commands.
// Like with like: each round times the array and the bare sbatch in
// turn, which first alternating, each just after a sync (the scripts of
// a study are written long before the conductor submits them), both
// held, with the other's job still there; the array's driver is written
// by the first round only, as the first array of a study's step writes
// it. Every job is submitted held (--hold) and cancelled, and a round
// waits, untimed, until the cluster has room for its 2,100 job records
// (MaxJobCount counts each task of a held array, and cancelled ones for
// MinJobAge), so that rounds can be repeated (-benchtime 5x) on a
// machine too noisy for one.
func BenchmarkSlurmArraySubmit(b *testing.B) {
	requireSlurm(b)
	const n, single = 1000, 100
	ex, err := slurm.New().Open(adapters.Config{Batch: &spec.Batch{Type: "slurm"}, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	as := ex.(adapters.ArraySubmitter)
	as.MaxArray()
	queries := countCalls(b, "squeue", "sacct", "scontrol")
	bare := filepath.Join(b.TempDir(), "bare.sh")
	os.WriteFile(bare, []byte("#!/bin/bash\n#SBATCH --output=/dev/null\ntrue\n"), 0o755)
	var tArray, tBare []time.Duration // per round
	var tSingle, tQuery time.Duration
	commands := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		waitForRoom(b, 2*n+single)
		jobs := arrayJobs(b, n, fmt.Sprint(i), "1", spec.KV{Key: "hold"})
		var ids []string
		var bareID string
		for k := range 2 {
			syscall.Sync()
			start := time.Now()
			if (i+k)%2 == 0 {
				b.StartTimer()
				ids, err = as.SubmitArray(context.Background(), jobs, 0)
				tArray = append(tArray, time.Since(start))
				b.StopTimer()
			} else {
				var out []byte
				out, err = exec.Command("sbatch", "--parsable", "--hold", "--array=0-999", bare).Output()
				tBare = append(tBare, time.Since(start))
				bareID = strings.TrimSpace(string(out))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		before := queries()
		for _, part := range adapters.Chunks(ids, ex.Capabilities().MaxIDs) {
			if _, err := ex.Query(context.Background(), part); err != nil {
				b.Fatal(err)
			}
		}
		tQuery += time.Since(start)
		commands += queries() - before
		cancelArrays(append(ids, bareID))

		start = time.Now()
		var singles []string
		for _, j := range jobs[:single] {
			id, err := ex.Submit(context.Background(), j)
			if err != nil {
				b.Fatal(err)
			}
			singles = append(singles, id)
		}
		tSingle += time.Since(start)
		exec.Command("scancel", singles...).Run()
	}
	// Medians of the rounds: a round in which the controller stalled (a
	// full MaxJobCount, another user's outage test) says nothing.
	b.Logf("rounds: array %v, bare %v", tArray, tBare)
	array, bareRound := median(tArray), median(tBare)
	b.ReportMetric(n/array.Seconds(), "array-steps/s")
	b.ReportMetric(float64(single*b.N)/tSingle.Seconds(), "one-sbatch-per-step-steps/s")
	b.ReportMetric(n/bareRound.Seconds(), "bare-array-tasks/s")
	b.ReportMetric(bareRound.Seconds()/array.Seconds(), "x-bare-rate")
	b.ReportMetric(float64(tQuery.Milliseconds())/float64(b.N), "query-1000-tasks-ms")
	b.ReportMetric(float64(commands)/float64(b.N), "query-1000-tasks-commands")
}

// waitForRoom waits until the cluster holds few enough job records
// (squeue's, each task of an array one, ended ones included) that need
// more fit under its MaxJobCount.
func waitForRoom(tb testing.TB, need int) {
	tb.Helper()
	config, err := exec.Command("scontrol", "show", "config").Output()
	if err != nil {
		tb.Fatal(err)
	}
	max := 0
	for _, line := range strings.Split(string(config), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "MaxJobCount" {
			max, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if max == 0 {
		tb.Fatalf("no MaxJobCount in scontrol show config")
	}
	for start := time.Now(); ; time.Sleep(5 * time.Second) {
		out, err := exec.Command("squeue", "-h", "-r", "-t", "all", "-o", "%i").Output()
		if err != nil {
			tb.Fatal(err)
		}
		held := strings.Count(string(out), "\n")
		switch waited := time.Since(start); {
		case held+need <= max:
			if waited > time.Second {
				tb.Logf("waited %s for room for %d job records", waited.Round(time.Second), need)
			}
			return
		case waited > 10*time.Minute:
			tb.Fatalf("the cluster holds %d of its %d job records after 10 minutes: no room for %d", held, max, need)
		}
	}
}

// median is the median of ds (the mean of the middle two of an even
// number).
func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	m := len(ds) / 2
	if len(ds)%2 == 0 {
		return (ds[m-1] + ds[m]) / 2
	}
	return ds[m]
}
