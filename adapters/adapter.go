// Package adapters defines the small interface every scheduler adapter
// implements, the explicit registry of adapters, and what they share:
// script rendering and launcher tokens.
package adapters

import (
	"fmt"
	"sort"

	"github.com/maestro-go/maestro/spec"
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
}

var registry = map[string]Adapter{}

// Register adds adapters to the registry. A duplicate name is a
// programming error.
func Register(list ...Adapter) {
	for _, a := range list {
		if _, dup := registry[a.Name()]; dup {
			panic("adapters: duplicate adapter " + a.Name())
		}
		registry[a.Name()] = a
	}
}

// Get returns the adapter registered for a batch type.
func Get(name string) (Adapter, error) {
	a, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("no scheduler adapter for batch type '%s' (have %v)", name, Names())
	}
	return a, nil
}

// Names lists the registered adapters.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
