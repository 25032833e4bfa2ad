// Package spec reads, validates and substitutes Maestro YAML study
// specifications (README.md, The spec in brief; docs/SPEC.md).
package spec

// Spec is a loaded and validated study specification.
type Spec struct {
	Path        string // absolute path of the spec file
	Root        string // SPECROOT: the directory holding the spec file
	Name        string
	Description string
	Variables   []Var // env.variables in file order, OUTPUT_PATH included
	Labels      []Var // env.labels in file order
	PathDeps    []PathDep
	GitDeps     []GitDep
	Batch       Batch
	BatchGroup  Grouping // batch.array, batch.bundle (extensions; Spec.Group)
	Steps       []*Step
	Params      []*Param // global.parameters in file order
	Warnings    []string // non-fatal findings, each a full line with its position
}

// Var is a named value from env.variables or env.labels.
type Var struct {
	Name  string
	Value string
	Kind  Kind // how YAML typed the value; a pgen sees it typed
	Pos   Pos
}

// PathDep is an env.dependencies.paths entry.
type PathDep struct {
	Name, Path string
	Pos        Pos
}

// GitDep is an env.dependencies.git entry; at most one of Tag, Branch and
// Hash is set.
type GitDep struct {
	Name, Path, URL   string
	Tag, Branch, Hash string
	Pos               Pos
}

// Batch is the batch block. Resource values are kept as text.
type Batch struct {
	Type        string // local, slurm, lsf or flux
	Shell       string
	Host        string
	Bank        string
	Queue       string
	Nodes       string
	Procs       string
	GPUs        string
	Reservation string
	QOS         string
	Version     string
	FluxURI     string
	Args        []KV              // batch.args in file order
	Extra       map[string]string // keys other tools put here, kept for batch.info
}

// Grouping is how the expansions of a scheduled step go to the scheduler,
// set by the extension keys array and bundle (docs/SPEC.md, Arrays and
// bundles): each as a job of its own, in job arrays, or in bundles of
// Bundle steps to a job. A step that writes either key decides for itself;
// one that writes neither takes the batch block's (Spec.Group).
type Grouping struct {
	Set    bool // array or bundle is written, with a value
	Array  bool
	Bundle int    // 0 when not written; 1 is a job per step
	Pos    Pos    // where the last of the keys was written
	key    string // which key that was, for messages
}

// KV is one key and its value as text.
type KV struct{ Key, Value string }

// Step is one study step as written.
type Step struct {
	Name        string
	Description string
	Run         Run
	Pos         Pos
	Refs        []Ref // the first use of each $(NAME) in the step's texts
}

// Ref is where a step first uses a $(NAME) token.
type Ref struct {
	Name string
	Pos  Pos
}

// Run is a step's run block. Every value is text (numbers and booleans as
// Python prints them) so that tokens substitute uniformly; "" means unset.
type Run struct {
	Cmd, Restart, Pre, Post          string
	Depends                          []string
	DependsPos                       []Pos // where each dependency was written
	Nodes, Procs, CoresPerTask       string
	TasksPerRS, RSPerNode, CPUsPerRS string
	GPUs, Walltime, Exclusive        string
	Bind, BindGPUs, Reservation      string
	QOS, Priority                    string
	Nested, Waitable                 bool
	Group                            Grouping       // run.array, run.bundle (extensions)
	Pos                              map[string]Pos // where each key was written
}

// Param is one global parameter: N values and either one label template
// (with %%) or N labels.
type Param struct {
	Name   string
	Title  string // what $(P.name) gives; Name when empty (a pgen may set it)
	Values []string
	Label  string   // template; used when Labels is nil
	Labels []string // per-value labels (extension)
	Pos    Pos
}

// LabelAt returns the label of the i-th value.
func (p *Param) LabelAt(i int) string {
	if p.Labels != nil {
		return p.Labels[i]
	}
	return replaceAll(p.Label, "%%", p.Values[i])
}

// NameText is what $(P.name) becomes.
func (p *Param) NameText() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Name
}

// Len is the number of values (combinations) of the parameter.
func (p *Param) Len() int { return len(p.Values) }

// Scheduled reports whether the step goes to the batch scheduler: only a
// step that sets nodes or procs does (docs/SCHEDULERS.md).
func (r *Run) Scheduled() bool { return r.Nodes != "" || r.Procs != "" }

// Group returns how the expansions of st go to the scheduler: the step's
// own array or bundle, else the batch block's.
func (s *Spec) Group(st *Step) Grouping {
	if st.Run.Group.Set {
		return st.Run.Group
	}
	return s.BatchGroup
}

// Texts returns pointers to every text field of the step but its name, so
// substitution passes treat them all alike.
func (s *Step) Texts() []*string {
	r := &s.Run
	return []*string{&s.Description, &r.Cmd, &r.Restart, &r.Pre, &r.Post,
		&r.Nodes, &r.Procs, &r.CoresPerTask, &r.TasksPerRS, &r.RSPerNode, &r.CPUsPerRS,
		&r.GPUs, &r.Walltime, &r.Exclusive, &r.Bind, &r.BindGPUs, &r.Reservation,
		&r.QOS, &r.Priority}
}

// Clone returns a deep copy of the step.
func (s *Step) Clone() *Step {
	c := *s
	c.Run.Depends = append([]string(nil), s.Run.Depends...)
	c.Run.DependsPos = append([]Pos(nil), s.Run.DependsPos...)
	return &c
}
