package spec

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// valueKind says how a run key is checked.
type valueKind int

const (
	textValue     valueKind = iota // any string
	countValue                     // integer >= 1 or $(NAME)
	gpuValue                       // integer >= 0 or $(NAME)
	walltimeValue                  // string, integer >= 0 or $(NAME)
	flagValue                      // boolean or $(NAME)
	boolValue                      // boolean
	priorityValue                  // named priority or number in [0, 1]
	listValue                      // list of unique step names
	groupValue                     // array (boolean) or bundle (integer >= 1): Grouping
)

type runKey struct {
	name  string
	kind  valueKind
	field func(*Run) *string
}

var runKeys = []runKey{
	{"cmd", textValue, func(r *Run) *string { return &r.Cmd }},
	{"depends", listValue, nil},
	{"restart", textValue, func(r *Run) *string { return &r.Restart }},
	{"pre", textValue, func(r *Run) *string { return &r.Pre }},
	{"post", textValue, func(r *Run) *string { return &r.Post }},
	{"nodes", countValue, func(r *Run) *string { return &r.Nodes }},
	{"procs", countValue, func(r *Run) *string { return &r.Procs }},
	{"cores per task", countValue, func(r *Run) *string { return &r.CoresPerTask }},
	{"tasks per rs", countValue, func(r *Run) *string { return &r.TasksPerRS }},
	{"rs per node", countValue, func(r *Run) *string { return &r.RSPerNode }},
	{"cpus per rs", countValue, func(r *Run) *string { return &r.CPUsPerRS }},
	{"gpus", gpuValue, func(r *Run) *string { return &r.GPUs }},
	{"walltime", walltimeValue, func(r *Run) *string { return &r.Walltime }},
	{"exclusive", flagValue, func(r *Run) *string { return &r.Exclusive }},
	{"bind", textValue, func(r *Run) *string { return &r.Bind }},
	{"bind gpus", textValue, func(r *Run) *string { return &r.BindGPUs }},
	{"reservation", textValue, func(r *Run) *string { return &r.Reservation }},
	{"qos", textValue, func(r *Run) *string { return &r.QOS }},
	{"priority", priorityValue, func(r *Run) *string { return &r.Priority }},
	{"nested", boolValue, nil},
	{"waitable", boolValue, nil},
	{"array", groupValue, nil},
	{"bundle", groupValue, nil},
}

func runKeyNames() []string {
	names := make([]string, len(runKeys))
	for i, k := range runKeys {
		names[i] = k.name
	}
	return names
}

// Priorities maps the named priorities to Flux urgencies.
var Priorities = map[string]int{"HELD": 0, "MINIMAL": 1, "LOW": 9, "MEDIUM": 16, "HIGH": 24, "EXPEDITED": 31}

func (d *decoder) run(n *yaml.Node, st *Step, where string) error {
	r := &st.Run
	fields, err := d.mapping(n, "run of "+where)
	if err != nil {
		return err
	}
	if err := d.checkKeys(fields, runKeyNames(), where); err != nil {
		return err
	}
	if find(fields, "cmd") == nil {
		return errorf(d.pos(n), "Key 'cmd' is missing from run of %s.", where)
	}
	r.Pos = make(map[string]Pos, len(fields))
	for _, f := range fields {
		r.Pos[f.key] = d.pos(f.v)
		var key runKey
		for _, k := range runKeys {
			if k.name == f.key {
				key = k
			}
		}
		if err := d.runValue(f.v, key, r, where); err != nil {
			return err
		}
		if key.field != nil {
			d.noteRefs(f.v, *key.field(r), st)
		}
	}
	if strings.TrimSpace(r.Cmd) == "" {
		return errorf(d.pos(find(fields, "cmd").v), "The value in field run.cmd of %s must not be empty.", where)
	}
	return nil
}

func (d *decoder) runValue(n *yaml.Node, key runKey, r *Run, where string) error {
	field := "run." + key.name
	if key.kind == listValue {
		return d.depends(n, r, where)
	}
	if isNull(n) {
		return nil // an empty key is as good as an absent one
	}
	switch key.kind {
	case groupValue:
		return d.group(n, key.name, "run.", where, &r.Group)
	case countValue, gpuValue:
		minimum := 1
		if key.kind == gpuValue {
			minimum = 0
		}
		v, err := d.resource(n, field, where, minimum)
		*key.field(r) = v
		return err
	}
	sc, err := d.scalar(n, field+" of "+where)
	if err != nil {
		return err
	}
	bad := func(want string) error {
		return errorf(d.pos(n), "The value '%s' in field %s of %s is not of type %s.", sc.Text, field, where, want)
	}
	switch key.kind {
	case textValue:
		if sc.Kind != KindString {
			return bad("'string'")
		}
		*key.field(r) = sc.Text
	case walltimeValue:
		if sc.Kind == KindInt && strings.HasPrefix(sc.Text, "-") || sc.Kind != KindInt && sc.Kind != KindString {
			return bad("'string' or a non-negative 'integer'")
		}
		*key.field(r) = sc.Text
	case flagValue:
		if sc.Kind != KindBool && !(sc.Kind == KindString && wholeToken.MatchString(sc.Text)) {
			return bad("'boolean' or does not conform to the format '$(VARNAME)'")
		}
		*key.field(r) = sc.Text
	case boolValue:
		if sc.Kind != KindBool {
			return bad("'boolean'")
		}
		if key.name == "nested" {
			r.Nested = sc.Bool
		} else {
			r.Waitable = sc.Bool
		}
	case priorityValue:
		if _, ok := Priorities[strings.ToUpper(sc.Text)]; ok && sc.Kind == KindString {
			*key.field(r) = sc.Text
			return nil
		}
		if f, err := strconv.ParseFloat(sc.Text, 64); err == nil && (sc.Kind == KindInt || sc.Kind == KindFloat) && f >= 0 && f <= 1 {
			*key.field(r) = sc.Text
			return nil
		}
		return errorf(d.pos(n), "The value '%s' in field run.priority of %s is not one of HELD, MINIMAL, LOW, MEDIUM, HIGH, EXPEDITED or a number in [0, 1].", sc.Text, where)
	}
	return nil
}

// group reads the extension key array or bundle, of the run block of
// owner or of the batch block (prefix "run." or "batch."), into g.
func (d *decoder) group(n *yaml.Node, key, prefix, owner string, g *Grouping) error {
	field, of := prefix+key, ""
	if owner != "" {
		of = " of " + owner
	}
	field += of
	sc, err := d.scalar(n, field)
	if err != nil || sc.Kind == KindNull {
		return err
	}
	if key == "array" {
		if sc.Kind != KindBool {
			return errorf(d.pos(n), "The value '%s' in field %s is not of type 'boolean'.", sc.Text, field)
		}
		g.Array = sc.Bool
	} else {
		if sc.Kind != KindInt {
			return errorf(d.pos(n), "The value '%s' in field %s is not of type 'integer'.", sc.Text, field)
		}
		k, err := strconv.Atoi(sc.Text)
		if err != nil && !strings.HasPrefix(sc.Text, "-") {
			return errorf(d.pos(n), "The value '%s' in field %s is too large.", sc.Text, field)
		}
		if err != nil || k < 1 {
			return errorf(d.pos(n), "The value '%s' in field %s must be at least 1.", sc.Text, field)
		}
		g.Bundle = k
	}
	g.Set, g.Pos, g.key = true, d.pos(n), key
	if g.Array && g.Bundle > 0 {
		return errorf(d.pos(n), "%sarray: true and %sbundle%s exclude each other: a step's expansions go in job arrays or in bundles, not both.",
			prefix, prefix, of)
	}
	return nil
}

func (d *decoder) depends(n *yaml.Node, r *Run, where string) error {
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode { // a single name is a one-item list
		name, err := d.text(n, "run.depends of "+where)
		if err != nil {
			return err
		}
		r.Depends, r.DependsPos = []string{name}, []Pos{d.pos(n)}
		return nil
	}
	items, err := d.sequence(n, "run.depends of "+where)
	if err != nil {
		return err
	}
	for _, item := range items {
		name, err := d.text(item, "run.depends of "+where)
		if err != nil {
			return err
		}
		if contains(r.Depends, name) {
			return errorf(d.pos(item), "Non-unique step names in %s run.depends: '%s' is listed twice.", where, name)
		}
		r.Depends = append(r.Depends, name)
		r.DependsPos = append(r.DependsPos, d.pos(item))
	}
	return nil
}

func (d *decoder) parameters(n *yaml.Node, s *Spec) error {
	if isNull(n) {
		return nil
	}
	entries, err := d.mapping(n, "global.parameters")
	if err != nil {
		return err
	}
	for _, e := range entries {
		where := fmt.Sprintf("global parameter '%s'", e.key)
		fields, err := d.mapping(e.v, where)
		if err != nil {
			return err
		}
		if err := d.checkKeys(fields, paramKeys, where); err != nil {
			return err
		}
		if err := d.require(e.v, fields, paramKeys, where); err != nil {
			return err
		}
		p := &Param{Name: e.key, Pos: d.pos(e.k)}
		vals, err := d.sequence(find(fields, "values").v, "values of "+where)
		if err != nil {
			return err
		}
		p.Values = make([]string, len(vals))
		for i, v := range vals {
			sc, err := d.scalar(v, "values of "+where)
			if err != nil {
				return err
			}
			p.Values[i] = sc.Text
		}
		label := find(fields, "label").v
		if label.Kind == yaml.SequenceNode {
			items, err := d.sequence(label, "label of "+where)
			if err != nil {
				return err
			}
			for _, it := range items {
				t, err := d.text(it, "label of "+where)
				if err != nil {
					return err
				}
				p.Labels = append(p.Labels, t)
			}
		} else if p.Label, err = d.text(label, "label of "+where); err != nil {
			return err
		}
		if err := CheckParam(p, s.Params); err != nil {
			err.Pos = d.pos(e.k)
			return err
		}
		s.Params = append(s.Params, p)
	}
	return nil
}

// CheckParam validates p against the parameters before it; it serves both
// the spec and parameters made by a pgen. The error has no position.
func CheckParam(p *Param, before []*Param) *Error {
	if len(p.Values) == 0 {
		return &Error{Msg: fmt.Sprintf("Global parameter '%s' has no values.", p.Name)}
	}
	if len(before) > 0 && len(before[0].Values) != len(p.Values) {
		return &Error{Msg: fmt.Sprintf("Global parameter '%s' is not the same length as other parameters (%d values, '%s' has %d).",
			p.Name, len(p.Values), before[0].Name, len(before[0].Values))}
	}
	if p.Labels != nil {
		if len(p.Labels) != len(p.Values) {
			return &Error{Msg: fmt.Sprintf("Global parameter '%s' has %d labels for %d values; a list of labels needs one per value.", p.Name, len(p.Labels), len(p.Values))}
		}
		seen := make(map[string]bool, len(p.Labels))
		for _, l := range p.Labels {
			if seen[l] {
				return &Error{Msg: fmt.Sprintf("Global parameter '%s' has the label '%s' twice; labels in a list must be unique.", p.Name, l)}
			}
			seen[l] = true
		}
	}
	for _, q := range before {
		if q.Name == p.Name {
			return &Error{Msg: fmt.Sprintf("Global parameter '%s' is defined twice.", p.Name)}
		}
	}
	return nil
}
