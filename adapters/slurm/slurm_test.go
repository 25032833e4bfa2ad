package slurm_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/slurm"
	"github.com/maestro-go/maestro/spec"
)

// requireSlurm skips without a Slurm cluster, unless CI (which starts
// one) says the Slurm tests must run.
func requireSlurm(t testing.TB) {
	t.Helper()
	_, err := exec.LookPath("sbatch")
	if os.Getenv("SLURM_CONF") != "" && err == nil {
		return
	}
	if os.Getenv("MAESTRO_REQUIRE_SLURM") == "1" {
		t.Fatal("MAESTRO_REQUIRE_SLURM=1 but no Slurm cluster (SLURM_CONF and sbatch on PATH)")
	}
	t.Skip("no Slurm cluster: start one with ../shared/slurm/start-local-slurm.sh")
}

// TestConformance runs the shared suite on the real cluster, with USER
// and LOGNAME unset: jobs are tracked by id, never by user.
func TestConformance(t *testing.T) {
	requireSlurm(t)
	withoutUser := func() []string {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "USER=") && !strings.HasPrefix(kv, "LOGNAME=") {
				env = append(env, kv)
			}
		}
		return env
	}
	partition := os.Getenv("LOCAL_SLURM_PARTITION")
	if partition == "" {
		partition = "debug"
	}
	adaptertest.Run(t, adaptertest.Harness{
		Adapter:         slurm.New(),
		Batch:           spec.Batch{Type: "slurm", Shell: "/bin/bash", Host: "localhost", Bank: "maestro", Queue: partition},
		Scheduled:       true,
		Timeout:         2 * time.Minute,
		WalltimeTimeout: 4 * time.Minute,
		Poll:            time.Second,
		UnknownID:       "987654321",
		Arrays:          true,
		Env:             withoutUser,
	})
}
