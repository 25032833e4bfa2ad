package slurm

import (
	"errors"

	"github.com/maestro-go/maestro/adapters"
)

// Adapter is the Slurm scheduler adapter.
type Adapter struct{}

// New returns the Slurm adapter.
func New() *Adapter { return &Adapter{} }

// Name implements adapters.Adapter.
func (*Adapter) Name() string { return "slurm" }

// Open implements adapters.Adapter.
func (*Adapter) Open(adapters.Config) (adapters.Executor, error) {
	return nil, errors.New("slurm execution is not built yet")
}
