package slurm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

type executor struct {
	cfg adapters.Config
	rec *adapters.Recorder

	mu        sync.Mutex
	sacctDown time.Time // sacct failed: leave it alone until then
	maxArray  int       // MaxArraySize, once scontrol told
}

// sacctRest is how long sacct is left alone after it failed (a hung
// slurmdbd), so that every poll does not wait for it.
const sacctRest = time.Minute

// Open implements adapters.Adapter.
func (*Adapter) Open(cfg adapters.Config) (adapters.Executor, error) {
	rec, err := adapters.NewRecorder(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	return &executor{cfg: adapters.WithDefaults(cfg), rec: rec}, nil
}

func (e *executor) Capabilities() adapters.Capabilities {
	return adapters.Capabilities{MaxIDs: adapters.MaxIDs}
}

// Submit runs `sbatch --parsable -D WORKSPACE SCRIPT`, with the job's
// environment set up to record its exit status (see adapters.Recorder).
// An answer with no job id in it leaves unknown whether the job was
// created.
func (e *executor) Submit(ctx context.Context, j *adapters.Job) (string, error) {
	if err := adapters.KeepOutput(j.Workspace, j.Name); err != nil { // the header's --output and --error
		return "", err
	}
	out, _, err := e.cfg.CommandIn(ctx, e.rec.Env(j), nil, "sbatch", "--parsable", "-D", j.Workspace, j.Script)
	if err != nil {
		return "", err
	}
	id, ok := parseSbatch(out)
	if !ok {
		return "", fmt.Errorf("%w: sbatch printed no job id: %q", adapters.ErrUncertain, strings.TrimSpace(out))
	}
	return id, nil
}

// squeueFormat asks for the job's exit status as the raw wait status,
// which, unlike sacct's ExitCode, is right for codes of 128 and more.
const squeueFormat = "JobID:0|,State:0|,Reason:0|,exit_code:0"

// arrayFormat is squeueFormat for a query that holds array tasks: with
// -r, squeue lists each task on a line of its own as ID_INDEX.
const arrayFormat = "JobArrayID:0|,State:0|,Reason:0|,exit_code:0"

// hasTasks reports whether ids hold an array task's (ID_INDEX).
func hasTasks(ids []string) bool {
	for _, id := range ids {
		if strings.Contains(id, "_") {
			return true
		}
	}
	return false
}

// Query asks squeue about every id in one call; ids it no longer lists
// are looked up in sacct in one more call, and what sacct does not know
// (it lags a few seconds, or there is no accounting) with scontrol. Each
// command's answer is used even when another fails: the error then says
// that the ids missing from the result are unknown this time, not gone.
func (e *executor) Query(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	var errs []error
	args := []string{"-h", "-t", "all", "-O", squeueFormat, "-j", strings.Join(ids, ",")}
	if hasTasks(ids) {
		args = []string{"-h", "-r", "-t", "all", "-O", arrayFormat, "-j", strings.Join(ids, ",")}
	}
	out, stderr, err := e.cfg.Command(ctx, nil, "squeue", args...)
	// squeue fails when none of the ids is known any more; that is an
	// answer, not an outage.
	if err != nil && !strings.Contains(stderr, "Invalid job id specified") {
		errs = append(errs, err)
		out = ""
	}
	res := parseSqueue(out)
	var rest []string
	for _, id := range ids {
		if _, ok := res[id]; !ok {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return res, nil
	}
	acct, err := e.sacct(ctx, rest)
	if err != nil {
		errs = append(errs, err)
	}
	for _, id := range rest {
		if a, ok := acct[id]; ok {
			res[id] = a
			continue
		}
		if ctx.Err() != nil {
			break
		}
		out, stderr, err := e.cfg.Command(ctx, nil, "scontrol", "show", "job", id)
		if err != nil {
			if strings.Contains(stderr, "Invalid job id") {
				continue
			}
			errs = append(errs, err)
			break
		}
		if s, ok := parseScontrol(out)[id]; ok {
			res[id] = s
		}
	}
	return res, errors.Join(errs...)
}

// sacct looks ids up in Slurm's accounting; without accounting it knows
// nothing. While it rests after a failure, it is not asked: the ids are
// unknown this time.
func (e *executor) sacct(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	e.mu.Lock()
	until := e.sacctDown
	e.mu.Unlock()
	if time.Now().Before(until) {
		return nil, fmt.Errorf("sacct failed recently; not asked again before %s", until.Format(time.TimeOnly))
	}
	field := "JobIDRaw"
	if hasTasks(ids) {
		field = "JobID" // an array task's as ID_INDEX
	}
	out, stderr, err := e.cfg.Command(ctx, nil, "sacct", "-X", "-n", "-P", "-o", field+",State,ExitCode", "-j", strings.Join(ids, ","))
	if strings.Contains(stderr, "accounting storage is disabled") {
		return nil, nil
	}
	if err != nil {
		e.mu.Lock()
		e.sacctDown = time.Now().Add(sacctRest)
		e.mu.Unlock()
		return nil, fmt.Errorf("%w (sacct is not asked again for %s)", err, sacctRest)
	}
	return parseSacct(out), nil
}

// Cancel runs scancel for the ids; an array task's (ID_INDEX) cancels that
// task alone.
func (e *executor) Cancel(ctx context.Context, ids []string) error {
	_, _, err := e.cfg.Command(ctx, nil, "scancel", ids...)
	return err
}
