package dag

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dominikbraun/graph"

	"github.com/maestro-go/maestro/spec"
)

// stepGraph is the spec-level graph: one vertex per step, an edge from each
// dependency to its dependent.
type stepGraph struct {
	g     graph.Graph[string, *spec.Step]
	index map[string]int
}

// parentName strips the funnel suffix from a dependency: "_*" or, as the
// Python tool also accepts, a bare "*" ("runs_*" and "runs*" both wait for
// every expansion of runs).
func parentName(dep string) (name string, funnel bool) {
	if name, ok := strings.CutSuffix(dep, "*"); ok {
		return strings.TrimSuffix(name, "_"), true
	}
	return dep, false
}

// buildStepGraph checks every dependency and refuses cycles, naming the
// missing step or the steps on the cycle.
func buildStepGraph(s *spec.Spec) (*stepGraph, error) {
	sg := &stepGraph{
		g:     graph.New(func(st *spec.Step) string { return st.Name }, graph.Directed(), graph.PreventCycles()),
		index: make(map[string]int, len(s.Steps)),
	}
	for i, st := range s.Steps {
		sg.index[st.Name] = i
		if err := sg.g.AddVertex(st); err != nil {
			return nil, fmt.Errorf("%s: step '%s': %w", st.Pos, st.Name, err)
		}
	}
	for _, st := range s.Steps {
		for k, dep := range st.Run.Depends {
			pos := st.Run.Pos["depends"]
			if k < len(st.Run.DependsPos) {
				pos = st.Run.DependsPos[k]
			}
			parent, _ := parentName(dep)
			if _, ok := sg.index[parent]; !ok {
				return nil, &spec.Error{Pos: pos, Msg: fmt.Sprintf(
					"Step '%s' depends on '%s', but no step named '%s' exists.%s", st.Name, dep, parent, suggestStep(parent, s))}
			}
			if err := sg.edge(parent, st.Name); err != nil {
				return nil, &spec.Error{Pos: pos, Msg: err.Error()}
			}
		}
	}
	return sg, nil
}

// edge adds parent -> child; on a cycle it names the steps on it.
func (sg *stepGraph) edge(parent, child string) error {
	err := sg.g.AddEdge(parent, child)
	switch {
	case err == nil, errors.Is(err, graph.ErrEdgeAlreadyExists):
		return nil
	case errors.Is(err, graph.ErrEdgeCreatesCycle):
		path, perr := graph.ShortestPath(sg.g, child, parent)
		if perr != nil {
			path = []string{child, parent}
		}
		if parent == child {
			path = []string{parent}
		}
		return fmt.Errorf("cycle: %s -> %s", strings.Join(path, " -> "), path[0])
	}
	return err
}

// order returns the steps in a topological order that keeps the file order
// wherever dependencies allow it.
func (sg *stepGraph) order() ([]string, error) {
	return graph.StableTopologicalSort(sg.g, func(a, b string) bool { return sg.index[a] < sg.index[b] })
}

// ancestors returns every step that must finish before name.
func (sg *stepGraph) ancestors(name string) map[string]bool {
	preds, err := sg.g.PredecessorMap()
	out := map[string]bool{}
	if err != nil {
		return out
	}
	stack := []string{name}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for p := range preds[n] {
			if !out[p] {
				out[p] = true
				stack = append(stack, p)
			}
		}
	}
	return out
}

func suggestStep(name string, s *spec.Spec) string {
	names := make([]string, len(s.Steps))
	for i, st := range s.Steps {
		names[i] = st.Name
	}
	return spec.Suggest(name, names)
}
