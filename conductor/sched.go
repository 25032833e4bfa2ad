package conductor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

// scheduler wraps the executor of a study's scheduler (any of them) with
// what the conductor needs of every scheduler: each command is bounded by
// Tunables.CommandLimit; a failed command is tried again with exponential
// backoff, and after three failures in a row submissions pause until the
// scheduler answers (the study stays RUNNING); a refusal for a submission
// limit (adapters.ErrLimit) is back-pressure, holding submissions back
// until a job ends or a poll period passes. It knows nothing of steps.
type scheduler struct {
	ex         adapters.Executor // nil for a local study
	limit      time.Duration     // Tunables.CommandLimit
	maxBackoff time.Duration     // Tunables.MaxBackoff
	period     func() time.Duration
	logf       func(format string, args ...any)

	failures   int  // commands failed in a row
	down       bool // submissions paused until the scheduler answers
	backoff    time.Duration
	next       time.Time // when the scheduler is next asked
	atLimit    bool      // the last submission was refused for a limit
	limitUntil time.Time // no submission before then
}

// newScheduler wraps ex; period is the time between polls (the study's
// sleep setting, which an update may change).
func newScheduler(ex adapters.Executor, t Tunables, period func() time.Duration, logf func(string, ...any)) *scheduler {
	return &scheduler{ex: ex, limit: t.CommandLimit, maxBackoff: t.MaxBackoff, period: period, logf: logf}
}

// submit submits j and notes how the scheduler answered.
func (s *scheduler) submit(ctx context.Context, j *adapters.Job) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, s.limit)
	id, err := s.ex.Submit(cctx, j)
	cancel()
	s.noteSubmit(j.Name, err)
	return id, err
}

// noteSubmit notes how the scheduler answered a submission of name.
func (s *scheduler) noteSubmit(name string, err error) {
	switch {
	case err == nil:
		s.up()
		s.atLimit = false
	case errors.Is(err, adapters.ErrLimit):
		if !s.atLimit {
			s.logf("the scheduler takes no more jobs for now (%v); steps wait, submitting again as jobs end", err)
		}
		s.atLimit, s.limitUntil = true, time.Now().Add(s.period())
	case errors.Is(err, adapters.ErrUnavailable):
		s.failed(fmt.Errorf("submitting %s: %w", name, err))
	}
}

// submitArray submits jobs as one array and notes how the scheduler
// answered, as submit does.
func (s *scheduler) submitArray(ctx context.Context, arr adapters.ArraySubmitter, jobs []*adapters.Job) ([]string, error) {
	cctx, cancel := context.WithTimeout(ctx, s.limit)
	ids, err := arr.SubmitArray(cctx, jobs, 0)
	cancel()
	s.noteSubmit(jobs[0].Name, err)
	return ids, err
}

// query asks for the jobs ids, in as few commands as the scheduler allows.
// It returns what the scheduler answered, even when part of the query
// failed, and the ids it could not be asked about this time; ok is false
// when no command answered (a failure, backed off), and then the jobs are
// asked about again only after the backoff.
func (s *scheduler) query(ctx context.Context, ids []string) (res map[string]adapters.Status, unknown map[string]bool, ok bool) {
	res = make(map[string]adapters.Status, len(ids))
	unknown = map[string]bool{}
	var failed error
	for _, part := range adapters.Chunks(ids, s.ex.Capabilities().MaxIDs) {
		cctx, cancel := context.WithTimeout(ctx, s.limit)
		r, err := s.ex.Query(cctx, part)
		cancel()
		for id, st := range r {
			res[id] = st
		}
		if err != nil {
			failed = err
			for _, id := range part {
				if _, ok := r[id]; !ok {
					unknown[id] = true
				}
			}
		}
	}
	switch {
	case failed != nil && len(res) == 0:
		s.failed(fmt.Errorf("query: %w", failed))
		return nil, nil, false
	case failed != nil:
		s.up()
		s.logf("scheduler query answered for %d of %d jobs: %v", len(res), len(ids), failed)
	default:
		s.up()
	}
	s.next = time.Now().Add(s.period())
	return res, unknown, true
}

// find asks for the jobs of the given names submitted since: name -> id.
func (s *scheduler) find(ctx context.Context, jobs []*adapters.Job, since time.Time) (map[string]string, error) {
	cctx, cancel := context.WithTimeout(ctx, s.limit)
	defer cancel()
	found, err := s.ex.Find(cctx, jobs, since)
	if err != nil {
		s.failed(fmt.Errorf("finding jobs: %w", err))
		return nil, err
	}
	s.up()
	return found, nil
}

// cancel cancels the jobs ids (see cancelJobs).
func (s *scheduler) cancel(ids []string) { cancelJobs(s.ex, ids, s.limit, s.logf) }

// cancelJobs cancels the jobs ids of ex, in as few commands as it allows,
// each bounded by limit; what fails is logged (the jobs may have ended).
func cancelJobs(ex adapters.Executor, ids []string, limit time.Duration, logf func(string, ...any)) {
	if len(ids) == 0 {
		return
	}
	for _, part := range adapters.Chunks(ids, ex.Capabilities().MaxIDs) {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		if err := ex.Cancel(ctx, part); err != nil {
			logf("cancelling jobs %v: %v", part, err)
		}
		cancel()
	}
}

// failed notes a scheduler command that failed: the next try waits with
// exponential backoff, and after three failures in a row submissions
// pause until the scheduler answers.
func (s *scheduler) failed(err error) {
	s.failures++
	s.backoff = min(max(2*s.backoff, s.period()), s.maxBackoff)
	s.next = time.Now().Add(s.backoff)
	if s.failures >= 3 && !s.down {
		s.down = true
		s.logf("the scheduler failed %d times in a row; pausing submissions until it answers (the study stays RUNNING)", s.failures)
	}
	s.logf("scheduler command failed (%d in a row): %v; next try in %s", s.failures, err, s.backoff)
}

// up notes that the scheduler answered.
func (s *scheduler) up() {
	if s.failures > 0 {
		s.logf("the scheduler answers again after %d failures; resuming", s.failures)
	}
	s.failures, s.down, s.backoff = 0, false, 0
}

// due reports whether the scheduler is to be asked now.
func (s *scheduler) due() bool { return !time.Now().Before(s.next) }

// askBy brings the next question forward to t at the latest.
func (s *scheduler) askBy(t time.Time) {
	if t.Before(s.next) {
		s.next = t
	}
}

// limited reports whether a submission limit holds submissions back.
func (s *scheduler) limited() bool { return time.Now().Before(s.limitUntil) }

// jobEnded notes that one of the study's jobs ended: there is room under
// a submission limit.
func (s *scheduler) jobEnded() { s.limitUntil = time.Time{} }
