// Package all registers every scheduler adapter, in one explicit list.
package all

import (
	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/flux"
	"github.com/maestro-go/maestro/adapters/local"
	"github.com/maestro-go/maestro/adapters/lsf"
	"github.com/maestro-go/maestro/adapters/slurm"
)

func init() {
	adapters.Register(local.New(), slurm.New(), lsf.New(), flux.New())
}
