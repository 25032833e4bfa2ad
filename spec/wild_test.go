package spec

import (
	"reflect"
	"strings"
	"testing"
)

// Constructs found in studies written outside this project (issue 12):
// merge keys, empty batch values, Merlin blocks, Python's variable and
// label classes, and tokens that name nothing.

// TestMergeKeys: '<<' wherever a mapping is allowed. Merged entries come
// first, a key given again keeps its place but takes the new value, the
// earlier of a list of mappings wins, and every value keeps the position
// where it was written.
func TestMergeKeys(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		check func(t *testing.T, s *Spec)
	}{
		{"run", y(
			"user:",
			"  common: &common {nodes: 1, procs: 2}",
			dl,
			"study:",
			"- name: a",
			"  description: d",
			"  run:",
			"    <<: *common",
			"    cmd: echo hi",
			"    procs: 4"), func(t *testing.T, s *Spec) {
			r := s.Steps[0].Run
			if r.Cmd != "echo hi" || r.Nodes != "1" || r.Procs != "4" {
				t.Errorf("run %+v", r)
			}
			if got := r.Pos["nodes"].String(); got != "ok.yaml:2:27" {
				t.Errorf("nodes written at %s, want the anchor's ok.yaml:2:27", got)
			}
			if got := r.Pos["procs"].String(); got != "ok.yaml:10:12" {
				t.Errorf("procs written at %s, want ok.yaml:10:12", got)
			}
		}},
		{"run, a list of anchors: the earlier wins", y(
			"user: {a: &a {procs: 1}, b: &b {procs: 2, nodes: 3}}",
			dl,
			"study:",
			"- name: a",
			"  description: d",
			"  run: {<<: [*a, *b], cmd: x}"), func(t *testing.T, s *Spec) {
			if r := s.Steps[0].Run; r.Procs != "1" || r.Nodes != "3" {
				t.Errorf("run %+v", r)
			}
		}},
		{"a merged mapping that merges another", y(
			"user:",
			"  base: &base {nodes: 1, walltime: '01:00'}",
			"  big: &big {<<: *base, nodes: 8}",
			dl,
			"study:",
			"- {name: a, description: d, run: {<<: *big, cmd: x}}"), func(t *testing.T, s *Spec) {
			if r := s.Steps[0].Run; r.Nodes != "8" || r.Walltime != "01:00" {
				t.Errorf("run %+v", r)
			}
		}},
		{"a whole step", y(
			"user: {step: &step {description: shared, run: {cmd: echo $(X)}}}",
			dl,
			"study:",
			"- {<<: *step, name: a}",
			"- {<<: *step, name: b}"), func(t *testing.T, s *Spec) {
			if len(s.Steps) != 2 || s.Steps[1].Name != "b" || s.Steps[1].Description != "shared" || s.Steps[1].Run.Cmd != "echo $(X)" {
				t.Errorf("steps %+v %+v", s.Steps[0], s.Steps[1])
			}
		}},
		{"batch", y(
			"user: {lassen: &lassen {type: lsf, host: lassen, bank: b, queue: pbatch}}",
			dl,
			"batch: {<<: *lassen, queue: pdebug}",
			"study:",
			"- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if b := s.Batch; b.Type != "lsf" || b.Host != "lassen" || b.Queue != "pdebug" {
				t.Errorf("batch %+v", b)
			}
		}},
		{"env.variables: merged first, in order", y(
			"user: {vars: &vars {A: a, B: b}}",
			dl,
			"env:",
			"  variables:",
			"    <<: *vars",
			"    C: $(A)_c",
			"    A: again",
			"study:",
			"- {name: a, description: d, run: {cmd: echo $(C) $(B)}}"), func(t *testing.T, s *Spec) {
			var names []string
			for _, v := range s.Variables {
				names = append(names, v.Name+"="+v.Value)
			}
			if got := strings.Join(names, " "); got != "A=again B=b C=$(A)_c" {
				t.Errorf("variables %s", got)
			}
			if got := Apply(s.Steps[0].Run.Cmd, s.Environment("/out", nil)); got != "echo again_c b" {
				t.Errorf("cmd %q", got)
			}
		}},
		{"a parameter block", y(
			"user: {sizes: &sizes {values: [10, 20], label: SIZE.%%}}",
			dl,
			"study:",
			"- {name: a, description: d, run: {cmd: echo $(SIZE) $(N)}}",
			"global.parameters:",
			"  SIZE: *sizes",
			"  N: {<<: *sizes, label: N.%%}"), func(t *testing.T, s *Spec) {
			if len(s.Params) != 2 || s.Params[1].Name != "N" || s.Params[1].LabelAt(1) != "N.20" || s.Params[0].LabelAt(0) != "SIZE.10" {
				t.Errorf("params %+v %+v", s.Params[0], s.Params[1])
			}
		}},
		{"the top level", y(
			"user: {head: &head {description: {name: s, description: d}}}",
			"<<: *head",
			"study:",
			"- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if s.Name != "s" {
				t.Errorf("name %q", s.Name)
			}
		}},
		{"a quoted '<<' is a plain key", y(
			"description: {name: s, description: d, '<<': kept}",
			"study:",
			"- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if s.Name != "s" {
				t.Errorf("name %q", s.Name)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, tc.yaml))
		})
	}
}

// TestWildErrors: the error lines of the constructs, with positions.
func TestWildErrors(t *testing.T) {
	cases := []errCase{
		{name: "misspelt global.parameters", yaml: y(dl,
			"study:", "- {name: a, description: d, run: {cmd: echo $(X)}}", "global.paramters:", "  X: {values: [1], label: X.%%}"),
			pos: "4:1", want: "Unrecognized key 'global.paramters' found in the study spec. Did you mean 'global.parameters'?"},
		{name: "misspelt description", yaml: y("descripton: {name: s, description: d}", "study: []"),
			pos: "1:1", want: "Unrecognized key 'descripton' found in the study spec. Did you mean 'description'?"},
		{name: "unknown top-level block", yaml: y(dl, "study: []", "resources: {}"),
			pos: "3:1", want: "Unrecognized key 'resources' found in the study spec."},
		{name: "a merge key brings a duplicate", yaml: y("user: {c: &c {cmd: x, cmd: y}}", dl, "study:", "- {name: a, description: d, run: {<<: *c}}"),
			pos: "1:23", want: "Key 'cmd' appears twice in run of study step 'a' (first at line 1)."},
		{name: "slurm without bank", yaml: y(dl, "study: []", "batch: {type: slurm, host: h, queue: ''}"),
			pos: "3:8", want: `Key 'bank' is missing from batch (required for batch type 'slurm'; write bank: "" if the cluster has none).`},
		{name: "a merge key that loops", yaml: y("description: &a {name: s, description: d, <<: *a}", "study: []"),
			pos: "", want: "the spec nests deeper than 64 levels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "t.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded; want an error containing %q", tc.want)
			}
			prefix := "t.yaml:" + tc.pos + ": "
			if msg := err.Error(); tc.pos != "" && !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want %s...%s", msg, prefix, tc.want)
			}
		})
	}
}

// TestEmptyBatchValues: a cluster that schedules by QOS only has no queue;
// Flux needs none of host, bank and queue.
func TestEmptyBatchValues(t *testing.T) {
	for _, tc := range []struct{ name, batch, host, bank, queue string }{
		{"slurm, empty queue", `{type: slurm, host: perlmutter, bank: m1234, queue: "", qos: regular}`, "perlmutter", "m1234", ""},
		{"slurm, null queue", `{type: slurm, host: h, bank: b, queue: ~}`, "h", "b", ""},
		{"lsf, empty bank and host", `{type: lsf, host: "", bank: '', queue: pbatch}`, "", "", "pbatch"},
		{"flux, none", `{type: flux, nodes: 1}`, "", "", ""},
		{"flux, a queue only", `{type: flux, queue: pdebug}`, "", "", "pdebug"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, y(dl, "batch: "+tc.batch, "study:", "- {name: a, description: d, run: {cmd: x}}"))
			if b := s.Batch; b.Host != tc.host || b.Bank != tc.bank || b.Queue != tc.queue {
				t.Errorf("batch %+v", b)
			}
		})
	}
}

// TestEnvClasses: which items are substituted first as labels, and which
// last as plain values, decides what a command becomes (the rule of
// testdata/compat/README.md, and r5/r5b there).
func TestEnvClasses(t *testing.T) {
	for _, tc := range []struct{ name, env, cmd, want string }{
		{"a variable built from an earlier one", "  variables:\n    TEST_FUNCTION: rosenbrock\n    WORKFLOW_NAME: $(TEST_FUNCTION)_optimization",
			"$(WORKFLOW_NAME)", "rosenbrock_optimization"},
		{"the first item is plain even with a token", "  variables:\n    FIRST: $(LATER)_first\n    LATER: later",
			"$(FIRST)", "later_first"},
		{"a later item with $ is a label, substituted once", "  variables:\n    A: x\n    B: $(A)_y\n    N: 5\n    M: $(N)0\n  labels:\n    L1: plain_label\n    L2: $(B)_$(L1)",
			"B=$(B) M=$(M) L2=$(L2)", "B=x_y M=50 L2=$(B)_plain_label"},
		{"the second item is a label though the first has a token too (Python's code, not the README's wording)", "  variables:\n    A: $(B)a\n    B: $(C)b\n    C: c",
			"$(A) $(B)", "$(B)a cb"},
		{"a number is never a label", "  variables:\n    A: a\n    N: 5\n  labels:\n    L: n$(N)",
			"$(L)", "n5"},
		{"a label may use a dependency; a plain value may not", "  variables:\n    A: a\n    L: $(DEP)/x\n    P: $(A)\n  dependencies:\n    paths:\n    - {name: DEP, path: /d}",
			"$(L)", "/dep/x"},
		{"a label may name OUTPUT_PATH", "  variables:\n    A: a\n    L: $(OUTPUT_PATH)/l",
			"$(L)", "/out/l"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, y(dl, "env:", tc.env, "study:", "- name: a", "  description: d", "  run:", "    cmd: '"+tc.cmd+"'"))
			if got := Apply(s.Steps[0].Run.Cmd, s.Environment("/out", map[string]string{"DEP": "/dep"})); got != tc.want {
				t.Errorf("cmd %q becomes %q, want %q", tc.cmd, got, tc.want)
			}
		})
	}
	s := mustParse(t, y(dl, "env:", "  variables:", "    A: a", "    B: $(A)/b", "    OUTPUT_PATH: ./studies", "study:", "- {name: a, description: d, run: {cmd: x}}"))
	if got := Apply("$(B) $(OUTPUT_PATH)", s.VarEnv("/out")); got != "$(B) /out" {
		t.Errorf("VarEnv (for dependency paths and OUTPUT_PATH) must leave the label B out: got %q", got)
	}
}

// TestTokenWarnings: a $(NAME) that is nothing maestro knows is reported
// where it is written, once per step.
func TestTokenWarnings(t *testing.T) {
	const tail = ", which is no variable, label, dependency, parameter or built-in token; it is left as written for the shell."
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"known names", y(dl,
			"env:",
			"  variables: {V: 1}",
			"  labels: {L: $(V)}",
			"  dependencies: {paths: [{name: D, path: /}]}",
			"study:",
			"- name: a",
			"  description: $(P.name)",
			"  run: {cmd: '$(V) $(L) $(D) $(P) $(P.label) $(LAUNCHER) $(WORKSPACE) $(SPECROOT) $(OUTPUT_PATH)'}",
			"- {name: b, description: d, run: {cmd: 'ls $(a.workspace) $(date +%s) $(seq 1 $(P))', depends: [a]}}",
			"global.parameters: {P: {values: [1], label: P.%%}}"), nil},
		{"plain, then a misspelling", y(dl, "env: {variables: {TEST_FUNCTION: r}}", "study:",
			"- {name: a, description: d, run: {cmd: echo $(pwd) $(TEST_FUNCTON) $(pwd)}}"),
			[]string{"ok.yaml:4:45: step 'a' uses $(pwd)" + tail, "ok.yaml:4:52: step 'a' uses $(TEST_FUNCTON)" + tail + " Did you mean 'TEST_FUNCTION'?"}},
		{"a literal block", y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: |", "      echo one", "      echo é $(NOPE)"),
			[]string{"ok.yaml:8:14: step 'a' uses $(NOPE)" + tail}},
		{"a double-quoted value with escapes", y(dl, "study:", "- name: a", "  description: d", `  run: {cmd: "echo \t\"$(NOPE)\""}`),
			[]string{"ok.yaml:5:24: step 'a' uses $(NOPE)" + tail}},
		{"the name, the description and a resource", y(dl, "study:", "- name: a$(N1)", "  description: $(N2)", "  run: {cmd: x, procs: $(N3)}"),
			[]string{"ok.yaml:3:10: step 'a$(N1)' uses $(N1)" + tail, "ok.yaml:4:16: step 'a$(N1)' uses $(N2)" + tail, "ok.yaml:5:24: step 'a$(N1)' uses $(N3)" + tail}},
		{"through an alias, where the anchor is", y("user: {c: &c echo $(NOPE)}", dl, "study:", "- {name: a, description: d, run: {cmd: *c}}"),
			[]string{"ok.yaml:1:19: step 'a' uses $(NOPE)" + tail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustParse(t, tc.yaml).TokenWarnings(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("warnings\n%q\nwant\n%q", got, tc.want)
			}
		})
	}

	// Parameters a pgen makes are known once they are set.
	s := mustParse(t, y(dl, "study:", "- {name: a, description: d, run: {cmd: echo $(G)}}"))
	if len(s.TokenWarnings()) != 1 {
		t.Fatalf("warnings %q", s.TokenWarnings())
	}
	s.Params = []*Param{{Name: "G", Values: []string{"1"}, Label: "G.%%"}}
	if w := s.TokenWarnings(); len(w) != 0 {
		t.Errorf("with the pgen's parameter: %q", w)
	}
}
