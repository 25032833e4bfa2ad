package lsf_test

import (
	"context"
	"errors"
	"github.com/maestro-go/maestro/adapters/all"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/adapters/lsf"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// TestMain lets this test binary act as the fake bsub, bjobs and bkill.
func TestMain(m *testing.M) {
	adaptertest.ConductorMain(all.Registry())
	fakesched.Main()
	os.Exit(m.Run())
}

func batch() spec.Batch {
	return spec.Batch{Type: "lsf", Shell: "/bin/bash", Host: "localhost", Bank: "wbronze", Queue: "pdebug"}
}

// TestConformance runs the shared suite against the fake LSF, a minute of
// walltime taking 1.2 s. Its job ids have nine digits.
func TestConformance(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvTimeScale+"=0.02")
	adaptertest.Run(t, adaptertest.Harness{
		Env:             f.Environ,
		Adapter:         lsf.New(),
		Batch:           batch(),
		Scheduled:       true,
		Timeout:         30 * time.Second,
		WalltimeTimeout: 30 * time.Second,
		Poll:            50 * time.Millisecond,
		UnknownID:       "987654321",
	})
}

func TestOutages(t *testing.T) {
	t.Parallel()
	fakesched.Outages{Adapter: lsf.New(), Batch: batch(), Down: "Request from non-LSF host rejected", UnknownID: "987654321"}.Run(t)
}

func script(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "job.lsf.sh")
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLongIDs: ids of 11 digits are submitted, found and cancelled (the
// Python tool's "jobid:7" column lost every id above 7 digits).
func TestLongIDs(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvFirstID+"=12345678901")
	b := batch()
	ex, _ := lsf.New().Open(adapters.Config{Batch: &b, Env: f.Environ})
	job := &adapters.Job{Name: "long", Script: script(t, "#!/bin/bash\nsleep 30\n"), Workspace: t.TempDir()}
	id, err := ex.Submit(context.Background(), job)
	if err != nil || id != "12345678901" {
		t.Fatalf("submit: %q %v", id, err)
	}
	wait := func(want state.State) {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			res, err := ex.Query(context.Background(), []string{id})
			if err != nil || time.Now().After(end) {
				t.Fatalf("waiting for %s: %v %v", want, res, err)
			}
			if res[id].State == want {
				return
			}
		}
	}
	wait(state.Running)
	if err := ex.Cancel(context.Background(), []string{id}); err != nil {
		t.Fatal(err)
	}
	wait(state.Cancelled)
}

// TestSubmitError: bsub's refusal reaches the caller.
func TestSubmitError(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t)
	b := batch()
	ex, _ := lsf.New().Open(adapters.Config{Batch: &b, Env: f.Environ})
	_, err := ex.Submit(context.Background(), &adapters.Job{Name: "bad", Script: script(t, "#!/bin/bash\n#BSUB -W soon\ntrue\n"), Workspace: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "soon: Bad RUNLIMIT specification. Job not submitted.") {
		t.Fatalf("error %v", err)
	}
}

// TestWorkspace: the job runs in its workspace (bsub -cwd) and writes its
// output files there (#BSUB -o/-e, with %J the job id), LSF's job report
// at the end of the -o file.
func TestWorkspace(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t)
	b := batch()
	ex, _ := lsf.New().Open(adapters.Config{Batch: &b, Env: f.Environ})
	ws := t.TempDir()
	step := &spec.Step{Name: "where", Run: spec.Run{Cmd: "pwd; echo err >&2", Procs: "1"}}
	text, err := adapters.Render(lsf.New(), &adapters.Script{JobName: "where", Step: step, Batch: &b}, step.Run.Cmd, true)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ex.Submit(context.Background(), &adapters.Job{Name: "where", Script: script(t, string(text)), Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := ex.Query(context.Background(), []string{id})
		if err != nil || time.Now().After(end) {
			t.Fatalf("%v %v", res, err)
		}
		if res[id].State == state.Finished {
			break
		}
	}
	out, _ := os.ReadFile(filepath.Join(ws, "where."+id+".out"))
	errs, _ := os.ReadFile(filepath.Join(ws, "where."+id+".err"))
	if !strings.HasPrefix(string(out), ws+"\n\n----") || !strings.Contains(string(out), "\nSuccessfully completed.\n") || string(errs) != "err\n" {
		t.Errorf("where.%s.out %q, .err %q; want %q and \"err\"", id, out, errs, ws)
	}
}

// TestVanishingJobs on the fake LSF: a job not yet listed right after
// bsub took it is PENDING, not missing; a job LSF forgot after it ended
// (CLEAN_PERIOD) reports its real end from its job report, to a later
// conductor too; a job whose bsub answer was lost (empty, exit 0) is
// found, not submitted again.
func TestVanishingJobs(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t, fakesched.EnvHidden+"=500ms", fakesched.EnvForget+"=2s", fakesched.EnvPending+"=0s")
	b := batch()
	stateDir := t.TempDir()
	open := func() adapters.Executor {
		ex, err := lsf.New().Open(adapters.Config{Batch: &b, StateDir: stateDir, Env: f.Environ})
		if err != nil {
			t.Fatal(err)
		}
		return ex
	}
	ex := open()
	ws := t.TempDir()
	job := &adapters.Job{Name: "fails", Script: script(t, "#!/bin/bash\n#BSUB -J fails\n#BSUB -o fails.%J.out\nsleep 1\nexit 3\n"), Workspace: ws, Token: "1"}
	id, err := ex.Submit(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ex.Query(context.Background(), []string{id}); err != nil || res[id].State != state.Pending {
		t.Errorf("just submitted, not listed yet: %v %v", res, err)
	}
	// Wait until bjobs lists the job as ended, then until it has forgotten it.
	for _, gone := range []bool{false, true} {
		for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			out, _, err := adapters.Config{Env: f.Environ}.Command(context.Background(), nil, "bjobs", "-a", "-noheader", "-o", "stat", id)
			if gone && err != nil || !gone && strings.TrimSpace(out) == "EXIT" {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("job %s: bjobs still says %q %v", id, out, err)
			}
		}
	}
	res, err := open().Query(context.Background(), []string{id})
	if st := res[id]; err != nil || st.State != state.Failed || st.ExitCode == nil || *st.ExitCode != 3 {
		t.Errorf("a forgotten job: %+v %v", res, err)
	}
	f.Set(fakesched.EnvLose, "submit")
	lost := &adapters.Job{Name: "lost", Script: script(t, "#!/bin/bash\n#BSUB -J lost\nsleep 30\n"), Workspace: t.TempDir(), Token: "1"}
	since := time.Now()
	if id, err := ex.Submit(context.Background(), lost); !errors.Is(err, adapters.ErrUnavailable) {
		t.Fatalf("an empty bsub answer: %q %v; want the scheduler unavailable", id, err)
	}
	f.Set(fakesched.EnvLose, "")
	var found map[string]string
	for end := time.Now().Add(30 * time.Second); len(found) == 0; time.Sleep(50 * time.Millisecond) {
		if found, err = open().Find(context.Background(), []*adapters.Job{lost}, since); err != nil || time.Now().After(end) {
			t.Fatalf("find: %v %v", found, err)
		}
	}
	if jobs, _ := filepath.Glob(filepath.Join(f.Dir, "jobs", "*.json")); len(jobs) != 2 {
		t.Errorf("%d jobs, want 2: the lost answer's job was submitted again", len(jobs))
	}
}
