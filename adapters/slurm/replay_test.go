package slurm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/slurm"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

var replayBatch = spec.Batch{Type: "slurm", Shell: "/bin/bash", Host: "localhost", Bank: "maestro", Queue: "debug"}

// TestReplayConformance runs the conformance suite against what the real
// cluster answered when it ran (testdata/slurm/replay/conformance.jsonl).
func TestReplayConformance(t *testing.T) {
	recording, _ := fakeSlurm(t, "conformance")
	poll := time.Millisecond
	if recording {
		poll = time.Second
	}
	adaptertest.Run(t, adaptertest.Harness{
		Adapter:         slurm.New(),
		Batch:           replayBatch,
		Scheduled:       true,
		Timeout:         2 * time.Minute,
		WalltimeTimeout: 4 * time.Minute,
		Poll:            poll,
		UnknownID:       "987654321",
		Arrays:          true,
		Replayed:        !recording,
	})
}

// scenario drives one executor against the fake (or, recording, the real)
// Slurm.
type scenario struct {
	t    *testing.T
	ex   adapters.Executor
	poll time.Duration
}

func newScenario(t *testing.T, recording bool) *scenario {
	ex, err := slurm.New().Open(adapters.Config{Batch: &replayBatch, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s := &scenario{t: t, ex: ex}
	if recording {
		s.poll = time.Second
	}
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// job writes a script in workspace ws (made if need be) for a job named
// name running cmd; partition defaults to debug.
func (s *scenario) job(name, ws, cmd, partition string) *adapters.Job {
	s.t.Helper()
	if partition == "" {
		partition = "debug"
	}
	if err := os.MkdirAll(ws, 0o755); err != nil {
		s.t.Fatal(err)
	}
	script := filepath.Join(ws, name+".slurm.sh")
	text := fmt.Sprintf("#!/bin/bash\n#SBATCH --job-name=%s\n#SBATCH --partition=%s\n#SBATCH --output=%s.out\n\n%s\n", name, partition, name, cmd)
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		s.t.Fatal(err)
	}
	return &adapters.Job{Name: name, Script: script, Workspace: ws}
}

func (s *scenario) submit(j *adapters.Job) string {
	s.t.Helper()
	id, err := s.ex.Submit(ctx(s.t), j)
	if err != nil {
		s.t.Fatalf("submit %s: %v", j.Name, err)
	}
	return id
}

// wait queries ids until each is in its wanted state, and returns the
// last answer.
func (s *scenario) wait(want map[string]state.State) map[string]adapters.Status {
	s.t.Helper()
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	// One order for every query: the recording is keyed by the arguments.
	slices.Sort(ids)
	var res map[string]adapters.Status
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(s.poll) {
		var err error
		if res, err = s.ex.Query(ctx(s.t), ids); err != nil {
			s.t.Fatalf("query %v: %v", ids, err)
		}
		done := true
		for id, st := range want {
			if res[id].State != st {
				done = false
			}
		}
		if done {
			return res
		}
	}
	s.t.Fatalf("waited for %v; last %v", want, res)
	return nil
}

// TestReplayFind: Find tells a step's job from an earlier submission of
// the same step (submitted before since) and from a job of the same name
// in another workspace, both while the jobs are in squeue and after they
// end; Query follows them through squeue and sacct; Submit reports what
// Slurm refuses.
func TestReplayFind(t *testing.T) {
	recording, cassette := fakeSlurm(t, "find")
	s := newScenario(t, recording)
	root := t.TempDir()
	wsA, wsB, wsC, wsOther := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c"), filepath.Join(root, "other")

	early := s.submit(s.job("find_a", wsA, "sleep 300", ""))
	// since is a second after the early submission: Slurm's submit times
	// have whole seconds.
	if recording {
		for first := time.Now().Truncate(time.Second); !time.Now().Truncate(time.Second).After(first); time.Sleep(20 * time.Millisecond) {
		}
	}
	sinceText := meta(t, recording, cassette, "since", time.Now().Format("2006-01-02T15:04:05"))
	since, err := time.ParseInLocation("2006-01-02T15:04:05", sinceText, time.Local)
	if err != nil {
		t.Fatal(err)
	}
	a := s.submit(s.job("find_a", wsA, "echo a", ""))
	b := s.submit(s.job("find_b", wsB, "sleep 300", ""))
	other := s.submit(s.job("find_a", wsOther, "echo other", ""))
	if len(map[string]bool{early: true, a: true, b: true, other: true}) != 4 {
		t.Fatalf("job ids not distinct: %s %s %s %s", early, a, b, other)
	}

	jobs := []*adapters.Job{{Name: "find_a", Workspace: wsA}, {Name: "find_b", Workspace: wsB + "/"}, {Name: "find_c", Workspace: wsC}}
	find := func(when string) {
		t.Helper()
		got, err := s.ex.Find(ctx(t), jobs, since)
		if err != nil {
			t.Fatalf("find %s: %v", when, err)
		}
		if want := fmt.Sprint(map[string]string{"find_a": a, "find_b": b}); fmt.Sprint(got) != want {
			t.Errorf("find %s: %v, want %v", when, got, want)
		}
	}
	find("while queued or running")

	if err := s.ex.Cancel(ctx(t), []string{early}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	res := s.wait(map[string]state.State{early: state.Cancelled, a: state.Finished, other: state.Finished, b: state.Running})
	for _, id := range []string{a, other} {
		if c := res[id].ExitCode; c == nil || *c != 0 {
			t.Errorf("job %s: exit code %v, want 0", id, c)
		}
	}
	if err := s.ex.Cancel(ctx(t), []string{b}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	s.wait(map[string]state.State{b: state.Cancelled})
	find("after they ended")

	// What Slurm refuses comes back as one line naming the command.
	_, err = s.ex.Submit(ctx(t), s.job("find_bad", wsC, "true", "nope"))
	if err == nil || !strings.Contains(err.Error(), "sbatch failed (exit 1): sbatch: error: Batch job submission failed: Invalid partition name specified") {
		t.Errorf("submit to a missing partition: %v", err)
	}
	// scancel of a job Slurm does not know prints nothing and exits 0.
	if err := s.ex.Cancel(ctx(t), []string{"987654321"}); err != nil {
		t.Errorf("cancel of an unknown job: %v", err)
	}
}

// slurmConf points the real commands, when recording, at a copy of the
// cluster's slurm.conf changed by edit: the cluster itself is untouched.
func slurmConf(t *testing.T, recording bool, edit func(conf string) string) {
	t.Helper()
	dir := t.TempDir() // in both modes: recordings name temporary directories by number
	if !recording {
		return
	}
	data, err := os.ReadFile(os.Getenv("SLURM_CONF"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "slurm.conf")
	if err := os.WriteFile(path, []byte(edit(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLURM_CONF", path)
}

// confLines rewrites slurm.conf lines: a key mapped to "" is dropped.
func confLines(conf string, set map[string]string) string {
	var out []string
	for _, line := range strings.Split(conf, "\n") {
		k, _, _ := strings.Cut(line, "=")
		if v, ok := set[k]; ok {
			if v != "" {
				out = append(out, k+"="+v)
			}
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestReplayNoAccounting: without accounting (sacct answers "Slurm
// accounting storage is disabled"), ended jobs get their state and exit
// code from scontrol, and Find works from squeue alone.
func TestReplayNoAccounting(t *testing.T) {
	recording, cassette := fakeSlurm(t, "noaccounting")
	slurmConf(t, recording, func(conf string) string {
		return confLines(conf, map[string]string{"AccountingStorageType": "accounting_storage/none", "AccountingStorageHost": "",
			"AccountingStoragePort": "", "AccountingStoragePass": "", "AccountingStorageEnforce": ""})
	})
	s := newScenario(t, recording)
	root := t.TempDir()
	sinceText := meta(t, recording, cassette, "since", time.Now().Format("2006-01-02T15:04:05"))
	since, err := time.ParseInLocation("2006-01-02T15:04:05", sinceText, time.Local)
	if err != nil {
		t.Fatal(err)
	}
	ok := s.submit(s.job("noacct_ok", filepath.Join(root, "ok"), "true", ""))
	fails := s.submit(s.job("noacct_fail", filepath.Join(root, "fail"), "exit 3", ""))
	res := s.wait(map[string]state.State{ok: state.Finished, fails: state.Failed})
	for id, want := range map[string]int{ok: 0, fails: 3} {
		if c := res[id].ExitCode; c == nil || *c != want {
			t.Errorf("job %s: exit code %v, want %d", id, c, want)
		}
	}
	if res[fails].Reason != "NonZeroExitCode" {
		t.Errorf("reason %q", res[fails].Reason)
	}
	got, err := s.ex.Find(ctx(t), []*adapters.Job{{Name: "noacct_ok", Workspace: filepath.Join(root, "ok")}}, since)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(map[string]string{"noacct_ok": ok}) {
		t.Errorf("find: %v %v", got, err)
	}
}

// TestReplayOutage: with slurmctld unreachable every command fails with
// the message Slurm prints, and the executor reports the scheduler as
// unavailable (try again later) rather than anything about the jobs.
func TestReplayOutage(t *testing.T) {
	recording, _ := fakeSlurm(t, "outage")
	slurmConf(t, recording, func(conf string) string {
		return confLines(conf, map[string]string{"SlurmctldPort": "6999", "AccountingStoragePort": "6998"})
	})
	s := newScenario(t, recording)
	ws := filepath.Join(t.TempDir(), "ws")
	_, err := s.ex.Submit(ctx(t), s.job("outage", ws, "true", ""))
	check := func(what string, err error, msg string) {
		t.Helper()
		if !errors.Is(err, adapters.ErrUnavailable) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want unavailable: %s", what, err, msg)
		}
	}
	check("submit", err, "Unable to contact slurm controller")
	_, err = s.ex.Query(ctx(t), []string{"12", "13"})
	check("query", err, "squeue failed (exit 1): slurm_load_jobs error: Unable to contact slurm controller (connect failure)")
	err = s.ex.Cancel(ctx(t), []string{"12"})
	check("cancel", err, "Unable to contact slurm controller")
}
