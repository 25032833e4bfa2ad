// Package flux is the Flux adapter: scripts with #flux: directives that
// `flux batch` reads, `flux run` launchers, and the flux CLI for execution
// (no Python bindings, so no version pinning).
package flux

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/spec"
)

// directive starts the lines of a script that flux batch reads.
const directive = "#flux: "

// Extension implements adapters.ScriptWriter.
func (*Adapter) Extension() string { return ".flux.sh" }

// Shebang implements adapters.ScriptWriter.
func (*Adapter) Shebang(b *spec.Batch) string { return b.Shell }

// Header returns #flux: directives for the step's resources.
func (*Adapter) Header(s *adapters.Script) ([]string, error) {
	r, b := &s.Step.Run, s.Batch
	var h []string
	add := func(cond bool, line string) {
		if cond {
			h = append(h, directive+line)
		}
	}
	nodes := s.Resource(r.Nodes, b.Nodes)
	exclusive := adapters.Truthy(r.Exclusive)
	if exclusive && !adapters.Truthy(nodes) {
		nodes = "1" // flux refuses --exclusive without a node count: one whole node
	}
	procs := s.Resource(r.Procs, b.Procs)
	add(adapters.Truthy(nodes), "-N "+nodes)
	add(adapters.Truthy(procs), "-n "+procs)
	add(r.CoresPerTask != "", "-c "+r.CoresPerTask)
	gpus := s.Resource(r.GPUs, b.GPUs)
	add(adapters.Truthy(gpus), "-g "+gpus)
	if adapters.Truthy(r.Walltime) {
		secs, err := Seconds(r.Walltime)
		if err != nil {
			return nil, fmt.Errorf("step '%s': %w", s.Step.Name, err)
		}
		add(true, "-t "+strconv.Itoa(secs)+"s")
	}
	add(b.Queue != "", "-q "+b.Queue)
	add(b.Bank != "", "--bank="+b.Bank)
	add(true, "--job-name="+s.JobName)
	add(true, "--output="+s.JobName+".out")
	add(true, "--error="+s.JobName+".err")
	if r.Priority != "" {
		u, err := Urgency(r.Priority)
		if err != nil {
			return nil, fmt.Errorf("step '%s': %w", s.Step.Name, err)
		}
		add(true, "--urgency="+strconv.Itoa(u))
	}
	add(exclusive, "--exclusive")
	add(r.Waitable, "--flags=waitable")
	return h, nil
}

// Urgency maps a Maestro priority to a Flux urgency (0-31).
func Urgency(p string) (int, error) {
	if u, ok := spec.Priorities[strings.ToUpper(p)]; ok {
		return u, nil
	}
	f, err := strconv.ParseFloat(p, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("priority '%s' is neither a named priority nor a number in [0, 1]", p)
	}
	return int(math.Ceil(31 * f)), nil
}

// Seconds converts a walltime (adapters.ParseWalltime forms) to seconds.
func Seconds(w string) (int, error) {
	d, err := adapters.ParseWalltime(w)
	return int(d / time.Second), err
}

// Launcher implements adapters.ScriptWriter:
// flux run -n P -N <nodes, else batch nodes, else 1> -c <cores, default 1>.
func (*Adapter) Launcher(s *adapters.Script, nodes, procs string) string {
	r, b := &s.Step.Run, s.Batch
	if nodes == "" {
		nodes = s.Resource(s.Resource(r.Nodes, b.Nodes), "1")
	}
	parts := []string{"flux", "run"}
	if procs != "" {
		parts = append(parts, "-n", procs)
	}
	parts = append(parts, "-N", nodes, "-c", s.Resource(r.CoresPerTask, "1"))
	if g := s.Resource(r.GPUs, b.GPUs); adapters.Truthy(g) {
		parts = append(parts, "-g", g)
	}
	for _, kv := range b.Args {
		parts = append(parts, "-o", kv.Key+"="+kv.Value)
	}
	return strings.Join(parts, " ")
}
