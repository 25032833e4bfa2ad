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

// minHeap is the runtime's heap minimum at GOGC=100.
const minHeap = 4 << 20

// paced is the pacing in force. GOGC belongs to the whole process, so
// Sets that overlap (tests run commands side by side) share one: the
// largest budget of them paces, and the last restore puts back the GOGC
// from before the first.
var paced struct {
	sync.Mutex
	n      int    // Sets not yet restored
	budget uint64 // the largest of their budgets
	prev   int    // GOGC before the first
	gen    int    // counts the times pacing stopped: older finalizers do nothing
	live   []metrics.Sample
}

// Set paces the collector for a heap of budget bytes until the returned
// function is called (more calls do nothing), which restores the previous
// GOGC. It does nothing for a budget of 0, or when the environment sets
// GOGC or GOMEMLIMIT: the user's choice wins.
func Set(budget uint64) (restore func()) {
	if budget == 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	paced.Lock()
	defer paced.Unlock()
	paced.budget = max(paced.budget, budget)
	if paced.n == 0 {
		paced.budget = budget
		paced.live = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		paced.prev = debug.SetGCPercent(percent())
		arm(paced.gen)
	} else {
		debug.SetGCPercent(percent())
	}
	paced.n++
	return sync.OnceFunc(func() {
		paced.Lock()
		defer paced.Unlock()
		if paced.n--; paced.n == 0 {
			debug.SetGCPercent(paced.prev)
			paced.gen++
		}
	})
}

// cycle is a collectable object whose finalizer tells that a collection
// ended (it holds a pointer, so that it is never one of the tiny objects
// the runtime packs together and frees as one).
type cycle struct{ gen *int }

// arm makes a cycle whose finalizer sets GOGC and arms the next, as long
// as the pacing of generation gen is in force.
func arm(gen int) {
	runtime.SetFinalizer(&cycle{&gen}, func(c *cycle) {
		paced.Lock()
		defer paced.Unlock()
		if paced.n > 0 && paced.gen == *c.gen {
			debug.SetGCPercent(percent())
			arm(*c.gen)
		}
	})
}

// percent is the GOGC that lets the heap grow from its live size (as of
// the last collection) to the budget. Before the first collection, and
// while the live heap is under 4 MiB, the runtime's heap minimum (4 MiB
// at GOGC=100, scaled with GOGC) sets the goal instead.
func percent() int {
	metrics.Read(paced.live)
	live := max(paced.live[0].Value.Uint64(), minHeap)
	if 2*live >= paced.budget {
		return 100
	}
	return int(min(100*(paced.budget-live)/live, 1<<20))
}
