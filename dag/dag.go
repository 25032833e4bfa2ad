// Package dag expands a study spec into its execution DAG (docs/SPEC.md,
// Expansion): one node per step and parameter combination, with the edges
// between them.
package dag

import (
	"crypto/md5"
	"encoding/hex"
	"path/filepath"
	"strings"

	"github.com/maestro-go/maestro/spec"
)

// Graph is the execution DAG of a study.
type Graph struct {
	Dir      string  // absolute study directory
	Nodes    []*Node // in expansion order, which is topological
	Warnings []string
}

// Node is one expanded step.
type Node struct {
	Name     string    // <step> or <step>_<combo>
	StepName string    // the step as written in the spec
	Combo    string    // combination string; "" for an unparameterized step
	Dir      string    // workspace relative to the study directory
	Script   string    // script file name without extension
	Params   []spec.KV // used parameters and their values, in spec order
	Parents  []int32
	// The node's step is its spec step with the study's substitutions,
	// shared by every node of the step, with the texts that vary rendered
	// for its combination when asked for: a million nodes do not hold a
	// million steps.
	shared *sharedStep
	combo  int32 // the index of the node's parameter combination
}

// sharedStep is what every node of a spec step shares.
type sharedStep struct {
	step    *spec.Step
	ts      []template // step.Texts() compiled
	varying []int      // indexes into ts of the templates with tokens
	funnels []string   // the steps it depends on as a whole
	x       *expander
}

// Step returns the step with every token of this combination substituted:
// a copy made for the caller, whose slices and maps are shared with the
// spec and must not be changed. It is safe to call from several
// goroutines.
func (n *Node) Step() *spec.Step {
	c := new(spec.Step)
	n.StepInto(c)
	return c
}

// StepInto is Step into a step of the caller's (one that is reused spares
// a million-step study as many allocations).
func (n *Node) StepInto(dst *spec.Step) {
	sh := n.shared
	c := dst
	*c = *sh.step
	if len(sh.varying) > 0 {
		x, combo := sh.x, int(n.combo)
		b := binding{params: x.spec.Params, combo: combo, dir: x.g.Dir, ownWS: n.Dir, workspace: func(ws string) string {
			if contains(sh.funnels, ws) {
				return x.opt.Dir + "/" + SafeName(ws)
			}
			return x.g.Workspace(x.g.Nodes[x.exps[ws].node(combo)])
		}}
		texts := c.Texts()
		for _, i := range sh.varying {
			*texts[i] = sh.ts[i].render(&b)
		}
	}
}

// Workspace returns the node's absolute workspace.
func (g *Graph) Workspace(n *Node) string { return g.Dir + "/" + n.Dir }

// Order returns node indexes level by level from the root (a step's level
// is one more than its deepest parent's), in expansion order within a
// level: the order status tables list steps in.
func (g *Graph) Order() []int32 {
	level := make([]int32, len(g.Nodes))
	var count []int32           // nodes per level
	for i, n := range g.Nodes { // expansion order is topological
		for _, p := range n.Parents {
			level[i] = max(level[i], level[p]+1)
		}
		for int(level[i]) >= len(count) {
			count = append(count, 0)
		}
		count[level[i]]++
	}
	start := make([]int32, len(count))
	for l := 1; l < len(count); l++ {
		start[l] = start[l-1] + count[l-1]
	}
	order := make([]int32, len(g.Nodes))
	for i := range g.Nodes {
		order[start[level[i]]] = int32(i)
		start[level[i]]++
	}
	return order
}

// SafeName keeps only the characters the Python tool allows in workspace
// names ([-_.() A-Za-z0-9]), turns blanks into underscores as it does, and
// guarantees the result is one harmless path component: never empty, never
// "." or "..", never longer than a file name may be.
func SafeName(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if !safeByte(s[i]) {
			ok = false
			break
		}
	}
	if !ok {
		b := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == ' ':
				b = append(b, '_')
			case safeByte(c):
				b = append(b, c)
			}
		}
		s = string(b)
	}
	if strings.Trim(s, ".") == "" {
		s = "_" + s
	}
	if len(s) > 200 {
		sum := md5.Sum([]byte(s))
		s = s[:160] + "-" + hex.EncodeToString(sum[:8])
	}
	return s
}

func safeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '(' || c == ')'
}

// Within reports whether path lies inside dir (both cleaned, absolute).
func Within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
