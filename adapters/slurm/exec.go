package slurm

import (
	"context"
	"fmt"
	"strings"

	"github.com/maestro-go/maestro/adapters"
)

type executor struct{}

// Open implements adapters.Adapter.
func (*Adapter) Open(adapters.Config) (adapters.Executor, error) { return &executor{}, nil }

func (e *executor) Capabilities() adapters.Capabilities {
	return adapters.Capabilities{MaxIDs: adapters.MaxIDs}
}

// Submit runs `sbatch --parsable -D WORKSPACE SCRIPT`.
func (e *executor) Submit(ctx context.Context, j *adapters.Job) (string, error) {
	out, _, err := adapters.Command(ctx, nil, "sbatch", "--parsable", "-D", j.Workspace, j.Script)
	if err != nil {
		return "", err
	}
	id, ok := parseSbatch(out)
	if !ok {
		return "", fmt.Errorf("sbatch printed no job id: %q", strings.TrimSpace(out))
	}
	return id, nil
}

// Query asks squeue about every id in one call. Ids it no longer lists,
// and ended jobs (squeue prints no exit code), are looked up in sacct in
// one more call; what sacct does not know yet (it lags a few seconds), or
// all of them without accounting, with scontrol. Ids found nowhere are
// left out of the result.
func (e *executor) Query(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	out, stderr, err := adapters.Command(ctx, nil, "squeue", "-h", "-o", "%i|%T|%r", "-t", "all", "-j", strings.Join(ids, ","))
	// squeue fails when none of the ids is known any more; that is an
	// answer, not an outage.
	if err != nil && !strings.Contains(stderr, "Invalid job id specified") {
		return nil, err
	}
	res := parseSqueue(out)
	var rest []string
	for _, id := range ids {
		if s, ok := res[id]; !ok || s.State.Terminal() {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return res, nil
	}
	acct, err := e.sacct(ctx, rest)
	if err != nil {
		return nil, err
	}
	var lagging []string
	for _, id := range rest {
		a, known := acct[id]
		q, listed := res[id]
		switch {
		case listed && known && a.State == q.State:
			q.ExitCode = a.ExitCode
			res[id] = q
		case listed || !known:
			lagging = append(lagging, id)
		default:
			res[id] = a
		}
	}
	for _, id := range lagging {
		out, stderr, err := adapters.Command(ctx, nil, "scontrol", "show", "job", id)
		if err != nil {
			if strings.Contains(stderr, "Invalid job id") {
				continue
			}
			return nil, err
		}
		if s, ok := parseScontrol(out)[id]; ok {
			res[id] = s
		}
	}
	return res, nil
}

// sacct looks ids up in Slurm's accounting; without accounting it knows
// nothing.
func (e *executor) sacct(ctx context.Context, ids []string) (map[string]adapters.Status, error) {
	out, stderr, err := adapters.Command(ctx, nil, "sacct", "-X", "-n", "-P", "-o", "JobIDRaw,State,ExitCode", "-j", strings.Join(ids, ","))
	if strings.Contains(stderr, "accounting storage is disabled") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseSacct(out), nil
}

// Cancel runs scancel for the ids.
func (e *executor) Cancel(ctx context.Context, ids []string) error {
	_, _, err := adapters.Command(ctx, nil, "scancel", ids...)
	return err
}
