package spec

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Token is one $(...) reference inside a text.
type Token struct {
	Start, End int    // byte offsets of "$(" and just past ")"
	Name       string // what is between the parentheses
}

// Tokens returns the $(...) references of text in order.
func Tokens(text string) []Token {
	var out []Token
	for i := 0; ; {
		j := strings.Index(text[i:], "$(")
		if j < 0 {
			return out
		}
		start := i + j
		k := strings.IndexByte(text[start+2:], ')')
		if k < 0 {
			return out
		}
		end := start + 2 + k + 1
		name := text[start+2 : end-1]
		if strings.Contains(name, "$(") { // "$($(X))": restart at the inner one
			i = start + 2
			continue
		}
		out = append(out, Token{Start: start, End: end, Name: name})
		i = end
	}
}

func replaceAll(s, old, new string) string {
	if !strings.Contains(s, old) {
		return s
	}
	return strings.ReplaceAll(s, old, new)
}

// Replacement is a token name and the text it becomes.
type Replacement struct{ Name, Value string }

// Environment returns, in substitution order (docs/SPEC.md), the
// study-level replacements: labels, then dependencies, then plain values,
// OUTPUT_PATH and SPECROOT. deps maps dependency names to their resolved
// paths.
func (s *Spec) Environment(outputPath string, deps map[string]string) []Replacement {
	labels, _ := s.envClasses()
	out := make([]Replacement, 0, len(s.Variables)+len(s.Labels)+len(deps)+2)
	for _, l := range labels {
		out = append(out, Replacement{l.Name, l.Value})
	}
	for _, d := range s.PathDeps {
		out = append(out, Replacement{d.Name, deps[d.Name]})
	}
	for _, d := range s.GitDeps {
		out = append(out, Replacement{d.Name, deps[d.Name]})
	}
	return append(out, s.VarEnv(outputPath)...)
}

// VarEnv returns the replacements of the plain values, OUTPUT_PATH and
// SPECROOT: what dependency paths and OUTPUT_PATH itself may use.
func (s *Spec) VarEnv(outputPath string) []Replacement {
	_, plain := s.envClasses()
	out := make([]Replacement, 0, len(plain)+2)
	for _, v := range plain {
		if v.Name != "OUTPUT_PATH" {
			out = append(out, Replacement{v.Name, v.Value})
		}
	}
	return append(out, Replacement{"OUTPUT_PATH", outputPath}, Replacement{"SPECROOT", s.Root})
}

// envClasses sorts env.variables and env.labels, read in that order, the
// way the Python tool does: the first item is a plain value; after it, an
// item whose value is a string holding '$' is a label, substituted before
// the dependencies, and any other item is a plain value, substituted after
// them. So which section an item is written in does not decide its class.
func (s *Spec) envClasses() (labels, plain []Var) {
	for i, v := range append(s.Variables[:len(s.Variables):len(s.Variables)], s.Labels...) {
		if i > 0 && v.Kind == KindString && strings.Contains(v.Value, "$") {
			labels = append(labels, v)
		} else {
			plain = append(plain, v)
		}
	}
	return labels, plain
}

// Apply substitutes each replacement in turn, as plain text.
func Apply(text string, reps []Replacement) string {
	if !strings.Contains(text, "$(") {
		return text
	}
	for _, r := range reps {
		text = replaceAll(text, "$("+r.Name+")", r.Value)
	}
	return text
}

// Variable returns the value of env variable name, or "" and false.
func (s *Spec) Variable(name string) (string, bool) {
	for _, v := range s.Variables {
		if v.Name == name {
			return v.Value, true
		}
	}
	return "", false
}

// noteRefs records in st the first use of every token of text, the value
// of node n, with the position of the token itself where it can be found
// in the spec text (that of n otherwise).
func (d *decoder) noteRefs(n *yaml.Node, text string, st *Step) {
	toks := Tokens(text)
	if len(toks) == 0 {
		return
	}
	seen := make(map[string]bool, len(st.Refs)+len(toks))
	for _, r := range st.Refs {
		seen[r.Name] = true
	}
	// The tokens appear in the spec text in the order of the value, within
	// what the node can span (its value written with quotes, escapes or
	// indentation): search each from just after the one before.
	at, ok := d.offset(n)
	end := min(len(d.data), at+4*len(text)+256)
	for _, tok := range toks {
		pos := d.pos(n)
		if i := bytes.Index(d.data[at:end], []byte(text[tok.Start:tok.End])); ok && i >= 0 {
			at += i
			pos = d.posAt(at)
			at += tok.End - tok.Start
		}
		if !seen[tok.Name] {
			seen[tok.Name] = true
			st.Refs = append(st.Refs, Ref{Name: tok.Name, Pos: pos})
		}
	}
}

// offset returns the byte offset in the spec text where node n starts.
func (d *decoder) offset(n *yaml.Node) (int, bool) {
	if d.lines == nil {
		d.lines = append(d.lines, 0)
		for i, c := range d.data {
			if c == '\n' {
				d.lines = append(d.lines, i+1)
			}
		}
	}
	if n.Line < 1 || n.Line > len(d.lines) {
		return len(d.data), false
	}
	at := d.lines[n.Line-1]
	for col := 1; col < n.Column && at < len(d.data); col++ { // columns count runes
		_, w := utf8.DecodeRune(d.data[at:])
		at += w
	}
	return at, true
}

// posAt returns the position of byte offset at of the spec text.
func (d *decoder) posAt(at int) Pos {
	line := sort.SearchInts(d.lines, at+1) // lines[line-1] <= at < lines[line]
	return Pos{File: d.file, Line: line, Col: utf8.RuneCount(d.data[d.lines[line-1]:at]) + 1}
}

// Builtins are the tokens maestro itself gives a value (REFERENCE §3).
var Builtins = []string{"LAUNCHER", "WORKSPACE", "SPECROOT", "OUTPUT_PATH"}

var nameToken = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`)

// TokenWarnings returns one line per token a step uses that is no
// variable, label, dependency, parameter, step workspace or built-in token.
// It stays as written, so it may be the shell's command substitution
// ($(pwd)); tokens that are not names at all ($(date +%s)) are not listed.
// Call it once the parameters are final (a pgen may add them).
func (s *Spec) TokenWarnings() []string {
	known := map[string]bool{}
	var names []string
	add := func(name string) {
		known[name] = true
		names = append(names, name)
	}
	for _, group := range [][]Var{s.Variables, s.Labels} {
		for _, v := range group {
			add(v.Name)
		}
	}
	for _, d := range s.PathDeps {
		add(d.Name)
	}
	for _, d := range s.GitDeps {
		add(d.Name)
	}
	for _, p := range s.Params {
		add(p.Name)
		add(p.Name + ".label")
		add(p.Name + ".name")
	}
	for _, st := range s.Steps {
		add(st.Name + ".workspace")
	}
	for _, b := range Builtins {
		add(b)
	}
	var out []string
	for _, st := range s.Steps {
		for _, r := range st.Refs {
			if known[r.Name] || !nameToken.MatchString(r.Name) {
				continue
			}
			out = append(out, fmt.Sprintf("%s: step '%s' uses $(%s), which is no variable, label, dependency, parameter or built-in token; it is left as written for the shell.%s",
				r.Pos, Show(st.Name), Show(r.Name), Suggest(r.Name, names)))
		}
	}
	return out
}
