package lsf

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

type executor struct {
	cfg     adapters.Config
	journal *adapters.Journal
}

// Open implements adapters.Adapter.
func (*Adapter) Open(cfg adapters.Config) (adapters.Executor, error) {
	return &executor{cfg: adapters.WithDefaults(cfg), journal: adapters.OpenJournal(cfg.StateDir, "lsf-jobs.jsonl")}, nil
}

func (e *executor) Capabilities() adapters.Capabilities {
	return adapters.Capabilities{MaxIDs: adapters.MaxIDs}
}

// Submit runs `bsub -cwd WORKSPACE` with the script on stdin (so bsub
// reads its #BSUB lines) and returns the id of "Job <ID> is submitted to
// queue <Q>.". On failure the error carries bsub's message.
func (e *executor) Submit(ctx context.Context, j *adapters.Job) (string, error) {
	script, err := os.ReadFile(j.Script)
	if err != nil {
		return "", fmt.Errorf("bsub: %w", err)
	}
	out, _, err := adapters.Command(ctx, script, "bsub", "-cwd", j.Workspace)
	if err != nil {
		return "", err
	}
	id, err := parseBsub(out)
	if err != nil {
		return "", err
	}
	e.record(id, j, string(script), time.Now())
	return id, nil
}

// record notes a job in the journal, with the file its #BSUB -o line
// names: LSF appends its job report there.
func (e *executor) record(id string, j *adapters.Job, script string, submitted time.Time) {
	entry := adapters.Entry{ID: id, Name: j.Name, Token: j.Token, Submitted: submitted, Output: outputFile(script, j.Workspace, id)}
	if err := e.journal.Add(entry); err != nil {
		e.cfg.Logf("lsf: recording job %s: %v", id, err)
	}
}

// Find implements adapters.Executor: `bjobs -a -J NAME` for each job,
// submitted since the given time (bjobs gives the minute); a job the
// journal holds for an earlier submission of the step does not count, and
// of the others the latest (the highest id) is the one.
func (e *executor) Find(ctx context.Context, jobs []*adapters.Job, since time.Time) (map[string]string, error) {
	found := map[string]string{}
	now := time.Now()
	for _, j := range jobs {
		out, stderr, err := adapters.Command(ctx, nil, "bjobs", "-a", "-noheader", "-o", findFormat, "-J", j.Name)
		if err != nil && (ctx.Err() != nil || !only(stderr, noJob)) {
			return nil, err
		}
		var best uint64
		var bestAt time.Time
		for id, at := range parseFind(out, j.Name, now) {
			n, _ := strconv.ParseUint(id, 10, 64)
			if at.Before(since.Truncate(time.Minute)) || n <= best || e.journal.Earlier(id, j) {
				continue
			}
			best, bestAt, found[j.Name] = n, at, id
		}
		if id, ok := found[j.Name]; ok {
			script, _ := os.ReadFile(j.Script)
			e.record(id, j, string(script), bestAt)
		}
	}
	return found, nil
}

// Query asks bjobs about every id in one call, whatever user submitted
// them. Ids bjobs does not know are left out of the result: it prints
// "Job <N> is not found" for each (and exits 255 when it knows none),
// which is an answer, not an outage.
func (e *executor) Query(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	if ids = e.valid(ids); len(ids) == 0 {
		return map[string]adapters.Status{}, nil
	}
	out, stderr, err := adapters.Command(ctx, nil, "bjobs", append([]string{"-a", "-noheader", "-o", bjobsFormat}, ids...)...)
	if err != nil && (ctx.Err() != nil || !only(stderr, notFound)) {
		return nil, err
	}
	return parseBjobs(out), nil
}

// valid returns the ids that are LSF job ids (numbers); the others are
// logged and left out: bjobs would fail on them.
func (e *executor) valid(ids []string) []string {
	var out []string
	for _, id := range ids {
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			e.cfg.Logf("lsf: '%s' is not an LSF job id", id)
			continue
		}
		out = append(out, id)
	}
	return out
}

// Cancel runs `bkill IDS`. A job that already ended (or that LSF no
// longer knows) cannot be killed; that is not an error.
func (e *executor) Cancel(ctx context.Context, ids []string) error {
	if ids = e.valid(ids); len(ids) == 0 {
		return nil
	}
	_, stderr, err := adapters.Command(ctx, nil, "bkill", ids...)
	if err != nil && (ctx.Err() != nil || !only(stderr, alreadyEnded)) {
		return err
	}
	return nil
}
