package local_test

import (
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/local"
	"github.com/maestro-go/maestro/spec"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		Adapter:         &local.Adapter{KillGrace: 500 * time.Millisecond},
		Batch:           spec.Batch{Type: "local", Shell: "/bin/bash"},
		Timeout:         30 * time.Second,
		WalltimeTimeout: 30 * time.Second,
		Poll:            20 * time.Millisecond,
		UnknownID:       "999999999",
	})
}
