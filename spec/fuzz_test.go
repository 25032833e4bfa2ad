package spec

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// bigHostileInputs are too large to be useful fuzzing seeds (the fuzzer
// spends its time minimising them) but must still load quickly.
func bigHostileInputs() []string {
	var block strings.Builder
	for i := 0; i < 2000; i++ {
		block.WriteString(strings.Repeat(" ", i) + "- \n")
	}
	var quad strings.Builder
	quad.WriteString("big: &big " + strings.Repeat("x", 1<<20) + "\n")
	quad.WriteString(dl + "\nstudy:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&quad, "- {name: s%d, description: *big, run: {cmd: *big}}\n", i)
	}
	return []string{
		block.String(),
		quad.String(),
		"deep: " + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + "\n",
		"deep: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n",
		y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: "+strings.Repeat("y", 16<<20)),
		y(dl, "study: "+strings.Repeat("z", 1<<20)),
		y(dl, "study:", "- {name: a, description: d, run: {cmd: x}}", "global.parameters:",
			"  X: {values: ["+strings.Repeat("1, ", 200_000)+"1], label: X.%%}"),
	}
}

// hostileSeeds are inputs meant to make a YAML loader slow, crash or lie.
func hostileSeeds() []string {
	valid := y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: echo $(X)",
		"global.parameters:", "  X: {values: [1, 2], label: X.%%}")

	// Billion laughs: nine levels of nine aliases, used where the loader
	// must look at the values.
	var laughs strings.Builder
	laughs.WriteString(`l0: &l0 "lol"` + "\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&laughs, "l%d: &l%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				laughs.WriteString(", ")
			}
			fmt.Fprintf(&laughs, "*l%d", i-1)
		}
		laughs.WriteString("]\n")
	}
	bomb := laughs.String()

	// Quadratic blow-up: one big scalar aliased many times.
	var quad strings.Builder
	quad.WriteString("big: &big " + strings.Repeat("x", 4096) + "\n")
	quad.WriteString(dl + "\nstudy:\n")
	for i := 0; i < 64; i++ {
		fmt.Fprintf(&quad, "- {name: s%d, description: *big, run: {cmd: *big}}\n", i)
	}

	var block strings.Builder
	for i := 0; i < 100; i++ {
		block.WriteString(strings.Repeat(" ", i) + "- \n")
	}

	return []string{
		"",
		"~",
		"---",
		"[]",
		"{}",
		"- a\n- b\n",
		valid,
		strings.ReplaceAll(valid, "\n", "\r\n"),
		"\xef\xbb\xbf" + valid,
		"\xff\xfe" + valid,
		"\xff\xfe\xfd\xfc",
		"description: {name: \xc3\x28, description: d}\nstudy: []\n",
		"description: {name: s,\x00 description: d}\n",
		bomb,
		bomb + y(dl, "study:", "- {name: a, description: d, run: {cmd: *l9}}"),
		bomb + y(dl, "study: *l9"),
		bomb + y(dl, "study:", "- {name: a, description: d, run: {cmd: x, depends: *l9}}"),
		bomb + y(dl, "study:", "- {name: a, description: d, run: {cmd: x}}", "global.parameters: {X: {values: *l9, label: *l9}}"),
		bomb + y(dl, "env: {variables: *l9, labels: *l9}", "study: []"),
		quad.String(),
		"deep: " + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + "\n",
		"deep: &d " + strings.Repeat("{a: ", 100) + "1" + strings.Repeat("}", 100) + "\nx: *d\n" + valid,
		block.String(),
		y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: "+strings.Repeat("y", 8192)),
		y(dl, "study:", "\t- name: a"),
		y(dl, "study:", "- name: a", "  description: d", "  run:", "\tcmd: x"),
		y(dl, "study:", "- name:\ta", "  description: d", "  run: {cmd: x}"),
		y(dl, dl, "study: []"),
		y(dl, "study:", "- {name: a, name: b, description: d, run: {cmd: x, cmd: y}}"),
		valid + "  X: {values: [3, 4], label: X.%%}\n",
		y("base: &b {name: s, description: d}", "description:", "  <<: *b", "study: []"),
		y("&k description: {name: s, description: d}", "*k : 1", "study: []"),
		y(dl, "study:", "- &s {name: a, description: d, run: {cmd: x}}", "- *s"),
		y(dl, "study:", "- {name: a, description: d, run: {cmd: x, depends: [b]}}", "- {name: b, description: d, run: {cmd: y, depends: [a]}}"),
		y(dl, "study:", "- {name: a, description: d, run: {cmd: x, procs: $(P), nodes: 1:30, walltime: 1:30:00, priority: High, exclusive: $(E)}}"),
		y(dl, "study:", "- {name: a, description: d, run: {cmd: x}}", "global.parameters:", "  X: {values: [1, 2], label: [a, a]}"),
		y(dl, "study:", "- {name: a, description: d, run: {cmd: x}}", "global.parameters:", "  X: {values: [1, 2], label: [a]}"),
		y(dl, "study:", "- {name: a, description: d, run: {cmd: x}}", "---", "second: [document"),
		y("%YAML 1.1", "%TAG !x! tag:example.com,2000:", "---", dl, "study: !x!foo []"),
		y(dl, "study:", "- {name: a, description: d, run: {cmd: !!binary aGVsbG8=}}"),
		y(dl, "batch: {type: slurm, host: ~, bank: b, queue: q, gres: ignore}", "study:", "- {name: a, description: d, run: {cmd: x}}"),
		y(dl, "env:", "  dependencies:", "    git:", "    - {name: g, path: p, url: u, tag: t, hash: h}", "study: []"),
		"? [a, b]\n: 1\n",
		"? |\n  multi\n  line\n: 1\n",
		"a: 'unterminated\n",
		"a: b: c\n",
		"a: *nope\n",
	}
}

func FuzzLoadSpec(f *testing.F) {
	for _, p := range sampleFiles(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range hostileSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(checkParse)
}

// TestHostileInputs runs the hostile inputs, big ones included, through
// the fuzz checks and requires each to finish quickly.
func TestHostileInputs(t *testing.T) {
	for i, in := range append(hostileSeeds(), bigHostileInputs()...) {
		start := time.Now()
		checkParse(t, []byte(in))
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("input %d (%d bytes) took %v", i, len(in), d)
		}
	}
}

// checkParse parses data and checks what every input must satisfy: no
// panic; an error is a *spec.Error on one line that starts with the file
// name; a spec has named steps with commands and parameters of one length.
func checkParse(t *testing.T, data []byte) {
	const name = "fuzz.yaml"
	s, err := Parse(data, name)
	if err != nil {
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("error %T is not a *spec.Error: %v", err, err)
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Fatalf("error spans several lines: %q", msg)
		}
		if !strings.HasPrefix(msg, name+":") {
			t.Fatalf("error does not start with the file name: %q", msg)
		}
		// Parse turns a panic into a position-less "YAML syntax error";
		// make sure the YAML library really rejected the input, so a
		// panic in the decoder itself cannot hide behind that message.
		if se.Pos.Line == 0 && strings.HasPrefix(se.Msg, "YAML syntax error: ") && yamlAccepts(data) {
			t.Fatalf("the YAML library accepts the input, but Parse says %q", msg)
		}
		return
	}
	if s == nil {
		t.Fatal("Parse returned neither a spec nor an error")
	}
	checkSpec(t, s)
}

// yamlAccepts reports whether the YAML library parses data without an
// error or a panic.
func yamlAccepts(data []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var n yaml.Node
	return yaml.Unmarshal(data, &n) == nil
}
