// Package bundle puts several small scheduled steps into one scheduler
// job: a bash runner inside the job starts them, a few at a time, each in
// its own workspace with its own unchanged script and output files, and
// records each one's start and end in files of the study directory (a
// cluster's shared file system: no network between the compute and login
// nodes is needed). docs/SCHEDULERS.md (Bundles) describes the rule that
// gives a bundle its walltime and resources, the files, and what happens
// at the walltime.
package bundle

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

// Member is one step to run in a bundle: its job, as it would be
// submitted alone, and its script's resources.
type Member struct {
	Job    *adapters.Job
	Script *adapters.Script
}

// Options are a bundle's tunables.
type Options struct {
	// Parallel is how many of its steps a bundle runs at a time; 0 or
	// more than its steps: all of them.
	Parallel int
	// Lead is how long before the walltime the scheduler warns the runner
	// (Slurm: --signal=B:USR1@Lead); 0: DefaultLead.
	Lead time.Duration
	// Grace is how long a step the runner stops has between TERM and
	// KILL; 0: DefaultGrace. It must be shorter than Lead.
	Grace time.Duration
	// MaxWalltime caps the derived walltime (a partition's limit); 0: no
	// cap. Steps that do not fit come back unstarted.
	MaxWalltime time.Duration
}

// Defaults of Options.
const (
	DefaultLead  = 60 * time.Second
	DefaultGrace = 10 * time.Second
)

// Bundle is a set of steps with the same resources, run as one job.
type Bundle struct {
	Name     string // the job name; also the name of its directory
	Dir      string // <state dir>/bundles/<Name>: its script, table and records
	Members  []Member
	Parallel int           // steps at a time
	Walltime time.Duration // the job's walltime, Lead included; 0: none asked
	Lead     time.Duration
	Grace    time.Duration
}

// Key is what steps must share to be bundled: every resource the
// scheduler allocates or places them by (step values over batch values).
// A step's walltime, commands and dependencies are not part of it.
func Key(s *adapters.Script) string {
	r, b := &s.Step.Run, s.Batch
	return strings.Join([]string{
		s.Resource(r.Nodes, b.Nodes), s.Resource(r.Procs, b.Procs), r.CoresPerTask,
		s.Resource(r.GPUs, b.GPUs), r.Exclusive, s.Resource(r.Reservation, b.Reservation),
		s.Resource(r.QOS, b.QOS), r.TasksPerRS, r.RSPerNode, r.CPUsPerRS, r.Bind, r.BindGPUs,
		strconv.FormatBool(r.Nested),
	}, "\x00")
}

// Plan splits steps into bundles of at most k: in the order given, each
// bundle holds steps of one Key only.
func Plan(members []Member, k int) [][]Member {
	if k < 1 {
		k = 1
	}
	var out [][]Member
	open := map[string]int{} // key -> index in out of its bundle being filled
	for _, m := range members {
		key := Key(m.Script)
		i, ok := open[key]
		if !ok || len(out[i]) == k {
			i = len(out)
			out = append(out, nil)
			open[key] = i
		}
		out[i] = append(out[i], m)
	}
	return out
}

// New makes the bundle named name of members in stateDir/bundles/name.
// The members must share a Key.
func New(name, stateDir string, members []Member, opt Options) (*Bundle, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("bundle %s: no steps", name)
	}
	key := Key(members[0].Script)
	for _, m := range members[1:] {
		if Key(m.Script) != key {
			return nil, fmt.Errorf("bundle %s: step %s asks for other resources than step %s", name, m.Job.Name, members[0].Job.Name)
		}
	}
	b := &Bundle{Name: name, Dir: Dir(stateDir, name), Members: members,
		Parallel: opt.Parallel, Lead: opt.Lead, Grace: opt.Grace}
	if b.Parallel < 1 || b.Parallel > len(members) {
		b.Parallel = len(members)
	}
	if b.Lead <= 0 {
		b.Lead = DefaultLead
	}
	if b.Grace <= 0 {
		b.Grace = DefaultGrace
	}
	if b.Grace >= b.Lead {
		return nil, fmt.Errorf("bundle %s: the grace (%s) must be shorter than the lead (%s)", name, b.Grace, b.Lead)
	}
	w, err := walltime(members, b.Parallel)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", name, err)
	}
	if w > 0 {
		w += b.Lead
		if opt.MaxWalltime > 0 && w > opt.MaxWalltime {
			w = opt.MaxWalltime
		}
		if w <= b.Lead {
			return nil, fmt.Errorf("bundle %s: the walltime %s leaves no time after the lead %s", name, w, b.Lead)
		}
	}
	b.Walltime = w
	return b, nil
}

// walltime is the time p slots need to run the members one after another
// as slots free up, when each takes its whole walltime: the longest for
// as many steps as slots, else sum/p + longest*(p-1)/p (the bound of
// greedy list scheduling), rounded up to the minute. 0 when a step has no
// walltime: the bundle then asks for none either.
func walltime(members []Member, p int) (time.Duration, error) {
	var sum, longest time.Duration
	for _, m := range members {
		d, set, err := ownWalltime(m.Job)
		if err != nil {
			return 0, fmt.Errorf("step %s: %w", m.Job.Name, err)
		}
		if !set {
			return 0, nil
		}
		sum += d
		longest = max(longest, d)
	}
	w := longest
	if len(members) > p {
		w = (sum + longest*time.Duration(p-1) + time.Duration(p-1)) / time.Duration(p)
	}
	return (w + time.Minute - 1).Truncate(time.Minute), nil
}

// ownWalltime is a step's own walltime, and whether it has one.
func ownWalltime(j *adapters.Job) (d time.Duration, set bool, err error) {
	if !adapters.Truthy(j.Walltime) {
		return 0, false, nil
	}
	d, err = adapters.ParseWalltime(j.Walltime)
	return d, true, err
}

// Signaller is a script writer whose scheduler can warn a job's batch
// shell ahead of its walltime.
type Signaller interface {
	// WalltimeSignal is the header line that has USR1 sent to the batch
	// shell lead before the walltime.
	WalltimeSignal(lead time.Duration) string
}

// Write writes the bundle's table and job script into its directory and
// returns the job to submit: its name, script and workspace (the
// bundle's directory, where its own output goes), its walltime and the
// token given. The header is w's, for the resources of Parallel steps at
// once (see docs/SCHEDULERS.md, Bundles); the steps' scripts are
// untouched. Their earlier outputs are kept (adapters.KeepOutput) and
// their earlier records removed.
func (b *Bundle) Write(w adapters.ScriptWriter, rec adapters.Records, token string) (*adapters.Job, error) {
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		return nil, err
	}
	var table bytes.Buffer
	for _, m := range b.Members {
		j := m.Job
		rc := rec.Path(j.Name)
		if rc == "" {
			return nil, fmt.Errorf("bundle %s: no state directory to record the steps' ends in", b.Name)
		}
		limit, _, err := ownWalltime(j) // 0 for none
		if err != nil {
			return nil, fmt.Errorf("bundle %s: step %s: %w", b.Name, j.Name, err)
		}
		fields := []string{j.Name, j.Token, abs(j.Script), abs(j.Workspace),
			abs(filepath.Join(j.Workspace, j.Name+".out")), abs(filepath.Join(j.Workspace, j.Name+".err")), abs(rc),
			strconv.Itoa(int((limit + time.Second - 1) / time.Second))}
		for _, f := range fields {
			if f == "" || strings.ContainsAny(f, "\t\n\r") {
				return nil, fmt.Errorf("bundle %s: step %s: %q cannot go in the step table (empty, or a tab or line break in it)", b.Name, j.Name, f)
			}
		}
		table.WriteString(strings.Join(fields, "\t"))
		table.WriteByte('\n')
		if err := adapters.KeepOutput(j.Workspace, j.Name); err != nil {
			return nil, fmt.Errorf("bundle %s: step %s: %w", b.Name, j.Name, err)
		}
		for _, p := range []string{rc, b.path(j.Name, ".start"), b.path(j.Name, ".end"), b.path(j.Name, ".over")} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return nil, err
			}
		}
	}
	script, err := b.script(w)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(b.Dir, "steps.tsv"), table.Bytes(), 0o644); err != nil {
		return nil, err
	}
	path := filepath.Join(b.Dir, b.Name+w.Extension())
	if err := writeFile(path, script, 0o755); err != nil {
		return nil, err
	}
	job := &adapters.Job{Name: b.Name, Script: path, Workspace: b.Dir, Token: token}
	if b.Walltime > 0 {
		job.Walltime = clock(b.Walltime)
	}
	return job, nil
}

// script renders the job script: bash, w's header for the bundle's
// resources, the walltime warning when w has one, then the runner.
func (b *Bundle) script(w adapters.ScriptWriter) ([]byte, error) {
	first := b.Members[0].Script
	step := *first.Step
	step.Name = b.Name
	step.Description = fmt.Sprintf("maestro bundle of %d steps, %d at a time", len(b.Members), b.Parallel)
	r := &step.Run
	var err error
	if r.Nodes, err = times(first.Resource(r.Nodes, first.Batch.Nodes), b.Parallel, true); err != nil {
		return nil, fmt.Errorf("bundle %s: nodes: %w", b.Name, err)
	}
	if r.Procs, err = times(first.Resource(r.Procs, first.Batch.Procs), b.Parallel, false); err != nil {
		return nil, fmt.Errorf("bundle %s: procs: %w", b.Name, err)
	}
	r.Walltime = ""
	if b.Walltime > 0 {
		r.Walltime = clock(b.Walltime)
	}
	header, err := w.Header(&adapters.Script{JobName: b.Name, Step: &step, Batch: first.Batch})
	if err != nil {
		return nil, err
	}
	if s, ok := w.(Signaller); ok {
		header = append(header, s.WalltimeSignal(b.Lead))
	}
	var out bytes.Buffer
	out.WriteString("#!/bin/bash\n")
	for _, h := range header {
		out.WriteString(h)
		out.WriteByte('\n')
	}
	fmt.Fprintf(&out, "\n# Written by maestro: runs the %d steps of %s/steps.tsv, %d at a time (docs/SCHEDULERS.md, Bundles).\n",
		len(b.Members), b.Dir, b.Parallel)
	fmt.Fprintf(&out, "dir=%s\nparallel=%d\ngrace=%d\n", quote(abs(b.Dir)), b.Parallel, int(b.Grace/time.Second))
	out.WriteString(runner)
	return out.Bytes(), nil
}

// times multiplies a resource count by n; "" (and, for nodes, a value
// that does not count as set) stays as it is.
func times(v string, n int, truthy bool) (string, error) {
	if v == "" || truthy && !adapters.Truthy(v) {
		return v, nil
	}
	c, err := strconv.Atoi(v)
	if err != nil || c < 0 {
		return "", fmt.Errorf("cannot count '%s'", v)
	}
	return strconv.Itoa(c * n), nil
}

// clock writes a duration as HH:MM:SS, which every adapter reads.
func clock(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func (b *Bundle) path(name, ext string) string { return filepath.Join(b.Dir, name+ext) }

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// quote makes s one bash word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// writeFile writes through a temporary file and a rename, so that no
// reader (a runner starting on another node) sees half of it.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
