package flux

import (
	"context"
	"strconv"

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

// Submit runs `flux batch --cwd=WORKSPACE SCRIPT`. Every scheduled step is
// a batch job, nested or not: adapters.Job does not carry the nested flag,
// and the script's #flux: directives (which flux batch reads, flux submit
// does not) hold its resources; its $(LAUNCHER) lines run in the batch
// job's own instance. The id is kept as printed.
func (e *executor) Submit(ctx context.Context, j *adapters.Job) (string, error) {
	out, _, err := adapters.CommandIn(ctx, e.env, nil, "flux", "batch", "--cwd="+j.Workspace, j.Script)
	if err != nil {
		return "", err
	}
	return parseSubmit(out)
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
