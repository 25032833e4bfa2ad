package spec

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// y joins lines into a YAML document; line i of the slice is line i+1 of
// the file, which keeps the hand-computed positions below easy to check.
func y(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// Common first lines. dl is line 1 of most documents.
const (
	dl = "description: {name: s, description: d}"
)

// stepA is lines 2–5 of a document whose run block starts at line 6:
//
//	1 description: {...}
//	2 study:
//	3 - name: a
//	4   description: d
//	5   run:
func stepA(run ...string) string {
	return y(append([]string{dl, "study:", "- name: a", "  description: d", "  run:"}, run...)...)
}

// withParams is a valid six-line document followed by global.parameters at
// line 7; the given lines start at line 8.
func withParams(lines ...string) string {
	return y(append([]string{dl, "study:", "- name: a", "  description: d", "  run:",
		"    cmd: echo $(X)", "global.parameters:"}, lines...)...)
}

type errCase struct {
	name string
	yaml string
	pos  string // "LINE:COL", or "" when the error carries no line
	want string // a phrase the message must contain
	not  string // a phrase the message must not contain
}

func errorCases() []errCase {
	return []errCase{
		// ---- the document itself
		{name: "empty document", yaml: "", pos: "1:1", want: "the study spec is empty."},
		{name: "only a comment", yaml: y("# nothing here"), pos: "1:1", want: "the study spec is empty."},
		{name: "root is a list", yaml: y("- a", "- b"), pos: "1:1",
			want: "the study spec must be a mapping, found a list."},
		{name: "root is a scalar", yaml: y("hello"), pos: "1:1",
			want: "the study spec must be a mapping, found 'hello'."},
		{name: "root is null", yaml: y("~"), pos: "1:1",
			want: "the study spec must be a mapping, found nothing."},
		{name: "missing description", yaml: y("study:", "- name: a", "  description: d", "  run: {cmd: x}"),
			pos: "1:1", want: "Key 'description' is missing from the study spec."},
		{name: "missing study", yaml: y(dl), pos: "1:1",
			want: "Key 'study' is missing from the study spec."},
		{name: "missing study after a comment", yaml: y("# a comment", dl), pos: "2:1",
			want: "Key 'study' is missing from the study spec."},
		{name: "duplicate top-level key", yaml: y(dl, "study: []", "study: []"), pos: "3:1",
			want: "Key 'study' appears twice in the study spec (first at line 2)."},
		{name: "merge key of a scalar", yaml: stepA("    <<: 5"), pos: "6:9",
			want: "a merge key ('<<') in run of study step 'a' takes a mapping or a list of mappings, found '5'."},
		{name: "merge key of a list with a scalar", yaml: y("user: {c: &c {cmd: x}}", dl, "study:", "- name: a", "  description: d", "  run:", "    <<: [*c, x]"),
			pos: "7:14", want: "a merge key ('<<') in run of study step 'a' takes a mapping or a list of mappings, found 'x'."},
		{name: "merge key to an unknown run key", yaml: y("user: {c: &c {cmd: x, prcs: 1}}", dl, "study:", "- name: a", "  description: d", "  run:", "    <<: *c"),
			pos: "1:23", want: "Unrecognized key 'prcs' found in study step 'a'. Did you mean 'procs'?"},
		{name: "merge key brings a bad value", yaml: y("user: {c: &c {cmd: x, procs: many}}", dl, "study:", "- name: a", "  description: d", "  run:", "    <<: *c"),
			pos: "1:30", want: "The value 'many' in field run.procs of study step 'a'"},
		{name: "complex key", yaml: y("? [a, b]", ": 1"), pos: "1:3",
			want: "keys of the study spec must be plain names, found a list."},

		// ---- YAML syntax errors (scanner errors on a line after the first)
		{name: "yaml mapping value in plain scalar", yaml: y(dl, "study: 1", " bad: 2"), pos: "3:2",
			want: "YAML syntax error: mapping values are not allowed in this context"},
		{name: "yaml tab indenting a key", yaml: y(dl, "study:", "\t- name: a"), pos: "3:1",
			want: "YAML syntax error: a tab character; YAML indents with spaces only"},
		{name: "yaml tab after spaces", yaml: y(dl, "study:", "- name: a", "\t  description: d"), pos: "4:1",
			want: "YAML syntax error: a tab character; YAML indents with spaces only"},
		{name: "yaml tab in a block scalar", yaml: y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: |", "      echo", "   \t  echo"),
			pos: "8:4", want: "YAML syntax error: a tab character; YAML indents with spaces only"},
		{name: "yaml unterminated quote", yaml: y(dl, "study:", "- name: 'x"), pos: "3:1",
			want: "YAML syntax error: found unexpected end of stream"},

		// ---- description
		{name: "description is a scalar", yaml: y("description: hello", "study: []"), pos: "1:14",
			want: "description must be a mapping, found 'hello'."},
		{name: "description is empty", yaml: y("description:", "study: []"), pos: "1:13",
			want: "description must be a mapping, found nothing."},
		{name: "description without name", yaml: y("description: {description: d}", "study: []"), pos: "1:14",
			want: "Key 'name' is missing from description."},
		{name: "description without description", yaml: y("description:", "  name: s", "study: []"), pos: "2:3",
			want: "Key 'description' is missing from description."},
		{name: "description empty name", yaml: y("description: {name: '', description: d}", "study: []"), pos: "1:21",
			want: "The value '' in field description.name is not of type 'string' (it must not be empty)."},
		{name: "description null description", yaml: y("description: {name: s, description: ~}", "study: []"), pos: "1:37",
			want: "The value 'None' in field description.description is not of type 'string'"},
		{name: "description name is a list", yaml: y("description: {name: [a], description: d}", "study: []"), pos: "1:21",
			want: "The value in field description.name must be a single value, found a list."},
		{name: "description duplicate key", yaml: y("description:", "  name: s", "  name: t", "  description: d", "study: []"),
			pos: "3:3", want: "Key 'name' appears twice in description (first at line 2)."},

		// ---- env
		{name: "env is a list", yaml: y(dl, "study: []", "env: [a]"), pos: "3:6",
			want: "env must be a mapping, found a list."},
		{name: "env unknown key", yaml: y(dl, "study: []", "env:", "  variabls: {A: 1}"), pos: "4:3",
			want: "Unrecognized key 'variabls' found in env. Did you mean 'variables'?"},
		{name: "env variables is a list", yaml: y(dl, "study: []", "env:", "  variables: [a]"), pos: "4:14",
			want: "env.variables must be a mapping, found a list."},
		{name: "env variable null", yaml: y(dl, "study: []", "env:", "  variables:", "    OUTPUT_PATH:"), pos: "5:17",
			want: "The value 'None' in field variables.OUTPUT_PATH of env is not of type 'string'"},
		{name: "env variable boolean", yaml: y(dl, "study: []", "env:", "  variables:", "    FLAG: yes"), pos: "5:11",
			want: "The value 'True' in field variables.FLAG of env is not of type 'string' or 'number'."},
		{name: "env variable empty string", yaml: y(dl, "study: []", "env:", "  variables:", `    A: ""`), pos: "5:8",
			want: "The value '' in field variables.A of env is not of type 'string' or 'number'."},
		{name: "env label is a list", yaml: y(dl, "study: []", "env:", "  labels:", "    L: [a]"), pos: "5:8",
			want: "The value in field labels.L of env must be a single value, found a list."},
		{name: "env label reuses a variable name", yaml: y(dl, "study: []", "env:", "  variables: {A: 1}", "  labels: {A: x}"),
			pos: "5:12", want: "Variable name 'A' is already taken. All variable names must be unique."},
		{name: "env variable duplicate key", yaml: y(dl, "study: []", "env:", "  variables: {A: 1, A: 2}"), pos: "4:21",
			want: "Key 'A' appears twice in env.variables (first at line 4)."},
		{name: "env dependencies is a scalar", yaml: y(dl, "study: []", "env:", "  dependencies: x"), pos: "4:17",
			want: "env.dependencies must be a mapping, found 'x'."},
		{name: "env dependencies unknown key", yaml: y(dl, "study: []", "env:", "  dependencies: {path: []}"), pos: "4:18",
			want: "Unrecognized key 'path' found in env.dependencies. Did you mean 'paths'?"},
		{name: "env paths is a mapping", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths: {name: a, path: b}"),
			pos: "5:12", want: "env.dependencies.paths must be a list, found a mapping."},
		{name: "env git is a scalar", yaml: y(dl, "study: []", "env:", "  dependencies:", "    git: x"),
			pos: "5:10", want: "env.dependencies.git must be a list, found 'x'."},
		{name: "env path item is a scalar", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths: [x]"),
			pos: "5:13", want: "a paths dependency of env must be a mapping, found 'x'."},
		{name: "env path unknown key", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths:", "    - {name: a, path: b, url: c}"),
			pos: "6:26", want: "Unrecognized key 'url' found in a paths dependency of env."},
		{name: "env path without path", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths:", "    - {name: a}"),
			pos: "6:7", want: "Key 'path' is missing from a paths dependency of env."},
		{name: "env path empty name", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths:", "    - {name: '', path: b}"),
			pos: "6:14", want: "The value '' in field dependencies.paths.name is not of type 'string'"},
		{name: "env path name taken by a variable", yaml: y(dl, "study: []", "env:", "  variables: {A: 1}", "  dependencies:", "    paths:", "    - {name: A, path: /tmp}"),
			pos: "7:14", want: "A duplicate name 'A' has been detected. All names must be unique."},
		{name: "env path named SPECROOT", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths:", "    - {name: SPECROOT, path: /tmp}"),
			pos: "6:14", want: "A duplicate name 'SPECROOT' has been detected. All names must be unique."},
		{name: "env path named OUTPUT_PATH", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths:", "    - {name: OUTPUT_PATH, path: /tmp}"),
			pos: "6:14", want: "A duplicate name 'OUTPUT_PATH' has been detected. All names must be unique."},
		{name: "env two paths with one name", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths:", "    - {name: P, path: /a}", "    - {name: P, path: /b}"),
			pos: "7:14", want: "A duplicate name 'P' has been detected."},
		{name: "env git without url", yaml: y(dl, "study: []", "env:", "  dependencies:", "    git:", "    - {name: g, path: p}"),
			pos: "6:7", want: "Key 'url' is missing from a git dependency of env."},
		{name: "env git unknown key", yaml: y(dl, "study: []", "env:", "  dependencies:", "    git:", "    - {name: g, path: p, url: u, commit: c}"),
			pos: "6:34", want: "Unrecognized key 'commit' found in a git dependency of env."},
		{name: "env git tag and branch", yaml: y(dl, "study: []", "env:", "  dependencies:", "    git:", "    - {name: g, path: p, url: u, tag: t, branch: b}"),
			pos: "6:7", want: "git dependency 'g' may set only one of 'tag', 'branch' and 'hash'."},
		{name: "env git name taken by a path", yaml: y(dl, "study: []", "env:", "  dependencies:", "    paths: [{name: A, path: x}]", "    git:", "    - {name: A, path: p, url: u}"),
			pos: "7:14", want: "A duplicate name 'A' has been detected. All names must be unique."},

		// ---- batch
		{name: "batch is a scalar", yaml: y(dl, "study: []", "batch: slurm"), pos: "3:8",
			want: "batch must be a mapping, found 'slurm'."},
		{name: "batch unknown type", yaml: y(dl, "study: []", "batch: {type: slrum}"), pos: "3:15",
			want: "Unknown batch type 'slrum' in batch.type; use one of local, slurm, lsf, flux. Did you mean 'slurm'?"},
		{name: "batch empty shell", yaml: y(dl, "study: []", "batch: {shell: ''}"), pos: "3:16",
			want: "The value in field batch.shell must not be empty."},
		{name: "batch slurm without host", yaml: y(dl, "study: []", "batch:", "  type: slurm", "  bank: b", "  queue: q"),
			pos: "4:3", want: "Key 'host' is missing from batch (required for batch type 'slurm'; write host: \"\" if the cluster has none)."},
		{name: "batch slurm without host and bank", yaml: y(dl, "study: []", "batch:", "  type: slurm", "  queue: q"),
			pos: "4:3", want: "Keys 'host' and 'bank' are missing from batch (required for batch type 'slurm'; write host: \"\" and bank: \"\" if the cluster has none)."},
		{name: "batch lsf without queue", yaml: y(dl, "study: []", "batch: {type: lsf, host: h, bank: ''}"),
			pos: "3:8", want: "Key 'queue' is missing from batch (required for batch type 'lsf';"},
		{name: "batch nodes is a list", yaml: y(dl, "study: []", "batch: {nodes: [1]}"), pos: "3:16",
			want: "The value in field batch.nodes must be a single value, found a list."},
		{name: "batch args is a list", yaml: y(dl, "study: []", "batch: {args: [a]}"), pos: "3:15",
			want: "batch.args must be a mapping, found a list."},
		{name: "batch args value is a mapping", yaml: y(dl, "study: []", "batch:", "  args:", "    x: {y: 1}"), pos: "5:8",
			want: "The value in field batch.args.x must be a single value, found a mapping."},
		{name: "batch array integer", yaml: y(dl, "study: []", "batch: {array: 1}"), pos: "3:16",
			want: "The value '1' in field batch.array is not of type 'boolean'."},
		{name: "batch bundle zero", yaml: y(dl, "study: []", "batch: {bundle: 0}"), pos: "3:17",
			want: "The value '0' in field batch.bundle must be at least 1."},
		{name: "batch bundle string", yaml: y(dl, "study: []", "batch: {bundle: '4'}"), pos: "3:17",
			want: "The value '4' in field batch.bundle is not of type 'integer'."},
		{name: "batch array and bundle", yaml: y(dl, "study: []", "batch:", "  array: on", "  bundle: 2"), pos: "5:11",
			want: "batch.array: true and batch.bundle exclude each other: a step's expansions go in job arrays or in bundles, not both."},
		{name: "batch duplicate key", yaml: y(dl, "study: []", "batch: {type: local, type: slurm}"), pos: "3:22",
			want: "Key 'type' appears twice in batch (first at line 3)."},

		// ---- study
		{name: "study null", yaml: y(dl, "study: ~"), pos: "2:8",
			want: "A study specification MUST contain at least one step in its workflow."},
		{name: "study empty value", yaml: y(dl, "study:"), pos: "2:7",
			want: "A study specification MUST contain at least one step in its workflow."},
		{name: "study empty list", yaml: y(dl, "study: []"), pos: "2:8",
			want: "A study specification MUST contain at least one step in its workflow."},
		{name: "study is a mapping", yaml: y(dl, "study: {a: 1}"), pos: "2:8",
			want: "study must be a list, found a mapping."},
		{name: "step is a scalar", yaml: y(dl, "study:", "- hello"), pos: "3:3",
			want: "study step 1 must be a mapping, found 'hello'."},
		{name: "second step is a number", yaml: y(dl, "study:", "- {name: a, description: d, run: {cmd: x}}", "- 42"), pos: "4:3",
			want: "study step 2 must be a mapping, found '42'."},
		{name: "step without name", yaml: y(dl, "study:", "- description: d", "  run: {cmd: x}"), pos: "3:3",
			want: "Key 'name' is missing from study step 1."},
		{name: "step empty name", yaml: y(dl, "study:", "- name: ''", "  description: d", "  run: {cmd: x}"), pos: "3:9",
			want: "The value '' in field name of study step 1 is not of type 'string' (it must not be empty)."},
		{name: "step unknown key", yaml: y(dl, "study:", "- name: hello_world", "  description: d", "  run:", "    cmd: echo", "  bad: 1"),
			pos: "7:3", want: "Unrecognized key 'bad' found in study step 'hello_world'.", not: "Did you mean"},
		{name: "step misspelt key", yaml: y(dl, "study:", "- name: a", "  descripton: d", "  run: {cmd: x}"), pos: "4:3",
			want: "Unrecognized key 'descripton' found in study step 'a'. Did you mean 'description'?"},
		{name: "step without description", yaml: y(dl, "study:", "- name: hello_world", "  run: {cmd: x}"), pos: "3:3",
			want: "Key 'description' is missing from study step 'hello_world'."},
		{name: "step without run", yaml: y(dl, "study:", "- name: a", "  description: d"), pos: "3:3",
			want: "Key 'run' is missing from study step 'a'."},
		{name: "step empty description", yaml: y(dl, "study:", "- name: a", "  description: ''", "  run: {cmd: x}"), pos: "4:16",
			want: "The value '' in field description of study step 'a' is not of type 'string'"},
		{name: "step run is a scalar", yaml: y(dl, "study:", "- name: a", "  description: d", "  run: echo hi"), pos: "5:8",
			want: "run of study step 'a' must be a mapping, found 'echo hi'."},
		{name: "duplicate step names", yaml: y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: x", "- name: a", "  description: d", "  run: {cmd: y}"),
			pos: "7:3", want: "Duplicate study step name 'a' (first defined at line 3). Step names must be unique."},
		{name: "step duplicate key", yaml: y(dl, "study:", "- name: a", "  name: b", "  description: d", "  run: {cmd: x}"), pos: "4:3",
			want: "Key 'name' appears twice in study step 1 (first at line 3)."},

		// ---- run
		{name: "run misspelt key", yaml: stepA("    cmd: echo", "    prcs: 2"), pos: "7:5",
			want: "Unrecognized key 'prcs' found in study step 'a'. Did you mean 'procs'?"},
		{name: "run unknown key", yaml: stepA("    cmd: echo", "    colour: red"), pos: "7:5",
			want: "Unrecognized key 'colour' found in study step 'a'.", not: "Did you mean"},
		{name: "run without cmd", yaml: stepA("    restart: x"), pos: "6:5",
			want: "Key 'cmd' is missing from run of study step 'a'."},
		{name: "run empty cmd", yaml: stepA(`    cmd: ""`), pos: "6:10",
			want: "The value in field run.cmd of study step 'a' must not be empty."},
		{name: "run null cmd", yaml: stepA("    cmd:", "    procs: 1"), pos: "6:9",
			want: "The value in field run.cmd of study step 'a' must not be empty."},
		{name: "run blank cmd", yaml: stepA(`    cmd: "   "`), pos: "6:10",
			want: "The value in field run.cmd of study step 'a' must not be empty."},
		{name: "run cmd is a number", yaml: stepA("    cmd: 5"), pos: "6:10",
			want: "The value '5' in field run.cmd of study step 'a' is not of type 'string'."},
		{name: "run cmd is a list", yaml: stepA("    cmd: [a]"), pos: "6:10",
			want: "The value in field run.cmd of study step 'a' must be a single value, found a list."},
		{name: "run procs is a word", yaml: stepA("    cmd: echo", "    procs: many"), pos: "7:12",
			want: "The value 'many' in field run.procs of study step 'a' is not of type 'integer' or does not conform to the format '$(VARNAME)'."},
		{name: "run nodes zero", yaml: stepA("    cmd: echo", "    nodes: 0"), pos: "7:12",
			want: "The value '0' in field run.nodes of study step 'a' must be at least 1."},
		{name: "run procs negative", yaml: stepA("    cmd: echo", "    procs: -2"), pos: "7:12",
			want: "The value '-2' in field run.procs of study step 'a' must be at least 1."},
		{name: "run gpus negative", yaml: stepA("    cmd: echo", "    gpus: -1"), pos: "7:11",
			want: "The value '-1' in field run.gpus of study step 'a' must be at least 0."},
		{name: "run procs float", yaml: stepA("    cmd: echo", "    procs: 2.0"), pos: "7:12",
			want: "The value '2.0' in field run.procs of study step 'a' is not of type 'integer' or does not conform to the format '$(VARNAME)'."},
		{name: "run procs quoted number", yaml: stepA("    cmd: echo", `    procs: "2"`), pos: "7:12",
			want: "The value '2' in field run.procs of study step 'a' is not of type 'integer'"},
		{name: "run procs token with suffix", yaml: stepA("    cmd: echo", "    procs: $(N)x"), pos: "7:12",
			want: "The value '$(N)x' in field run.procs of study step 'a' is not of type 'integer' or does not conform to the format '$(VARNAME)'."},
		{name: "run procs is a list", yaml: stepA("    cmd: echo", "    procs: [1]"), pos: "7:12",
			want: "The value in field run.procs must be a single value, found a list."},
		{name: "run cores per task zero", yaml: stepA("    cmd: echo", "    cores per task: 0"), pos: "7:21",
			want: "The value '0' in field run.cores per task of study step 'a' must be at least 1."},
		{name: "run tasks per rs word", yaml: stepA("    cmd: echo", "    tasks per rs: x"), pos: "7:19",
			want: "The value 'x' in field run.tasks per rs of study step 'a' is not of type 'integer'"},
		{name: "run rs per node word", yaml: stepA("    cmd: echo", "    rs per node: x"), pos: "7:18",
			want: "The value 'x' in field run.rs per node of study step 'a' is not of type 'integer'"},
		{name: "run cpus per rs zero", yaml: stepA("    cmd: echo", "    cpus per rs: 0"), pos: "7:18",
			want: "The value '0' in field run.cpus per rs of study step 'a' must be at least 1."},
		{name: "run walltime negative", yaml: stepA("    cmd: echo", "    walltime: -5"), pos: "7:15",
			want: "The value '-5' in field run.walltime of study step 'a' is not of type 'string' or a non-negative 'integer'."},
		{name: "run walltime float", yaml: stepA("    cmd: echo", "    walltime: 1.5"), pos: "7:15",
			want: "The value '1.5' in field run.walltime of study step 'a' is not of type 'string' or a non-negative 'integer'."},
		{name: "run walltime boolean", yaml: stepA("    cmd: echo", "    walltime: yes"), pos: "7:15",
			want: "The value 'True' in field run.walltime of study step 'a' is not of type"},
		{name: "run exclusive word", yaml: stepA("    cmd: echo", "    exclusive: maybe"), pos: "7:16",
			want: "The value 'maybe' in field run.exclusive of study step 'a' is not of type 'boolean' or does not conform to the format '$(VARNAME)'."},
		{name: "run exclusive integer", yaml: stepA("    cmd: echo", "    exclusive: 1"), pos: "7:16",
			want: "The value '1' in field run.exclusive of study step 'a' is not of type 'boolean'"},
		{name: "run nested integer", yaml: stepA("    cmd: echo", "    nested: 1"), pos: "7:13",
			want: "The value '1' in field run.nested of study step 'a' is not of type 'boolean'."},
		{name: "run waitable token", yaml: stepA("    cmd: echo", "    waitable: $(W)"), pos: "7:15",
			want: "The value '$(W)' in field run.waitable of study step 'a' is not of type 'boolean'."},
		{name: "run array integer", yaml: stepA("    cmd: echo", "    array: 1"), pos: "7:12",
			want: "The value '1' in field run.array of study step 'a' is not of type 'boolean'."},
		{name: "run array token", yaml: stepA("    cmd: echo", "    array: $(A)"), pos: "7:12",
			want: "The value '$(A)' in field run.array of study step 'a' is not of type 'boolean'."},
		{name: "run array list", yaml: stepA("    cmd: echo", "    array: [true]"), pos: "7:12",
			want: "The value in field run.array of study step 'a' must be a single value, found a list."},
		{name: "run bundle zero", yaml: stepA("    cmd: echo", "    bundle: 0"), pos: "7:13",
			want: "The value '0' in field run.bundle of study step 'a' must be at least 1."},
		{name: "run bundle negative", yaml: stepA("    cmd: echo", "    bundle: -4"), pos: "7:13",
			want: "The value '-4' in field run.bundle of study step 'a' must be at least 1."},
		{name: "run bundle huge", yaml: stepA("    cmd: echo", "    bundle: 99999999999999999999"), pos: "7:13",
			want: "The value '99999999999999999999' in field run.bundle of study step 'a' is too large."},
		{name: "run bundle float", yaml: stepA("    cmd: echo", "    bundle: 2.5"), pos: "7:13",
			want: "The value '2.5' in field run.bundle of study step 'a' is not of type 'integer'."},
		{name: "run bundle word", yaml: stepA("    cmd: echo", "    bundle: many"), pos: "7:13",
			want: "The value 'many' in field run.bundle of study step 'a' is not of type 'integer'."},
		{name: "run bundle token", yaml: stepA("    cmd: echo", "    bundle: $(K)"), pos: "7:13",
			want: "The value '$(K)' in field run.bundle of study step 'a' is not of type 'integer'."},
		{name: "run bundle boolean", yaml: stepA("    cmd: echo", "    bundle: yes"), pos: "7:13",
			want: "The value 'True' in field run.bundle of study step 'a' is not of type 'integer'."},
		{name: "run array and bundle", yaml: stepA("    cmd: echo", "    procs: 1", "    array: true", "    bundle: 4"), pos: "9:13",
			want: "run.array: true and run.bundle of study step 'a' exclude each other: a step's expansions go in job arrays or in bundles, not both."},
		{name: "run bundle and array", yaml: stepA("    cmd: echo", "    bundle: 1", "    array: yes"), pos: "8:12",
			want: "run.array: true and run.bundle of study step 'a' exclude each other"},
		{name: "run misspelt array", yaml: stepA("    cmd: echo", "    arry: true"), pos: "7:5",
			want: "Unrecognized key 'arry' found in study step 'a'. Did you mean 'array'?"},
		{name: "run misspelt bundle", yaml: stepA("    cmd: echo", "    bundel: 2"), pos: "7:5",
			want: "Unrecognized key 'bundel' found in study step 'a'. Did you mean 'bundle'?"},
		{name: "run priority word", yaml: stepA("    cmd: echo", "    priority: urgent"), pos: "7:15",
			want: "The value 'urgent' in field run.priority of study step 'a' is not one of HELD, MINIMAL, LOW, MEDIUM, HIGH, EXPEDITED or a number in [0, 1]."},
		{name: "run priority above one", yaml: stepA("    cmd: echo", "    priority: 2"), pos: "7:15",
			want: "The value '2' in field run.priority of study step 'a' is not one of"},
		{name: "run priority negative", yaml: stepA("    cmd: echo", "    priority: -0.5"), pos: "7:15",
			want: "The value '-0.5' in field run.priority of study step 'a' is not one of"},
		{name: "run priority quoted number", yaml: stepA("    cmd: echo", `    priority: "0.5"`), pos: "7:15",
			want: "The value '0.5' in field run.priority of study step 'a' is not one of"},
		{name: "run priority infinite", yaml: stepA("    cmd: echo", "    priority: .inf"), pos: "7:15",
			want: "The value 'inf' in field run.priority of study step 'a' is not one of"},
		{name: "run priority quoted word in a list", yaml: stepA("    cmd: echo", "    priority: [HIGH]"), pos: "7:15",
			want: "The value in field run.priority of study step 'a' must be a single value, found a list."},
		{name: "run depends twice", yaml: stepA("    cmd: echo", "    depends: [x, x]"), pos: "7:18",
			want: "Non-unique step names in study step 'a' run.depends: 'x' is listed twice."},
		{name: "run depends is a mapping", yaml: stepA("    cmd: echo", "    depends: {x: 1}"), pos: "7:14",
			want: "run.depends of study step 'a' must be a list, found a mapping."},
		{name: "run depends empty item", yaml: stepA("    cmd: echo", `    depends: [""]`), pos: "7:15",
			want: "The value '' in field run.depends of study step 'a' is not of type 'string'"},
		{name: "run depends empty string", yaml: stepA("    cmd: echo", `    depends: ""`), pos: "7:14",
			want: "The value '' in field run.depends of study step 'a' is not of type 'string'"},
		{name: "run depends nested list", yaml: stepA("    cmd: echo", "    depends: [[x]]"), pos: "7:15",
			want: "The value in field run.depends of study step 'a' must be a single value, found a list."},
		{name: "run restart is a list", yaml: stepA("    cmd: echo", "    restart: [a]"), pos: "7:14",
			want: "The value in field run.restart of study step 'a' must be a single value, found a list."},
		{name: "run bind is a number", yaml: stepA("    cmd: echo", "    bind: 1"), pos: "7:11",
			want: "The value '1' in field run.bind of study step 'a' is not of type 'string'."},
		{name: "run reservation is a boolean", yaml: stepA("    cmd: echo", "    reservation: true"), pos: "7:18",
			want: "The value 'True' in field run.reservation of study step 'a' is not of type 'string'."},
		{name: "run pre is a mapping", yaml: stepA("    cmd: echo", "    pre: {a: b}"), pos: "7:10",
			want: "The value in field run.pre of study step 'a' must be a single value, found a mapping."},
		{name: "run duplicate key", yaml: stepA("    cmd: echo", "    cmd: again"), pos: "7:5",
			want: "Key 'cmd' appears twice in run of study step 'a' (first at line 6)."},

		// ---- global.parameters
		{name: "parameters is a list", yaml: y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: echo", "global.parameters: [a]"),
			pos: "7:20", want: "global.parameters must be a mapping, found a list."},
		{name: "parameter is a scalar", yaml: withParams("  X: 1"), pos: "8:6",
			want: "global parameter 'X' must be a mapping, found '1'."},
		{name: "parameter unknown key", yaml: withParams("  X:", "    values: [1]", "    label: X.%%", "    labels: y"), pos: "11:5",
			want: "Unrecognized key 'labels' found in global parameter 'X'. Did you mean 'label'?"},
		{name: "parameter without label", yaml: withParams("  X:", "    values: [1]"), pos: "9:5",
			want: "Key 'label' is missing from global parameter 'X'."},
		{name: "parameter without values", yaml: withParams("  X: {label: X.%%}"), pos: "8:6",
			want: "Key 'values' is missing from global parameter 'X'."},
		{name: "parameter values is a scalar", yaml: withParams("  X: {values: 1, label: X.%%}"), pos: "8:15",
			want: "values of global parameter 'X' must be a list, found '1'."},
		{name: "parameter value is a list", yaml: withParams("  X: {values: [[1]], label: X.%%}"), pos: "8:16",
			want: "The value in field values of global parameter 'X' must be a single value, found a list."},
		{name: "parameter without any value", yaml: withParams("  X: {values: [], label: X.%%}"), pos: "8:3",
			want: "Global parameter 'X' has no values."},
		{name: "parameter length mismatch", yaml: withParams("  X: {values: [1, 2], label: X.%%}", "  Y: {values: [1, 2, 3], label: Y.%%}"),
			pos: "9:3", want: "Global parameter 'Y' is not the same length as other parameters (3 values, 'X' has 2)."},
		{name: "parameter label list too short", yaml: withParams("  X: {values: [1, 2], label: [a]}"), pos: "8:3",
			want: "Global parameter 'X' has 1 labels for 2 values; a list of labels needs one per value."},
		{name: "parameter label list with duplicates", yaml: withParams("  X: {values: [1, 2, 3], label: [a, b, a]}"), pos: "8:3",
			want: "Global parameter 'X' has the label 'a' twice; labels in a list must be unique."},
		{name: "parameter empty label", yaml: withParams("  X: {values: [1], label: ''}"), pos: "8:27",
			want: "The value '' in field label of global parameter 'X' is not of type 'string'"},
		{name: "parameter null label", yaml: withParams("  X: {values: [1], label: ~}"), pos: "8:27",
			want: "The value 'None' in field label of global parameter 'X' is not of type 'string'"},
		{name: "parameter empty label in a list", yaml: withParams("  X: {values: [1], label: ['']}"), pos: "8:28",
			want: "The value '' in field label of global parameter 'X' is not of type 'string'"},
		{name: "parameter label is a mapping", yaml: withParams("  X: {values: [1], label: {a: b}}"), pos: "8:27",
			want: "The value in field label of global parameter 'X' must be a single value, found a mapping."},
		{name: "parameter defined twice", yaml: withParams("  X: {values: [1], label: X.%%}", "  X: {values: [2], label: X.%%}"),
			pos: "9:3", want: "Key 'X' appears twice in global.parameters (first at line 8)."},

		// ---- hostile documents
		deepAliasCase(),
		aliasBudgetCase(),
		scalarBudgetCase(),
		aliasBytesCase(),
	}
}

// aliasBytesCase: the shape of a 1 MiB value aliased a thousand times (a
// 1 GB parameters.yaml once). Each use of the alias brings 1 MiB; the 16th
// reaches the 16 MiB budget, and the 17th (line 21, "  k17: *b", the alias
// at column 8) passes it.
func aliasBytesCase() errCase {
	lines := []string{"description:", "  name: s", "  description: d", "  big: &b " + strings.Repeat("x", 1<<20)}
	for i := 1; i <= 1000; i++ {
		lines = append(lines, fmt.Sprintf("  k%d: *b", i))
	}
	lines = append(lines, "study:", "- {name: a, description: d, run: {cmd: x}}")
	return errCase{
		name: "alias bytes budget",
		yaml: y(lines...),
		pos:  "21:8",
		want: "YAML aliases bring more than 16 MiB of text into the spec (counting every use); refusing it",
	}
}

// deepAliasCase: an alias to a collection nested deeper than maxDepth.
// Line 1 is "deep: &d [[[...]]]": the anchored outer list sits at column 7
// (its anchor), the k-th inner list (k >= 1) at column 10+k; the first one
// past the limit is at depth 65, column 75.
func deepAliasCase() errCase {
	const n = 70
	return errCase{
		name: "alias to deep nesting",
		yaml: y("deep: &d "+strings.Repeat("[", n)+strings.Repeat("]", n), "copy: *d", dl, "study: []"),
		pos:  "1:75",
		want: "the spec nests deeper than 64 levels",
	}
}

// aliasBudgetCase: 3997 aliases to one list of 1000 scalars. Each alias
// charges 1001 (the list and its items); after 3996 aliases the count is
// 3,999,996, and the fourth item of the list (index 3) takes it past
// 4,000,000. Line 1 is "a: &b [0,0,...]": item i is at column 8+2i.
func aliasBudgetCase() errCase {
	lines := []string{"a: &b [" + strings.Repeat("0,", 999) + "0]"}
	for i := 1; i <= 3997; i++ {
		lines = append(lines, fmt.Sprintf("k%d: *b", i))
	}
	return errCase{
		name: "alias expansion budget",
		yaml: y(lines...),
		pos:  "1:14",
		want: "the spec expands to more than 4000000 values (YAML aliases included); refusing it",
	}
}

// scalarBudgetCase: 3996 aliases (extra keys of description, lines
// 5-4000) bring the count to 3,999,996; the two description texts, the
// step's name and description make 4,000,000, and the cmd value (line 4005,
// column 10) is one too many.
func scalarBudgetCase() errCase {
	lines := []string{"description:", "  name: s", "  description: d", "  a: &b [" + strings.Repeat("0,", 999) + "0]"}
	for i := 1; i <= 3996; i++ {
		lines = append(lines, fmt.Sprintf("  k%d: *b", i))
	}
	lines = append(lines, "study:", "- name: a", "  description: d", "  run:", "    cmd: echo")
	return errCase{
		name: "scalar budget",
		yaml: y(lines...),
		pos:  "4005:10",
		want: "the spec holds more than 4000000 values; refusing it",
	}
}

func TestParseErrors(t *testing.T) {
	const file = "t.yaml"
	seen := map[string]bool{}
	for _, tc := range errorCases() {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.yaml), file)
			if err == nil {
				t.Fatalf("Parse succeeded (%d steps); want an error containing %q", len(s.Steps), tc.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %q is not a *spec.Error", err, err)
			}
			msg := err.Error()
			prefix := file + ": "
			if tc.pos != "" {
				prefix = file + ":" + tc.pos + ": "
			}
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with %q", msg, prefix)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if tc.not != "" && strings.Contains(msg, tc.not) {
				t.Errorf("error %q contains %q", msg, tc.not)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q spans several lines", msg)
			}
			if se.Pos.File != file {
				t.Errorf("Pos.File = %q, want %q", se.Pos.File, file)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	data := make([]byte, MaxSpecBytes+1)
	_, err := Parse(data, "big.yaml")
	if err == nil || err.Error() != "big.yaml: the spec is larger than 16 MiB; refusing it" {
		t.Fatalf("Parse of %d bytes: %v", len(data), err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "study.yaml")
	if err := os.WriteFile(good, []byte(stepA("    cmd: echo")), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path != good || s.Root != dir {
		t.Errorf("Path, Root = %q, %q; want %q, %q", s.Path, s.Root, good, dir)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(stepA("    cmd: echo", "    procs: many")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":7:12: The value 'many'") {
		t.Errorf("Load(bad) = %v", err)
	}

	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "cannot read study spec: ") {
		t.Errorf("Load(missing) = %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Load(dir) = %v", err)
	}

	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxSpecBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Load(huge); err == nil || err.Error() != huge+": the spec is larger than 16 MiB; refusing it" {
		t.Errorf("Load(huge) = %v", err)
	}
}

// ---------------------------------------------------------------- valid specs

func mustParse(t *testing.T, text string) *Spec {
	t.Helper()
	s, err := Parse([]byte(text), "ok.yaml")
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return s
}

// TestScalarTyping checks YAML 1.1 typing against what PyYAML's safe_load
// and Python's str() give (checked with PyYAML 6.0.3).
func TestScalarTyping(t *testing.T) {
	cases := []struct {
		in   string
		text string
		kind Kind
	}{
		{"1.0", "1.0", KindFloat},
		{"1.50", "1.5", KindFloat},
		{"100.0", "100.0", KindFloat},
		{"0.1", "0.1", KindFloat},
		{"1.", "1.0", KindFloat},
		{"2.", "2.0", KindFloat},
		{"0.", "0.0", KindFloat},
		{".5", "0.5", KindFloat},
		{"+0.5", "0.5", KindFloat},
		{"-0.0", "-0.0", KindFloat},
		{"1_0.5", "10.5", KindFloat},
		{"0.000_1", "0.0001", KindFloat},
		{"1.5e+3", "1500.0", KindFloat},
		{"1.e+5", "100000.0", KindFloat},
		{"1.5e-3", "0.0015", KindFloat},
		{"1.0e+16", "1e+16", KindFloat},
		{"1.0e-5", "1e-05", KindFloat},
		{"2.5e-05", "2.5e-05", KindFloat},
		{"3.0e+20", "3e+20", KindFloat},
		{"6.02e+23", "6.02e+23", KindFloat},
		{"-1.5e-10", "-1.5e-10", KindFloat},
		{"1.0e+308", "1e+308", KindFloat},
		{"1.0e+309", "inf", KindFloat},
		{"190:20:30.15", "685230.15", KindFloat},
		{"12:30:45.5", "45045.5", KindFloat},
		{".inf", "inf", KindFloat},
		{"+.inf", "inf", KindFloat},
		{"-.Inf", "-inf", KindFloat},
		{"-.inf", "-inf", KindFloat},
		{".NaN", "nan", KindFloat},
		{"1e3", "1e3", KindString},
		{"1E3", "1E3", KindString},
		{"1e+3", "1e+3", KindString},
		{"1e-5", "1e-5", KindString},
		{"1.0e3", "1.0e3", KindString},
		{"-.5", "-.5", KindString},
		{"0x10.5", "0x10.5", KindString},
		{"0x10", "16", KindInt},
		{"-0x1A", "-26", KindInt},
		{"0x_1F", "31", KindInt},
		{"010", "8", KindInt},
		{"0_7", "7", KindInt},
		{"00", "0", KindInt},
		{"00_", "0", KindInt},
		{"0_", "0", KindInt},
		{"0b101", "5", KindInt},
		{"0b1_0", "2", KindInt},
		{"-0b11", "-3", KindInt},
		{"1_000", "1000", KindInt},
		{"1__0", "10", KindInt},
		{"+1", "1", KindInt},
		{"+0", "0", KindInt},
		{"-0", "0", KindInt},
		{"1:30", "90", KindInt},
		{"-1:30", "-90", KindInt},
		{"1:30:00", "5400", KindInt},
		{"1:0:0", "3600", KindInt},
		{"1_0:30", "630", KindInt},
		{"12345678901234567890", "12345678901234567890", KindInt},
		{"08", "08", KindString},
		{"01:30:00", "01:30:00", KindString},
		{"1:70", "1:70", KindString},
		{"0o17", "0o17", KindString},
		{"0b", "0b", KindString},
		{"1,000", "1,000", KindString},
		{"yes", "True", KindBool},
		{"YES", "True", KindBool},
		{"on", "True", KindBool},
		{"True", "True", KindBool},
		{"No", "False", KindBool},
		{"OFF", "False", KindBool},
		{"Off", "False", KindBool},
		{"y", "y", KindString},
		{"n", "n", KindString},
		{"tRue", "tRue", KindString},
		{"~", "None", KindNull},
		{"null", "None", KindNull},
		{"Null", "None", KindNull},
		{"NULL", "None", KindNull},
		{"nULL", "nULL", KindString},
		{"", "None", KindNull},
		{"'010'", "010", KindString},
		{`"1.0"`, "1.0", KindString},
		{`"yes"`, "yes", KindString},
		{"!!str 010", "010", KindString},
		{"''", "", KindString},
	}
	for _, tc := range cases {
		// As an env variable (which keeps the kind) and as a parameter value.
		s, err := Parse([]byte(y(dl, "env:", "  variables:", "    V: "+tc.in, "study:",
			"- {name: a, description: d, run: {cmd: echo}}", "global.parameters:", "  P:", "    values:",
			"    - "+tc.in, "    label: P.%%")), "ok.yaml")
		if tc.kind == KindNull || tc.kind == KindBool || tc.text == "" {
			// Not allowed as a variable: check the parameter value alone.
			s, err = Parse([]byte(y(dl, "study:", "- {name: a, description: d, run: {cmd: echo}}",
				"global.parameters:", "  P:", "    values:", "    - "+tc.in, "    label: P.%%")), "ok.yaml")
		} else if err == nil {
			if v := s.Variables[0]; v.Value != tc.text || v.Kind != tc.kind {
				t.Errorf("variable %q = %q (kind %d), want %q (kind %d)", tc.in, v.Value, v.Kind, tc.text, tc.kind)
			}
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := s.Params[0].Values[0]; got != tc.text {
			t.Errorf("value %q = %q, want %q", tc.in, got, tc.text)
		}
	}
}

func TestFormatPyFloat(t *testing.T) {
	// Python's repr of each value.
	cases := []struct {
		f    float64
		want string
	}{
		{1e16, "1e+16"},
		{1e-05, "1e-05"},
		{0.0001, "0.0001"},
		{0.001, "0.001"},
		{123.0, "123.0"},
		{100.0, "100.0"},
		{1.5, "1.5"},
		{1.2345678901234568e+17, "1.2345678901234568e+17"},
		{12345678901234567.0, "1.2345678901234568e+16"},
		{1234567890123456.7, "1234567890123456.8"},
		{1e15, "1000000000000000.0"},
		{9999999999999998.0, "9999999999999998.0"},
		{9007199254740992.0, "9007199254740992.0"},
		{0.30000000000000004, "0.30000000000000004"},
		{math.Copysign(0, -1), "-0.0"},
		{0, "0.0"},
		{5e-324, "5e-324"},
		{1.7976931348623157e+308, "1.7976931348623157e+308"},
		{1e100, "1e+100"},
		{1e22, "1e+22"},
		{0.00001234, "1.234e-05"},
		{2.5e-5, "2.5e-05"},
		{-1e-07, "-1e-07"},
		{123456789.123, "123456789.123"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tc := range cases {
		if got := FormatPyFloat(tc.f); got != tc.want {
			t.Errorf("FormatPyFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []Token
	}{
		{"", nil},
		{"no tokens here", nil},
		{"$(A)$(B)", []Token{{0, 4, "A"}, {4, 8, "B"}}},
		{"$($(X))", []Token{{2, 6, "X"}}},
		{"$(unterminated", nil},
		{"$(A) $(unterminated", []Token{{0, 4, "A"}}},
		{"$()", []Token{{0, 3, ""}}},
		{"$$(A)", []Token{{1, 5, "A"}}},
		{"$(A))", []Token{{0, 4, "A"}}},
		{"$(A $(B)", []Token{{4, 8, "B"}}},
		{"x $(P.label) y", []Token{{2, 12, "P.label"}}},
		{"$(LAUNCHER)[2n, 4p] run", []Token{{0, 11, "LAUNCHER"}}},
		{"cd $(hello.workspace) && $(X)", []Token{{3, 21, "hello.workspace"}, {25, 29, "X"}}},
		{"$", nil},
		{"$(", nil},
	}
	for _, tc := range cases {
		if got := Tokens(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Tokens(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := runKeyNames()
	for _, tc := range []struct{ key, want string }{
		{"prcs", " Did you mean 'procs'?"},
		{"PROCS", " Did you mean 'procs'?"},
		{"walltim", " Did you mean 'walltime'?"},
		{"depend", " Did you mean 'depends'?"},
		{"colour", ""},
		{"x", ""},
	} {
		if got := Suggest(tc.key, known); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestCheckParam(t *testing.T) {
	x := &Param{Name: "X", Values: []string{"1", "2"}, Label: "X.%%"}
	cases := []struct {
		p      *Param
		before []*Param
		want   string
	}{
		{&Param{Name: "Y", Values: []string{"a", "b"}, Label: "Y"}, []*Param{x}, ""},
		{&Param{Name: "Y", Values: []string{"a", "b"}, Labels: []string{"p", "q"}}, []*Param{x}, ""},
		{&Param{Name: "Y"}, nil, "Global parameter 'Y' has no values."},
		{&Param{Name: "Y", Values: []string{"a"}, Label: "Y"}, []*Param{x}, "Global parameter 'Y' is not the same length as other parameters (1 values, 'X' has 2)."},
		{&Param{Name: "Y", Values: []string{"a", "b"}, Labels: []string{"p"}}, []*Param{x}, "Global parameter 'Y' has 1 labels for 2 values"},
		{&Param{Name: "Y", Values: []string{"a", "b"}, Labels: []string{"p", "p"}}, nil, "Global parameter 'Y' has the label 'p' twice"},
		{&Param{Name: "X", Values: []string{"a", "b"}, Label: "X"}, []*Param{x}, "Global parameter 'X' is defined twice."},
	}
	for _, tc := range cases {
		err := CheckParam(tc.p, tc.before)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckParam(%s) = %v, want nil", tc.p.Name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Msg, tc.want)):
			t.Errorf("CheckParam(%s) = %v, want %q", tc.p.Name, err, tc.want)
		case err != nil && err.Pos != (Pos{}):
			t.Errorf("CheckParam(%s) error has a position %v", tc.p.Name, err.Pos)
		}
	}
}

func TestValidSpecs(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		check func(t *testing.T, s *Spec)
	}{
		{"minimal", stepA("    cmd: echo hi"), func(t *testing.T, s *Spec) {
			if s.Name != "s" || s.Description != "d" || len(s.Steps) != 1 {
				t.Fatalf("spec = %+v", s)
			}
			st := s.Steps[0]
			if st.Name != "a" || st.Description != "d" || st.Run.Cmd != "echo hi" || st.Pos != (Pos{"ok.yaml", 3, 3}) {
				t.Errorf("step = %+v", st)
			}
			if st.Run.Pos["cmd"] != (Pos{"ok.yaml", 6, 10}) {
				t.Errorf("Run.Pos[cmd] = %v", st.Run.Pos["cmd"])
			}
			if s.Batch.Type != "local" || s.Batch.Shell != "/bin/bash" {
				t.Errorf("batch = %+v", s.Batch)
			}
			if s.Path != "ok.yaml" || s.Root != "." || len(s.Warnings) != 0 {
				t.Errorf("Path %q Root %q Warnings %q", s.Path, s.Root, s.Warnings)
			}
			if st.Run.Scheduled() {
				t.Error("a step without nodes or procs is scheduled")
			}
		}},
		{"label substitution", withParams("  X: {values: [1, 2.50, yes], label: TRIAL.%%}", "  Y: {values: [a, b, c], label: SAME}",
			"  Z: {values: [p, q, r], label: '%%-%%'}"), func(t *testing.T, s *Spec) {
			want := map[string][]string{
				"X": {"TRIAL.1", "TRIAL.2.5", "TRIAL.True"},
				"Y": {"SAME", "SAME", "SAME"},
				"Z": {"p-p", "q-q", "r-r"},
			}
			for _, p := range s.Params {
				for i := range p.Values {
					if got := p.LabelAt(i); got != want[p.Name][i] {
						t.Errorf("%s.LabelAt(%d) = %q, want %q", p.Name, i, got, want[p.Name][i])
					}
				}
				if p.Len() != 3 || p.NameText() != p.Name || p.Labels != nil {
					t.Errorf("param %+v", p)
				}
			}
			if s.Params[0].Pos != (Pos{"ok.yaml", 8, 3}) {
				t.Errorf("X.Pos = %v", s.Params[0].Pos)
			}
		}},
		{"per-value labels", withParams("  X:", "    values: [1, 2]", "    label: [small, large]"), func(t *testing.T, s *Spec) {
			p := s.Params[0]
			if !reflect.DeepEqual(p.Labels, []string{"small", "large"}) || p.LabelAt(0) != "small" || p.LabelAt(1) != "large" {
				t.Errorf("param %+v", p)
			}
		}},
		{"parameter order and null value", withParams("  B: {values: [~, 1], label: B.%%}", "  A: {values: [x, y], label: A.%%}"), func(t *testing.T, s *Spec) {
			if s.Params[0].Name != "B" || s.Params[1].Name != "A" || s.Params[0].Values[0] != "None" {
				t.Errorf("params %+v %+v", s.Params[0], s.Params[1])
			}
		}},
		{"empty global.parameters", withParams(), func(t *testing.T, s *Spec) {
			if len(s.Params) != 0 {
				t.Errorf("params %v", s.Params)
			}
		}},
		{"merlin and user blocks", y("merlin:", "  resources: {}", "user: {x: 1}", dl, "study:", "- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if len(s.Warnings) != 0 || s.Steps[0].Run.Cmd != "x" {
				t.Errorf("Warnings = %q, steps %+v", s.Warnings, s.Steps)
			}
		}},
		{"description extra keys", y("description: {name: s, description: d, owner: me}", "study:", "- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if s.Name != "s" {
				t.Errorf("name %q", s.Name)
			}
		}},
		{"batch", y(dl, "batch:", "  type: slurm", "  host: h", "  bank: b", "  queue: q", "  nodes: 2", "  procs: 4",
			"  gpus: 1", "  reservation: r", "  qos: high", "  version: 1.0", "  gres: ignore", "  flux_uri: local:///x",
			"  args: {x: 1, a: ~, c: yes}", "study:", "- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			b := s.Batch
			if b.Type != "slurm" || b.Host != "h" || b.Bank != "b" || b.Queue != "q" || b.Nodes != "2" || b.Procs != "4" ||
				b.GPUs != "1" || b.Reservation != "r" || b.QOS != "high" || b.Version != "1.0" || b.FluxURI != "local:///x" || b.Shell != "/bin/bash" {
				t.Errorf("batch = %+v", b)
			}
			if b.Extra["gres"] != "ignore" || len(b.Extra) != 1 {
				t.Errorf("Extra = %v", b.Extra)
			}
			if want := []KV{{"x", "1"}, {"a", ""}, {"c", "True"}}; !reflect.DeepEqual(b.Args, want) {
				t.Errorf("Args = %v, want %v", b.Args, want)
			}
			if len(s.Warnings) != 1 || !strings.HasPrefix(s.Warnings[0], "ok.yaml:13:3: batch key 'gres' is not used by maestro") {
				t.Errorf("Warnings = %q", s.Warnings)
			}
		}},
		{"batch flux uri and shell", y(dl, "batch: {type: flux, host: h, bank: b, queue: q, uri: 'local:///u', shell: /bin/zsh}", "study:",
			"- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if s.Batch.FluxURI != "local:///u" || s.Batch.Shell != "/bin/zsh" || s.Batch.Type != "flux" {
				t.Errorf("batch = %+v", s.Batch)
			}
		}},
		{"batch misspelt key warns with a suggestion", y(dl, "batch: {queu: q}", "study:", "- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if len(s.Warnings) != 1 || !strings.HasSuffix(s.Warnings[0], "batch key 'queu' is not used by maestro Did you mean 'queue'?") {
				t.Errorf("Warnings = %q", s.Warnings)
			}
		}},
		{"array and bundle keys", y(dl, "batch: {type: slurm, host: h, bank: b, queue: q, bundle: 8}", "study:",
			"- {name: a, description: d, run: {cmd: x, procs: 1, array: true}}",
			"- {name: b, description: d, run: {cmd: x, procs: 1}}",
			"- {name: c, description: d, run: {cmd: x, nodes: 1, bundle: 1}}",
			"- {name: e, description: d, run: {cmd: x, procs: 1, array: false}}",
			"- {name: f, description: d, run: {cmd: x, procs: 1, array: false, bundle: 3}}",
			"- {name: g, description: d, run: {cmd: x, procs: 1, array: ~, bundle: ~}}"), func(t *testing.T, s *Spec) {
			want := map[string]Grouping{
				"a": {Set: true, Array: true}, "b": {Set: true, Bundle: 8}, "c": {Set: true, Bundle: 1},
				"e": {Set: true}, "f": {Set: true, Bundle: 3}, "g": {Set: true, Bundle: 8},
			}
			for _, st := range s.Steps {
				g := s.Group(st)
				if g.Set != want[st.Name].Set || g.Array != want[st.Name].Array || g.Bundle != want[st.Name].Bundle {
					t.Errorf("Group(%s) = %+v, want %+v", st.Name, g, want[st.Name])
				}
			}
			if p := s.Steps[0].Run.Group.Pos; p != (Pos{"ok.yaml", 4, 60}) {
				t.Errorf("a: Group.Pos = %v", p)
			}
			if g := s.Steps[1].Run.Group; g.Set {
				t.Errorf("b: a step without the keys has its own grouping %+v", g)
			}
			if len(s.Warnings) != 0 || len(s.Batch.Extra) != 0 {
				t.Errorf("Warnings %q, Extra %v", s.Warnings, s.Batch.Extra)
			}
		}},
		{"array on a local step warns", y(dl, "batch: {type: slurm, host: h, bank: b, queue: q, array: true}", "study:",
			"- {name: a, description: d, run: {cmd: x, bundle: 2}}",
			"- {name: b, description: d, run: {cmd: x, procs: 1}}",
			"- {name: c, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			want := []string{"ok.yaml:4:51: step 'a' sets neither nodes nor procs, so it runs locally; its run.bundle is ignored"}
			if !reflect.DeepEqual(s.Warnings, want) {
				t.Errorf("Warnings = %q, want %q", s.Warnings, want)
			}
		}},
		{"array in a local study warns", y(dl, "batch:", "  type: local", "  array: true", "study:",
			"- {name: a, description: d, run: {cmd: x, procs: 1, array: false}}"), func(t *testing.T, s *Spec) {
			want := []string{"ok.yaml:4:10: batch type 'local' submits to no scheduler; batch.array is ignored",
				"ok.yaml:6:60: batch type 'local' submits to no scheduler; run.array of step 'a' is ignored"}
			if !reflect.DeepEqual(s.Warnings, want) {
				t.Errorf("Warnings = %q, want %q", s.Warnings, want)
			}
		}},
		{"batch misspelt array warns with a suggestion", y(dl, "batch: {type: slurm, host: h, bank: b, queue: q, aray: true}", "study:",
			"- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			if len(s.Warnings) != 1 || !strings.HasSuffix(s.Warnings[0], "batch key 'aray' is not used by maestro Did you mean 'array'?") || s.BatchGroup.Set {
				t.Errorf("Warnings = %q, Group %+v", s.Warnings, s.BatchGroup)
			}
		}},
		{"null blocks", y(dl, "env:", "batch:", "study:", "- {name: a, description: d, run: {cmd: x}}", "global.parameters:"), func(t *testing.T, s *Spec) {
			if s.Batch.Type != "local" || len(s.Variables) != 0 || len(s.Params) != 0 {
				t.Errorf("spec = %+v", s)
			}
		}},
		{"depends forms", y(dl, "study:",
			"- {name: a, description: d, run: {cmd: x}}",
			"- {name: b, description: d, run: {cmd: x, depends: a}}",
			"- {name: c, description: d, run: {cmd: x, depends: [a, b_*]}}",
			"- {name: d, description: d, run: {cmd: x, depends: ~}}",
			"- {name: e, description: d, run: {cmd: x, depends: []}}"), func(t *testing.T, s *Spec) {
			want := [][]string{nil, {"a"}, {"a", "b_*"}, nil, nil}
			for i, st := range s.Steps {
				if !reflect.DeepEqual(st.Run.Depends, want[i]) {
					t.Errorf("step %s depends %q, want %q", st.Name, st.Run.Depends, want[i])
				}
			}
			wantPos := [][]Pos{nil, {{"ok.yaml", 4, 52}}, {{"ok.yaml", 5, 53}, {"ok.yaml", 5, 56}}, nil, nil}
			for i, st := range s.Steps {
				if !reflect.DeepEqual(st.Run.DependsPos, wantPos[i]) {
					t.Errorf("step %s DependsPos %v, want %v", st.Name, st.Run.DependsPos, wantPos[i])
				}
			}
			if c := s.Steps[2].Clone(); !reflect.DeepEqual(c.Run.DependsPos, wantPos[2]) || &c.Run.DependsPos[0] == &s.Steps[2].Run.DependsPos[0] {
				t.Errorf("Clone DependsPos %v is not a copy", c.Run.DependsPos)
			}
		}},
		{"resource tokens", stepA("    cmd: x", "    nodes: $(NODES)", "    procs: $(P.label)", "    exclusive: $(EX)",
			"    gpus: $(G)", "    cores per task: $(C)", "    walltime: $(WT)"), func(t *testing.T, s *Spec) {
			r := s.Steps[0].Run
			if r.Nodes != "$(NODES)" || r.Procs != "$(P.label)" || r.Exclusive != "$(EX)" || r.GPUs != "$(G)" ||
				r.CoresPerTask != "$(C)" || r.Walltime != "$(WT)" || !r.Scheduled() {
				t.Errorf("run = %+v", r)
			}
		}},
		{"resource values", stepA("    cmd: x", "    nodes: 2", "    procs: 0x10", "    gpus: 0", "    tasks per rs: 1_0",
			"    rs per node: +3", "    cpus per rs: 4", "    exclusive: yes", "    nested: true", "    waitable: Off",
			"    bind: rs", "    bind gpus: none", "    reservation: res", "    qos: standby", "    restart: again",
			"    pre: before", "    post: after"), func(t *testing.T, s *Spec) {
			r := s.Steps[0].Run
			if r.Nodes != "2" || r.Procs != "16" || r.GPUs != "0" || r.TasksPerRS != "10" || r.RSPerNode != "3" ||
				r.CPUsPerRS != "4" || r.Exclusive != "True" || !r.Nested || r.Waitable || r.Bind != "rs" ||
				r.BindGPUs != "none" || r.Reservation != "res" || r.QOS != "standby" || r.Restart != "again" ||
				r.Pre != "before" || r.Post != "after" {
				t.Errorf("run = %+v", r)
			}
			if r.Pos["procs"] != (Pos{"ok.yaml", 8, 12}) {
				t.Errorf("Pos[procs] = %v", r.Pos["procs"])
			}
		}},
		{"null run values are unset", stepA("    cmd: x", "    nodes:", "    walltime: ~", "    exclusive: null", "    nested:", "    priority:"),
			func(t *testing.T, s *Spec) {
				r := s.Steps[0].Run
				if r.Nodes != "" || r.Walltime != "" || r.Exclusive != "" || r.Nested || r.Priority != "" || r.Scheduled() {
					t.Errorf("run = %+v", r)
				}
			}},
		{"walltime forms", y(dl, "study:",
			"- {name: a, description: d, run: {cmd: x, walltime: '01:30:00'}}",
			"- {name: b, description: d, run: {cmd: x, walltime: 02:00:00}}",
			"- {name: c, description: d, run: {cmd: x, walltime: 30}}",
			"- {name: d, description: d, run: {cmd: x, walltime: 1:30:00}}",
			"- {name: e, description: d, run: {cmd: x, walltime: 0}}",
			"- {name: f, description: d, run: {cmd: x, walltime: $(WT)}}"), func(t *testing.T, s *Spec) {
			// 1:30:00 is a YAML 1.1 sexagesimal integer, as in Python.
			want := []string{"01:30:00", "02:00:00", "30", "5400", "0", "$(WT)"}
			for i, st := range s.Steps {
				if st.Run.Walltime != want[i] {
					t.Errorf("step %s walltime %q, want %q", st.Name, st.Run.Walltime, want[i])
				}
			}
		}},
		{"priority forms", y(dl, "study:",
			"- {name: a, description: d, run: {cmd: x, priority: HELD}}",
			"- {name: b, description: d, run: {cmd: x, priority: minimal}}",
			"- {name: c, description: d, run: {cmd: x, priority: Low}}",
			"- {name: d, description: d, run: {cmd: x, priority: mEdIuM}}",
			"- {name: e, description: d, run: {cmd: x, priority: high}}",
			"- {name: f, description: d, run: {cmd: x, priority: Expedited}}",
			"- {name: g, description: d, run: {cmd: x, priority: 0}}",
			"- {name: h, description: d, run: {cmd: x, priority: 1}}",
			"- {name: i, description: d, run: {cmd: x, priority: 0.5}}",
			"- {name: j, description: d, run: {cmd: x, priority: 1.0}}"), func(t *testing.T, s *Spec) {
			want := []string{"HELD", "minimal", "Low", "mEdIuM", "high", "Expedited", "0", "1", "0.5", "1.0"}
			for i, st := range s.Steps {
				if st.Run.Priority != want[i] {
					t.Errorf("step %s priority %q, want %q", st.Name, st.Run.Priority, want[i])
				}
			}
		}},
		{"env", y(dl, "env:",
			"  variables:",
			"    OUTPUT_PATH: ./out",
			"    N: 10",
			"    F: 1.0",
			"  labels:",
			"    L: $(N)_$(X.label)",
			"  sources: [whatever]",
			"  dependencies:",
			"    paths:",
			"    - {name: P, path: /tmp}",
			"    git:",
			"    - {name: G, path: $(OUTPUT_PATH)/repos, url: /src/repo, branch: main}",
			"study:", "- {name: a, description: d, run: {cmd: x}}"), func(t *testing.T, s *Spec) {
			wantVars := []Var{
				{"OUTPUT_PATH", "./out", KindString, Pos{"ok.yaml", 4, 18}},
				{"N", "10", KindInt, Pos{"ok.yaml", 5, 8}},
				{"F", "1.0", KindFloat, Pos{"ok.yaml", 6, 8}},
			}
			if !reflect.DeepEqual(s.Variables, wantVars) {
				t.Errorf("Variables = %+v, want %+v", s.Variables, wantVars)
			}
			if len(s.Labels) != 1 || s.Labels[0].Name != "L" || s.Labels[0].Value != "$(N)_$(X.label)" {
				t.Errorf("Labels = %+v", s.Labels)
			}
			if want := []PathDep{{"P", "/tmp", Pos{"ok.yaml", 12, 7}}}; !reflect.DeepEqual(s.PathDeps, want) {
				t.Errorf("PathDeps = %+v, want %+v", s.PathDeps, want)
			}
			want := []GitDep{{Name: "G", Path: "$(OUTPUT_PATH)/repos", URL: "/src/repo", Branch: "main", Pos: Pos{"ok.yaml", 14, 7}}}
			if !reflect.DeepEqual(s.GitDeps, want) {
				t.Errorf("GitDeps = %+v, want %+v", s.GitDeps, want)
			}
			if v, ok := s.Variable("N"); !ok || v != "10" {
				t.Errorf("Variable(N) = %q, %v", v, ok)
			}
			if _, ok := s.Variable("NOPE"); ok {
				t.Error("Variable(NOPE) found")
			}
		}},
		{"aliases", y(dl, "user: {cmd: &c echo shared}", "study:",
			"- {name: a, description: d, run: {cmd: *c}}",
			"- {name: b, description: d, run: {cmd: *c, depends: [a]}}"), func(t *testing.T, s *Spec) {
			if s.Steps[0].Run.Cmd != "echo shared" || s.Steps[1].Run.Cmd != "echo shared" {
				t.Errorf("steps %+v %+v", s.Steps[0].Run, s.Steps[1].Run)
			}
		}},
		{"literal block cmd", y(dl, "study:", "- name: a", "  description: d", "  run:", "    cmd: |", "      echo 1", "      echo 2"),
			func(t *testing.T, s *Spec) {
				if s.Steps[0].Run.Cmd != "echo 1\necho 2\n" {
					t.Errorf("cmd %q", s.Steps[0].Run.Cmd)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, tc.yaml))
		})
	}
}

// TestSamplesLoad: every shipped sample spec loads with consistent results.
func TestSamplesLoad(t *testing.T) {
	files := sampleFiles(t)
	if len(files) == 0 {
		t.Fatal("no sample specs found")
	}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		checkSpec(t, s)
	}
}

// sampleFiles lists the YAML files under the compatibility samples.
func sampleFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir("../testdata/compat/samples", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// checkSpec asserts the invariants of a successfully parsed spec.
func checkSpec(tb testing.TB, s *Spec) {
	tb.Helper()
	if len(s.Steps) == 0 {
		tb.Fatalf("spec %q has no steps", s.Path)
	}
	for i, st := range s.Steps {
		if st == nil || st.Name == "" || strings.TrimSpace(st.Run.Cmd) == "" {
			tb.Fatalf("step %d has an empty name or cmd: %+v", i, st)
		}
	}
	for _, p := range s.Params {
		if p.Len() == 0 || p.Len() != s.Params[0].Len() {
			tb.Fatalf("parameter %s has %d values, %s has %d", p.Name, p.Len(), s.Params[0].Name, s.Params[0].Len())
		}
		if p.Labels != nil && len(p.Labels) != p.Len() {
			tb.Fatalf("parameter %s has %d labels for %d values", p.Name, len(p.Labels), p.Len())
		}
		for i := range p.Values {
			_ = p.LabelAt(i)
		}
	}
}
