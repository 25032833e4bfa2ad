// Package gcbudget lets a program's heap grow to a memory budget before
// the garbage collector runs, for work that builds a large heap and
// throws much of it away (maestro run: a spec's YAML tree, then the
// records of a million steps), without ever collecting less often than
// the default (GOGC=100) would once the live heap passes half the budget.
//
// A fixed GOGC with a GOMEMLIMIT would also cap the collections, but a
// study whose live heap outgrows the limit would then be collected over
// and over; this package instead sets GOGC after every collection so that
// the next one comes when the heap reaches the budget:
// GOGC = 100*(budget-live)/live, and never below 100.
package gcbudget

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Set paces the collector for a heap of budget bytes until the returned
// function is called, which restores the previous GOGC. It does nothing
// (and its function nothing) for a budget of 0, or when the environment
// sets GOGC or GOMEMLIMIT: the user's choice wins.
func Set(budget uint64) (restore func()) {
	if budget == 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	p := &pacer{budget: budget, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	p.mu.Lock()
	p.prev = debug.SetGCPercent(p.percent())
	p.mu.Unlock()
	p.arm()
	return p.stop
}

// minHeap is the runtime's heap minimum at GOGC=100.
const minHeap = 4 << 20

// pacer sets GOGC after each collection, from a finalizer on an object
// that each collection frees and that is made again each time.
type pacer struct {
	budget uint64
	mu     sync.Mutex // held while GOGC is changed
	prev   int        // GOGC before Set
	done   bool
	live   []metrics.Sample
}

// cycle is a collectable object whose finalizer tells p a collection
// ended (it holds a pointer, so that it is never one of the tiny objects
// the runtime packs together and frees as one).
type cycle struct{ p *pacer }

func (p *pacer) arm() {
	runtime.SetFinalizer(&cycle{p}, func(c *cycle) { c.p.collected() })
}

func (p *pacer) collected() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	debug.SetGCPercent(p.percent())
	p.arm()
}

// percent is the GOGC that lets the heap grow from its live size (as of
// the last collection) to the budget. Before the first collection, and
// while the live heap is under 4 MiB, the runtime's heap minimum (4 MiB
// at GOGC=100, scaled with GOGC) sets the goal instead.
func (p *pacer) percent() int {
	metrics.Read(p.live)
	live := max(p.live[0].Value.Uint64(), minHeap)
	if 2*live >= p.budget {
		return 100
	}
	return int(min(100*(p.budget-live)/live, 1<<20))
}

func (p *pacer) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done {
		p.done = true
		debug.SetGCPercent(p.prev)
	}
}
