package study

import (
	"regexp"
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
