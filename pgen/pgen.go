// Package pgen runs users' Python parameter generators (README.md, Parameter
// generators) with the system python3 and a small maestrowf stand-in of our
// own, so existing pgen files run unchanged where maestrowf is not installed.
package pgen

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/maestro-go/maestro/spec"
)

//go:embed all:py
var pyFiles embed.FS

// Request is what the generator is given.
type Request struct {
	File       string            // the pgen file
	Spec       *spec.Spec        // env.variables and labels become env.find(NAME)
	Pargs      map[string]string // --pargs
	OutputPath string            // kwargs["OUTPUT_PATH"]
	Stdout     io.Writer         // where the generator's prints go
	Python     string            // the interpreter; "" is python3
}

type envItem struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Kind  string `json:"kind"`
}

type result struct {
	Name   string   `json:"name"`
	Title  string   `json:"title"`
	Values []string `json:"values"`
	Label  any      `json:"label"`
}

// Run executes the generator and returns its parameters, validated as
// global.parameters are.
func Run(r Request) ([]*spec.Param, error) {
	if _, err := os.Stat(r.File); err != nil {
		return nil, fmt.Errorf("pgen %s: %w", r.File, err)
	}
	python := r.Python
	if python == "" {
		python = "python3"
	}
	py, err := exec.LookPath(python)
	if err != nil {
		return nil, fmt.Errorf("--pgen %s needs %s on PATH to run, and none was found; install Python 3", r.File, python)
	}
	tmp, err := os.MkdirTemp("", "maestro-pgen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := unpack(tmp); err != nil {
		return nil, err
	}
	reqPath, resPath := filepath.Join(tmp, "request.json"), filepath.Join(tmp, "result.json")
	if err := writeRequest(reqPath, r); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(r.File)
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(py, filepath.Join(tmp, "py", "driver.py"), filepath.Join(tmp, "py"),
		filepath.Join(tmp, "py", "fallback"), abs, reqPath, resPath)
	cmd.Stdout, cmd.Stderr = r.Stdout, &stderr
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pgen %s failed: %s", r.File, lastLines(stderr.String(), 3))
	}
	data, err := os.ReadFile(resPath)
	if err != nil {
		return nil, fmt.Errorf("pgen %s produced no parameters: %s", r.File, lastLines(stderr.String(), 3))
	}
	return decode(data, r.File)
}

func unpack(dir string) error {
	return fs.WalkDir(pyFiles, "py", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, path)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := pyFiles.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}

func writeRequest(path string, r Request) error {
	kinds := map[spec.Kind]string{spec.KindInt: "int", spec.KindFloat: "float"}
	var env []envItem
	for _, group := range [][]spec.Var{r.Spec.Variables, r.Spec.Labels} {
		for _, v := range group {
			k := kinds[v.Kind]
			if k == "" {
				k = "str"
			}
			env = append(env, envItem{Name: v.Name, Value: v.Value, Kind: k})
		}
	}
	pargs := r.Pargs
	if pargs == nil {
		pargs = map[string]string{}
	}
	data, err := json.Marshal(map[string]any{"env": env, "pargs": pargs, "output_path": r.OutputPath, "specroot": r.Spec.Root})
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func decode(data []byte, file string) ([]*spec.Param, error) {
	var res []result
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("pgen %s: cannot read its parameters: %v", file, err)
	}
	var params []*spec.Param
	for _, p := range res {
		param := &spec.Param{Name: p.Name, Values: p.Values, Pos: spec.Pos{File: file}}
		if p.Title != p.Name {
			param.Title = p.Title
		}
		switch l := p.Label.(type) {
		case string:
			param.Label = l
		case []any:
			for _, x := range l {
				s, _ := x.(string)
				param.Labels = append(param.Labels, s)
			}
		}
		if err := spec.CheckParam(param, params); err != nil {
			return nil, fmt.Errorf("pgen %s: %s", file, err.Msg)
		}
		params = append(params, param)
	}
	if len(params) == 0 {
		return nil, errors.New("pgen " + file + " defined no parameters")
	}
	return params, nil
}

// lastLines returns the last n non-empty lines of s, joined by " | ": the
// end of a Python traceback names the error.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "python exited with an error and printed nothing"
	}
	return strings.Join(lines, " | ")
}
