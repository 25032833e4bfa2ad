package study

import (
	"fmt"
	"regexp"
	"sync/atomic"
	"testing"
)

// plainYAML accepts exactly what its pattern does, on every string of up
// to three characters drawn from both sides of it.
func TestPlainYAMLMatchesItsPattern(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z/_][A-Za-z0-9_./()\-+ ]*$`)
	alpha := []byte("aZ/_09.()-+ \"#:é\x00\n*")
	var gen func(prefix []byte, depth int)
	gen = func(prefix []byte, depth int) {
		s := string(prefix)
		if re.MatchString(s) != plainYAML(s) {
			t.Fatalf("%q: regexp %v, loop %v", s, re.MatchString(s), plainYAML(s))
		}
		if depth == 0 {
			return
		}
		for _, c := range alpha {
			gen(append(prefix, c), depth-1)
		}
	}
	gen(nil, 3)
}

// forEach reports the failure of the lowest index, whichever worker met
// a failure first, and runs every index below it.
func TestForEachLowestFailure(t *testing.T) {
	for round := 0; round < 50; round++ {
		var ran [1000]atomic.Bool
		err := forEach(len(ran), func(i int) error {
			ran[i].Store(true)
			if i == 997 || i == 613 || i == 614 {
				return fmt.Errorf("failed at %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "failed at 613" {
			t.Fatalf("round %d: %v, want failed at 613", round, err)
		}
		for i := 0; i < 613; i++ {
			if !ran[i].Load() {
				t.Fatalf("round %d: index %d did not run", round, i)
			}
		}
	}
	if err := forEach(0, func(int) error { return fmt.Errorf("never") }); err != nil {
		t.Fatal(err)
	}
}
