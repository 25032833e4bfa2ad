package lsf_test

import (
	"flag"
	"testing"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/all"
)

// update rewrites the golden scripts of the sample:
//
//	go test ./adapters/lsf -run TestSampleScripts -update
var update = flag.Bool("update", false, "rewrite the golden scripts of samples/pipeline_lsf.yaml")

// TestSampleScripts compares the scripts of samples/pipeline_lsf.yaml, as
// maestro run --dry writes them, with testdata/lsf/golden.
func TestSampleScripts(t *testing.T) {
	adaptertest.SampleScripts(t, all.Registry(), "../../samples/pipeline_lsf.yaml", "../../testdata/lsf/golden", ".lsf.sh", *update)
}
