package gcbudget

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// gogc reads the current GOGC.
func gogc() int {
	g := debug.SetGCPercent(100)
	debug.SetGCPercent(g)
	return g
}

// waitGOGC collects until GOGC satisfies ok (the pacer sets it from a
// finalizer, after the collection), failing after a minute.
func waitGOGC(t *testing.T, what string, ok func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		runtime.GC()
		if g := gogc(); ok(g) {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d after a minute; want %s", gogc(), what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSetPacesAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	prev := debug.SetGCPercent(70)
	defer debug.SetGCPercent(prev)
	const budget = 256 << 20
	restore := Set(budget)
	if g := gogc(); g < 1000 {
		t.Fatalf("GOGC %d for a small heap and a budget of 256 MiB; want far above 100", g)
	}
	live := make([]byte, 96<<20) // pointer-free: the collector does not read it
	g := waitGOGC(t, "about 100*(256-96)/96", func(g int) bool { return g > 100 && g < 200 })
	t.Logf("GOGC %d with 96 MiB live", g)
	more := make([]byte, 64<<20)
	waitGOGC(t, "100 once the live heap passes half the budget", func(g int) bool { return g == 100 })
	runtime.KeepAlive(live)
	runtime.KeepAlive(more)
	restore()
	if g := gogc(); g != 70 {
		t.Fatalf("GOGC %d after restore; want 70, as before Set", g)
	}
	runtime.GC() // a finalizer still armed must not change it again
	if g := gogc(); g != 70 {
		t.Fatalf("GOGC %d after a collection once restored; want 70", g)
	}
	restore() // twice is harmless
	if g := gogc(); g != 70 {
		t.Fatalf("GOGC %d after a second restore; want 70", g)
	}
}

func TestSetLeavesTheUsersChoice(t *testing.T) {
	prev := debug.SetGCPercent(70)
	defer debug.SetGCPercent(prev)
	for _, env := range [][2]string{{"GOGC", "50"}, {"GOMEMLIMIT", "1GiB"}} {
		t.Setenv("GOGC", "")
		t.Setenv("GOMEMLIMIT", "")
		t.Setenv(env[0], env[1])
		restore := Set(1 << 30)
		if g := gogc(); g != 70 {
			t.Errorf("%s=%s: GOGC %d after Set; want it untouched (70)", env[0], env[1], g)
		}
		restore()
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	Set(0)()
	if g := gogc(); g != 70 {
		t.Errorf("a budget of 0: GOGC %d; want it untouched (70)", g)
	}
}

func TestOverlappingSetsRestoreOnce(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	prev := debug.SetGCPercent(70)
	defer debug.SetGCPercent(prev)
	for _, firstOut := range []bool{true, false} {
		a := Set(64 << 20)
		b := Set(256 << 20)
		if g := gogc(); g < 1000 {
			t.Fatalf("GOGC %d with two budgets; want far above 100", g)
		}
		if firstOut {
			a()
		} else {
			b()
		}
		if g := gogc(); g == 70 {
			t.Fatal("GOGC restored while a Set is still in force")
		}
		a()
		b()
		if g := gogc(); g != 70 {
			t.Fatalf("GOGC %d once both are restored; want 70, as before the first", g)
		}
	}
}
