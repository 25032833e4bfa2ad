package flux

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

var _ adapters.ArraySubmitter = (*executor)(nil)

// maxArray is the most steps one `flux submit --cc` takes. Flux has no
// array object and no MaxArraySize: each copy is a job of its own, which
// flux submit submits one request each (500 in 0.85 s on the recorded
// instance, so a thousand well within a command's time limit), and 1000
// is what `flux jobs` lists by default (-c), so one listing holds a whole
// array.
const maxArray = 1000

// MaxArray implements adapters.ArraySubmitter.
func (e *executor) MaxArray() int { return maxArray }

// SubmitArray implements adapters.ArraySubmitter: one
// `flux submit --cc=0-(N-1)` of the driver script (adapters.ArrayDriver,
// one for every array) in the state directory with the array's task list
// as its argument, with the steps' shared options, each copy a job of
// its own named array-HASH-I (flux replaces {cc} in the options), whose
// task I, told by FLUX_JOB_CC, runs jobs[I]. flux submit prints the
// copies' ids as it submits them; one `flux jobs` of those ids then says,
// by each job's name, which id is which task.
//
// Only steps that go through flux submit can be an array: flux batch, of
// nested steps and of steps that launch with flux run, has no --cc. Flux
// cannot bound how many copies run at once, so an array larger than
// parallel (when not 0) is refused; the conductor asks for no more than
// its throttle leaves room for. Every refusal comes before anything is
// submitted, so the conductor submits the steps one by one instead.
func (e *executor) SubmitArray(ctx context.Context, jobs []*adapters.Job, parallel int) ([]string, error) {
	switch {
	case len(jobs) == 0:
		return nil, nil
	case len(jobs) > maxArray:
		return nil, fmt.Errorf("%d jobs in one array; a Flux array (flux submit --cc) takes at most %d", len(jobs), maxArray)
	case parallel > 0 && parallel < len(jobs):
		return nil, fmt.Errorf("%d jobs in one array, at most %d of them at once: flux submit --cc cannot bound how many run at once", len(jobs), parallel)
	}
	if strings.ContainsAny(e.rec.Dir, "{}") { // of the driver's path
		return nil, fmt.Errorf("%s: flux submit --cc would take the braces of the path for a replacement", e.rec.Dir)
	}
	shared, rows, err := arrayRows(jobs)
	if err != nil {
		return nil, err
	}
	d := adapters.ArrayDriver{IndexVar: "FLUX_JOB_CC", ID: "${FLUX_JOB_ID}"}
	driver, err := d.WriteDriver(e.rec.Dir, (*Adapter)(nil).Extension(), e.rec, nil)
	if err != nil {
		return nil, err
	}
	files, err := adapters.NewArrayFiles(e.rec.Dir, e.rec, jobs)
	if err != nil {
		return nil, err
	}
	// The list is whole before any task can start: flux submit needs the
	// steps' options, so every script was read already.
	if err := files.WriteTasks(rows); err != nil {
		return nil, err
	}
	args := append([]string{"submit", "--cc=0-" + strconv.Itoa(len(jobs)-1), "--cwd=" + e.rec.Dir,
		"--job-name=" + files.JobName + "-{cc}", "--output=/dev/null", "--error=/dev/null"}, shared...)
	out, stderr, err := e.cfg.CommandIn(ctx, e.env, nil, "flux", append(args, driver, files.Tasks)...)
	printed := strings.Fields(out)
	switch {
	case err != nil && len(printed) == 0 && !errors.Is(err, adapters.ErrUnavailable) && !errors.Is(err, adapters.ErrUncertain):
		// Refused, no job created: without its list, no step could run
		// as a task of it, and Find looks for none.
		if rmErr := os.Remove(files.Tasks); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v, and its task list stays: %v", adapters.ErrUncertain, err, rmErr)
		}
		if line := badQueue(stderr); line != "" {
			return nil, fmt.Errorf("the Flux instance refused the queue of batch.queue (flux submit: %s); give a queue it has, or none", line)
		}
		return nil, err
	case err != nil && len(printed) > 0:
		return nil, fmt.Errorf("%w: flux submit --cc submitted %d of %d jobs: %v", adapters.ErrUncertain, len(printed), len(jobs), err)
	case err != nil:
		return nil, err
	case len(printed) != len(jobs):
		return nil, fmt.Errorf("%w: flux submit --cc printed %d job ids for %d jobs", adapters.ErrUncertain, len(printed), len(jobs))
	}
	return e.arrayIDs(ctx, files.JobName, printed)
}

// arrayIDs returns the ids of an array's tasks in index order: flux jobs
// names each of the printed ids. An answer that does not name every task
// once leaves their ids uncertain (Find tells them).
func (e *executor) arrayIDs(ctx context.Context, array string, printed []string) ([]string, error) {
	given, args := e.ids(printed)
	if len(args) != len(printed) {
		return nil, fmt.Errorf("%w: flux submit --cc printed %d distinct job ids for %d jobs", adapters.ErrUncertain, len(args), len(printed))
	}
	ids := make([]string, len(printed))
	for _, part := range adapters.Chunks(args, adapters.MaxIDs) {
		out, stderr, err := e.cfg.CommandIn(ctx, e.env, nil, "flux", append([]string{"jobs", "-a", "-n", "-o", "{id} {name}"}, part...)...)
		if err != nil && (ctx.Err() != nil || !adapters.OnlyLines(stderr, unknownJob, ignoredFilters)) {
			return nil, fmt.Errorf("%w: naming the tasks of %s: %v", adapters.ErrUncertain, array, err)
		}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) != 2 {
				continue
			}
			n, err := ParseID(f[0])
			index, ok := strings.CutPrefix(f[1], array+"-")
			i, err2 := strconv.Atoi(index)
			if err != nil || !ok || err2 != nil || i < 0 || i >= len(ids) || len(given[n]) != 1 || ids[i] != "" {
				continue
			}
			ids[i] = given[n][0]
		}
	}
	if missing := slices.Index(ids, ""); missing >= 0 {
		return nil, fmt.Errorf("%w: flux jobs did not name task %d of %s among the ids flux submit printed", adapters.ErrUncertain, missing, array)
	}
	return ids, nil
}

// arrayRows reads each job's script and returns the options the array's
// copies share (the #flux: directives, less each job's own name and
// output files) and how each task runs, or an error when a job cannot be
// a task: it goes through flux batch, or asks for other resources than
// the first.
func arrayRows(jobs []*adapters.Job) (shared []string, rows []adapters.ArrayRow, err error) {
	rows = make([]adapters.ArrayRow, len(jobs))
	for i, j := range jobs {
		text, err := os.ReadFile(j.Script)
		if err != nil {
			return nil, nil, err
		}
		if j.Nested || launches(string(text)) {
			return nil, nil, fmt.Errorf("%s goes through flux batch (nested, or launching with flux run), which has no --cc: no job array", j.Script)
		}
		own, out, errf, err := splitOptions(directiveArgs(string(text)))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", j.Script, err)
		}
		if i == 0 {
			shared = own
		} else if !slices.Equal(own, shared) {
			return nil, nil, fmt.Errorf("the jobs of one array must ask for the same resources: %s and %s differ", jobs[0].Script, j.Script)
		}
		rows[i] = adapters.ArrayRow{Job: j, Out: out, Err: errf}
	}
	return shared, rows, nil
}

// splitOptions splits a script's directive options into those the tasks
// of an array share and the files its --output and --error name (stderr
// goes with stdout without --error, as in Flux). Braces, which flux
// submit --cc would take for replacements, cannot be in them.
func splitOptions(opts []string) (shared []string, out, errf string, err error) {
	for _, o := range opts {
		if strings.ContainsAny(o, "{}") {
			return nil, "", "", fmt.Errorf("#flux: %s: flux submit --cc would take its braces for a replacement", o)
		}
		switch name, val, _ := strings.Cut(o, "="); name {
		case "--job-name":
		case "--output":
			out = val
		case "--error":
			errf = val
		case "--cc", "--bcc":
			return nil, "", "", fmt.Errorf("#flux: %s: the script is an array of its own", o)
		default:
			shared = append(shared, o)
		}
	}
	if out == "" {
		return nil, "", "", errors.New("no #flux: --output=FILE: an array task needs its own output file")
	}
	if errf == "" {
		errf = out
	}
	return shared, out, errf, nil
}

// findTasks finds the jobs that were submitted as array tasks (see
// adapters.ArrayTasks: tasks names them) in one `flux jobs -a --since`
// listing of the jobs active since then, by their job names (array-HASH-I)
// and submission times: found maps a job's name to its task's id.
func (e *executor) findTasks(ctx context.Context, jobs []*adapters.Job, since time.Time) (found map[string]string, tasks map[string]bool, err error) {
	arrays := adapters.ArrayTasks(e.rec.Dir, jobs, since)
	found, tasks = map[string]string{}, map[string]bool{}
	for _, steps := range arrays {
		for _, step := range steps {
			tasks[step] = true
		}
	}
	if len(arrays) == 0 {
		return found, tasks, nil
	}
	ago := int(time.Since(since).Seconds()) + 61 // flux's clock and ours differ
	out, _, err := e.cfg.CommandIn(ctx, e.env, nil, "flux", "jobs", "-a", "-n", "-c", strconv.Itoa(listCount),
		"--since=-"+strconv.Itoa(ago)+"s", "-o", "{id} {name} {t_submit}")
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		cut := strings.LastIndexByte(f[1], '-')
		if cut < 0 {
			continue
		}
		index, err1 := strconv.Atoi(f[1][cut+1:])
		t, err2 := strconv.ParseFloat(f[2], 64)
		_, err3 := ParseID(f[0])
		step, ok := arrays[f[1][:cut]][index]
		if err1 != nil || err2 != nil || err3 != nil || !ok || t < float64(since.Unix()-1) {
			continue
		}
		found[step] = f[0]
	}
	return found, tasks, nil
}

// listCount bounds the jobs of findTasks's listing: any number a user
// has had active in the time it looks back over.
const listCount = 1_000_000
