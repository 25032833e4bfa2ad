package study_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/all"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/study"
)

var now = time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)

// load writes text as spec.yaml in a fresh directory and loads it.
func load(t *testing.T, text string) *spec.Spec {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// write creates the study of s in a fresh directory and returns it.
func write(t *testing.T, s *spec.Spec, opt study.Options) (string, *study.Study) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "study")
	if opt.Now.IsZero() {
		opt.Now = now
	}
	opt.Adapters = all.Registry()
	st, err := study.New(s, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write([]string{"B=2", "A=1"}); err != nil {
		t.Fatal(err)
	}
	return dir, st
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// snapshot reads the study database.
func snapshot(t *testing.T, dir string) (*store.StudyInfo, store.Settings, []store.StepInfo, []store.StepStatus, state.Study) {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var (
		info   *store.StudyInfo
		set    store.Settings
		steps  []store.StepInfo
		status []store.StepStatus
		st     state.Study
	)
	err = db.View(func(tx *store.Tx) error {
		var err error
		if info, err = tx.Info(); err != nil {
			return err
		}
		if set, err = tx.Settings(); err != nil {
			return err
		}
		if steps, err = tx.Steps(); err != nil {
			return err
		}
		if status, err = tx.Statuses(); err != nil {
			return err
		}
		st, err = tx.StudyState()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return info, set, steps, status, st
}

const pipeline = `description:
    name: my pipeline
    description: a funnel over two parameters
env:
    variables:
        GREETING: hello
    labels:
        OUT: out.$(SIZE.label).txt
study:
    - name: setup
      description: once
      run:
          cmd: echo $(GREETING) > input.txt
    - name: sim
      description: per combination
      run:
          cmd: cat $(setup.workspace)/input.txt $(SIZE) $(MODE) > $(OUT)
          restart: echo again $(SIZE)
          depends: [setup]
    - name: collect
      description: every combination
      run:
          cmd: cat $(sim.workspace)/*/out.*.txt
          depends: [sim_*]
global.parameters:
    SIZE:
        values: [10, 20]
        label: SIZE.%%
    MODE:
        values: [fast, slow]
        label: MODE.%%
`

// TestWriteLocal writes a local study with a plain dependency and a
// funnel, and checks every file and the database it makes.
func TestWriteLocal(t *testing.T) {
	s := load(t, pipeline)
	settings := store.Settings{Attempts: 2, RLimit: 3, Throttle: 4, SleepSecs: 5}
	dir, st := write(t, s, study.Options{Settings: settings})
	if len(st.Warnings) != 0 {
		t.Errorf("warnings: %q", st.Warnings)
	}

	// The spec copy, the meta files and status.csv.
	if read(t, filepath.Join(dir, "spec.yaml")) != pipeline {
		t.Error("the spec copy differs from the spec")
	}
	if got := read(t, filepath.Join(dir, "meta", "environment.yaml")); got != "A: \"1\"\nB: \"2\"\n" {
		t.Errorf("environment.yaml (sorted):\n%s", got)
	}
	meta := read(t, filepath.Join(dir, "meta", "metadata.yaml"))
	for _, want := range []string{"study: my pipeline\n", "directory: " + dir + "\n", "created: 2024-05-01T12:30:45Z\n",
		"hash_workspaces: false\n", "  sim:\n    sim_MODE.fast.SIZE.10: sim/MODE.fast.SIZE.10\n"} {
		if !strings.Contains(meta, want) {
			t.Errorf("metadata.yaml lacks %q:\n%s", want, meta)
		}
	}
	if got := read(t, filepath.Join(dir, "meta", "parameters.yaml")); !strings.Contains(got, "SIZE:\n  label: \"SIZE.%%\"\n  values:\n  - \"10\"\n  - \"20\"\nMODE:\n") {
		t.Errorf("parameters.yaml:\n%s", got)
	}
	if got := read(t, filepath.Join(dir, "batch.info")); got != "type: local\nshell: /bin/bash\n" {
		t.Errorf("batch.info:\n%s", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "logs")); err != nil || !fi.IsDir() {
		t.Errorf("logs/: %v", err)
	}
	csv := read(t, filepath.Join(dir, "status.csv"))
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[0], "Step Name,") {
		t.Errorf("status.csv:\n%s", csv)
	}

	// One workspace and script per step and combination; tokens replaced.
	simWS := filepath.Join(dir, "sim", "MODE.slow.SIZE.20")
	script := filepath.Join(simWS, "sim_MODE.slow.SIZE.20.sh")
	want := "#!/bin/bash\n\ncat " + filepath.Join(dir, "setup") + "/input.txt 20 slow > out.SIZE.20.txt\n"
	if got := read(t, script); got != want {
		t.Errorf("%s:\n%q\nwant\n%q", script, got, want)
	}
	if fi, err := os.Stat(script); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("script not executable: %v %v", fi.Mode(), err)
	}
	if got := read(t, filepath.Join(simWS, "sim_MODE.slow.SIZE.20.restart.sh")); got != "#!/bin/bash\n\necho again 20\n" {
		t.Errorf("restart script: %q", got)
	}
	if got := read(t, filepath.Join(dir, "collect", "collect.sh")); got != "#!/bin/bash\n\ncat "+filepath.Join(dir, "sim")+"/*/out.*.txt\n" {
		t.Errorf("collect script: %q", got)
	}

	// The database: table order, parents by table position, parameters,
	// the batch block, the settings, every step INITIALIZED.
	info, set, steps, status, studyState := snapshot(t, dir)
	if info.Name != "my pipeline" || info.Stem != "my_pipeline" || info.Dir != dir || info.Spec != filepath.Join(dir, "spec.yaml") ||
		info.BatchType != "local" || info.Batch.Type != "local" || info.Batch.Shell != "/bin/bash" || !info.Created.Equal(now) || info.Dry || info.ScriptsDir != "" {
		t.Errorf("study info %+v", info)
	}
	if set != settings || studyState != state.StudyInitialized {
		t.Errorf("settings %+v, state %s", set, studyState)
	}
	var rows []string
	for i, s := range steps {
		rows = append(rows, fmt.Sprint(s.Name, " ", s.Workspace, " ", s.Params, " ", s.Parents, " ", s.Restart != "", " ", s.Scheduled))
		if status[i].State != state.Initialized {
			t.Errorf("%s is %s", s.Name, status[i].State)
		}
		if _, err := os.Stat(s.Script); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	wantRows := []string{
		"setup setup [] [] false false",
		"sim_MODE.fast.SIZE.10 sim/MODE.fast.SIZE.10 [{SIZE 10} {MODE fast}] [0] true false",
		"sim_MODE.slow.SIZE.20 sim/MODE.slow.SIZE.20 [{SIZE 20} {MODE slow}] [0] true false",
		"collect collect [] [1 2] false false",
	}
	if strings.Join(rows, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("steps:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
	}
	if len(status) != len(steps) {
		t.Errorf("%d statuses for %d steps", len(status), len(steps))
	}

	// A second write of the same study refuses, and leaves the first alone.
	if !st.Exists() {
		t.Error("Exists is false after Write")
	}
	if err := st.Write(nil); err == nil {
		t.Error("a second Write must fail")
	}
	if _, err := os.Stat(script); err != nil {
		t.Errorf("the second Write removed the first study: %v", err)
	}
}

// TestWriteDry marks every step DRYRUN, ended at launch.
func TestWriteDry(t *testing.T) {
	dir, _ := write(t, load(t, pipeline), study.Options{Dry: true})
	info, _, _, status, studyState := snapshot(t, dir)
	if !info.Dry || studyState != state.StudyDryRun {
		t.Errorf("dry %v, state %s", info.Dry, studyState)
	}
	for i, s := range status {
		if s.State != state.DryRun || !s.Ended.Equal(now) {
			t.Errorf("step %d: %s ended %v", i, s.State, s.Ended)
		}
	}
}

const slurmSpec = `description: {name: sl, description: slurm}
batch:
    type: slurm
    host: localhost
    bank: acct
    queue: debug
    qos: normal
    args:
        mem: 64M
    site_key: kept
study:
    - name: pre
      description: local, with a stray launcher
      run: {cmd: "$(LAUNCHER) echo pre"}
    - name: job
      description: a Slurm job
      run:
          cmd: $(LAUNCHER) ./a.out $(N)
          depends: [pre]
          nodes: 1
          procs: 2
          walltime: "00:10:00"
global.parameters:
    N: {values: [1, 2], label: N.%%}
`

// TestWriteSlurm: scheduled steps get Slurm scripts with a header and the
// launcher, a local step in a Slurm study gets neither (and a warning),
// and the database keeps the whole batch block.
func TestWriteSlurm(t *testing.T) {
	dir, st := write(t, load(t, slurmSpec), study.Options{})
	if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "step 'pre' uses $(LAUNCHER) but sets neither nodes nor procs") ||
		!strings.Contains(st.Warnings[0], "spec.yaml:") {
		t.Errorf("warnings %q", st.Warnings)
	}
	if got := read(t, filepath.Join(dir, "pre", "pre.slurm.sh")); got != "#!/bin/bash\n\necho pre\n" {
		t.Errorf("local step script: %q", got)
	}
	job := read(t, filepath.Join(dir, "job", "N.1", "job_N.1.slurm.sh"))
	for _, want := range []string{"#!/bin/bash\n", "#SBATCH --job-name=\"job_N.1\"\n", "#SBATCH --output=\"job_N.1.out\"\n", "#SBATCH --account=acct\n", "#SBATCH --partition=debug\n",
		"#SBATCH --time=00:10:00\n", "#SBATCH --mem=64M\n", "\nsrun -n 2 -N 1 ./a.out 1\n"} {
		if !strings.Contains(job, want) {
			t.Errorf("job script lacks %q:\n%s", want, job)
		}
	}
	info, _, steps, _, _ := snapshot(t, dir)
	b := info.Batch
	if b.Type != "slurm" || b.Host != "localhost" || b.Bank != "acct" || b.Queue != "debug" || b.QOS != "normal" ||
		fmt.Sprint(b.Args) != "[{mem 64M}]" || fmt.Sprint(b.Extra) != "map[site_key:kept]" {
		t.Errorf("stored batch %+v", b)
	}
	if steps[0].Scheduled || !steps[1].Scheduled || steps[1].Walltime != "00:10:00" || steps[1].JobName != "job_N.1" {
		t.Errorf("steps %+v", steps)
	}
	if got := read(t, filepath.Join(dir, "batch.info")); !strings.Contains(got, "site_key: kept\nargs:\n  mem: \"64M\"\n") {
		t.Errorf("batch.info:\n%s", got)
	}
}

// TestHashWS names scheduler jobs and scripts by hash, keeping the names
// in the table.
func TestHashWS(t *testing.T) {
	dir, _ := write(t, load(t, slurmSpec), study.Options{HashWS: true})
	_, _, steps, _, _ := snapshot(t, dir)
	for _, s := range steps[1:] {
		if !strings.HasPrefix(s.Name, "job_N.") || s.JobName == s.Name || strings.Contains(s.Workspace, "N.") {
			t.Errorf("hashed step %+v", s)
		}
		if _, err := os.Stat(s.Script); err != nil {
			t.Error(err)
		}
	}
}

// TestUseTmp puts scripts in a temporary directory, recorded in the study,
// with the workspaces in the study.
func TestUseTmp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir, _ := write(t, load(t, pipeline), study.Options{UseTmp: true})
	info, _, steps, _, _ := snapshot(t, dir)
	if !strings.HasPrefix(info.ScriptsDir, filepath.Join(tmp, "maestro-")) {
		t.Fatalf("scripts dir %q", info.ScriptsDir)
	}
	for _, s := range steps {
		if !strings.HasPrefix(s.Script, info.ScriptsDir+"/") {
			t.Errorf("%s: script %s", s.Name, s.Script)
		}
		if fi, err := os.Stat(filepath.Join(dir, s.Workspace)); err != nil || !fi.IsDir() {
			t.Errorf("%s: workspace %v", s.Name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, s.Workspace, filepath.Base(s.Script))); err == nil {
			t.Errorf("%s: script also in the study", s.Name)
		}
	}
}

func TestDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	wd, _ := os.Getwd()
	for _, c := range []struct {
		vars, out, want string
	}{
		{"", "", filepath.Join(wd, "a_b_20240501-123045")},
		{"OUTPUT_PATH: ./results", "", filepath.Join(wd, "results", "a_b_20240501-123045")},
		{"OUTPUT_PATH: /abs/$(X)\n        X: y", "", "/abs/y/a_b_20240501-123045"},
		{"OUTPUT_PATH: ~/runs", "", filepath.Join(home, "runs", "a_b_20240501-123045")},
		{"OUTPUT_PATH: ./ignored", "/exact/dir", "/exact/dir"},
	} {
		text := "description: {name: a b, description: d}\n"
		if c.vars != "" {
			text += "env:\n    variables:\n        " + c.vars + "\n"
		}
		text += "study:\n    - {name: s, description: d, run: {cmd: echo}}\n"
		got, err := study.Dir(load(t, text), study.Options{Out: c.out, Now: now})
		if err != nil || got != c.want {
			t.Errorf("%q -o %q: %q %v, want %q", c.vars, c.out, got, err, c.want)
		}
	}
	if got := study.Stem("my study/../x"); strings.ContainsAny(got, " /") {
		t.Errorf("Stem kept a blank or slash: %q", got)
	}
}

// TestPathDependency: a path dependency must exist (one positioned error
// otherwise) and its name becomes its absolute path.
func TestPathDependency(t *testing.T) {
	s := load(t, `description: {name: p, description: d}
env:
    dependencies:
        paths:
          - name: INPUTS
            path: $(SPECROOT)/inputs
study:
    - {name: use, description: d, run: {cmd: "cat $(INPUTS)/data.txt"}}
`)
	inputs := filepath.Join(filepath.Dir(s.Path), "inputs")
	_, err := study.New(s, filepath.Join(t.TempDir(), "study"), study.Options{Now: now, Adapters: all.Registry()})
	var se *spec.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "spec.yaml:5:13: The specified path 'INPUTS' does not exist ("+inputs+")") {
		t.Errorf("missing path: %v", err)
	}
	if err := os.Mkdir(inputs, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, _ := write(t, s, study.Options{})
	if got := read(t, filepath.Join(dir, "use", "use.sh")); got != "#!/bin/bash\n\ncat "+inputs+"/data.txt\n" {
		t.Errorf("script %q", got)
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestGitDependency clones a repository at a tag into the study; a clone
// that fails leaves neither the study nor the clone behind.
func TestGitDependency(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "v.txt"), []byte("one\n"), 0o644)
	git(t, repo, "add", "v.txt")
	git(t, repo, "commit", "-q", "-m", "one")
	git(t, repo, "tag", "v1")
	os.WriteFile(filepath.Join(repo, "v.txt"), []byte("two\n"), 0o644)
	git(t, repo, "commit", "-q", "-am", "two")

	text := func(url string) string {
		return `description: {name: g, description: d}
env:
    variables:
        OUTPUT_PATH: ./out
    dependencies:
        git:
          - name: REPO
            path: $(OUTPUT_PATH)/deps
            url: ` + url + `
            tag: v1
study:
    - {name: use, description: d, run: {cmd: "cat $(REPO)/v.txt"}}
`
	}
	s := load(t, text(repo))
	dir, _ := write(t, s, study.Options{})
	clone := filepath.Join(dir, "deps", "REPO")
	if got := read(t, filepath.Join(clone, "v.txt")); got != "one\n" {
		t.Errorf("the clone is not at tag v1: %q", got)
	}
	if got := read(t, filepath.Join(dir, "use", "use.sh")); !strings.Contains(got, "cat "+clone+"/v.txt\n") {
		t.Errorf("script %q", got)
	}

	// Outside the study: a failed clone removes the study directory.
	bad := load(t, strings.Replace(text(filepath.Join(repo, "nope")), "$(OUTPUT_PATH)/deps", "$(SPECROOT)/deps", 1))
	sdir := filepath.Join(t.TempDir(), "study")
	st, err := study.New(bad, sdir, study.Options{Now: now, Adapters: all.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(nil); err == nil || !strings.Contains(err.Error(), "git dependency 'REPO': git clone failed") {
		t.Errorf("bad clone: %v", err)
	}
	for _, p := range []string{sdir, filepath.Join(filepath.Dir(bad.Path), "deps", "REPO")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
}

// Progress is told of the writing, in rising counts that end at the
// total, one call at a time.
func TestWriteProgress(t *testing.T) {
	var vals []string
	for i := 0; i < 1000; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	s := load(t, "description: {name: p, description: p}\nstudy:\n  - {name: a, description: a, run: {cmd: echo $(N)}}\n"+
		"global.parameters:\n  N: {values: ["+strings.Join(vals, ", ")+"], label: N.%%}\n")
	var calls []int
	inCall := false
	write(t, s, study.Options{Progress: func(done, total int) {
		if inCall {
			t.Error("two calls at once")
		}
		inCall = true
		defer func() { inCall = false }()
		if total != 1000 {
			t.Errorf("total %d, want 1000", total)
		}
		calls = append(calls, done)
	}})
	if len(calls) < 2 || calls[len(calls)-1] != 1000 {
		t.Fatalf("progress calls %v, want several ending at 1000", calls)
	}
	for k := 1; k < len(calls); k++ {
		if calls[k] <= calls[k-1] {
			t.Errorf("progress went from %d to %d", calls[k-1], calls[k])
		}
	}
}

// New checks only scheduled scripts before anything is written: a script
// rendered as local never fails, whatever its step asks of any adapter.
func TestLocalScriptsRender(t *testing.T) {
	cmds := []string{"echo hi", "$(LAUNCHER)[bad] x", "$(LAUNCHER)[0n, -1p] y $(LAUNCHER)", "$(LAUNCHER)[", "\x00\xff"}
	reg := all.Registry()
	if len(reg.Names()) < 4 {
		t.Fatalf("adapters %v: the test needs them all", reg.Names())
	}
	for _, name := range reg.Names() {
		a, err := reg.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range cmds {
			step := &spec.Step{Name: "s", Run: spec.Run{Cmd: cmd, Nodes: "-3", Procs: "x", GPUs: "many", Walltime: "forever",
				CoresPerTask: "0.5", Exclusive: "maybe", Nested: true}}
			sc := &adapters.Script{JobName: "s", Step: step, Batch: &spec.Batch{Type: name, Nodes: "nope", Procs: "?"}}
			if _, err := adapters.Render(a, sc, cmd, false); err != nil {
				t.Errorf("%s: rendering %q as a local script failed: %v", name, cmd, err)
			}
			if _, err := adapters.Render(a, sc, cmd, true); name == "slurm" && cmd == cmds[1] && err == nil {
				t.Errorf("slurm: %q rendered as a scheduled script should fail", cmd)
			}
		}
	}
}

const groupSpec = `description: {name: gr, description: arrays and bundles}
batch: {type: slurm, host: localhost, bank: acct, queue: debug, bundle: 4}
study:
    - {name: pre, description: local, run: {cmd: echo pre, array: true}}
    - {name: fan, description: arrayed, run: {cmd: echo $(N), procs: 1, depends: [pre], array: true}}
    - {name: mid, description: the batch bundle, run: {cmd: echo $(N), procs: 1, depends: [fan]}}
    - {name: one, description: a job a step, run: {cmd: echo $(N), nodes: 1, depends: [mid], bundle: 1}}
global.parameters:
    N: {values: [1, 2, 3], label: N.%%}
`

// TestWriteGroups: each scheduled step's record carries its array or
// bundle choice (its own, else the batch block's), a local step none, and
// the keys change no script; a step that may be arrayed or bundled has
// its resources recorded (for every scheduled step with --array).
func TestWriteGroups(t *testing.T) {
	dir, _ := write(t, load(t, groupSpec), study.Options{})
	_, _, steps, _, _ := snapshot(t, dir)
	for _, si := range steps {
		want := store.StepInfo{}
		switch si.Step {
		case "fan":
			want.Array = true
		case "mid":
			want.Bundle = 4
		}
		if si.Array != want.Array || si.Bundle != want.Bundle {
			t.Errorf("%s: array %v bundle %d, want %v %d", si.Name, si.Array, si.Bundle, want.Array, want.Bundle)
		}
		if grouped := want.Bundle > 1 || want.Array; grouped != (len(si.Resources) > 0) {
			t.Errorf("%s: resources %v recorded, want them for an arrayed or bundled step only", si.Name, si.Resources)
		}
	}
	if len(steps) != 10 {
		t.Errorf("%d steps", len(steps))
	}
	arrayed, _ := write(t, load(t, groupSpec), study.Options{Settings: store.Settings{Array: true}})
	_, _, all, _, _ := snapshot(t, arrayed)
	for _, si := range all {
		if si.Scheduled != (len(si.Resources) > 0) {
			t.Errorf("--array: %s (scheduled %v): resources %v recorded, want them for every scheduled step", si.Name, si.Scheduled, si.Resources)
		}
	}
	if got := read(t, filepath.Join(dir, "batch.info")); !strings.HasSuffix(got, "queue: debug\nbundle: 4\n") {
		t.Errorf("batch.info:\n%s", got)
	}
	plain := strings.NewReplacer(", bundle: 4", "", ", array: true", "", ", bundle: 1", "").Replace(groupSpec)
	other, _ := write(t, load(t, plain), study.Options{})
	for _, si := range steps {
		rel, err := filepath.Rel(dir, si.Script)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := read(t, si.Script), read(t, filepath.Join(other, rel)); a != b {
			t.Errorf("%s differs with the keys:\n%s\nwithout:\n%s", rel, a, b)
		}
	}
}
