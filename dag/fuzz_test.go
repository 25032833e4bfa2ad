package dag

import (
	"strings"
	"testing"

	"github.com/maestro-go/maestro/spec"
)

// FuzzTemplate checks token substitution: compiling and rendering any text
// never panics, text without our tokens comes back unchanged, and the
// result is what substituting each token in turn gives (values are never
// substituted again).
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{
		"echo $(SIZE) $(SIZE.label) $(SIZE.name)",
		"$(LAUNCHER)[1n, 2p] run $(X) > $(WORKSPACE)/out",
		"ls $(other.workspace) $($(SIZE)) $(unterminated",
		"plain text", "", "$()", "$(SIZE", "$(SIZE)$(SIZE)", "a$(SIZE.label)b\n$(X.name)",
		"\xff$(SIZE)\x00",
	} {
		f.Add(seed, "10", "v$(SIZE)")
	}
	f.Fuzz(func(t *testing.T, text, v1, v2 string) {
		params := []*spec.Param{
			{Name: "SIZE", Values: []string{v1, v2}, Label: "SIZE.%%"},
			{Name: "X", Values: []string{v2, v1}, Labels: []string{"x1", "x2"}},
		}
		refs := newParamRefs(params)
		tm := compile(text, refs, true)
		b := &binding{params: params, combo: 1, dir: "/study", ownWS: "ws", workspace: func(s string) string { return "/study/" + s }}
		out := tm.render(b)
		if tm.static && out != text {
			t.Fatalf("static text changed: %q -> %q", text, out)
		}
		if want := naive(text, params, 1); out != want {
			t.Fatalf("render %q = %q, want %q", text, out, want)
		}
	})
}

// naive substitutes tokens one by one from spec.Tokens: what compile and
// render do in two passes, done the obvious way.
func naive(text string, params []*spec.Param, combo int) string {
	var b strings.Builder
	last := 0
	for _, tok := range spec.Tokens(text) {
		rep, ok := "", true
		switch {
		case tok.Name == "WORKSPACE":
			rep = "/study/ws"
		case strings.HasSuffix(tok.Name, ".workspace"):
			rep = "/study/" + strings.TrimSuffix(tok.Name, ".workspace")
		default:
			ok = false
			for _, p := range params {
				switch tok.Name {
				case p.Name:
					rep, ok = p.Values[combo], true
				case p.Name + ".label":
					rep, ok = p.LabelAt(combo), true
				case p.Name + ".name":
					rep, ok = p.NameText(), true
				}
			}
		}
		if ok {
			b.WriteString(text[last:tok.Start] + rep)
			last = tok.End
		}
	}
	return b.String() + text[last:]
}
