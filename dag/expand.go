package dag

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/maestro-go/maestro/spec"
)

// Options control an expansion.
type Options struct {
	Dir    string             // absolute study directory
	HashWS bool               // name parameterized workspaces by the md5 of their combination
	Env    []spec.Replacement // study-level substitutions (spec.Environment)
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
	seen := make(map[string]int32, x.combos)
	cleaned := map[string]string{} // folder -> combination, where SafeName changed it
	folder := SafeName(st.Name)
	// Nodes and their parameters are allocated in slabs: a million small
	// allocations cost more than the nodes' own work.
	var nodes []Node
	var kvs []spec.KV
	var key strings.Builder
	for i := 0; i < x.combos; i++ {
		var combo string
		if len(usedList) == 1 {
			combo = params[usedList[0]].LabelAt(i)
		} else {
			key.Reset()
			for k, p := range usedList {
				if k > 0 {
					key.WriteByte('.')
				}
				key.WriteString(params[p].LabelAt(i))
			}
			combo = key.String()
		}
		if idx, dup := seen[combo]; dup {
			exp.comboNode[i] = idx
			continue
		}
		leaf := SafeName(combo)
		if !x.opt.HashWS {
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
		} else {
			sum := md5.Sum([]byte(combo))
			leaf = hex.EncodeToString(sum[:])
		}
		// The name and the folder share one allocation.
		both := st.Name + "_" + combo + folder + "/" + leaf
		name := both[:len(st.Name)+1+len(combo)]
		if len(nodes) == 0 {
			nodes = make([]Node, min(x.combos-i, 4096))
			kvs = make([]spec.KV, len(usedList)*len(nodes))
		}
		n := &nodes[0]
		nodes = nodes[1:]
		*n = Node{Name: name, StepName: st.Name, Combo: name[len(st.Name)+1:], Dir: both[len(name):], Script: SafeName(name)}
		if x.opt.HashWS {
			n.Script = leaf
		}
		n.Params, kvs = kvs[:0:len(usedList)], kvs[len(usedList):]
		for p := range params {
			if exp.used[p] {
				n.Params = append(n.Params, spec.KV{Key: params[p].Name, Value: params[p].Values[i]})
			}
		}
		seen[combo] = int32(len(x.g.Nodes))
		exp.comboNode[i] = int32(len(x.g.Nodes))
		x.add(exp, n, i, deps)
	}
	return nil
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
