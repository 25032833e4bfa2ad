// Package all is every scheduler adapter, in one explicit list.
package all

import (
	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/flux"
	"github.com/maestro-go/maestro/adapters/local"
	"github.com/maestro-go/maestro/adapters/lsf"
	"github.com/maestro-go/maestro/adapters/slurm"
)

// Registry returns a registry of every adapter, with its defaults.
func Registry() adapters.Registry {
	return adapters.NewRegistry(local.New(), slurm.New(), lsf.New(), flux.New())
}
