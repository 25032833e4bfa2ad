package flux_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/flux"
)

// requireFlux skips without a reachable Flux instance (flux on PATH and
// FLUX_URI set), unless MAESTRO_REQUIRE_FLUX=1 says it must run.
func requireFlux(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("flux")
	if err == nil && os.Getenv("FLUX_URI") != "" {
		return
	}
	if os.Getenv("MAESTRO_REQUIRE_FLUX") == "1" {
		t.Fatal("MAESTRO_REQUIRE_FLUX=1 but no Flux instance (flux on PATH and FLUX_URI set)")
	}
	t.Skip("no Flux instance: run inside one (flux start, flux alloc) or set FLUX_URI")
}

// TestRealFlux runs the conformance suite, nested and not, and the study
// of TestStudy against a real Flux instance (it needs 2 cores).
func TestRealFlux(t *testing.T) {
	requireFlux(t)
	if out, err := exec.Command("flux", "version").CombinedOutput(); err == nil {
		t.Logf("flux version:\n%s", out)
	}
	for _, nested := range []bool{false, true} {
		adaptertest.Run(t, adaptertest.Harness{
			Adapter:         flux.New(),
			Batch:           batch(),
			Scheduled:       true,
			Timeout:         2 * time.Minute,
			WalltimeTimeout: 3 * time.Minute,
			Poll:            500 * time.Millisecond,
			UnknownID:       "ƒ68GN",
			Nested:          nested,
			Arrays:          true,
			Unthrottled:     true,
			ArrayRefused:    nested,
		})
	}
	checkStudy(t, nil, 15*time.Minute)
}
