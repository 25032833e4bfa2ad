package slurm

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// What Slurm printed of array tasks (testdata/slurm/capture-array.sh):
// each task by its own id, with its own state and exit code; the tasks of
// a held array that have not started on one sacct line.
func TestParseArrays(t *testing.T) {
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "array-squeue.txt")), map[string]adaptertest.Want{
		"2768_0": {State: state.Finished, Code: 0},
		"2768_2": {State: state.Failed, Code: 3, Reason: "NonZeroExitCode"},
		"2768_3": {State: state.Failed, Code: 137, Reason: "NonZeroExitCode"},
		"2768_4": {State: state.Cancelled, Code: 143},
		"2769_1": {State: state.Pending, Code: -1, Reason: "JobHeldUser"},
	})
	adaptertest.CheckStatuses(t, parseSacct(captured(t, "array-sacct.txt")), map[string]adaptertest.Want{
		"2768_0": {State: state.Finished, Code: 0},
		"2768_1": {State: state.Finished, Code: 0},
		"2768_2": {State: state.Failed, Code: 3},
		"2768_3": {State: state.Failed, Code: 9}, // sacct's low bits; the script's record says 137
		"2768_4": {State: state.Cancelled, Code: -1},
		"2768_5": {State: state.Finished, Code: 0},
		"2769_0": {State: state.Pending, Code: -1},
		"2769_1": {State: state.Pending, Code: -1},
		"2769_2": {State: state.Pending, Code: -1},
		"2769_3": {State: state.Pending, Code: -1},
	})
	adaptertest.CheckStatuses(t, parseScontrol(captured(t, "array-scontrol.txt")), map[string]adaptertest.Want{
		"2768_3": {State: state.Failed, Code: 137, Reason: "NonZeroExitCode"},
	})
	adaptertest.CheckStatuses(t, parseScontrol(captured(t, "array-scontrol-held.txt")), map[string]adaptertest.Want{
		"2769_1": {State: state.Pending, Code: -1, Reason: "JobHeldUser"},
	})
	if n := parseMaxArraySize(captured(t, "array-config.txt")); n != 1001 {
		t.Errorf("MaxArraySize %d, want 1001", n)
	}
	if n := parseMaxArraySize("garbage"); n != defaultMaxArray {
		t.Errorf("MaxArraySize of garbage %d, want the default", n)
	}
}

func TestExpandTasks(t *testing.T) {
	for in, want := range map[string]string{
		"12":                 "[12]",
		"12_3":               "[12_3]",
		"12_[0-3,5%2]":       "[12_0 12_1 12_2 12_3 12_5]",
		"12_0-2%4":           "[12_0 12_1 12_2]",
		"12_[1-7:3]":         "[12_1 12_4 12_7]",
		"12_[x]":             "[]",
		"2769_[0-3%2]":       "[2769_0 2769_1 2769_2 2769_3]",
		"12_[5-3]":           "[]",
		"12_[0-1,garbage]":   "[12_0 12_1]",
		"12_[0-1,3-garbage]": "[12_0 12_1]",
	} {
		if got := fmt.Sprint(expandTasks(in)); got != want {
			t.Errorf("expandTasks(%q) = %s, want %s", in, got, want)
		}
	}
}

// The lines every task of an array shares are the script's #SBATCH lines
// but its name, comment and output files; the output files come from the
// header (the last of each), and what an array task cannot take is an
// error.
func TestSplitHeader(t *testing.T) {
	script := "#!/bin/bash\n#SBATCH --nodes=1\n#SBATCH --partition=debug\n#SBATCH --job-name=\"s1\"\n#SBATCH --output=\"s1.out\"\n" +
		"#SBATCH --error=\"s1.err\"\n#SBATCH --comment \"a step\"\n# a comment\n#SBATCH -o s1.log\n\n#SBATCH --time=5\necho hi\n#SBATCH --qos=late\n"
	shared, out, errf, err := splitHeader(script)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(shared, "\n"); got != "#SBATCH --nodes=1\n#SBATCH --partition=debug\n#SBATCH --time=5" {
		t.Errorf("shared lines:\n%s", got)
	}
	if out != "s1.log" || errf != "s1.err" {
		t.Errorf("output %q, error %q", out, errf)
	}
	if _, out, errf, _ := splitHeader("#!/bin/sh\n#SBATCH --output=one\necho\n"); out != "one" || errf != "one" {
		t.Errorf("without --error: output %q, error %q", out, errf)
	}
	for _, bad := range []string{"#!/bin/sh\necho\n", "#!/bin/sh\n#SBATCH --output=x-%j.out\n", "#!/bin/sh\n#SBATCH --output=x\n#SBATCH --array=1-3\n"} {
		if _, _, _, err := splitHeader(bad); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

// stepScript writes the script of step name as the study writer does,
// asking for procs, and returns it as the conductor hands it over: with
// the resource key of the study's record of the step.
func stepScript(t *testing.T, root, name, procs string, args ...spec.KV) *adapters.Job {
	t.Helper()
	step := &spec.Step{Name: name, Description: "step " + name, Run: spec.Run{Cmd: "true", Procs: procs, Walltime: "00:05:00"}}
	batch := &spec.Batch{Type: "slurm", Shell: "/bin/bash", Queue: "debug", Args: args}
	text, err := adapters.Render(New(), &adapters.Script{JobName: name, Step: step, Batch: batch}, "true", true)
	if err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(root, name)
	script := filepath.Join(ws, name+".slurm.sh")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, text, 0o755); err != nil {
		t.Fatal(err)
	}
	key := adapters.ResourceKey(&store.StepInfo{Walltime: step.Run.Walltime, Resources: adapters.StoreResources(&step.Run)})
	return &adapters.Job{Name: name, Script: script, Workspace: ws, Token: "1", Resources: key}
}

// An array's rows: a job that carries the first one's resource key is
// taken on it, its script not read (here: removed), its files named
// after itself, or as a batch arg names them; a job that carries another
// key, or none, has its header read, and one that asks for other
// resources is refused.
func TestArrayRows(t *testing.T) {
	rows := func(jobs []*adapters.Job) ([]adapters.ArrayRow, error) {
		t.Helper()
		buf := make([]byte, headRead)
		head, err := readHead(jobs[0].Script, buf)
		if err != nil {
			t.Fatal(err)
		}
		shared, out, errf, err := splitHeader(head)
		if err != nil {
			t.Fatal(err)
		}
		return arrayRows(jobs, adapters.ArrayRow{Job: jobs[0], Out: out, Err: errf}, shared, buf)
	}
	for _, args := range [][]spec.KV{nil, {{Key: "output", Value: "run.log"}}} {
		root := t.TempDir()
		var jobs []*adapters.Job
		for i := range 4 {
			jobs = append(jobs, stepScript(t, root, fmt.Sprintf("s_%d", i), "1", args...))
		}
		if err := os.Remove(jobs[2].Script); err != nil {
			t.Fatal(err)
		}
		got, err := rows(jobs)
		if err != nil {
			t.Fatalf("args %v: %v", args, err)
		}
		for i, r := range got {
			out := jobs[i].Name + ".out"
			if args != nil {
				out = "run.log"
			}
			if r.Job != jobs[i] || r.Out != out || r.Err != jobs[i].Name+".err" {
				t.Errorf("args %v: row %d: %s, %q, %q; want %s, %q, %q", args, i, r.Job.Name, r.Out, r.Err, jobs[i].Name, out, jobs[i].Name+".err")
			}
		}
	}

	root := t.TempDir()
	jobs := []*adapters.Job{stepScript(t, root, "a", "1"), stepScript(t, root, "b", "1"), stepScript(t, root, "c", "2")}
	if _, err := rows(jobs); err == nil || !strings.Contains(err.Error(), "same resources") {
		t.Errorf("a job carrying other resources, whose header asks for them: %v, want a refusal", err)
	}
	jobs[2].Resources = ""
	if _, err := rows(jobs); err == nil || !strings.Contains(err.Error(), "same resources") {
		t.Errorf("a job carrying no key whose header asks for other resources: %v, want a refusal", err)
	}
	jobs[2] = stepScript(t, root, "d", "1")
	jobs[2].Resources = "another key"
	if got, err := rows(jobs); err != nil || got[2].Out != "d.out" {
		t.Errorf("a job carrying another key whose header asks for the same: %v, %v; want its row", got, err)
	}
}

// What Slurm printed when asked by the arrays' own ids
// (testdata/slurm/capture-array.sh): squeue and sacct list the tasks that
// started one by one and the pending ones of an array in one line, read
// as each task; scontrol shows a held array as one job.
func TestParseArraysByBase(t *testing.T) {
	pending := func(want map[string]adaptertest.Want, base string, n int) {
		for i := 0; i < n; i++ {
			want[fmt.Sprintf("%s_%d", base, i)] = adaptertest.Want{State: state.Pending, Code: -1, Reason: "JobHeldUser"}
		}
	}
	running := map[string]adaptertest.Want{
		"25274_0": {State: state.Finished, Code: 0},
		"25274_1": {State: state.Finished, Code: 0},
		"25274_2": {State: state.Failed, Code: 3, Reason: "NonZeroExitCode"},
		"25274_3": {State: state.Failed, Code: 137, Reason: "NonZeroExitCode"},
		"25274_4": {State: state.Running, Code: -1},
		"25274_5": {State: state.Finished, Code: 0},
	}
	pending(running, "25275", 4)
	pending(running, "25450", 1000)
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "array-squeue-running.txt")), running)
	ended := maps.Clone(running)
	ended["25274_4"] = adaptertest.Want{State: state.Cancelled, Code: 143}
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "array-squeue-base.txt")), ended)
	acct := map[string]adaptertest.Want{
		"25274_0": {State: state.Finished, Code: 0},
		"25274_1": {State: state.Finished, Code: 0},
		"25274_2": {State: state.Failed, Code: 3},
		"25274_3": {State: state.Failed, Code: 9},
		"25274_4": {State: state.Cancelled, Code: -1},
		"25274_5": {State: state.Finished, Code: 0},
	}
	for i := 0; i < 1000; i++ {
		acct[fmt.Sprintf("25450_%d", i)] = adaptertest.Want{State: state.Pending, Code: -1}
		if i < 4 {
			acct[fmt.Sprintf("25275_%d", i)] = adaptertest.Want{State: state.Pending, Code: -1}
		}
	}
	adaptertest.CheckStatuses(t, parseSacct(captured(t, "array-sacct-base.txt")), acct)
	held := map[string]adaptertest.Want{}
	pending(held, "25450", 1000)
	adaptertest.CheckStatuses(t, parseScontrol(captured(t, "array-scontrol-base.txt")), held)
}

// A query of the 1,000 tasks of one array and the 6 of another is one
// squeue call naming the two arrays, answered for every task
// (squeue's recorded answer, printed by a stand-in that logs its calls).
func TestQueryArrayByBase(t *testing.T) {
	dir := t.TempDir()
	answer, err := filepath.Abs(filepath.Join("..", "..", "testdata", "slurm", "array-squeue-base.txt"))
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "calls")
	for _, name := range []string{"squeue", "sacct", "scontrol"} {
		script := fmt.Sprintf("#!/bin/sh\necho \"%s $*\" >> '%s'\n", name, log)
		if name == "squeue" {
			script += fmt.Sprintf("grep -v '^#' '%s'\n", answer)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := New().Open(adapters.Config{StateDir: t.TempDir(), Env: func() []string { return []string{"PATH=" + dir + ":/usr/bin:/bin"} }})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 1000; i++ {
		ids = append(ids, fmt.Sprintf("25450_%d", i))
	}
	for i := 0; i < 6; i++ {
		ids = append(ids, fmt.Sprintf("25274_%d", i))
	}
	if n := ex.Capabilities().MaxIDs; n < len(ids)-6 {
		t.Fatalf("MaxIDs %d: one query cannot hold an array's 1,000 tasks", n)
	}
	res, err := ex.Query(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(ids) {
		t.Errorf("answered for %d of %d tasks", len(res), len(ids))
	}
	if st := res["25450_999"]; st.State != state.Pending || st.Reason != "JobHeldUser" {
		t.Errorf("25450_999: %s (%s), want PENDING (JobHeldUser)", st.State, st.Reason)
	}
	if st := res["25274_4"]; st.State != state.Cancelled {
		t.Errorf("25274_4: %s, want CANCELLED", st.State)
	}
	calls, _ := os.ReadFile(log)
	if want := "squeue -h -t all -O JobArrayID:0|,State:0|,Reason:0|,exit_code:0 -j 25450,25274\n"; string(calls) != want {
		t.Errorf("commands:\n%s\nwant:\n%s", calls, want)
	}
}
