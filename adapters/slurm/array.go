package slurm

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

var _ adapters.ArraySubmitter = (*executor)(nil)

// defaultMaxArray is Slurm's MaxArraySize when scontrol does not say.
const defaultMaxArray = 1001

// MaxArray implements adapters.ArraySubmitter: MaxArraySize from
// `scontrol show config` (asked once; 1001, Slurm's default, while it
// cannot be asked). Task indexes run from 0, so an array holds that many
// tasks.
func (e *executor) MaxArray() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.maxArray == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, _, err := e.cfg.Command(ctx, nil, "scontrol", "show", "config")
		if err != nil {
			return defaultMaxArray
		}
		e.maxArray = parseMaxArraySize(out)
	}
	return e.maxArray
}

// parseMaxArraySize reads "MaxArraySize = N" from `scontrol show config`.
func parseMaxArraySize(out string) int {
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "MaxArraySize" {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				return n
			}
		}
	}
	return defaultMaxArray
}

// SubmitArray implements adapters.ArraySubmitter: one sbatch of a driver
// script (adapters.ArrayDriver) in the state directory with the steps'
// shared #SBATCH lines and --array=0-(N-1)%P, whose task i runs jobs[i].
// Task i's id is ID_i, as squeue, sacct and scancel name it.
func (e *executor) SubmitArray(ctx context.Context, jobs []*adapters.Job, parallel int) ([]string, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	if max := e.MaxArray(); len(jobs) > max {
		return nil, fmt.Errorf("%d jobs in one array; Slurm's MaxArraySize is %d", len(jobs), max)
	}
	var shared []string
	rows := make([]adapters.ArrayRow, len(jobs))
	for i, j := range jobs {
		text, err := os.ReadFile(j.Script)
		if err != nil {
			return nil, err
		}
		own, out, errf, err := splitHeader(string(text))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", j.Script, err)
		}
		if i == 0 {
			shared = own
		} else if strings.Join(own, "\n") != strings.Join(shared, "\n") {
			return nil, fmt.Errorf("the jobs of one array must ask for the same resources: %s and %s differ", jobs[0].Script, j.Script)
		}
		rows[i] = adapters.ArrayRow{Job: j, Out: out, Err: errf}
	}
	for _, j := range jobs {
		if err := adapters.KeepOutput(j.Workspace, j.Name); err != nil {
			return nil, err
		}
	}
	spec := fmt.Sprintf("0-%d", len(jobs)-1)
	if parallel > 0 {
		spec += "%" + strconv.Itoa(parallel)
	}
	d := adapters.ArrayDriver{IndexVar: "SLURM_ARRAY_TASK_ID", ID: "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"}
	path, _, err := d.Write(e.rec.Dir, ".slurm.sh", e.rec, rows, func(name string) []string {
		return append(shared[:len(shared):len(shared)], `#SBATCH --job-name="`+name+`"`,
			"#SBATCH --output=/dev/null", "#SBATCH --error=/dev/null", "#SBATCH --array="+spec)
	})
	if err != nil {
		return nil, err
	}
	out, _, err := e.cfg.Command(ctx, nil, "sbatch", "--parsable", "-D", e.rec.Dir, path)
	if err != nil {
		return nil, err
	}
	id, ok := parseSbatch(out)
	if !ok {
		return nil, fmt.Errorf("%w: sbatch printed no job id: %q", adapters.ErrUncertain, strings.TrimSpace(out))
	}
	ids := make([]string, len(jobs))
	for i := range ids {
		ids[i] = id + "_" + strconv.Itoa(i)
	}
	return ids, nil
}

// splitHeader reads a step script's #SBATCH lines (those before its first
// line that is neither blank nor a comment, as sbatch does): the ones
// every task of an array shares, and the files its --output and --error
// name (the last of each; --error defaults to --output's file). The job's
// own lines (--job-name, --comment, the output files) are left out of the
// shared ones.
func splitHeader(text string) (shared []string, out, errf string, err error) {
	lines := strings.Split(text, "\n")
	for _, line := range lines[1:] {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "#") {
			break
		}
		opt, ok := strings.CutPrefix(t, "#SBATCH ")
		if !ok {
			continue
		}
		opt = strings.TrimSpace(opt)
		name := opt
		if i := strings.IndexAny(opt, "= "); i >= 0 {
			name = opt[:i]
		}
		val := strings.Trim(strings.TrimLeft(opt[len(name):], "= "), `"'`)
		if long, ok := shortOptions[name]; ok {
			name = long
		}
		switch name {
		case "--job-name", "--comment":
		case "--output", "--error":
			if val == "" || strings.Contains(val, "%") {
				return nil, "", "", fmt.Errorf("#SBATCH %s: an array task needs its output named without patterns", opt)
			}
			if name == "--output" {
				out = val
			} else {
				errf = val
			}
		case "--array":
			return nil, "", "", fmt.Errorf("#SBATCH %s: the script is an array of its own", opt)
		default:
			shared = append(shared, t)
		}
	}
	if out == "" {
		return nil, "", "", fmt.Errorf("no #SBATCH --output: an array task needs its own output file")
	}
	if errf == "" {
		errf = out
	}
	return shared, out, errf, nil
}

var shortOptions = map[string]string{"-J": "--job-name", "-o": "--output", "-e": "--error", "-a": "--array"}
