package adapters

import (
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/store"
)

// The study database keeps its own record types (store.Batch, store.KV),
// so that renaming a spec field never changes its format. These convert at
// the boundary: the study writer stores a spec's batch block and
// parameters, and the conductor opens executors with the batch it reads.

// StoreBatch is b as the study database keeps it.
func StoreBatch(b *spec.Batch) store.Batch {
	return store.Batch{Type: b.Type, Shell: b.Shell, Host: b.Host, Bank: b.Bank, Queue: b.Queue,
		Nodes: b.Nodes, Procs: b.Procs, GPUs: b.GPUs, Reservation: b.Reservation, QOS: b.QOS,
		Version: b.Version, FluxURI: b.FluxURI, Args: StoreKVs(b.Args), Extra: b.Extra}
}

// SpecBatch is the batch block a study database recorded.
func SpecBatch(b *store.Batch) *spec.Batch {
	var args []spec.KV
	if b.Args != nil {
		args = make([]spec.KV, len(b.Args))
		for i, kv := range b.Args {
			args[i] = spec.KV{Key: kv.Key, Value: kv.Value}
		}
	}
	return &spec.Batch{Type: b.Type, Shell: b.Shell, Host: b.Host, Bank: b.Bank, Queue: b.Queue,
		Nodes: b.Nodes, Procs: b.Procs, GPUs: b.GPUs, Reservation: b.Reservation, QOS: b.QOS,
		Version: b.Version, FluxURI: b.FluxURI, Args: args, Extra: b.Extra}
}

// StoreKVs is kvs (batch args, a step's parameters) as the study database
// keeps them.
func StoreKVs(kvs []spec.KV) []store.KV {
	if kvs == nil {
		return nil
	}
	out := make([]store.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = store.KV{Key: kv.Key, Value: kv.Value}
	}
	return out
}

// resourceKeys are a step's scheduler resources as StoreResources keeps
// them, by their spec names.
var resourceKeys = []struct {
	name  string
	field func(*spec.Run) *string
}{
	{"nodes", func(r *spec.Run) *string { return &r.Nodes }},
	{"procs", func(r *spec.Run) *string { return &r.Procs }},
	{"cores per task", func(r *spec.Run) *string { return &r.CoresPerTask }},
	{"tasks per rs", func(r *spec.Run) *string { return &r.TasksPerRS }},
	{"rs per node", func(r *spec.Run) *string { return &r.RSPerNode }},
	{"cpus per rs", func(r *spec.Run) *string { return &r.CPUsPerRS }},
	{"gpus", func(r *spec.Run) *string { return &r.GPUs }},
	{"exclusive", func(r *spec.Run) *string { return &r.Exclusive }},
	{"bind", func(r *spec.Run) *string { return &r.Bind }},
	{"bind gpus", func(r *spec.Run) *string { return &r.BindGPUs }},
	{"reservation", func(r *spec.Run) *string { return &r.Reservation }},
	{"qos", func(r *spec.Run) *string { return &r.QOS }},
	{"priority", func(r *spec.Run) *string { return &r.Priority }},
}

// StoreResources is the scheduler resources of r that are set, as the
// study database keeps them for a step that may be bundled or arrayed
// (store.StepInfo.Resources); its walltime and nested flag are kept
// apart.
func StoreResources(r *spec.Run) []store.KV {
	var out []store.KV
	for _, k := range resourceKeys {
		if v := *k.field(r); v != "" {
			out = append(out, store.KV{Key: k.name, Value: v})
		}
	}
	return out
}

// StoredScript is what a script writer needs of a step the study database
// recorded with its resources (StoreResources), to write the header of a
// bundle of such steps: the step's name, resources, walltime and nested
// flag, and the study's batch block.
func StoredScript(si *store.StepInfo, batch *spec.Batch) *Script {
	step := &spec.Step{Name: si.Step, Run: spec.Run{Walltime: si.Walltime, Nested: si.Nested}}
	for _, kv := range si.Resources {
		for _, k := range resourceKeys {
			if k.name == kv.Key {
				*k.field(&step.Run) = kv.Value
			}
		}
	}
	return &Script{JobName: si.JobName, Step: step, Batch: batch}
}

// ResourceKey is the key of what the header of the script of a step the
// study database recorded with its resources (StoreResources) asks of
// the scheduler: those resources, its walltime and nested flag, which
// with the study's batch block are all of a step but its name and
// description that the header of an adapter with arrays (Slurm's) reads.
// "" when the record holds no resources: a scheduled step sets nodes or
// procs, so only a record written without them (of a step neither
// bundled nor arrayed) holds none.
func ResourceKey(si *store.StepInfo) string {
	if len(si.Resources) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(si.Walltime)
	b.WriteString("\x00")
	b.WriteString(strconv.FormatBool(si.Nested))
	for _, kv := range si.Resources {
		b.WriteString("\x00" + kv.Key + "=" + kv.Value)
	}
	return b.String()
}
