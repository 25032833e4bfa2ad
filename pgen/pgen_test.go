package pgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/spec"
)

func gen(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gen.py")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func testSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := spec.Parse([]byte(`description: {name: t, description: t}
env:
  variables: {SMAX: 30, RATE: 0.5, NAME: abc}
  labels: {OUT: "$(SIZE.label).txt"}
study:
  - {name: a, description: a, run: {cmd: echo}}
`), "/specs/t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRun(t *testing.T) {
	file := gen(t, `
from maestrowf.datastructures.core import ParameterGenerator
import itertools

def get_custom_generator(env, **kwargs):
    assert env.find("SMAX").value == 30
    assert env.find("RATE").value == 0.5
    assert env.find("NAME").value == "abc"
    assert env.find("OUT").value == "$(SIZE.label).txt"
    assert env.find("MISSING") is None
    assert kwargs["OUTPUT_PATH"] == "/out/study"
    assert kwargs["SPECROOT"].value == "/specs"
    p = ParameterGenerator()
    sizes = list(range(10, env.find("SMAX").value + 1, 10))
    p.add_parameter("SIZE", sizes)
    p.add_parameter("RATE", [x / 4 for x in sizes], "R.%%", name="rate")
    p.add_parameter("TAG", [kwargs["TAG"]] * len(sizes), ["a", "b", "c"])
    return p
`)
	params, err := Run(Request{File: file, Spec: testSpec(t), Pargs: map[string]string{"TAG": "v1"}, OutputPath: "/out/study"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range params {
		var labels []string
		for i := range p.Values {
			labels = append(labels, p.LabelAt(i))
		}
		got = append(got, p.Name+"("+p.NameText()+")="+strings.Join(p.Values, ",")+"/"+strings.Join(labels, ","))
	}
	want := "SIZE(SIZE)=10,20,30/SIZE.10,SIZE.20,SIZE.30 RATE(rate)=2.5,5.0,7.5/R.2.5,R.5.0,R.7.5 TAG(TAG)=v1,v1,v1/a,b,c"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestRunErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"exception", "def get_custom_generator(env, **kw):\n    raise ValueError('bad sizes')\n", "ValueError: bad sizes"},
		{"syntax", "def get_custom_generator(env, **kw)\n    pass\n", "SyntaxError"},
		{"no function", "x = 1\n", "defines no get_custom_generator"},
		{"not a generator", "def get_custom_generator(env, **kw):\n    return 5\n", "not a ParameterGenerator"},
		{"lengths", "from maestrowf.datastructures.core import ParameterGenerator\ndef get_custom_generator(env, **kw):\n    p = ParameterGenerator()\n    p.add_parameter('A', [1, 2])\n    p.add_parameter('B', [1])\n    return p\n", "Length of values list must be the same size"},
		{"empty", "from maestrowf.datastructures.core import ParameterGenerator\ndef get_custom_generator(env, **kw):\n    return ParameterGenerator()\n", "defined no parameters"},
		{"duplicate labels", "from maestrowf.datastructures.core import ParameterGenerator\ndef get_custom_generator(env, **kw):\n    p = ParameterGenerator()\n    p.add_parameter('A', [1, 2], ['x', 'x'])\n    return p\n", "label 'x' twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := gen(t, c.src)
			_, err := Run(Request{File: file, Spec: testSpec(t)})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), file) {
				t.Fatalf("got %v, want an error naming %s and saying %q", err, file, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestNoPython(t *testing.T) {
	_, err := Run(Request{File: gen(t, "x = 1\n"), Spec: testSpec(t), Python: "python3-that-does-not-exist"})
	if err == nil || !strings.Contains(err.Error(), "needs python3-that-does-not-exist on PATH") {
		t.Fatalf("got %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	if _, err := Run(Request{File: "/nonexistent/gen.py", Spec: testSpec(t)}); err == nil || !strings.Contains(err.Error(), "/nonexistent/gen.py") {
		t.Fatalf("got %v", err)
	}
}
