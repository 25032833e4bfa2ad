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

// Capabilities implements adapters.Executor. One Query or Cancel takes as
// many ids as an array has tasks at Slurm's default MaxArraySize: the
// tasks of one array are one id on squeue's and sacct's command lines, so
// a query of an array is one command; Query and Cancel put at most
// adapters.MaxIDs ids on one command line.
func (e *executor) Capabilities() adapters.Capabilities {
	return adapters.Capabilities{MaxIDs: defaultMaxArray}
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

// arrayFormat is squeueFormat for a query that holds array tasks: squeue
// lists each task that started on a line of its own as ID_INDEX, and the
// ones still pending in one line as ID_[1-999%4].
const arrayFormat = "JobArrayID:0|,State:0|,Reason:0|,exit_code:0"

// asked is what one query asks the commands for: the ids as they go on
// their command lines, an array task's (ID_INDEX) by the array's id,
// which lists all its tasks, so that the thousand tasks of one array are
// one id; and which ids the answer is kept for.
type asked struct {
	line  []string
	want  map[string]bool
	tasks bool // some ids are array tasks
}

func ask(ids []string) asked {
	a := asked{want: make(map[string]bool, len(ids))}
	seen := map[string]bool{}
	for _, id := range ids {
		a.want[id] = true
		base, _, task := strings.Cut(id, "_")
		a.tasks = a.tasks || task
		if !seen[base] {
			seen[base] = true
			a.line = append(a.line, base)
		}
	}
	return a
}

// keep adds the statuses of the ids asked for to res.
func (a asked) keep(res, got map[string]adapters.Status) {
	for id, st := range got {
		if a.want[id] {
			res[id] = st
		}
	}
}

// Query asks squeue about every id in one call per adapters.MaxIDs ids
// on its command line (all the tasks of an array are its one id); ids it
// no longer lists are looked up in sacct the same way, and what sacct
// does not know (it lags a few seconds, or there is no accounting) with
// scontrol, once per job or array. Each command's answer is used even
// when another fails: the error then says that the ids missing from the
// result are unknown this time, not gone.
func (e *executor) Query(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	var errs []error
	res := make(map[string]adapters.Status, len(ids))
	a := ask(ids)
	for _, part := range adapters.Chunks(a.line, adapters.MaxIDs) {
		args := []string{"-h", "-t", "all", "-O", squeueFormat, "-j", strings.Join(part, ",")}
		if a.tasks {
			args[4] = arrayFormat
		}
		out, stderr, err := e.cfg.Command(ctx, nil, "squeue", args...)
		// squeue fails when none of the ids is known any more; that is an
		// answer, not an outage.
		if err != nil && !strings.Contains(stderr, "Invalid job id specified") {
			errs = append(errs, err)
			continue
		}
		a.keep(res, parseSqueue(out))
	}
	var rest []string
	for _, id := range ids {
		if _, ok := res[id]; !ok {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return res, nil
	}
	a = ask(rest)
	acct, err := e.sacct(ctx, a)
	if err != nil {
		errs = append(errs, err)
	}
	a.keep(res, acct)
	var missing []string
	for _, id := range rest {
		if _, ok := res[id]; !ok {
			missing = append(missing, id)
		}
	}
	for _, id := range ask(missing).line {
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
		a.keep(res, parseScontrol(out))
	}
	return res, errors.Join(errs...)
}

// sacct looks the ids asked for up in Slurm's accounting, adapters.MaxIDs
// on a command line; without accounting it knows nothing. While it rests
// after a failure, it is not asked: the ids are unknown this time.
func (e *executor) sacct(ctx context.Context, a asked) (map[string]adapters.Status, error) {
	e.mu.Lock()
	until := e.sacctDown
	e.mu.Unlock()
	if time.Now().Before(until) {
		return nil, fmt.Errorf("sacct failed recently; not asked again before %s", until.Format(time.TimeOnly))
	}
	field := "JobIDRaw"
	if a.tasks {
		field = "JobID" // an array task's as ID_INDEX
	}
	res := map[string]adapters.Status{}
	for _, part := range adapters.Chunks(a.line, adapters.MaxIDs) {
		out, stderr, err := e.cfg.Command(ctx, nil, "sacct", "-X", "-n", "-P", "-o", field+",State,ExitCode", "-j", strings.Join(part, ","))
		if strings.Contains(stderr, "accounting storage is disabled") {
			return nil, nil
		}
		if err != nil {
			e.mu.Lock()
			e.sacctDown = time.Now().Add(sacctRest)
			e.mu.Unlock()
			return res, fmt.Errorf("%w (sacct is not asked again for %s)", err, sacctRest)
		}
		for id, st := range parseSacct(out) {
			res[id] = st
		}
	}
	return res, nil
}

// Cancel runs scancel for the ids; an array task's (ID_INDEX) cancels that
// task alone.
func (e *executor) Cancel(ctx context.Context, ids []string) error {
	var errs []error
	for _, part := range adapters.Chunks(ids, adapters.MaxIDs) {
		if _, _, err := e.cfg.Command(ctx, nil, "scancel", part...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
