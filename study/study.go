// Package study turns a validated spec into a study directory: it resolves
// where the study goes and its dependencies, expands the DAG, renders every
// script, and writes the directory with its state database (README.md, The
// study directory).
package study

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/dag"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/store"
)

// Options are the `maestro run` choices that shape a study.
type Options struct {
	Out      string // -o: the exact study directory
	HashWS   bool
	Dry      bool
	UseTmp   bool
	Pgen     string // pgen file, copied into the study
	Settings store.Settings
	Now      time.Time
	// Progress, when set, is told how many of the total steps Write has
	// written, now and then and at the end: never two calls at once, and
	// each with more done than the one before.
	Progress func(done, total int)
	// Adapters are the schedulers a spec's batch.type may name
	// (adapters/all.Registry: every one).
	Adapters adapters.Registry
}

// Study is a study ready to be written: expanded, with every script
// checked, so that nothing can fail for a reason in the spec once writing
// begins.
type Study struct {
	Spec     *spec.Spec
	Graph    *dag.Graph
	Dir      string
	Opt      Options
	Warnings []string
	order    []int32 // node indexes in table order
	scripts  []rendered
	adapter  adapters.Adapter
	deps     map[string]string // dependency name -> resolved path
	steps    sync.Pool         // of *spec.Step, to render nodes with
}

// rendered is what the state database needs of a node's scripts.
type rendered struct {
	walltime                   string
	scheduled, nested, restart bool
	resources                  []store.KV // kept for a step that may be bundled (Settings.Bundle)
}

// Dir returns where the study goes: -o exactly, else
// <OUTPUT_PATH>/<name>_<YYYYMMDD-HHMMSS> with a relative OUTPUT_PATH taken
// from the current directory (as the Python tool's code does).
func Dir(s *spec.Spec, opt Options) (string, error) {
	if opt.Out != "" {
		return filepath.Abs(opt.Out)
	}
	base := "."
	if v, ok := s.Variable("OUTPUT_PATH"); ok {
		base = spec.Apply(v, s.VarEnv("$(OUTPUT_PATH)"))
		if base == "~" || strings.HasPrefix(base, "~/") {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("OUTPUT_PATH %s: %w", base, err)
			}
			base = filepath.Join(home, base[1:])
		}
	}
	return filepath.Abs(filepath.Join(base, Stem(s.Name)+"_"+opt.Now.Format("20060102-150405")))
}

// Stem is a study's name as directory and file names use it: blanks as
// underscores, and only the characters workspace names keep.
func Stem(name string) string { return dag.SafeName(name) }

// New resolves dependencies, expands the DAG of s for directory dir and
// checks every script.
func New(s *spec.Spec, dir string, opt Options) (*Study, error) {
	a, err := opt.Adapters.Get(s.Batch.Type)
	if err != nil {
		return nil, err
	}
	st := &Study{Spec: s, Dir: dir, Opt: opt, adapter: a}
	if err := st.resolveDeps(); err != nil {
		return nil, err
	}
	st.Graph, err = dag.Expand(s, dag.Options{Dir: dir, HashWS: opt.HashWS, Env: s.Environment(dir, st.deps)})
	if err != nil {
		return nil, err
	}
	st.Warnings = append(st.Warnings, st.Graph.Warnings...)
	st.order = st.Graph.Order()
	return st, st.render()
}

// resolveDeps checks path dependencies and works out where git
// dependencies will be cloned.
func (st *Study) resolveDeps() error {
	s := st.Spec
	st.deps = map[string]string{}
	env := s.VarEnv(st.Dir)
	for _, d := range s.PathDeps {
		p, err := filepath.Abs(spec.Apply(d.Path, env))
		if err != nil {
			return err
		}
		if _, err := os.Stat(p); err != nil {
			return &spec.Error{Pos: d.Pos, Msg: fmt.Sprintf("The specified path '%s' does not exist (%s).", d.Name, p)}
		}
		st.deps[d.Name] = p
	}
	for _, d := range s.GitDeps {
		p, err := filepath.Abs(filepath.Join(spec.Apply(d.Path, env), d.Name))
		if err != nil {
			return err
		}
		if _, err := os.Stat(p); err == nil && !dag.Within(st.Dir, p) {
			return &spec.Error{Pos: d.Pos, Msg: fmt.Sprintf("git dependency '%s': %s already exists.", d.Name, p)}
		}
		st.deps[d.Name] = p
	}
	return nil
}

// render renders every scheduled script once, so that nothing in the spec
// can fail once writing begins (a local script cannot fail: see
// TestLocalScriptsRender), and keeps what the state database needs. The
// scripts themselves are rendered again as they are written: a million of
// them are not all kept in memory.
func (st *Study) render() error {
	st.scripts = make([]rendered, len(st.Graph.Nodes))
	launcher := make([]bool, len(st.Graph.Nodes)) // uses $(LAUNCHER) but runs locally
	err := forEach(len(st.Graph.Nodes), func(i int) error {
		step := st.step(st.Graph.Nodes[i])
		defer st.putStep(step)
		r := &st.scripts[i]
		r.scheduled, r.walltime, r.nested, r.restart = step.Run.Scheduled(), step.Run.Walltime, step.Run.Nested, step.Run.Restart != ""
		launcher[i] = !r.scheduled && (adapters.HasLauncher(step.Run.Cmd) || adapters.HasLauncher(step.Run.Restart))
		if !r.scheduled { // adapters.Render has nothing to refuse in a local script
			return nil
		}
		// What a bundle's header asks for, and what tells the headers of an
		// array's steps alike without reading them (adapters.ResourceKey).
		if g := st.Spec.Group(step); st.Opt.Settings.Bundle > 1 || g.Bundle > 1 || st.Opt.Settings.Array || g.Array {
			r.resources = adapters.StoreResources(&step.Run)
		}
		if err := st.renderNode(i, step, func(bool, []byte) error { return nil }); err != nil {
			return renderError(step, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	warned := map[string]bool{}
	for i, n := range st.Graph.Nodes {
		if launcher[i] && !warned[n.StepName] {
			warned[n.StepName] = true
			st.Warnings = append(st.Warnings, fmt.Sprintf("%s: step '%s' uses $(LAUNCHER) but sets neither nodes nor procs, so it runs locally; the token is left out",
				n.Step().Run.Pos["cmd"], n.StepName))
		}
	}
	return nil
}

// step returns node n's step (Node.Step) in a recycled step; give it back
// with putStep.
func (st *Study) step(n *dag.Node) *spec.Step {
	step, _ := st.steps.Get().(*spec.Step)
	if step == nil {
		step = new(spec.Step)
	}
	n.StepInto(step)
	return step
}

func (st *Study) putStep(step *spec.Step) { st.steps.Put(step) }

// renderNode renders node i's script and then its restart script, if it
// has one, for its step (Node.Step), handing each to fn.
func (st *Study) renderNode(i int, step *spec.Step, fn func(restart bool, script []byte) error) error {
	sc := &adapters.Script{JobName: st.jobName(st.Graph.Nodes[i]), Step: step, Batch: &st.Spec.Batch}
	texts := []string{step.Run.Cmd, step.Run.Restart}
	if step.Run.Restart == "" {
		texts = texts[:1]
	}
	for k, text := range texts {
		script, err := adapters.Render(st.adapter, sc, text, st.scripts[i].scheduled)
		if err != nil {
			return err
		}
		if err := fn(k == 1, script); err != nil {
			return err
		}
	}
	return nil
}

// jobName is the name schedulers see and output files are named after:
// the node's name (its hash with --hashws) with blanks as underscores, and
// only the characters workspace names keep, so that no value can break a
// scheduler directive or name a file elsewhere.
func (st *Study) jobName(n *dag.Node) string {
	if st.Opt.HashWS && n.Combo != "" {
		return n.Script
	}
	return dag.SafeName(n.Name)
}

// Exists reports whether the study directory is already there.
func (st *Study) Exists() bool {
	_, err := os.Lstat(st.Dir)
	return !errors.Is(err, os.ErrNotExist)
}

// renderError places an error from rendering a step's script in the
// spec: an error of its $(LAUNCHER) token where the spec first writes the
// token, any other (from the scheduler's header) at the step.
func renderError(step *spec.Step, err error) error {
	pos := step.Pos
	for _, r := range step.Refs {
		if r.Name == "LAUNCHER" && strings.Contains(err.Error(), "$(LAUNCHER)") {
			pos = r.Pos
		}
	}
	return &spec.Error{Pos: pos, Msg: err.Error()}
}
