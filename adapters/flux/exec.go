package flux

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

type executor struct {
	cfg     adapters.Config
	env     []string // added to every flux command: FLUX_URI from the batch block
	journal *adapters.Journal
	rec     *adapters.Recorder // how array tasks record their end (see SubmitArray)
}

// Open implements adapters.Adapter. Commands reach the broker at
// batch.flux_uri when the spec sets it, else at FLUX_URI of the
// environment (else flux's own default, the system instance).
func (*Adapter) Open(cfg adapters.Config) (adapters.Executor, error) {
	rec, err := adapters.NewRecorder(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	e := &executor{cfg: adapters.WithDefaults(cfg), journal: adapters.OpenJournal(cfg.StateDir, "flux-jobs.jsonl"), rec: rec}
	if cfg.Batch != nil && cfg.Batch.FluxURI != "" {
		e.env = []string{"FLUX_URI=" + cfg.Batch.FluxURI}
	}
	return e, nil
}

func (e *executor) Capabilities() adapters.Capabilities {
	return adapters.Capabilities{MaxIDs: adapters.MaxIDs}
}

// Submit runs `flux batch --cwd=WORKSPACE SCRIPT` for a step that needs
// an allocation of its own: a nested step, and any step whose script
// launches with `flux run` ($(LAUNCHER)): flux batch starts a Flux instance
// sized by the script's #flux: directives, and the script's flux run lines
// run in it. (Inside a job that is not an instance, flux run would start a
// second job in the enclosing instance, competing for the cores the first
// one holds: with every core held by such steps, none could ever start.)
// Any other step is `flux submit --cwd=WORKSPACE OPTIONS SCRIPT`, the
// script itself being the job, with the directives' options on the command
// line (flux submit reads none). The id is kept as printed.
func (e *executor) Submit(ctx context.Context, j *adapters.Job) (string, error) {
	text, err := os.ReadFile(j.Script)
	if err != nil {
		return "", err
	}
	if err := adapters.KeepOutput(j.Workspace, j.Name); err != nil { // the header's --output and --error
		return "", err
	}
	sub, args := "batch", []string{"--cwd=" + j.Workspace}
	if !j.Nested && !launches(string(text)) {
		sub = "submit"
		args = append(args, directiveArgs(string(text))...)
	}
	out, stderr, err := e.cfg.CommandIn(ctx, e.env, nil, "flux", append(append([]string{sub}, args...), j.Script)...)
	if err != nil {
		if line := badQueue(stderr); line != "" {
			return "", fmt.Errorf("the Flux instance refused the queue of batch.queue (flux %s: %s); give a queue it has, or none", sub, line)
		}
		return "", err
	}
	id, err := parseSubmit(sub, out)
	if err == nil {
		e.record(id, j, time.Now())
	}
	return id, err
}

// record notes a job in the journal, by its decimal id.
func (e *executor) record(id string, j *adapters.Job, submitted time.Time) {
	n, _ := ParseID(id)
	if err := e.journal.Add(adapters.Entry{ID: strconv.FormatUint(n, 10), Name: j.Name, Token: j.Token, Submitted: submitted}); err != nil {
		e.cfg.Logf("flux: recording job %s: %v", id, err)
	}
}

// Find implements adapters.Executor: `flux jobs -a --name=NAME` for each
// job, whose {t_submit} must be since the given time; a job the journal
// holds for an earlier submission of the step does not count, and of the
// others the latest is the one. The jobs submitted as array tasks are
// found all at once, by their tasks' names (see findTasks).
func (e *executor) Find(ctx context.Context, jobs []*adapters.Job, since time.Time) (map[string]string, error) {
	found, tasks, err := e.findTasks(ctx, jobs, since)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if tasks[j.Name] {
			continue
		}
		out, _, err := e.cfg.CommandIn(ctx, e.env, nil, "flux", "jobs", "-a", "-n", "--name="+j.Name, "-o", "{id} {t_submit}")
		if err != nil {
			return nil, err
		}
		var best float64
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) != 2 {
				continue
			}
			n, err1 := ParseID(f[0])
			t, err2 := strconv.ParseFloat(f[1], 64)
			if err1 != nil || err2 != nil || t < float64(since.Unix()-1) || t <= best || e.journal.Earlier(strconv.FormatUint(n, 10), j) {
				continue
			}
			best, found[j.Name] = t, f[0]
		}
		if id, ok := found[j.Name]; ok {
			e.record(id, j, time.Unix(0, int64(best*1e9)))
		}
	}
	return found, nil
}

// launchLine is a script line that runs flux run (what $(LAUNCHER) writes).
var launchLine = regexp.MustCompile(`(^|[;&|(\x60{]|\$\(|\s)flux\s+run(\s|$)`)

// launches reports whether a script launches parallel work with flux run
// on a line that is not a comment.
func launches(script string) bool {
	for _, line := range strings.Split(script, "\n") {
		if t := strings.TrimSpace(line); !strings.HasPrefix(t, "#") && launchLine.MatchString(t) {
			return true
		}
	}
	return false
}

// badQueue returns flux's line refusing a queue: "[Errno 22] 'q' is not a
// valid queue" from an instance without named queues, "Invalid queue 'q'
// specified" from one that lacks that queue; "" when stderr has none.
func badQueue(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if line = strings.TrimSpace(line); strings.Contains(line, "is not a valid queue") || strings.Contains(line, "Invalid queue '") {
			return line
		}
	}
	return ""
}

// directiveArgs returns the options of a script's #flux: lines.
func directiveArgs(script string) []string {
	var args []string
	for _, line := range strings.Split(script, "\n") {
		if opts, ok := strings.CutPrefix(line, directive); ok {
			args = append(args, strings.Fields(opts)...)
		}
	}
	return args
}

// ids maps the decimal form of each id to the ids as given, and lists the
// decimal forms for a command line. Malformed ids are logged and left out.
func (e *executor) ids(ids []string) (map[uint64][]string, []string) {
	given := map[uint64][]string{}
	var args []string
	for _, id := range ids {
		n, err := ParseID(id)
		if err != nil {
			e.cfg.Logf("flux: %v", err)
			continue
		}
		if _, seen := given[n]; !seen {
			args = append(args, strconv.FormatUint(n, 10))
		}
		given[n] = append(given[n], id)
	}
	return given, args
}

// Query asks `flux jobs` about every id in one call. Ids flux does not
// know are left out of the result: flux prints "JobID X unknown" for each
// (and fails when it knows none), which is an answer, not an outage.
func (e *executor) Query(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	given, args := e.ids(ids)
	res := map[string]adapters.Status{}
	if len(args) == 0 {
		return res, nil
	}
	out, stderr, err := e.cfg.CommandIn(ctx, e.env, nil, "flux", append([]string{"jobs", "-a", "-n", "-o", jobsFormat}, args...)...)
	if err != nil && (ctx.Err() != nil || !adapters.OnlyLines(stderr, unknownJob, ignoredFilters)) {
		return nil, err
	}
	for n, st := range parseJobs(out) {
		for _, id := range given[n] {
			res[id] = st
		}
	}
	return res, nil
}

// Cancel runs `flux cancel IDS`. A job that already ended (or that flux no
// longer knows) cannot be cancelled; that is not an error.
func (e *executor) Cancel(ctx context.Context, ids []string) error {
	_, args := e.ids(ids)
	if len(args) == 0 {
		return nil
	}
	_, stderr, err := e.cfg.CommandIn(ctx, e.env, nil, "flux", append([]string{"cancel"}, args...)...)
	if err != nil && (ctx.Err() != nil || !adapters.OnlyLines(stderr, endedJob)) {
		return err
	}
	return nil
}
