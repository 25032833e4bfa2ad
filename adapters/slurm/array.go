package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// SubmitArray implements adapters.ArraySubmitter: one sbatch, in the
// state directory, of the driver script (adapters.ArrayDriver) of the
// steps' shared #SBATCH lines, with the array's job name,
// --array=0-(N-1)%P and its task list, whose line i runs jobs[i]. Task
// i's id is ID_i, as squeue, sacct and scancel name it.
//
// The shared lines are the first script's. The other scripts must ask
// for the same resources and name each task's output files: a job that
// carries the first one's resource key (adapters.Job.Resources) does, by
// the study's record; the header of any other is read while sbatch runs.
// The task list is written once they all agree: an array whose headers
// differ (or whose list cannot be written) is cancelled, and, listless,
// ran no step.
func (e *executor) SubmitArray(ctx context.Context, jobs []*adapters.Job, parallel int) ([]string, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	if max := e.MaxArray(); len(jobs) > max {
		return nil, fmt.Errorf("%d jobs in one array; Slurm's MaxArraySize is %d", len(jobs), max)
	}
	buf := make([]byte, headRead)
	head, err := readHead(jobs[0].Script, buf)
	if err != nil {
		return nil, err
	}
	shared, out0, err0, err := splitHeader(head)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", jobs[0].Script, err)
	}
	spec := fmt.Sprintf("0-%d", len(jobs)-1)
	if parallel > 0 {
		spec += "%" + strconv.Itoa(parallel)
	}
	d := adapters.ArrayDriver{IndexVar: "SLURM_ARRAY_TASK_ID", ID: "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"}
	driver, err := d.WriteDriver(e.rec.Dir, ".slurm.sh", e.rec,
		append(shared[:len(shared):len(shared)], "#SBATCH --output=/dev/null", "#SBATCH --error=/dev/null"))
	if err != nil {
		return nil, err
	}
	files, err := adapters.NewArrayFiles(e.rec.Dir, e.rec, jobs)
	if err != nil {
		return nil, err
	}
	listed := make(chan error, 1)
	go func() {
		rows, err := arrayRows(jobs, adapters.ArrayRow{Job: jobs[0], Out: out0, Err: err0}, shared, buf)
		if err == nil {
			err = files.WriteTasks(rows)
		}
		listed <- err
	}()
	out, _, err := e.cfg.Command(ctx, nil, "sbatch", "--parsable", "-D", e.rec.Dir, "--job-name="+files.JobName, "--array="+spec, driver, files.Tasks)
	listErr := <-listed
	id, ok := parseSbatch(out)
	switch {
	case err != nil && !errors.Is(err, adapters.ErrUnavailable) && !errors.Is(err, adapters.ErrUncertain):
		return nil, err // refused: no array
	case listErr != nil:
		if err == nil && ok {
			e.Cancel(ctx, []string{id})
		}
		return nil, listErr // no step of an array without its list runs
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%w: sbatch printed no job id: %q", adapters.ErrUncertain, strings.TrimSpace(out))
	}
	ids := make([]string, len(jobs))
	for i := range ids {
		ids[i] = id + "_" + strconv.Itoa(i)
	}
	return ids, nil
}

// arrayRows returns how each job's task runs, or an error when one asks
// for other resources than the first, whose row and shared lines are
// given. A job that carries the first one's resource key is taken on it
// (see ownFile); the header of any other is read (in buf).
func arrayRows(jobs []*adapters.Job, first adapters.ArrayRow, shared []string, buf []byte) ([]adapters.ArrayRow, error) {
	rows := make([]adapters.ArrayRow, len(jobs))
	rows[0] = first
	key := first.Job.Resources
	for i, j := range jobs[1:] {
		if key != "" && j.Resources == key {
			rows[i+1] = adapters.ArrayRow{Job: j, Out: ownFile(first.Out, first.Job.Name, j.Name), Err: ownFile(first.Err, first.Job.Name, j.Name)}
			continue
		}
		head, err := readHead(j.Script, buf)
		if err != nil {
			return nil, err
		}
		own, out, errf, err := splitHeader(head)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", j.Script, err)
		}
		if !slices.Equal(own, shared) {
			return nil, fmt.Errorf("the jobs of one array must ask for the same resources: %s and %s differ", jobs[0].Script, j.Script)
		}
		rows[i+1] = adapters.ArrayRow{Job: j, Out: out, Err: errf}
	}
	return rows, nil
}

// ownFile is the output file (stdout or stderr) of the job named name
// whose header was written as that of the job named first, whose file is
// f: Header names a job's files after it (NAME.out, NAME.err), and a
// batch arg that names them (the last line wins) names the same file for
// every job of the study.
func ownFile(f, first, name string) string {
	if ext, ok := strings.CutPrefix(f, first); ok && (ext == ".out" || ext == ".err") {
		return name + ext
	}
	return f
}

// headRead is how much of a script readHead reads at first: a step
// script's header is a few hundred bytes.
const headRead = 8 << 10

// readHead returns the start of the script at path, up to its first line
// that is neither blank nor a comment when buf (reused) holds it, else
// the whole script. It opens the file with the system call itself: for
// the thousand scripts of an array, os.Open's bookkeeping costs more than
// the reading.
func readHead(path string, buf []byte) (string, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", &fs.PathError{Op: "open", Path: path, Err: err}
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil {
		return "", &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if headerEnds(buf[:n]) {
		return string(buf[:n]), nil
	}
	text, err := os.ReadFile(path)
	return string(text), err
}

// headerEnds reports whether text holds a whole line after its first that
// is neither blank nor a comment, where a header ends.
func headerEnds(text []byte) bool {
	i := bytes.IndexByte(text, '\n')
	for i >= 0 {
		text = text[i+1:]
		if i = bytes.IndexByte(text, '\n'); i < 0 {
			return false
		}
		if t := bytes.TrimSpace(text[:i]); len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// splitHeader reads a step script's #SBATCH lines (those before its first
// line that is neither blank nor a comment, as sbatch does): the ones
// every task of an array shares, and the files its --output and --error
// name (the last of each; --error defaults to --output's file). The job's
// own lines (--job-name, --comment, the output files) are left out of the
// shared ones.
func splitHeader(text string) (shared []string, out, errf string, err error) {
	_, rest, _ := strings.Cut(text, "\n") // the shebang
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
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
