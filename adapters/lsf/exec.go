package lsf

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

type executor struct {
	cfg     adapters.Config
	journal *adapters.Journal
	rec     *adapters.Recorder
}

// Open implements adapters.Adapter.
func (*Adapter) Open(cfg adapters.Config) (adapters.Executor, error) {
	rec, err := adapters.NewRecorder(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	return &executor{cfg: adapters.WithDefaults(cfg), journal: adapters.OpenJournal(cfg.StateDir, "lsf-jobs.jsonl"), rec: rec}, nil
}

func (e *executor) Capabilities() adapters.Capabilities {
	return adapters.Capabilities{MaxIDs: adapters.MaxIDs}
}

// Submit runs `bsub -cwd WORKSPACE` with the script on stdin (so bsub
// reads its #BSUB lines) and returns the id of "Job <ID> is submitted to
// queue <Q>.". On failure the error carries bsub's message. An answer
// that does not say what became of the job (empty with exit 0, "Request
// from non-LSF host rejected", only busy notices) is ErrUnavailable: the
// conductor looks for the job (Find) before it submits again.
func (e *executor) Submit(ctx context.Context, j *adapters.Job) (string, error) {
	script, err := os.ReadFile(j.Script)
	if err != nil {
		return "", fmt.Errorf("bsub: %w", err)
	}
	out, stderr, err := e.cfg.CommandIn(ctx, e.rec.Env(j), script, "bsub", "-cwd", j.Workspace)
	if err != nil {
		if transient(stderr + "\n" + out) {
			return "", fmt.Errorf("%w: %v", adapters.ErrUnavailable, err)
		}
		return "", err
	}
	id, err := parseBsub(out)
	switch {
	case err == nil:
		e.record(id, j, string(script), time.Now())
		return id, nil
	case strings.TrimSpace(out+stderr) == "":
		return "", fmt.Errorf("%w: bsub exited 0 without a word", adapters.ErrUnavailable)
	case transient(stderr + "\n" + out):
		return "", fmt.Errorf("%w: %v: %s", adapters.ErrUnavailable, err, lastLine(stderr+"\n"+out))
	case strings.TrimSpace(stderr) != "":
		return "", fmt.Errorf("bsub: %s", lastLine(stderr)) // a refusal with exit 0 (seen on Summit)
	}
	return "", err
}

// lastLine is the last line of text that is not blank.
func lastLine(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
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
		out, stderr, err := e.cfg.Command(ctx, nil, "bjobs", "-a", "-noheader", "-o", findFormat, "-J", j.Name)
		if err != nil && (ctx.Err() != nil || !adapters.OnlyLines(stderr, noJob, busy)) {
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

// VisibleAfter is how long a job may be missing from bjobs right after
// bsub took it ("a job can be successfully submitted ... but not
// immediately appear in bjobs"): until then it is reported PENDING.
const VisibleAfter = 30 * time.Second

// Query asks bjobs about every id in one call, whatever user submitted
// them. Ids bjobs does not know are an answer, not an outage: it prints
// "Job <N> is not found" for each (exit 255 when some are unknown, also
// 0 for a single one), with or without busy notices. Such an id is looked
// up in the journal: a job LSF forgot after CLEAN_PERIOD reports how it
// ended in the job report LSF appended to its output file; one submitted
// moments ago is still PENDING; any other is left out of the result.
func (e *executor) Query(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	if ids = e.valid(ids); len(ids) == 0 {
		return map[string]adapters.Status{}, nil
	}
	out, stderr, err := e.cfg.Command(ctx, nil, "bjobs", append([]string{"-a", "-noheader", "-o", bjobsFormat}, ids...)...)
	if err != nil && (ctx.Err() != nil || !adapters.OnlyLines(stderr, notFound, busy)) {
		if transient(stderr) {
			return nil, fmt.Errorf("%w: %v", adapters.ErrUnavailable, err)
		}
		return nil, err
	}
	res := parseBjobs(out)
	for _, id := range ids {
		if _, listed := res[id]; !listed {
			if st, ok := e.vanished(id); ok {
				res[id] = st
			}
		}
	}
	return res, nil
}

// vanished is what the journal tells of a job bjobs does not list.
func (e *executor) vanished(id string) (adapters.Status, bool) {
	entry, ok := e.journal.Get(id)
	if !ok {
		return adapters.Status{}, false
	}
	if entry.Output != "" {
		if data, err := os.ReadFile(entry.Output); err == nil {
			if st, ok := parseReport(string(data), id); ok {
				st.Reason = strings.TrimSpace(st.Reason + " (from the job report in " + entry.Output + "; bjobs no longer lists the job)")
				return st, true
			}
		}
	}
	if age := time.Since(entry.Submitted); age < VisibleAfter {
		return adapters.Status{State: state.Pending, Reason: fmt.Sprintf("submitted %s ago; bjobs does not list it yet", age.Round(time.Second))}, true
	}
	return adapters.Status{}, false
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
	_, stderr, err := e.cfg.Command(ctx, nil, "bkill", ids...)
	if err != nil && (ctx.Err() != nil || !adapters.OnlyLines(stderr, alreadyEnded, busy)) {
		if transient(stderr) {
			return fmt.Errorf("%w: %v", adapters.ErrUnavailable, err)
		}
		return err
	}
	return nil
}
