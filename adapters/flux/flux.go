package flux

import (
	"errors"

	"github.com/maestro-go/maestro/adapters"
)

// Adapter is the Flux scheduler adapter.
type Adapter struct{}

// New returns the Flux adapter.
func New() *Adapter { return &Adapter{} }

// Name implements adapters.Adapter.
func (*Adapter) Name() string { return "flux" }

// Open implements adapters.Adapter.
func (*Adapter) Open(adapters.Config) (adapters.Executor, error) {
	return nil, errors.New("flux execution is not built yet")
}
