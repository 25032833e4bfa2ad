// Package adapters defines the small interface every scheduler adapter
// implements, the explicit registry of adapters, and what they share:
// script rendering and launcher tokens.
package adapters

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// ScriptWriter writes the scheduler-specific parts of step scripts.
type ScriptWriter interface {
	// Extension is the script name suffix, e.g. ".slurm.sh".
	Extension() string
	// Shebang is the interpreter of the script, without "#!".
	Shebang(b *spec.Batch) string
	// Header returns the scheduler directives of a scheduled step.
	Header(s *Script) ([]string, error)
	// Launcher returns the parallel launch command for nodes and procs;
	// nodes is "" when the step or allocation does not name them.
	Launcher(s *Script, nodes, procs string) string
}

// Adapter is one scheduler.
type Adapter interface {
	ScriptWriter
	// Name is the batch.type that selects the adapter.
	Name() string
	// Open returns an executor for one conductor.
	Open(cfg Config) (Executor, error)
}

// Config is what an executor is opened with.
type Config struct {
	Batch  *spec.Batch
	Notify func()                           // wakes the conductor when a job changes on its own
	Logf   func(format string, args ...any) // the conductor's log
	// StateDir is a directory of the study where an executor may keep
	// what it needs to find its jobs again after the conductor restarts.
	StateDir string
	// Env is the environment scheduler commands run with (their PATH
	// included: commands are looked up in it); nil is the conductor's own.
	// Tests point it at fake commands.
	Env func() []string
}

// MaxIDs is how many job ids the scheduler adapters put on one command
// line.
const MaxIDs = 500

// WithDefaults fills the optional parts of a Config an executor uses.
func WithDefaults(cfg Config) Config {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Notify == nil {
		cfg.Notify = func() {}
	}
	if cfg.Env == nil {
		cfg.Env = os.Environ
	}
	return cfg
}

// Job is one submission of a step's script.
type Job struct {
	Name      string // the job name: output files and scheduler listings use it
	Script    string // the script to run or submit
	Workspace string // the working directory
	Walltime  string // the step's walltime text; "" for none
	Token     string // tells this submission from the step's earlier ones
	Nested    bool   // Flux: run the step in an instance of its own (flux batch)
	// Resources is a key of what the script's header asks of the
	// scheduler (ResourceKey, from the study's record of the step), ""
	// when unknown: jobs of one study with equal keys have headers that
	// differ only in each job's own lines (its name, comment and the
	// output files named after it), so an array can be checked by them
	// without reading every script (ArraySubmitter).
	Resources string
}

// Status is what the scheduler reports of one job.
type Status struct {
	State    state.State
	ExitCode *int   // when the scheduler reports one
	Reason   string // why, in the scheduler's words
}

// Executor submits, watches and cancels the jobs of one study.
type Executor interface {
	// Submit starts or enqueues a job and returns its id.
	Submit(ctx context.Context, j *Job) (string, error)
	// Query reports many jobs in one call. Without an error, an id missing
	// from the result was found nowhere. With an error, the result holds
	// what the scheduler did answer (it may be empty) and the ids missing
	// from it are unknown this time.
	Query(ctx context.Context, ids []string) (map[string]Status, error)
	// Cancel cancels many jobs.
	Cancel(ctx context.Context, ids []string) error
	// Find finds the jobs a conductor submitted but did not live to
	// record (it died, or the submission's answer was lost): by job name
	// (and what else tells the job from an earlier submission of the same
	// step), submitted since the given time. It returns job name -> id for
	// those it found; a job not found was not submitted. Every executor
	// must be able to, so that nothing is submitted twice.
	Find(ctx context.Context, jobs []*Job, since time.Time) (map[string]string, error)
	// Capabilities says how the conductor should drive the executor.
	Capabilities() Capabilities
}

// Adopter is an executor that can take over jobs a previous conductor
// started. Adopt reports whether job id still exists or left a result;
// false means it is lost and the step must run again. An empty id asks
// whether the job was started at all (the conductor died before it could
// record the id); the id found is returned.
type Adopter interface {
	Adopt(id string, j *Job, submitted time.Time) (string, bool)
}

// Capabilities are what differs between executors.
type Capabilities struct {
	// Local executors run jobs on this machine, report a finished job at
	// once through Config.Notify, and are limited to the machine's CPUs.
	Local bool
	// MaxIDs is the most job ids one query or cancel command takes.
	MaxIDs int
}

// Registry is a set of adapters by name: the conductor and study are
// handed one (adapters/all.Registry has them all), so that what a program
// can drive is a value it chooses, not what its imports registered.
type Registry struct{ m map[string]Adapter }

// NewRegistry returns a registry of the adapters. A duplicate name is a
// programming error.
func NewRegistry(list ...Adapter) Registry {
	return Registry{}.With(list...)
}

// With returns a copy of r with the adapters added, replacing those of
// the same names (tests add a fake scheduler this way).
func (r Registry) With(list ...Adapter) Registry {
	m := make(map[string]Adapter, len(r.m)+len(list))
	for n, a := range r.m {
		m[n] = a
	}
	seen := map[string]bool{}
	for _, a := range list {
		if seen[a.Name()] {
			panic("adapters: duplicate adapter " + a.Name())
		}
		seen[a.Name()] = true
		m[a.Name()] = a
	}
	return Registry{m}
}

// Get returns the adapter for a batch type.
func (r Registry) Get(name string) (Adapter, error) {
	a, ok := r.m[name]
	if !ok {
		return nil, fmt.Errorf("no scheduler adapter for batch type '%s' (have %v)", name, r.Names())
	}
	return a, nil
}

// Names lists the adapters of r.
func (r Registry) Names() []string {
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
