package spec

import (
	"strings"
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

// Environment returns, in substitution order (README.md, The spec in brief),
// the study-level replacements: labels, then dependencies, then variables,
// OUTPUT_PATH and SPECROOT. deps maps dependency names to their resolved
// paths.
func (s *Spec) Environment(outputPath string, deps map[string]string) []Replacement {
	var out []Replacement
	for _, l := range s.Labels {
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

// VarEnv returns the replacements of the variables, OUTPUT_PATH and
// SPECROOT: what dependency paths and OUTPUT_PATH itself may use.
func (s *Spec) VarEnv(outputPath string) []Replacement {
	var out []Replacement
	for _, v := range s.Variables {
		if v.Name != "OUTPUT_PATH" {
			out = append(out, Replacement{v.Name, v.Value})
		}
	}
	return append(out, Replacement{"OUTPUT_PATH", outputPath}, Replacement{"SPECROOT", s.Root})
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
