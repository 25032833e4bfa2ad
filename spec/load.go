package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

var (
	// merlin and user are Merlin's blocks, accepted and ignored as the
	// Python tool ignores them; any other unknown top-level key is an error
	// (a misspelt global.parameters must not run literal tokens).
	topKeys   = []string{"description", "env", "batch", "study", "global.parameters", "merlin", "user"}
	envKeys   = []string{"variables", "labels", "dependencies", "sources"}
	depKeys   = []string{"paths", "git"}
	pathKeys  = []string{"name", "path"}
	gitKeys   = []string{"name", "path", "url", "tag", "branch", "hash"}
	stepKeys  = []string{"name", "description", "run"}
	paramKeys = []string{"values", "label"}
	batchKeys = []string{"type", "shell", "host", "bank", "queue", "nodes", "procs", "gpus",
		"reservation", "qos", "version", "args", "uri", "flux_uri", "array", "bundle"}
	batchTypes = []string{"local", "slurm", "lsf", "flux"}
)

// Load reads and validates the spec file at path.
func Load(path string) (*Spec, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot read study spec: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("cannot read study spec: %s is a directory", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read study spec: %w", err)
	}
	if len(data) > MaxSpecBytes {
		return nil, errorf(Pos{File: path}, "the spec is larger than %d MiB; refusing it", MaxSpecBytes>>20)
	}
	s, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	s.Path, s.Root = abs, filepath.Dir(abs)
	return s, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse decodes and validates spec text; name is used in messages.
func Parse(data []byte, name string) (s *Spec, err error) {
	if len(data) > MaxSpecBytes {
		return nil, errorf(Pos{File: name}, "the spec is larger than %d MiB; refusing it", MaxSpecBytes>>20)
	}
	defer func() {
		// The YAML library panics on a few pathological inputs; a user must
		// see a message, never a stack trace.
		if r := recover(); r != nil {
			s, err = nil, errorf(Pos{File: name}, "YAML syntax error: %v", r)
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(data, name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil && len(extra.Content) > 0 {
		return nil, errorf(Pos{File: name, Line: extra.Line, Col: extra.Column}, "the spec holds more than one YAML document; a study is one document.")
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(data, name, err)
	}
	d := &decoder{file: name, data: data}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, errorf(Pos{File: name, Line: 1, Col: 1}, "the study spec is empty.")
	}
	s = &Spec{Path: name, Root: filepath.Dir(name), Batch: Batch{Type: "local", Shell: "/bin/bash"}}
	if err := d.spec(doc.Content[0], s); err != nil {
		return nil, err
	}
	return s, nil
}

// yamlError turns a YAML library error into file:line:col form. The
// library gives a line for most errors (0-based for those found while
// parsing) and no column; the column is that line's first non-blank, or
// the offending byte where the message names one.
func yamlError(data []byte, name string, err error) error {
	var te *yaml.TypeError
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	line, offset := 1, -1
	if m := yamlLine.FindStringSubmatch("yaml: " + msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		for _, p := range []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
			if strings.HasPrefix(msg, p) {
				line++
			}
		}
	}
	switch {
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
		offset = badByte(data)
	case strings.HasPrefix(msg, "unknown anchor '"):
		anchor := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		offset = bytes.Index(data, []byte("*"+anchor))
	case strings.Contains(msg, "end of stream"):
		line = bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n")) + 1
	}
	// A tab in the indentation: the library says so on a line at or before
	// the tab's, or finds no token where the tab starts a line.
	tab := -1
	switch {
	case strings.Contains(msg, "tab character"):
		tab = indentTab(data, line, -1)
	case strings.Contains(msg, "cannot start any token"):
		tab = indentTab(data, line, line)
	}
	if offset < 0 && tab >= 0 {
		offset, msg = tab, "a tab character; YAML indents with spaces only"
	}
	col := 1
	if offset >= 0 {
		line = bytes.Count(data[:offset], []byte("\n")) + 1
		col = offset - (bytes.LastIndexByte(data[:offset], '\n') + 1) + 1
	} else if lines := bytes.Split(data, []byte("\n")); line >= 1 && line <= len(lines) {
		col += len(lines[line-1]) - len(bytes.TrimLeft(lines[line-1], " "))
	}
	return errorf(Pos{File: name, Line: line, Col: col}, "YAML syntax error: %s", msg)
}

// indentTab returns the offset of the first tab in the indentation of a
// line from line to last (to the end when last < 0), or -1.
func indentTab(data []byte, line, last int) int {
	start := 0
	for l := 1; start < len(data) && (last < 0 || l <= last); l++ {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data) - start
		}
		if l >= line {
			for i := start; i < start+end && (data[i] == ' ' || data[i] == '\t'); i++ {
				if data[i] == '\t' {
					return i
				}
			}
		}
		start += end + 1
	}
	return -1
}

// badByte returns the offset of the first byte YAML refuses: invalid
// UTF-8 or a control character other than tab, newline and carriage return.
func badByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return i
		}
		i += size
	}
	return -1
}

func (d *decoder) spec(root *yaml.Node, s *Spec) error {
	top, err := d.mapping(root, "the study spec")
	if err != nil {
		return err
	}
	if err := d.checkKeys(top, topKeys, "the study spec"); err != nil {
		return err
	}
	if err := d.require(root, top, []string{"description", "study"}, "the study spec"); err != nil {
		return err
	}
	if err := d.description(find(top, "description").v, s); err != nil {
		return err
	}
	if e := find(top, "env"); e != nil {
		if err := d.env(e.v, s); err != nil {
			return err
		}
	}
	if e := find(top, "batch"); e != nil {
		if err := d.batch(e.v, &s.Batch, s); err != nil {
			return err
		}
	}
	if err := d.study(find(top, "study").v, s); err != nil {
		return err
	}
	if e := find(top, "global.parameters"); e != nil {
		if err := d.parameters(e.v, s); err != nil {
			return err
		}
	}
	groupWarnings(s)
	return nil
}

// groupWarnings warns of array and bundle keys that can do nothing: on a
// step that runs locally, or in a study with no scheduler.
func groupWarnings(s *Spec) {
	const none = "batch type 'local' submits to no scheduler"
	if g := s.BatchGroup; g.Set && s.Batch.Type == "local" {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %s; batch.%s is ignored", g.Pos, none, g.key))
	}
	for _, st := range s.Steps {
		switch g := st.Run.Group; {
		case !g.Set:
		case s.Batch.Type == "local":
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %s; run.%s of step '%s' is ignored", g.Pos, none, g.key, st.Name))
		case !st.Run.Scheduled():
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: step '%s' sets neither nodes nor procs, so it runs locally; its run.%s is ignored", g.Pos, st.Name, g.key))
		}
	}
}

func (d *decoder) description(n *yaml.Node, s *Spec) error {
	entries, err := d.mapping(n, "description")
	if err != nil {
		return err
	}
	if err := d.require(n, entries, []string{"name", "description"}, "description"); err != nil {
		return err
	}
	if s.Name, err = d.text(find(entries, "name").v, "description.name"); err != nil {
		return err
	}
	s.Description, err = d.text(find(entries, "description").v, "description.description")
	return err
}

func (d *decoder) env(n *yaml.Node, s *Spec) error {
	if n.Kind == yaml.ScalarNode && resolveScalar(n).Kind == KindNull {
		return nil
	}
	entries, err := d.mapping(n, "env")
	if err != nil {
		return err
	}
	if err := d.checkKeys(entries, envKeys, "env"); err != nil {
		return err
	}
	names := map[string]Pos{}
	for _, group := range []struct {
		key string
		dst *[]Var
	}{{"variables", &s.Variables}, {"labels", &s.Labels}} {
		e := find(entries, group.key)
		if e == nil || isNull(e.v) {
			continue
		}
		vars, err := d.mapping(e.v, "env."+group.key)
		if err != nil {
			return err
		}
		for _, v := range vars {
			sc, err := d.scalar(v.v, group.key+"."+v.key+" of env")
			if err != nil {
				return err
			}
			if sc.Kind == KindNull || sc.Kind == KindBool || sc.Text == "" {
				return errorf(d.pos(v.v), "The value '%s' in field %s.%s of env is not of type 'string' or 'number'.", sc.Text, group.key, v.key)
			}
			if _, dup := names[v.key]; dup {
				return errorf(d.pos(v.k), "Variable name '%s' is already taken. All variable names must be unique.", v.key)
			}
			names[v.key] = d.pos(v.k)
			*group.dst = append(*group.dst, Var{Name: v.key, Value: sc.Text, Kind: sc.Kind, Pos: d.pos(v.v)})
		}
	}
	if e := find(entries, "dependencies"); e != nil && !isNull(e.v) {
		if err := d.dependencies(e.v, s, names); err != nil {
			return err
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && resolveScalar(n).Kind == KindNull
}

func (d *decoder) dependencies(n *yaml.Node, s *Spec, names map[string]Pos) error {
	entries, err := d.mapping(n, "env.dependencies")
	if err != nil {
		return err
	}
	if err := d.checkKeys(entries, depKeys, "env.dependencies"); err != nil {
		return err
	}
	claim := func(k *yaml.Node, name string) error {
		if _, dup := names[name]; dup || name == "SPECROOT" || name == "OUTPUT_PATH" {
			return errorf(d.pos(k), "A duplicate name '%s' has been detected. All names must be unique.", name)
		}
		names[name] = d.pos(k)
		return nil
	}
	for _, kind := range []string{"paths", "git"} {
		e := find(entries, kind)
		if e == nil || isNull(e.v) {
			continue
		}
		items, err := d.sequence(e.v, "env.dependencies."+kind)
		if err != nil {
			return err
		}
		for _, item := range items {
			where := "a " + kind + " dependency of env"
			fields, err := d.mapping(item, where)
			if err != nil {
				return err
			}
			keys, required := pathKeys, pathKeys
			if kind == "git" {
				keys, required = gitKeys, []string{"name", "path", "url"}
			}
			if err := d.checkKeys(fields, keys, where); err != nil {
				return err
			}
			if err := d.require(item, fields, required, where); err != nil {
				return err
			}
			vals := map[string]string{}
			for _, f := range fields {
				if vals[f.key], err = d.text(f.v, "dependencies."+kind+"."+f.key); err != nil {
					return err
				}
			}
			if err := claim(find(fields, "name").v, vals["name"]); err != nil {
				return err
			}
			if kind == "paths" {
				s.PathDeps = append(s.PathDeps, PathDep{Name: vals["name"], Path: vals["path"], Pos: d.pos(item)})
				continue
			}
			refs := 0
			for _, k := range []string{"tag", "branch", "hash"} {
				if vals[k] != "" {
					refs++
				}
			}
			if refs > 1 {
				return errorf(d.pos(item), "git dependency '%s' may set only one of 'tag', 'branch' and 'hash'.", vals["name"])
			}
			s.GitDeps = append(s.GitDeps, GitDep{Name: vals["name"], Path: vals["path"], URL: vals["url"],
				Tag: vals["tag"], Branch: vals["branch"], Hash: vals["hash"], Pos: d.pos(item)})
		}
	}
	return nil
}

func (d *decoder) batch(n *yaml.Node, b *Batch, s *Spec) error {
	if isNull(n) {
		return nil
	}
	entries, err := d.mapping(n, "batch")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.key == "args" {
			if err := d.batchArgs(e.v, b); err != nil {
				return err
			}
			continue
		}
		if e.key == "array" || e.key == "bundle" {
			if err := d.group(e.v, e.key, "batch.", "", &s.BatchGroup); err != nil {
				return err
			}
			continue
		}
		sc, err := d.scalar(e.v, "batch."+e.key)
		if err != nil {
			return err
		}
		v := sc.Text
		if sc.Kind == KindNull {
			v = ""
		}
		switch e.key {
		case "type":
			if !contains(batchTypes, v) {
				return errorf(d.pos(e.v), "Unknown batch type '%s' in batch.type; use one of local, slurm, lsf, flux.%s", v, Suggest(v, batchTypes))
			}
			b.Type = v
		case "shell":
			if v == "" {
				return errorf(d.pos(e.v), "The value in field batch.shell must not be empty.")
			}
			b.Shell = v
		case "host":
			b.Host = v
		case "bank":
			b.Bank = v
		case "queue":
			b.Queue = v
		case "nodes":
			b.Nodes = v
		case "procs":
			b.Procs = v
		case "gpus":
			b.GPUs = v
		case "reservation":
			b.Reservation = v
		case "qos":
			b.QOS = v
		case "version":
			b.Version = v
		case "uri", "flux_uri":
			b.FluxURI = v
		default:
			if b.Extra == nil {
				b.Extra = map[string]string{}
			}
			b.Extra[e.key] = v
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: batch key '%s' is not used by maestro%s", d.pos(e.k), e.key, Suggest(e.key, batchKeys)))
		}
	}
	// Slurm and LSF need host, bank and queue written, as the Python tool's
	// adapters do; an empty value (a cluster that schedules by QOS only)
	// leaves its directive out. Flux reads none of them.
	if b.Type == "slurm" || b.Type == "lsf" {
		var missing, empty []string
		for _, k := range []string{"host", "bank", "queue"} {
			if find(entries, k) == nil {
				missing, empty = append(missing, "'"+k+"'"), append(empty, k+": \"\"")
			}
		}
		switch len(missing) {
		case 0:
		case 1:
			return errorf(d.pos(n), "Key %s is missing from batch (required for batch type '%s'; write %s if the cluster has none).", missing[0], b.Type, empty[0])
		default:
			return errorf(d.pos(n), "Keys %s are missing from batch (required for batch type '%s'; write %s if the cluster has none).",
				andList(missing), b.Type, andList(empty))
		}
	}
	return nil
}

func (d *decoder) batchArgs(n *yaml.Node, b *Batch) error {
	if isNull(n) {
		return nil
	}
	entries, err := d.mapping(n, "batch.args")
	if err != nil {
		return err
	}
	for _, e := range entries {
		sc, err := d.scalar(e.v, "batch.args."+e.key)
		if err != nil {
			return err
		}
		v := sc.Text
		if sc.Kind == KindNull {
			v = ""
		}
		b.Args = append(b.Args, KV{Key: e.key, Value: v})
	}
	return nil
}

func (d *decoder) study(n *yaml.Node, s *Spec) error {
	if isNull(n) {
		return errorf(d.pos(n), "A study specification MUST contain at least one step in its workflow.")
	}
	items, err := d.sequence(n, "study")
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return errorf(d.pos(n), "A study specification MUST contain at least one step in its workflow.")
	}
	seen := map[string]int{}
	for i, item := range items {
		st, err := d.step(item, i)
		if err != nil {
			return err
		}
		if line, dup := seen[st.Name]; dup {
			return errorf(st.Pos, "Duplicate study step name '%s' (first defined at line %d). Step names must be unique.", st.Name, line)
		}
		seen[st.Name] = st.Pos.Line
		s.Steps = append(s.Steps, st)
	}
	return nil
}

func (d *decoder) step(n *yaml.Node, index int) (*Step, error) {
	where := fmt.Sprintf("study step %d", index+1)
	fields, err := d.mapping(n, where)
	if err != nil {
		return nil, err
	}
	st := &Step{Pos: d.pos(n)}
	if e := find(fields, "name"); e != nil {
		if st.Name, err = d.text(e.v, "name of "+where); err != nil {
			return nil, err
		}
		where = fmt.Sprintf("study step '%s'", st.Name)
	} else {
		return nil, errorf(d.pos(n), "Key 'name' is missing from %s.", where)
	}
	if err := d.checkKeys(fields, stepKeys, where); err != nil {
		return nil, err
	}
	if err := d.require(n, fields, []string{"description", "run"}, where); err != nil {
		return nil, err
	}
	if st.Description, err = d.text(find(fields, "description").v, "description of "+where); err != nil {
		return nil, err
	}
	d.noteRefs(find(fields, "name").v, st.Name, st)
	d.noteRefs(find(fields, "description").v, st.Description, st)
	return st, d.run(find(fields, "run").v, st, where)
}

// andList joins words as "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
