package flux_test

import (
	"flag"
	"testing"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/all"
)

// update rewrites the golden scripts of the sample:
//
//	go test ./adapters/flux -run TestSampleScripts -update
var update = flag.Bool("update", false, "rewrite the golden scripts of samples/pipeline_flux.yaml")

// TestSampleScripts compares the scripts of samples/pipeline_flux.yaml, as
// maestro run --dry writes them, with testdata/flux/golden.
func TestSampleScripts(t *testing.T) {
	adaptertest.SampleScripts(t, all.Registry(), "../../samples/pipeline_flux.yaml", "../../testdata/flux/golden", ".flux.sh", *update)
}
