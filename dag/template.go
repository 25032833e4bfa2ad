package dag

import (
	"strings"

	"github.com/maestro-go/maestro/spec"
)

// segKind says what a template segment stands for.
type segKind uint8

const (
	segText      segKind = iota
	segValue             // $(P)
	segLabel             // $(P.label)
	segParamName         // $(P.name)
	segWorkspace         // $(step.workspace)
	segOwnWS             // $(WORKSPACE)
)

type segment struct {
	kind segKind
	text string // literal text, or the step name of a workspace reference
	ref  int    // parameter index
}

// template is a text compiled once per step and rendered once per
// combination, so a 100,000-value study does not rescan its texts.
type template struct {
	segs   []segment
	static bool // no tokens of ours: render returns the text as is
	text   string
}

type paramRef struct {
	index int
	kind  segKind
}

// paramRefs resolves parameter token names: P, P.label and P.name.
type paramRefs map[string]paramRef

func newParamRefs(params []*spec.Param) paramRefs {
	refs := make(paramRefs, 3*len(params))
	for i, p := range params {
		refs[p.Name] = paramRef{i, segValue}
		refs[p.Name+".label"] = paramRef{i, segLabel}
		refs[p.Name+".name"] = paramRef{i, segParamName}
	}
	return refs
}

// compile splits text into literal and token segments. Workspace references
// are compiled only when withWorkspaces is set (cmd and restart).
func compile(text string, refs paramRefs, withWorkspaces bool) template {
	t := template{text: text, static: true}
	last := 0
	for _, tok := range spec.Tokens(text) {
		seg := segment{}
		if r, ok := refs[tok.Name]; ok {
			seg.kind, seg.ref = r.kind, r.index
		} else if tok.Name == "WORKSPACE" {
			seg.kind = segOwnWS
		} else if name, ok := strings.CutSuffix(tok.Name, ".workspace"); ok && withWorkspaces {
			seg.kind, seg.text = segWorkspace, name
		} else {
			continue
		}
		t.static = false
		if tok.Start > last {
			t.segs = append(t.segs, segment{kind: segText, text: text[last:tok.Start]})
		}
		t.segs = append(t.segs, seg)
		last = tok.End
	}
	if last < len(text) {
		t.segs = append(t.segs, segment{kind: segText, text: text[last:]})
	}
	return t
}

// usedParams adds to used the parameters the template refers to.
func (t *template) usedParams(used []bool) {
	for _, s := range t.segs {
		if s.kind == segValue || s.kind == segLabel || s.kind == segParamName {
			used[s.ref] = true
		}
	}
}

// workspaces returns the step names of $(x.workspace) references.
func (t *template) workspaces() []string {
	var out []string
	for _, s := range t.segs {
		if s.kind == segWorkspace {
			out = append(out, s.text)
		}
	}
	return out
}

// binding is what a template is rendered against.
type binding struct {
	params    []*spec.Param
	combo     int
	dir       string // the study directory, and the node's workspace in it:
	ownWS     string // $(WORKSPACE) is dir/ownWS, made only where it is used
	workspace func(step string) string
}

func (t *template) render(b *binding) string {
	if t.static {
		return t.text
	}
	// Built on the stack and copied once: every node keeps its texts, so
	// they take no more memory than their length.
	var stack [512]byte
	buf := stack[:0]
	for _, s := range t.segs {
		switch s.kind {
		case segText:
			buf = append(buf, s.text...)
		case segValue:
			buf = append(buf, b.params[s.ref].Values[b.combo]...)
		case segLabel:
			buf = append(buf, b.params[s.ref].LabelAt(b.combo)...)
		case segParamName:
			buf = append(buf, b.params[s.ref].NameText()...)
		case segOwnWS:
			buf = append(append(append(buf, b.dir...), '/'), b.ownWS...)
		case segWorkspace:
			buf = append(buf, b.workspace(s.text)...)
		}
	}
	return string(buf)
}
