// Package adaptertest is the conformance suite every scheduler adapter
// runs: submit and finish, a failing exit code, an exceeded walltime,
// cancel, many jobs in one query, an unknown job id, a job whose
// submission a killed conductor never recorded (found, not submitted
// again), for adapters that submit job arrays, the same per task of an
// array (array.go), and a bundle of steps run as one job (bundle.go).
package adaptertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// Harness says how to exercise one adapter.
type Harness struct {
	Adapter adapters.Adapter
	// Batch is the batch block the suite's scripts are written for.
	Batch spec.Batch
	// Scheduled gives the scripts the scheduler's header; false for local.
	Scheduled bool
	// Timeout bounds how long a short job may take to end.
	Timeout time.Duration
	// WalltimeTimeout bounds how long a job with a one-second walltime
	// takes to be killed (Slurm checks limits every 30 s, in minutes).
	WalltimeTimeout time.Duration
	// Poll is the time between queries while waiting.
	Poll time.Duration
	// UnknownID is a well-formed job id the scheduler does not know.
	UnknownID string
	// Nested submits the jobs as nested (Flux: flux batch).
	Nested bool
	// Env is the environment of the scheduler's commands (see
	// adapters.Config.Env); nil is this process's.
	Env func() []string
	// Arrays says the adapter's executors submit job arrays
	// (adapters.ArraySubmitter); the Array subtest fails when they claim
	// otherwise.
	Arrays bool
	// Unthrottled says the scheduler cannot bound how many tasks of an
	// array run at once (Flux's flux submit --cc): the Array subtest
	// checks that an array of more tasks than its parallel is refused,
	// and submits its array without a bound.
	Unthrottled bool
	// ArrayRefused says the executor takes none of the suite's jobs as an
	// array (Flux's nested jobs go through flux batch, which has no --cc):
	// the Array subtest checks that it refuses them with an error the
	// conductor answers by submitting them one by one.
	ArrayRefused bool
	// Replayed says the scheduler replays recorded sessions: a subtest
	// whose commands carry the wall clock (KilledBeforeRecord asks for jobs
	// submitted since a moment) cannot match them, and is left to the
	// adapter's own replay test of Find.
	Replayed bool
}

type suite struct {
	h        Harness
	ex       adapters.Executor
	stateDir string // the study's, shared by the executors of successive conductors
}

// open opens an executor, as a conductor does when it starts.
func (s *suite) open(t *testing.T) adapters.Executor {
	t.Helper()
	ex, err := s.h.Adapter.Open(adapters.Config{Batch: &s.h.Batch, StateDir: s.stateDir, Env: s.h.Env,
		Logf: func(f string, a ...any) { t.Logf(f, a...) }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return ex
}

// Run runs the conformance suite. Its subtests run in parallel.
func Run(t *testing.T, h Harness) {
	if h.Poll == 0 {
		h.Poll = 200 * time.Millisecond
	}
	s := &suite{h: h, stateDir: t.TempDir()}
	s.ex = s.open(t)
	t.Run("SubmitFinish", s.submitFinish)
	t.Run("ExitCode", s.exitCode)
	t.Run("Walltime", s.walltime)
	t.Run("Cancel", s.cancel)
	t.Run("ManyInOneQuery", s.many)
	t.Run("UnknownID", s.unknown)
	t.Run("KilledBeforeRecord", func(t *testing.T) {
		if h.Replayed {
			t.Skip("replayed sessions carry the recording's clock; see the adapter's replay test of Find")
		}
		s.killedBeforeRecord(t)
	})
	t.Run("Array", func(t *testing.T) {
		as, ok := s.ex.(adapters.ArraySubmitter)
		if ok != h.Arrays {
			t.Fatalf("the executor implements ArraySubmitter: %v, want %v", ok, h.Arrays)
		}
		if !ok {
			t.Skip("no job arrays: no recording of this scheduler shows one, so its executor is no ArraySubmitter and the conductor submits one job per step")
		}
		if h.Replayed {
			t.Skip("no recorded session holds arrays; the suite runs them against the real scheduler")
		}
		s.array(t, as)
	})
	t.Run("Bundle", func(t *testing.T) {
		if h.Replayed {
			t.Skip("a replayed session runs no job, and a bundle's steps tell their ends in files the job writes; the suite runs bundles against the real scheduler and the fakes")
		}
		s.bundled(t)
	})
}

// job writes a script for cmd in a fresh workspace and returns its job.
func (s *suite) job(t *testing.T, name, cmd, walltime string) *adapters.Job {
	t.Helper()
	j, _ := s.script(t, name, cmd, walltime)
	return j
}

// script is job, with what the script was written from.
func (s *suite) script(t *testing.T, name, cmd, walltime string) (*adapters.Job, *adapters.Script) {
	t.Helper()
	ws := t.TempDir()
	step := &spec.Step{Name: name, Description: "conformance " + name,
		Run: spec.Run{Cmd: cmd, Procs: "1", Walltime: walltime}}
	sc := &adapters.Script{JobName: name, Step: step, Batch: &s.h.Batch}
	text, err := adapters.Render(s.h.Adapter, sc, cmd, s.h.Scheduled)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	script := filepath.Join(ws, name+s.h.Adapter.Extension())
	if err := os.WriteFile(script, text, 0o755); err != nil {
		t.Fatal(err)
	}
	return &adapters.Job{Name: name, Script: script, Workspace: ws, Walltime: walltime, Token: "1", Nested: s.h.Nested}, sc
}

func (s *suite) submit(t *testing.T, j *adapters.Job) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := s.ex.Submit(ctx, j)
	if err != nil {
		t.Fatalf("submit %s: %v", j.Name, err)
	}
	if id == "" {
		t.Fatalf("submit %s: empty job id", j.Name)
	}
	return id
}

// wait polls until every id satisfies done, returning the last statuses.
func (s *suite) wait(t *testing.T, ids []string, limit time.Duration, done func(adapters.Status) bool) map[string]adapters.Status {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last map[string]adapters.Status
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := s.ex.Query(ctx, ids)
		cancel()
		if err != nil {
			t.Logf("query: %v", err)
		} else {
			last = res
			all := true
			for _, id := range ids {
				st, ok := res[id]
				if !ok || !done(st) {
					all = false
				}
			}
			if all {
				return res
			}
		}
		time.Sleep(s.h.Poll)
	}
	t.Fatalf("waited %s for %v; last seen %s", limit, ids, describe(last))
	return nil
}

func describe(res map[string]adapters.Status) string {
	var b strings.Builder
	for id, st := range res {
		fmt.Fprintf(&b, "%s=%s(%s) ", id, st.State, st.Reason)
	}
	return b.String()
}

func ended(st adapters.Status) bool { return st.State.Terminal() }

func (s *suite) submitFinish(t *testing.T) {
	t.Parallel()
	j := s.job(t, "finish", "echo conformance-output", "")
	id := s.submit(t, j)
	st := s.wait(t, []string{id}, s.h.Timeout, ended)[id]
	if st.State != state.Finished {
		t.Fatalf("state %s (%s), want FINISHED", st.State, st.Reason)
	}
	if st.ExitCode != nil && *st.ExitCode != 0 {
		t.Fatalf("exit code %d, want 0", *st.ExitCode)
	}
}

func (s *suite) exitCode(t *testing.T) {
	t.Parallel()
	id := s.submit(t, s.job(t, "fails", "exit 3", ""))
	st := s.wait(t, []string{id}, s.h.Timeout, ended)[id]
	if st.State != state.Failed {
		t.Fatalf("state %s (%s), want FAILED", st.State, st.Reason)
	}
	if st.ExitCode == nil || *st.ExitCode != 3 {
		t.Fatalf("exit code %v, want 3", st.ExitCode)
	}
}

func (s *suite) walltime(t *testing.T) {
	t.Parallel()
	id := s.submit(t, s.job(t, "overtime", "sleep 300", "0:01"))
	st := s.wait(t, []string{id}, s.h.WalltimeTimeout, ended)[id]
	if st.State != state.TimedOut {
		t.Fatalf("state %s (%s), want TIMEDOUT", st.State, st.Reason)
	}
}

func (s *suite) cancel(t *testing.T) {
	t.Parallel()
	id := s.submit(t, s.job(t, "cancelled", "sleep 300", ""))
	s.wait(t, []string{id}, s.h.Timeout, func(st adapters.Status) bool { return st.State == state.Running })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.ex.Cancel(ctx, []string{id}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	st := s.wait(t, []string{id}, s.h.Timeout, ended)[id]
	if st.State != state.Cancelled {
		t.Fatalf("state %s (%s), want CANCELLED", st.State, st.Reason)
	}
}

func (s *suite) many(t *testing.T) {
	t.Parallel()
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, s.submit(t, s.job(t, fmt.Sprintf("many%d", i), fmt.Sprintf("echo %d", i), "")))
	}
	res := s.wait(t, ids, s.h.Timeout, ended)
	if len(res) < len(ids) {
		t.Fatalf("one query answered for %d of %d jobs", len(res), len(ids))
	}
	for _, id := range ids {
		if res[id].State != state.Finished {
			t.Errorf("job %s: %s, want FINISHED", id, res[id].State)
		}
	}
}

func (s *suite) unknown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.ex.Query(ctx, []string{s.h.UnknownID})
	if err != nil {
		t.Fatalf("query of an unknown id failed: %v", err)
	}
	if st, ok := res[s.h.UnknownID]; ok {
		t.Fatalf("unknown id reported as %s", st.State)
	}
}

// killedBeforeRecord: a conductor submitted a step's job and was killed
// before it recorded the id. The next conductor (a new executor on the
// same state directory) finds that job, not the one of the step's earlier
// submission (same name and workspace), and nothing for a step that was
// never submitted; so it submits nothing again.
func (s *suite) killedBeforeRecord(t *testing.T) {
	t.Parallel()
	earlier := s.job(t, "unrecorded", "echo earlier", "")
	earlierID := s.submit(t, earlier)
	s.wait(t, []string{earlierID}, s.h.Timeout, ended)
	// Submission times have a resolution of a second (Slurm) or a minute
	// (LSF): the next one must fall after the earlier one's second.
	for next := time.Now().Truncate(time.Second).Add(time.Second); time.Now().Before(next); {
		time.Sleep(time.Until(next))
	}
	since := time.Now()
	again := *earlier
	again.Token = "2"
	id := s.submit(t, &again)
	never := s.job(t, "neversubmitted", "true", "")
	deadline := time.Now().Add(s.h.Timeout)
	for {
		ex := s.open(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		found, err := ex.Find(ctx, []*adapters.Job{&again, never}, since)
		cancel()
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		if got, ok := found[never.Name]; ok {
			t.Fatalf("found job %s for a step never submitted", got)
		}
		if got, ok := found[again.Name]; ok {
			if got != id {
				t.Fatalf("found job %s, want %s (the earlier submission was %s)", got, id, earlierID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not found in %s", id, s.h.Timeout)
		}
		time.Sleep(s.h.Poll)
	}
	s.wait(t, []string{id}, s.h.Timeout, ended)
}
