package flux

import (
	"context"
	"os"
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/adapters"
)

type executor struct {
	cfg adapters.Config
	env []string // added to every flux command: FLUX_URI from the batch block
}

// Open implements adapters.Adapter. Commands reach the broker at
// batch.flux_uri when the spec sets it, else at FLUX_URI of the
// environment (else flux's own default, the system instance).
func (*Adapter) Open(cfg adapters.Config) (adapters.Executor, error) {
	e := &executor{cfg: adapters.WithDefaults(cfg)}
	if cfg.Batch != nil && cfg.Batch.FluxURI != "" {
		e.env = []string{"FLUX_URI=" + cfg.Batch.FluxURI}
	}
	return e, nil
}

func (e *executor) Capabilities() adapters.Capabilities {
	return adapters.Capabilities{MaxIDs: adapters.MaxIDs}
}

// Submit runs `flux batch --cwd=WORKSPACE SCRIPT` for a nested step: a
// new Flux instance of its own, sized by the script's #flux: directives,
// in which its $(LAUNCHER) lines run. Any other step is
// `flux submit --cwd=WORKSPACE OPTIONS SCRIPT`, the script itself being
// the job, with the directives' options on the command line (flux submit
// reads none). The id is kept as printed.
func (e *executor) Submit(ctx context.Context, j *adapters.Job) (string, error) {
	args := []string{"batch", "--cwd=" + j.Workspace}
	if !j.Nested {
		text, err := os.ReadFile(j.Script)
		if err != nil {
			return "", err
		}
		args = append([]string{"submit", "--cwd=" + j.Workspace}, directiveArgs(string(text))...)
	}
	out, _, err := adapters.CommandIn(ctx, e.env, nil, "flux", append(args, j.Script)...)
	if err != nil {
		return "", err
	}
	return parseSubmit(out)
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
	out, stderr, err := adapters.CommandIn(ctx, e.env, nil, "flux", append([]string{"jobs", "-a", "-n", "-o", jobsFormat}, args...)...)
	if err != nil && (ctx.Err() != nil || !only(stderr, unknownJob, ignoredFilters)) {
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
	_, stderr, err := adapters.CommandIn(ctx, e.env, nil, "flux", append([]string{"cancel"}, args...)...)
	if err != nil && (ctx.Err() != nil || !only(stderr, endedJob)) {
		return err
	}
	return nil
}
