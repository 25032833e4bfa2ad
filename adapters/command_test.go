package adapters

import (
	"context"
	"errors"
	"testing"
	"time"
)

// What scheduler commands print decides whether a failure is an outage, a
// submission limit or a refusal; the messages are Slurm 22.05's own.
func TestCommandClassifies(t *testing.T) {
	for _, c := range []struct {
		script string
		want   error
	}{
		{`echo "sbatch: error: QOSMaxSubmitJobPerUserLimit" >&2; echo "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)" >&2; exit 1`, ErrLimit},
		{`echo "sbatch: error: AssocMaxSubmitJobLimit" >&2; echo "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)" >&2; exit 1`, ErrLimit},
		{`echo "sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying" >&2; echo "sbatch: error: Batch job submission failed: Resource temporarily unavailable" >&2; exit 1`, ErrLimit},
		{`echo "squeue: error: Unable to contact slurm controller (connect failure)" >&2; exit 1`, ErrUnavailable},
		{`sleep 5`, ErrUnavailable},
		{`echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1`, nil},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, _, err := Config{}.Command(ctx, nil, "bash", "-c", c.script)
		cancel()
		if err == nil {
			t.Errorf("%s: no error", c.script)
			continue
		}
		for _, sentinel := range []error{ErrLimit, ErrUnavailable} {
			if errors.Is(err, sentinel) != (sentinel == c.want) {
				t.Errorf("%s: %v; want %v", c.script, err, c.want)
			}
		}
	}
}
