package spec

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits that turn hostile specs into quick, clear errors. Parsing YAML
// takes up to about 90 bytes of memory per byte of text (a flow list of
// one-character values), so the file size bounds the memory a spec costs;
// 16 MiB holds a million inline parameter values, and larger sets belong
// in a pgen.
const (
	MaxSpecBytes  = 16 << 20  // larger files are refused before parsing
	maxAliasBytes = 16 << 20  // text that YAML aliases may bring in, all uses together
	maxScalars    = 4_000_000 // scalars read, counting every alias use
	maxDepth      = 64        // nesting of collections
)

// decoder walks a yaml.Node tree keeping positions for every message.
type decoder struct {
	file       string
	data       []byte // the spec text, to place tokens inside values
	lines      []int  // offsets of line starts in data, made on first use
	scalars    int
	aliasBytes int // scalar text brought in by aliases so far
}

// entry is one key of a mapping with its nodes.
type entry struct {
	key  string
	k, v *yaml.Node
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{File: d.file, Line: n.Line, Col: n.Column} }

// deref follows aliases and charges the budgets for what an alias brings
// in, values and bytes, so that an alias bomb fails quickly instead of
// expanding.
func (d *decoder) deref(n *yaml.Node) (*yaml.Node, error) {
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, errorf(d.pos(n), "alias '%s' refers to nothing", n.Value)
		}
		use := n
		n = n.Alias
		if err := d.charge(n, 0); err != nil {
			return nil, err
		}
		if d.aliasBytes > maxAliasBytes {
			return nil, errorf(d.pos(use), "YAML aliases bring more than %d MiB of text into the spec (counting every use); refusing it", maxAliasBytes>>20)
		}
	}
	return n, nil
}

func (d *decoder) charge(n *yaml.Node, depth int) error {
	if depth > maxDepth {
		return errorf(d.pos(n), "the spec nests deeper than %d levels", maxDepth)
	}
	d.scalars++
	d.aliasBytes += len(n.Value)
	if d.scalars > maxScalars {
		return errorf(d.pos(n), "the spec expands to more than %d values (YAML aliases included); refusing it", maxScalars)
	}
	for _, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			d.scalars++
			continue
		}
		if err := d.charge(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if resolveScalar(n).Kind == KindNull {
			return "nothing"
		}
		return fmt.Sprintf("'%s'", n.Value)
	}
	return "an unsupported value"
}

// mapping returns the entries of a mapping node; what names it in messages.
// YAML merge keys ('<<: *anchor', '<<: [*a, *b]') are resolved as the
// Python tool's loader resolves them: the merged entries come first, then
// the mapping's own; a key given again replaces the value but keeps its
// place; of a list, the earlier mapping wins. Every entry keeps the
// position where it was written.
func (d *decoder) mapping(n *yaml.Node, what string) ([]entry, error) {
	n, err := d.deref(n)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, errorf(d.pos(n), "%s must be a mapping, found %s.", what, kindName(n))
	}
	pairs, err := d.flatten(n, what, 0)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(pairs))
	at := make(map[string]int, len(pairs))
	for _, p := range pairs {
		v, err := d.deref(p.v)
		if err != nil {
			return nil, err
		}
		if i, ok := at[p.k.Value]; ok {
			out[i].k, out[i].v = p.k, v
			continue
		}
		at[p.k.Value] = len(out)
		out = append(out, entry{key: p.k.Value, k: p.k, v: v})
	}
	return out, nil
}

// pair is one key and value of a mapping as written.
type pair struct{ k, v *yaml.Node }

// flatten returns the pairs of mapping n with its merge keys resolved,
// in the order PyYAML's flatten_mapping gives them.
func (d *decoder) flatten(n *yaml.Node, what string, depth int) ([]pair, error) {
	if depth > maxDepth {
		return nil, errorf(d.pos(n), "the spec nests deeper than %d levels", maxDepth)
	}
	var merged, own []pair
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := d.deref(n.Content[i])
		if err != nil {
			return nil, err
		}
		if k.Kind != yaml.ScalarNode {
			return nil, errorf(d.pos(k), "keys of %s must be plain names, found %s.", what, kindName(k))
		}
		if k.ShortTag() != "!!merge" {
			if line, dup := seen[k.Value]; dup {
				return nil, errorf(d.pos(k), "Key '%s' appears twice in %s (first at line %d).", k.Value, what, line)
			}
			seen[k.Value] = k.Line
			own = append(own, pair{k, n.Content[i+1]})
			continue
		}
		v, err := d.deref(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = make([]*yaml.Node, len(v.Content))
			for j, item := range v.Content { // the last first: earlier ones win
				if sources[len(v.Content)-1-j], err = d.deref(item); err != nil {
					return nil, err
				}
			}
		}
		for _, src := range sources {
			if src.Kind != yaml.MappingNode {
				return nil, errorf(d.pos(src), "a merge key ('<<') in %s takes a mapping or a list of mappings, found %s.", what, kindName(src))
			}
			ps, err := d.flatten(src, what, depth+1)
			if err != nil {
				return nil, err
			}
			merged = append(merged, ps...)
		}
	}
	return append(merged, own...), nil
}

// sequence returns the items of a list node.
func (d *decoder) sequence(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errorf(d.pos(n), "%s must be a list, found %s.", what, kindName(n))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		c, err := d.deref(c)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// scalar returns the resolved scalar of n or an error naming field.
func (d *decoder) scalar(n *yaml.Node, field string) (Scalar, error) {
	if n.Kind != yaml.ScalarNode {
		return Scalar{}, errorf(d.pos(n), "The value in field %s must be a single value, found %s.", field, kindName(n))
	}
	d.scalars++
	if d.scalars > maxScalars {
		return Scalar{}, errorf(d.pos(n), "the spec holds more than %d values; refusing it", maxScalars)
	}
	return resolveScalar(n), nil
}

// text returns a required non-empty string value.
func (d *decoder) text(n *yaml.Node, field string) (string, error) {
	s, err := d.scalar(n, field)
	if err != nil {
		return "", err
	}
	if s.Kind == KindNull || s.Text == "" {
		return "", errorf(d.pos(n), "The value '%s' in field %s is not of type 'string' (it must not be empty).", s.Text, field)
	}
	if s.Kind != KindString {
		return "", errorf(d.pos(n), "The value '%s' in field %s is not of type 'string'; quote it.", s.Text, field)
	}
	return s.Text, nil
}

// checkKeys rejects keys of a mapping that are not in known.
func (d *decoder) checkKeys(entries []entry, known []string, where string) error {
	for _, e := range entries {
		if !contains(known, e.key) {
			return errorf(d.pos(e.k), "Unrecognized key '%s' found in %s.%s", e.key, where, Suggest(e.key, known))
		}
	}
	return nil
}

// require reports the first of keys missing from entries.
func (d *decoder) require(n *yaml.Node, entries []entry, keys []string, where string) error {
	for _, k := range keys {
		if find(entries, k) == nil {
			return errorf(d.pos(n), "Key '%s' is missing from %s.", k, where)
		}
	}
	return nil
}

func find(entries []entry, key string) *entry {
	for i := range entries {
		if entries[i].key == key {
			return &entries[i]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var wholeToken = regexp.MustCompile(`^\$\([A-Za-z0-9_][A-Za-z0-9_.\-]*\)$`)

// resource checks a numeric run or batch value: an integer >= minimum or a
// whole-value $(NAME) token.
func (d *decoder) resource(n *yaml.Node, field, owner string, minimum int) (string, error) {
	s, err := d.scalar(n, field)
	if err != nil {
		return "", err
	}
	if s.Kind == KindString && wholeToken.MatchString(s.Text) {
		return s.Text, nil
	}
	if s.Kind != KindInt {
		return "", errorf(d.pos(n), "The value '%s' in field %s of %s is not of type 'integer' or does not conform to the format '$(VARNAME)'.", s.Text, field, owner)
	}
	if strings.HasPrefix(s.Text, "-") || minimum == 1 && s.Text == "0" {
		return "", errorf(d.pos(n), "The value '%s' in field %s of %s must be at least %d.", s.Text, field, owner, minimum)
	}
	return s.Text, nil
}
