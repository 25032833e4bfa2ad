package conductor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// The scheduler wrapper's tests drive it alone over a fake executor.

// logLines collects what the wrapper logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func wrap(ex adapters.Executor, t Tunables) (*scheduler, *logLines) {
	l := &logLines{}
	return newScheduler(ex, t.withDefaults(), func() time.Duration { return time.Second }, l.logf), l
}

func TestSchedulerBacksOffAndPauses(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Running} })
	f.queryErr = true
	s, log := wrap(f, Tunables{MaxBackoff: 3 * time.Second})
	var backoffs []time.Duration
	for k := 0; k < 4; k++ {
		if _, _, ok := s.query(context.Background(), []string{"1"}); ok {
			t.Fatal("a failed query answered")
		}
		backoffs = append(backoffs, s.backoff)
		if s.due() {
			t.Fatalf("the scheduler is due again at once after failure %d", k+1)
		}
		if s.down != (k >= 2) {
			t.Fatalf("down %v after %d failures", s.down, k+1)
		}
	}
	if got := fmt.Sprint(backoffs); got != "[1s 2s 3s 3s]" {
		t.Errorf("backoffs %s, want doubling from the poll period up to MaxBackoff", got)
	}
	f.queryErr = false
	id, err := s.submit(context.Background(), &adapters.Job{Name: "a"})
	if err != nil || id == "" {
		t.Fatalf("submit: %q, %v", id, err)
	}
	if s.down || s.failures != 0 || s.backoff != 0 {
		t.Errorf("after an answer: down %v, failures %d, backoff %s", s.down, s.failures, s.backoff)
	}
	for _, want := range []string{"pausing submissions", "scheduler command failed (4 in a row): query: squeue", "answers again after 4 failures"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log has no %q:\n%s", want, log)
		}
	}
}

// A query in chunks (the fake takes two ids a command) merges the
// answers; when part of it fails, the ids of the failed chunk it did not
// answer for are unknown, and the scheduler counts as up.
func TestSchedulerQueriesInChunks(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Running} })
	s, _ := wrap(f, Tunables{})
	var ids []string
	for k := 0; k < 5; k++ {
		id, _ := s.submit(context.Background(), &adapters.Job{Name: fmt.Sprint("j", k)})
		ids = append(ids, id)
	}
	f.queries = 0
	res, unknown, ok := s.query(context.Background(), append(ids, "404"))
	if !ok || len(res) != 5 || len(unknown) != 0 || f.queries != 3 {
		t.Fatalf("ok %v, %d answers, unknown %v, %d commands", ok, len(res), unknown, f.queries)
	}
	if s.due() {
		t.Error("due at once after an answer")
	}
	f.partial = true
	res, unknown, ok = s.query(context.Background(), ids)
	if !ok || len(res) != 3 || len(unknown) != 2 || !unknown[ids[1]] || !unknown[ids[3]] || s.failures != 0 {
		t.Fatalf("partial: ok %v, answers %v, unknown %v, failures %d", ok, res, unknown, s.failures)
	}
}

// A refusal for a submission limit holds submissions back for a poll
// period, or until a job ends; it is logged once, and costs no failure.
func TestSchedulerSubmitLimit(t *testing.T) {
	t.Parallel()
	f := newFake(func(string, int) adapters.Status { return adapters.Status{State: state.Running} })
	f.submitErr = func(_ string, n int) error {
		if n <= 2 {
			return fmt.Errorf("%w: QOSMaxSubmitJobPerUserLimit", adapters.ErrLimit)
		}
		return nil
	}
	s, log := wrap(f, Tunables{})
	for k := 0; k < 2; k++ {
		if _, err := s.submit(context.Background(), &adapters.Job{Name: "a"}); !errors.Is(err, adapters.ErrLimit) {
			t.Fatalf("submit %d: %v", k+1, err)
		}
		if !s.limited() || s.failures != 0 {
			t.Fatalf("limited %v, failures %d", s.limited(), s.failures)
		}
	}
	if n := strings.Count(log.String(), "takes no more jobs"); n != 1 {
		t.Errorf("the limit is logged %d times:\n%s", n, log)
	}
	s.jobEnded()
	if s.limited() {
		t.Error("still limited after a job ended")
	}
	if _, err := s.submit(context.Background(), &adapters.Job{Name: "a"}); err != nil || s.atLimit {
		t.Errorf("submit after the limit: %v, at limit %v", err, s.atLimit)
	}
}

// hangingExec never answers: each command lasts until its context ends.
type hangingExec struct{ *fakeSched }

func (hangingExec) Submit(ctx context.Context, _ *adapters.Job) (string, error) {
	<-ctx.Done()
	return "", fmt.Errorf("%w: sbatch: %w", adapters.ErrUnavailable, ctx.Err())
}

func (hangingExec) Find(ctx context.Context, _ []*adapters.Job, _ time.Time) (map[string]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (h hangingExec) Cancel(ctx context.Context, ids []string) error {
	<-ctx.Done()
	h.fakeSched.Cancel(ctx, ids)
	return ctx.Err()
}

// Every command is bounded by the command limit, and a hung one is a
// failure.
func TestSchedulerBoundsCommands(t *testing.T) {
	t.Parallel()
	f := newFake(nil)
	s, log := wrap(hangingExec{f}, Tunables{CommandLimit: 20 * time.Millisecond})
	if _, err := s.submit(context.Background(), &adapters.Job{Name: "a"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("submit: %v", err)
	}
	if _, err := s.find(context.Background(), []*adapters.Job{{Name: "a"}}, time.Now()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("find: %v", err)
	}
	if s.failures != 2 {
		t.Errorf("%d failures noted, want 2", s.failures)
	}
	s.cancel([]string{"1", "2", "3"}) // two commands
	if len(f.cancelled) != 3 || strings.Count(log.String(), "cancelling jobs") != 2 {
		t.Errorf("cancelled %v; log:\n%s", f.cancelled, log)
	}
}
