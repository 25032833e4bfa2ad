package fakesched

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// Outages checks an adapter against its fakes when the scheduler fails or
// hangs: every call returns an error (never a panic, never a state) within
// its context's deadline, and the jobs are found as they were once the
// scheduler answers again. It also checks the answers that are not
// outages: an unknown id among known ones, and cancelling a job that
// ended.
type Outages struct {
	Adapter   adapters.Adapter
	Batch     spec.Batch
	Down      string // a fragment of the scheduler's message when unreachable
	UnknownID string // a well-formed id the scheduler does not know
}

// Run runs the checks, in parallel: each has fakes of its own.
func (o Outages) Run(t *testing.T) {
	t.Run("QueryFails", func(t *testing.T) { t.Parallel(); o.query(t, EnvFail) })
	t.Run("QueryHangs", func(t *testing.T) { t.Parallel(); o.query(t, EnvHang) })
	t.Run("SubmitFails", func(t *testing.T) { t.Parallel(); o.submitOutage(t, EnvFail) })
	t.Run("SubmitHangs", func(t *testing.T) { t.Parallel(); o.submitOutage(t, EnvHang) })
	t.Run("CancelFails", func(t *testing.T) { t.Parallel(); o.cancelFails(t) })
	t.Run("CancelEnded", func(t *testing.T) { t.Parallel(); o.cancelEnded(t) })
	t.Run("UnknownAmongKnown", func(t *testing.T) { t.Parallel(); o.unknownAmongKnown(t) })
}

// deadline is the context limit of a call while the scheduler hangs; a
// failing one has failLimit, since it must fail with the scheduler's
// message however slowly a loaded machine starts the fake command.
const (
	deadline  = 500 * time.Millisecond
	failLimit = 30 * time.Second
)

func (o Outages) open(t *testing.T, f *Fake) adapters.Executor {
	t.Helper()
	ex, err := o.Adapter.Open(adapters.Config{Batch: &o.Batch, StateDir: t.TempDir(), Env: f.Environ,
		Logf: func(f string, a ...any) { t.Logf(f, a...) }})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// submit writes the script of a step running cmd and submits it.
func (o Outages) submit(t *testing.T, ex adapters.Executor, name, cmd string) string {
	t.Helper()
	j := o.job(t, name, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := ex.Submit(ctx, j)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return id
}

func (o Outages) job(t *testing.T, name, cmd string) *adapters.Job {
	t.Helper()
	ws := t.TempDir()
	step := &spec.Step{Name: name, Run: spec.Run{Cmd: cmd, Procs: "1"}}
	text, err := adapters.Render(o.Adapter, &adapters.Script{JobName: name, Step: step, Batch: &o.Batch}, cmd, true)
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(ws, name+o.Adapter.Extension())
	if err := os.WriteFile(script, text, 0o755); err != nil {
		t.Fatal(err)
	}
	return &adapters.Job{Name: name, Script: script, Workspace: ws}
}

// wait queries until job id is in state want.
func wait(t *testing.T, ex adapters.Executor, id string, want state.State) {
	t.Helper()
	var last adapters.Status
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		res, err := ex.Query(context.Background(), []string{id})
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		if last = res[id]; last.State == want {
			return
		}
	}
	t.Fatalf("job %s: %s (%s), want %s", id, last.State, last.Reason, want)
}

// down calls fn with a deadline and checks that it failed in time, with
// the scheduler's message when it failed rather than hung.
func (o Outages) down(t *testing.T, mode string, fn func(ctx context.Context) error) {
	t.Helper()
	limit := deadline
	if mode == EnvFail {
		limit = failLimit
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	took := time.Since(start)
	switch {
	case err == nil:
		t.Fatal("no error while the scheduler is down")
	case took > limit+3*time.Second:
		t.Errorf("took %s with a deadline of %s", took, limit)
	case mode == EnvFail && !strings.Contains(err.Error(), o.Down):
		t.Errorf("error %q does not carry the scheduler's message %q", err, o.Down)
	}
	t.Logf("%s: %v (after %s)", mode, err, took.Round(time.Millisecond))
}

func (o Outages) query(t *testing.T, mode string) {
	f := Start(t)
	ex := o.open(t, f)
	id := o.submit(t, ex, "watched", "sleep 30")
	wait(t, ex, id, state.Running)
	f.Set(mode, "query")
	o.down(t, mode, func(ctx context.Context) error {
		res, err := ex.Query(ctx, []string{id})
		if res != nil {
			t.Errorf("a failed query reported %v", res)
		}
		return err
	})
	f.Set(mode, "")
	wait(t, ex, id, state.Running)
}

func (o Outages) submitOutage(t *testing.T, mode string) {
	f := Start(t)
	ex := o.open(t, f)
	f.Set(mode, "submit")
	o.down(t, mode, func(ctx context.Context) error {
		id, err := ex.Submit(ctx, o.job(t, "refused", "true"))
		if id != "" {
			t.Errorf("a failed submission returned id %q", id)
		}
		return err
	})
	if jobs := (&store{dir: f.Dir}).all(""); len(jobs) != 0 {
		t.Errorf("a failed submission left %d jobs", len(jobs))
	}
}

func (o Outages) cancelFails(t *testing.T) {
	f := Start(t)
	ex := o.open(t, f)
	id := o.submit(t, ex, "kept", "sleep 30")
	wait(t, ex, id, state.Running)
	f.Set(EnvFail, "cancel")
	o.down(t, EnvFail, func(ctx context.Context) error { return ex.Cancel(ctx, []string{id}) })
	f.Set(EnvFail, "")
	wait(t, ex, id, state.Running)
	if err := ex.Cancel(context.Background(), []string{id}); err != nil {
		t.Fatal(err)
	}
	wait(t, ex, id, state.Cancelled)
}

func (o Outages) cancelEnded(t *testing.T) {
	f := Start(t)
	ex := o.open(t, f)
	id := o.submit(t, ex, "quick", "true")
	wait(t, ex, id, state.Finished)
	if err := ex.Cancel(context.Background(), []string{id, o.UnknownID}); err != nil {
		t.Errorf("cancelling a job that ended and an unknown one: %v", err)
	}
	wait(t, ex, id, state.Finished)
}

func (o Outages) unknownAmongKnown(t *testing.T) {
	f := Start(t)
	ex := o.open(t, f)
	id := o.submit(t, ex, "known", "exit 4")
	wait(t, ex, id, state.Failed)
	res, err := ex.Query(context.Background(), []string{o.UnknownID, id, "not-an-id"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[id].ExitCode == nil || *res[id].ExitCode != 4 {
		t.Errorf("query of an unknown, a known and a malformed id: %v", res)
	}
}
