// Package local is the local adapter: steps run as child processes of the
// conductor, in parallel up to the throttle.
package local

import (
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/spec"
)

// Adapter runs steps on the conductor's machine.
type Adapter struct {
	// KillGrace is how long a cancelled or timed-out step has between
	// SIGTERM and SIGKILL.
	KillGrace time.Duration
	// AdoptPoll is how often a step started by an earlier conductor is
	// checked for having ended.
	AdoptPoll time.Duration
}

// New returns the local adapter with its defaults.
func New() *Adapter { return &Adapter{KillGrace: 3 * time.Second, AdoptPoll: 200 * time.Millisecond} }

// Name implements adapters.Adapter.
func (*Adapter) Name() string { return "local" }

// Extension implements adapters.ScriptWriter.
func (*Adapter) Extension() string { return ".sh" }

// Shebang implements adapters.ScriptWriter.
func (*Adapter) Shebang(b *spec.Batch) string { return b.Shell }

// Header implements adapters.ScriptWriter: local scripts have none.
func (*Adapter) Header(*adapters.Script) ([]string, error) { return nil, nil }

// Launcher implements adapters.ScriptWriter: local steps launch directly.
func (*Adapter) Launcher(*adapters.Script, string, string) string { return "" }
