package adapters

import (
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
