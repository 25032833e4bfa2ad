package dag

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/maestro-go/maestro/spec"
)

// Options control an expansion.
type Options struct {
	Dir    string             // absolute study directory
	HashWS bool               // name parameterized workspaces by the md5 of their combination
	Env    []spec.Replacement // study-level substitutions (spec.Environment)
	// Workers is how many goroutines expand the combinations of a step;
	// 0 is as many as there are processors (at most 8).
	Workers int
}

// expansion records how one spec step expanded.
type expansion struct {
	used      []bool // per parameter
	shared    *sharedStep
	nodes     []int32 // every node of the step
	comboNode []int32 // combination index -> node; nil when unparameterized
}

func (e *expansion) node(combo int) int32 {
	if e.comboNode == nil {
		return e.nodes[0]
	}
	return e.comboNode[combo]
}

// Expand builds the execution DAG of s (docs/SPEC.md, Expansion).
func Expand(s *spec.Spec, opt Options) (*Graph, error) {
	sg, err := buildStepGraph(s)
	if err != nil {
		return nil, err
	}
	refs := newParamRefs(s.Params)
	subs := make(map[string]*spec.Step, len(s.Steps))
	tmpls := make(map[string][]template, len(s.Steps))
	ordering, err := sg.g.Clone()
	if err != nil {
		return nil, err
	}
	og := &stepGraph{g: ordering, index: sg.index}
	for _, st := range s.Steps {
		sub := st.Clone()
		texts := sub.Texts()
		ts := make([]template, len(texts))
		for i, p := range texts {
			*p = spec.Apply(*p, opt.Env)
			ts[i] = compile(*p, refs, p == &sub.Run.Cmd || p == &sub.Run.Restart)
		}
		subs[st.Name], tmpls[st.Name] = sub, ts
		for _, t := range ts {
			for _, ws := range t.workspaces() {
				if _, ok := sg.index[ws]; !ok {
					return nil, &spec.Error{Pos: st.Run.Pos["cmd"], Msg: fmt.Sprintf(
						"Step '%s' uses $(%s.workspace), but no step named '%s' exists.%s", st.Name, ws, ws, suggestStep(ws, s))}
				}
				if ws == st.Name {
					return nil, &spec.Error{Pos: st.Run.Pos["cmd"], Msg: fmt.Sprintf(
						"Step '%s' uses $(%s.workspace); use $(WORKSPACE) for a step's own workspace.", st.Name, ws)}
				}
				if err := og.edge(ws, st.Name); err != nil {
					return nil, &spec.Error{Pos: st.Run.Pos["cmd"], Msg: "workspace references form a " + err.Error()}
				}
			}
		}
	}
	order, err := og.order()
	if err != nil {
		return nil, err
	}
	folders := make(map[string]string, len(s.Steps))
	for _, st := range s.Steps {
		f := SafeName(st.Name)
		if other, dup := folders[f]; dup {
			return nil, &spec.Error{Pos: st.Pos, Msg: fmt.Sprintf(
				"Steps '%s' and '%s' would share the workspace folder '%s'; rename one.", other, st.Name, f)}
		}
		folders[f] = st.Name
	}
	x := &expander{spec: s, opt: opt, g: &Graph{Dir: opt.Dir, Warnings: s.TokenWarnings()}, exps: map[string]*expansion{}, combos: 1}
	if len(s.Params) > 0 {
		x.combos = s.Params[0].Len()
	}
	for _, name := range order {
		st := s.Steps[sg.index[name]]
		if err := x.step(st, subs[name], tmpls[name], refs, sg); err != nil {
			return nil, err
		}
	}
	return x.g, nil
}

type expander struct {
	spec   *spec.Spec
	opt    Options
	g      *Graph
	exps   map[string]*expansion
	combos int
}

func (x *expander) step(st, sub *spec.Step, ts []template, refs paramRefs, sg *stepGraph) error {
	params := x.spec.Params
	exp := &expansion{used: make([]bool, len(params)), shared: &sharedStep{step: sub, ts: ts, x: x}}
	for i := range ts {
		ts[i].usedParams(exp.used)
		if !ts[i].static {
			exp.shared.varying = append(exp.shared.varying, i)
		}
	}
	for _, tok := range spec.Tokens(st.Name) {
		if r, ok := refs[tok.Name]; ok {
			exp.used[r.index] = true
		}
	}
	var plain, funnels []string
	for _, dep := range st.Run.Depends {
		parent, funnel := parentName(dep)
		if funnel {
			funnels = append(funnels, parent)
			continue
		}
		plain = append(plain, parent)
		orInto(exp.used, x.exps[parent].used)
	}
	ancestors := sg.ancestors(st.Name)
	for _, t := range ts {
		for _, ws := range t.workspaces() {
			if !ancestors[ws] {
				x.g.Warnings = append(x.g.Warnings, fmt.Sprintf(
					"%s: step '%s' uses $(%s.workspace), but '%s' is not one of its dependencies; it may run before that workspace is filled",
					st.Run.Pos["cmd"], st.Name, ws, ws))
			}
			if !contains(funnels, ws) {
				orInto(exp.used, x.exps[ws].used)
			}
		}
	}
	usedList := sortedUsed(params, exp.used)
	x.exps[st.Name] = exp
	deps := deps{plain: plain, funnels: funnels}
	exp.shared.funnels = funnels
	if len(usedList) == 0 {
		n := &Node{Name: st.Name, StepName: st.Name, Dir: SafeName(st.Name), Script: SafeName(st.Name)}
		x.add(exp, n, 0, deps)
		return nil
	}
	exp.comboNode = make([]int32, x.combos)
	combos, clean := x.comboStrings(usedList)
	if clean || x.opt.HashWS {
		x.expandClean(st, exp, combos, usedList, deps)
		return nil
	}
	return x.expandCleaning(st, exp, combos, usedList, deps)
}

// comboStrings returns the combination string of every combination of
// the used parameters, and whether each is its own folder name (SafeName
// changes none), on every worker.
func (x *expander) comboStrings(usedList []int) (combos []string, clean bool) {
	params := x.spec.Params
	combos = make([]string, x.combos)
	dirty := make([]bool, x.workers())
	x.parallel(x.combos, func(w, lo, hi int) {
		var key strings.Builder
		for i := lo; i < hi; i++ {
			if len(usedList) == 1 {
				combos[i] = params[usedList[0]].LabelAt(i)
			} else {
				key.Reset()
				for k, p := range usedList {
					if k > 0 {
						key.WriteByte('.')
					}
					key.WriteString(params[p].LabelAt(i))
				}
				combos[i] = key.String()
			}
			if !dirty[w] && SafeName(combos[i]) != combos[i] {
				dirty[w] = true
			}
		}
	})
	for _, d := range dirty {
		if d {
			return combos, false
		}
	}
	return combos, true
}

// expandClean adds the nodes of a step whose combinations need no
// cleaning to be folder names (or are named by their hash), which cannot
// clash: the combinations are told apart on every worker (each keeps the
// combinations of one share of the hashes), and the nodes are made on
// every worker.
func (x *expander) expandClean(st *spec.Step, exp *expansion, combos []string, usedList []int, d deps) {
	workers := x.workers()
	seed := maphash.MakeSeed()
	first := make([]int32, len(combos)) // the first combination with the same string
	x.parallel(workers, func(w, _, _ int) {
		seen := make(map[string]int32, len(combos)/workers+1)
		for i, c := range combos {
			if workers > 1 && int(maphash.String(seed, c)%uint64(workers)) != w {
				continue
			}
			if j, dup := seen[c]; dup {
				first[i] = j
			} else {
				seen[c] = int32(i)
				first[i] = int32(i)
			}
		}
	})
	var uniq []int32 // the combinations that make nodes
	base := int32(len(x.g.Nodes))
	for i, f := range first {
		if int(f) == i {
			exp.comboNode[i] = base + int32(len(uniq))
			uniq = append(uniq, int32(i))
		} else {
			exp.comboNode[i] = exp.comboNode[f]
		}
	}
	// Nodes and their parameters are allocated in slabs: a million small
	// allocations cost more than the nodes' own work.
	nodes := make([]Node, len(uniq))
	kvs := make([]spec.KV, len(usedList)*len(uniq))
	folder := SafeName(st.Name)
	x.parallel(len(uniq), func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			i := int(uniq[u])
			leaf := combos[i]
			if x.opt.HashWS {
				sum := md5.Sum([]byte(leaf))
				leaf = hex.EncodeToString(sum[:])
			}
			x.fill(&nodes[u], st, folder, combos[i], leaf, i, kvs[u*len(usedList):(u+1)*len(usedList)], exp.used)
		}
	})
	for u := range nodes {
		x.add(exp, &nodes[u], int(uniq[u]), d)
	}
}

// expandCleaning adds the nodes of a step some of whose combinations
// SafeName changes, in order, refusing two that would share a folder.
func (x *expander) expandCleaning(st *spec.Step, exp *expansion, combos []string, usedList []int, d deps) error {
	seen := make(map[string]int32, x.combos)
	cleaned := map[string]string{} // folder -> combination, where SafeName changed it
	folder := SafeName(st.Name)
	var nodes []Node
	var kvs []spec.KV
	for i, combo := range combos {
		if idx, dup := seen[combo]; dup {
			exp.comboNode[i] = idx
			continue
		}
		leaf := SafeName(combo)
		if other, clash := cleaned[leaf]; clash || leaf != combo && seenKey(seen, leaf) {
			if !clash {
				other = leaf
			}
			return &spec.Error{Pos: st.Pos, Msg: fmt.Sprintf(
				"Step '%s': the combinations '%s' and '%s' would share the workspace folder '%s'; use --hashws or change the labels.", st.Name, other, combo, leaf)}
		}
		if leaf != combo {
			cleaned[leaf] = combo
		}
		if len(nodes) == 0 {
			nodes = make([]Node, min(x.combos-i, 4096))
			kvs = make([]spec.KV, len(usedList)*len(nodes))
		}
		n := &nodes[0]
		nodes = nodes[1:]
		x.fill(n, st, folder, combo, leaf, i, kvs[:len(usedList)], exp.used)
		kvs = kvs[len(usedList):]
		seen[combo] = int32(len(x.g.Nodes))
		exp.comboNode[i] = int32(len(x.g.Nodes))
		x.add(exp, n, i, d)
	}
	return nil
}

// fill makes n the node of combination i of step st, named by combo, in
// the folder leaf of the step's folder, with the values of the used
// parameters in kvs (room for them).
func (x *expander) fill(n *Node, st *spec.Step, folder, combo, leaf string, i int, kvs []spec.KV, used []bool) {
	// The name and the folder share one allocation.
	both := st.Name + "_" + combo + folder + "/" + leaf
	name := both[:len(st.Name)+1+len(combo)]
	*n = Node{Name: name, StepName: st.Name, Combo: name[len(st.Name)+1:], Dir: both[len(name):], Script: SafeName(name)}
	if x.opt.HashWS {
		n.Script = leaf
	}
	n.Params = kvs[:0]
	for p, param := range x.spec.Params {
		if used[p] {
			n.Params = append(n.Params, spec.KV{Key: param.Name, Value: param.Values[i]})
		}
	}
}

// workers is how many goroutines expand a step: Options.Workers, or as
// many as there are processors (at most 8).
func (x *expander) workers() int {
	if x.opt.Workers > 0 {
		return x.opt.Workers
	}
	return min(runtime.GOMAXPROCS(0), 8)
}

// parallel splits [0, n) into one contiguous share per worker and runs
// fn(worker, lo, hi) for each on its own goroutine.
func (x *expander) parallel(n int, fn func(w, lo, hi int)) {
	workers := x.workers()
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			fn(w, n*w/workers, n*(w+1)/workers)
		}()
	}
	wg.Wait()
}

type deps struct{ plain, funnels []string }

func seenKey(seen map[string]int32, k string) bool {
	_, ok := seen[k]
	return ok
}

// add appends node n for combination combo and links it to its parents.
func (x *expander) add(exp *expansion, n *Node, combo int, d deps) {
	idx := int32(len(x.g.Nodes))
	x.g.Nodes = append(x.g.Nodes, n)
	exp.nodes = append(exp.nodes, idx)
	n.shared, n.combo = exp.shared, int32(combo)
	for _, p := range d.plain {
		x.link(x.exps[p].node(combo), idx)
	}
	for _, f := range d.funnels {
		linked := int32(-1) // a step listed both plain and as a funnel
		if contains(d.plain, f) {
			linked = x.exps[f].node(combo)
		}
		for _, p := range x.exps[f].nodes {
			if p != linked {
				x.link(p, idx)
			}
		}
	}
}

func (x *expander) link(parent, child int32) {
	x.g.Nodes[child].Parents = append(x.g.Nodes[child].Parents, parent)
}

func orInto(dst, src []bool) {
	for i, v := range src {
		dst[i] = dst[i] || v
	}
}

// sortedUsed returns the used parameter indexes ordered by parameter name,
// the order of labels in combination strings.
func sortedUsed(params []*spec.Param, used []bool) []int {
	var out []int
	for i, u := range used {
		if u {
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool { return params[out[a]].Name < params[out[b]].Name })
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
