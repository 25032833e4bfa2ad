package lsf

import (
	"errors"

	"github.com/maestro-go/maestro/adapters"
)

// Adapter is the LSF scheduler adapter.
type Adapter struct{}

// New returns the LSF adapter.
func New() *Adapter { return &Adapter{} }

// Name implements adapters.Adapter.
func (*Adapter) Name() string { return "lsf" }

// Open implements adapters.Adapter.
func (*Adapter) Open(adapters.Config) (adapters.Executor, error) {
	return nil, errors.New("lsf execution is not built yet")
}
