package dag

import (
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/spec"
)

const params3 = `
global.parameters:
    SIZE: {values: [10, 10, 20], label: SIZE.%%}
    ITER: {values: [1, 2, 1], label: ITER.%%}
`

func expand(t *testing.T, study string, hash bool) (*Graph, error) {
	t.Helper()
	s, err := spec.Parse([]byte("description: {name: t, description: t}\nstudy:\n"+study), "t.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return Expand(s, Options{Dir: "/s", HashWS: hash, Env: s.Environment("/s", nil)})
}

// describe prints each node as name[dir]<-parents, in expansion order.
func describe(g *Graph) string {
	var out []string
	for _, n := range g.Nodes {
		var ps []string
		for _, p := range n.Parents {
			ps = append(ps, g.Nodes[p].Name)
		}
		sort.Strings(ps)
		out = append(out, fmt.Sprintf("%s[%s]<-%s", n.Name, n.Dir, strings.Join(ps, ",")))
	}
	return strings.Join(out, "\n")
}

func TestExpand(t *testing.T) {
	cases := []struct {
		name, study string
		hash        bool
		want        string
	}{
		{"linear chain", `
  - {name: a, description: a, run: {cmd: echo a}}
  - {name: b, description: b, run: {cmd: echo b, depends: [a]}}`, false,
			"a[a]<-\nb[b]<-a"},
		{"used parameters propagate through plain dependencies; duplicates merge", `
  - {name: a, description: a, run: {cmd: echo $(SIZE)}}
  - {name: b, description: b, run: {cmd: echo b, depends: [a]}}` + params3, false,
			"a_SIZE.10[a/SIZE.10]<-\na_SIZE.20[a/SIZE.20]<-\nb_SIZE.10[b/SIZE.10]<-a_SIZE.10\nb_SIZE.20[b/SIZE.20]<-a_SIZE.20"},
		{"combination labels sort by parameter name", `
  - {name: a, description: a, run: {cmd: echo $(SIZE) $(ITER)}}` + params3, false,
			"a_ITER.1.SIZE.10[a/ITER.1.SIZE.10]<-\na_ITER.2.SIZE.10[a/ITER.2.SIZE.10]<-\na_ITER.1.SIZE.20[a/ITER.1.SIZE.20]<-"},
		{"a funnel waits for every expansion", `
  - {name: a, description: a, run: {cmd: echo $(ITER)}}
  - {name: f, description: f, run: {cmd: ls $(a.workspace), depends: [a_*]}}` + params3, false,
			"a_ITER.1[a/ITER.1]<-\na_ITER.2[a/ITER.2]<-\nf[f]<-a_ITER.1,a_ITER.2"},
		{"a funnel written a* as the Python tool also accepts", `
  - {name: a, description: a, run: {cmd: echo $(ITER)}}
  - {name: f, description: f, run: {cmd: ls $(a.workspace), depends: ["a*"]}}` + params3, false,
			"a_ITER.1[a/ITER.1]<-\na_ITER.2[a/ITER.2]<-\nf[f]<-a_ITER.1,a_ITER.2"},
		{"blanks in labels and step names become _ in folders; the name keeps them", `
  - {name: say bye, description: a, run: {cmd: echo $(F)}}
global.parameters:
    F: {values: [So long, "a b"], label: F.%%}`, false,
			"say bye_F.So long[say_bye/F.So_long]<-\nsay bye_F.a b[say_bye/F.a_b]<-"},
		{"a parameterized step behind a funnel expands on its own parameters only", `
  - {name: a, description: a, run: {cmd: echo $(ITER)}}
  - {name: f, description: f, run: {cmd: echo $(SIZE.label), depends: [a_*]}}` + params3, false,
			"a_ITER.1[a/ITER.1]<-\na_ITER.2[a/ITER.2]<-\nf_SIZE.10[f/SIZE.10]<-a_ITER.1,a_ITER.2\nf_SIZE.20[f/SIZE.20]<-a_ITER.1,a_ITER.2"},
		{"a workspace reference brings in the referenced step's parameters", `
  - {name: a, description: a, run: {cmd: echo $(ITER)}}
  - {name: b, description: b, run: {cmd: echo b}}
  - {name: c, description: c, run: {cmd: cat $(a.workspace)/x, depends: [b]}}` + params3, false,
			"a_ITER.1[a/ITER.1]<-\na_ITER.2[a/ITER.2]<-\nb[b]<-\nc_ITER.1[c/ITER.1]<-b\nc_ITER.2[c/ITER.2]<-b"},
		{"hashed workspaces", `
  - {name: a, description: a, run: {cmd: echo $(ITER)}}` + params3, true,
			"a_ITER.1[a/6f2d7a2e6ef0d01d8a7e4ea2b6f5f7c1]<-\na_ITER.2[a/b1b3d9c66a8b9e0a2e8b7a5d4d0e1f2a]<-"},
		{"unsafe characters leave workspace names", `
  - {name: "a/b", description: a, run: {cmd: echo $(P)}}
global.parameters:
    P: {values: ["x;y", "../up"], label: "P.%%"}`, false,
			"a/b_P.x;y[ab/P.xy]<-\na/b_P.../up[ab/P...up]<-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := expand(t, c.study, c.hash)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if c.hash { // md5 of the combination string
				want = "a_ITER.1[a/" + md5hex("ITER.1") + "]<-\na_ITER.2[a/" + md5hex("ITER.2") + "]<-"
			}
			if got := describe(g); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestExpandSubstitutes(t *testing.T) {
	g, err := expand(t, `
  - {name: a, description: "size $(SIZE)", run: {cmd: "echo $(SIZE) $(SIZE.label) $(SIZE.name) $(WORKSPACE) $(UNKNOWN)", procs: $(SIZE)}}
  - {name: b, description: b, run: {cmd: "cat $(a.workspace)/x", depends: [a]}}`+params3, false)
	if err != nil {
		t.Fatal(err)
	}
	a, b := g.Nodes[0], g.Nodes[2]
	if want := "echo 10 SIZE.10 SIZE /s/a/SIZE.10 $(UNKNOWN)"; a.Step().Run.Cmd != want {
		t.Errorf("cmd = %q, want %q", a.Step().Run.Cmd, want)
	}
	if a.Step().Run.Procs != "10" || a.Step().Description != "size 10" {
		t.Errorf("procs %q description %q", a.Step().Run.Procs, a.Step().Description)
	}
	if want := "cat /s/a/SIZE.10/x"; b.Step().Run.Cmd != want {
		t.Errorf("b cmd = %q, want %q", b.Step().Run.Cmd, want)
	}
	if len(a.Params) != 1 || a.Params[0] != (spec.KV{Key: "SIZE", Value: "10"}) {
		t.Errorf("params %v", a.Params)
	}
}

func TestExpandErrors(t *testing.T) {
	cases := []struct{ name, study, want string }{
		{"unknown dependency", `
  - {name: a, description: a, run: {cmd: echo, depends: [b]}}`, "t.yaml:4:58: Step 'a' depends on 'b', but no step named 'b' exists."},
		{"cycle", `
  - {name: a, description: a, run: {cmd: echo, depends: [c]}}
  - {name: b, description: b, run: {cmd: echo, depends: [a]}}
  - {name: c, description: c, run: {cmd: echo, depends: [b]}}`, "cycle: "},
		{"self dependency", `
  - {name: a, description: a, run: {cmd: echo, depends: [a]}}`, "cycle: a -> a"},
		{"unknown workspace", `
  - {name: a, description: a, run: {cmd: ls $(nope.workspace)}}`, "uses $(nope.workspace), but no step named 'nope' exists."},
		{"own workspace", `
  - {name: a, description: a, run: {cmd: ls $(a.workspace)}}`, "use $(WORKSPACE)"},
		{"workspace folders collide", `
  - {name: "a?", description: a, run: {cmd: echo}}
  - {name: "a", description: a, run: {cmd: echo}}`, "would share the workspace folder 'a'"},
		{"a blank and an underscore collide", `
  - {name: a, description: a, run: {cmd: echo $(P)}}
global.parameters:
    P: {values: ["x y", "x_y"], label: "%%"}`, "would share the workspace folder 'x_y'; use --hashws"},
		{"combinations collide", `
  - {name: a, description: a, run: {cmd: echo $(P)}}
global.parameters:
    P: {values: ["x/y", "xy"], label: "%%"}`, "would share the workspace folder 'xy'; use --hashws"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := expand(t, c.study, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestExpandWarnsOfNonAncestorWorkspace(t *testing.T) {
	g, err := expand(t, `
  - {name: a, description: a, run: {cmd: echo a}}
  - {name: b, description: b, run: {cmd: ls $(a.workspace)}}`, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Warnings) != 1 || !strings.Contains(g.Warnings[0], "'a' is not one of its dependencies") {
		t.Fatalf("warnings %v", g.Warnings)
	}
}

func TestOrderIsByLevel(t *testing.T) {
	g, err := expand(t, `
  - {name: a, description: a, run: {cmd: echo $(ITER)}}
  - {name: f, description: f, run: {cmd: echo f, depends: [a_*]}}
  - {name: b, description: b, run: {cmd: echo b, depends: [a]}}`+params3, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range g.Order() {
		names = append(names, g.Nodes[i].Name)
	}
	want := "a_ITER.1 a_ITER.2 f b_ITER.1 b_ITER.2"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"ok-name_1.2(x)": "ok-name_1.2(x)", "FAREWELL.So long": "FAREWELL.So_long", " a  b/ ": "_a__b_", "a/b": "ab", "..": "_..", "": "_", "$(x);`rm`": "(x)rm",
		"\xffé": "_", strings.Repeat("a", 300): strings.Repeat("a", 160) + "-" + md5hex(strings.Repeat("a", 300))[:16],
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestExpandScriptNames(t *testing.T) {
	g, err := expand(t, `
  - {name: bye, description: a, run: {cmd: echo $(F)}}
global.parameters:
    F: {values: [So long], label: F.%%}`, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := g.Nodes[0]; n.Script != "bye_F.So_long" || n.Dir != "bye/F.So_long" || n.Name != "bye_F.So long" || g.Workspace(n) != "/s/bye/F.So_long" {
		t.Errorf("node %+v", n)
	}
}

func TestExpandWarnsOfUnknownTokens(t *testing.T) {
	g, err := expand(t, `
  - {name: a, description: a, run: {cmd: echo $(SIZ) $(SIZE)}}`+params3, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "t.yaml:4:47: step 'a' uses $(SIZ), which is no variable, label, dependency, parameter or built-in token; it is left as written for the shell. Did you mean 'SIZE'?"
	if len(g.Warnings) != 1 || g.Warnings[0] != want {
		t.Fatalf("warnings %q, want %q", g.Warnings, want)
	}
}

var expandSeed = flag.Int64("expand.seed", 0, "seed of TestExpandWorkersAgree (0: from the clock)")

// TestExpandWorkersAgree expands random studies (repeated values, several
// parameters, with and without --hashws) on one worker and on several:
// the graphs must be the same, node for node.
func TestExpandWorkersAgree(t *testing.T) {
	seed := *expandSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -expand.seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	for round := 0; round < 20; round++ {
		n := 1 + rng.Intn(3000)
		var a, b, c strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				a.WriteString(", ")
				b.WriteString(", ")
				c.WriteString(", ")
			}
			fmt.Fprint(&a, rng.Intn(2*n))
			fmt.Fprint(&b, rng.Intn(7))
			fmt.Fprintf(&c, "%q", []string{"x", "y z", "w/v"}[rng.Intn(3)])
		}
		study := fmt.Sprintf(`
  - {name: a, description: a, run: {cmd: echo $(A)}}
  - {name: b, description: b, run: {cmd: echo $(B) $(A), depends: [a]}}
  - {name: c, description: c, run: {cmd: echo $(C), depends: [b_*]}}
  - {name: f, description: f, run: {cmd: ls $(b.workspace), depends: [b_*]}}
global.parameters:
    A: {values: [%s], label: A.%%%%}
    B: {values: [%s], label: B.%%%%}
    C: {values: [%s], label: C.%%%%}
`, a.String(), b.String(), c.String())
		hash := rng.Intn(2) == 0
		s, err := spec.Parse([]byte("description: {name: t, description: t}\nstudy:\n"+study), "t.yaml")
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		var want string
		for _, workers := range []int{1, 2, 3, 8} {
			g, err := Expand(s, Options{Dir: "/s", HashWS: hash, Env: s.Environment("/s", nil), Workers: workers})
			if err != nil {
				t.Fatalf("round %d, %d workers: %v", round, workers, err)
			}
			var got strings.Builder
			got.WriteString(describe(g))
			for _, n := range g.Nodes {
				fmt.Fprintf(&got, "\n%s %s %s %v %s", n.Name, n.Script, n.Combo, n.Params, n.Step().Run.Cmd)
			}
			if workers == 1 {
				want = got.String()
			} else if got.String() != want {
				t.Fatalf("round %d (%d values, hashws %v): %d workers expand otherwise than one", round, n, hash, workers)
			}
		}
	}
}
