package flux_test

import (
	"context"
	"fmt"
	"github.com/maestro-go/maestro/adapters/all"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/adapters/flux"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// TestMain lets this test binary act as the fake flux command.
func TestMain(m *testing.M) {
	adaptertest.ConductorMain(all.Registry())
	fakesched.Main()
	os.Exit(m.Run())
}

// batch is what Flux needs: no host, bank or queue (an instance without
// named queues refuses every -q).
func batch() spec.Batch { return spec.Batch{Type: "flux", Shell: "/bin/bash"} }

// TestConformance runs the shared suite against the fake flux, a minute
// of walltime taking 1.2 s: steps that are not nested go through flux
// submit with their directives as options, nested ones through flux batch
// (here with a bank and a queue the instance has). Steps that are not
// nested go in arrays as flux submit --cc; nested ones cannot (flux batch
// has no --cc).
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, nested := range []bool{false, true} {
		t.Run(fmt.Sprintf("nested=%v", nested), func(t *testing.T) {
			f := fakesched.Start(t, fakesched.EnvTimeScale+"=0.02", fakesched.EnvQueues+"=debug,pdebug")
			b := batch()
			if nested {
				b.Bank, b.Queue = "guests", "pdebug"
			}
			adaptertest.Run(t, adaptertest.Harness{
				Adapter:         flux.New(),
				Batch:           b,
				Scheduled:       true,
				Timeout:         30 * time.Second,
				WalltimeTimeout: 30 * time.Second,
				Poll:            50 * time.Millisecond,
				UnknownID:       "ƒ68GN",
				Nested:          nested,
				Env:             f.Environ,
				Arrays:          true,
				Unthrottled:     true,
				ArrayRefused:    nested,
			})
		})
	}
}

func TestOutages(t *testing.T) {
	t.Parallel()
	fakesched.Outages{Adapter: flux.New(), Batch: batch(), Down: "Unable to connect to Flux", UnknownID: "ƒ68GN"}.Run(t)
}

// TestFluxURI: commands reach the broker at batch.flux_uri, else at
// FLUX_URI of the environment.
func TestFluxURI(t *testing.T) {
	t.Parallel()
	const uri = "local:///tmp/maestro-test/flux-broker"
	f := fakesched.Start(t, fakesched.EnvFluxURI+"="+uri)
	script := filepath.Join(t.TempDir(), "uri.flux.sh")
	if err := os.WriteFile(script, []byte("#!/bin/bash\n#flux: -n 1\ntrue\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	submit := func(b spec.Batch) (string, adapters.Executor, error) {
		ex, err := flux.New().Open(adapters.Config{Batch: &b, Env: f.Environ})
		if err != nil {
			t.Fatal(err)
		}
		id, err := ex.Submit(context.Background(), &adapters.Job{Name: "uri", Script: script, Workspace: t.TempDir()})
		return id, ex, err
	}
	withURI := batch()
	withURI.FluxURI = uri
	id, ex, err := submit(withURI)
	if err != nil {
		t.Fatalf("with batch.flux_uri: %v", err)
	}
	if res, err := ex.Query(context.Background(), []string{id}); err != nil || res[id].State == "" {
		t.Fatalf("query with batch.flux_uri: %v %v", res, err)
	}
	if _, _, err := submit(batch()); err == nil || !strings.Contains(err.Error(), "Unable to connect to Flux") {
		t.Fatalf("without a URI: %v", err)
	}
	f.Set("FLUX_URI", uri)
	if _, _, err := submit(batch()); err != nil {
		t.Fatalf("with FLUX_URI in the environment: %v", err)
	}
	other := batch()
	other.FluxURI = "local:///elsewhere"
	if _, _, err := submit(other); err == nil {
		t.Fatal("batch.flux_uri does not win over the environment")
	}
}

// TestSubmitError: flux batch's refusal (of a nested step) reaches the
// caller.
func TestSubmitError(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t)
	script := filepath.Join(t.TempDir(), "nosize.flux.sh")
	os.WriteFile(script, []byte("#!/bin/bash\ntrue\n"), 0o755)
	ex, _ := flux.New().Open(adapters.Config{Batch: &spec.Batch{Type: "flux"}, Env: f.Environ})
	_, err := ex.Submit(context.Background(), &adapters.Job{Name: "nosize", Script: script, Workspace: t.TempDir(), Nested: true})
	if err == nil || !strings.Contains(err.Error(), "Number of slots to allocate must be specified") {
		t.Fatalf("error %v", err)
	}
}

// TestWorkspace: the job runs in its workspace and writes its output
// files there (#flux: --output/--error are relative to it).
func TestWorkspace(t *testing.T) {
	t.Parallel()
	f := fakesched.Start(t)
	b := batch()
	ex, _ := flux.New().Open(adapters.Config{Batch: &b, Env: f.Environ})
	ws := t.TempDir()
	step := &spec.Step{Name: "where", Run: spec.Run{Cmd: "pwd; echo err >&2", Procs: "1"}}
	text, err := adapters.Render(flux.New(), &adapters.Script{JobName: "where", Step: step, Batch: &b}, step.Run.Cmd, true)
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "where.flux.sh") // the script lives elsewhere
	os.WriteFile(script, text, 0o755)
	id, err := ex.Submit(context.Background(), &adapters.Job{Name: "where", Script: script, Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := ex.Query(context.Background(), []string{id})
		if err != nil || time.Now().After(end) {
			t.Fatalf("%v %v", res, err)
		}
		if res[id].State == state.Finished {
			break
		}
	}
	out, _ := os.ReadFile(filepath.Join(ws, "where.out"))
	errs, _ := os.ReadFile(filepath.Join(ws, "where.err"))
	if strings.TrimSpace(string(out)) != ws || string(errs) != "err\n" {
		t.Errorf("where.out %q, where.err %q; want %q and \"err\"", out, errs, ws)
	}
}
