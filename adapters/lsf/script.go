// Package lsf is the LSF adapter: #BSUB scripts, jsrun launchers, and
// bsub/bjobs/bkill for execution.
package lsf

import (
	"strings"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/spec"
)

// Extension implements adapters.ScriptWriter.
func (*Adapter) Extension() string { return ".lsf.sh" }

// Shebang implements adapters.ScriptWriter: LSF scripts are always bash.
func (*Adapter) Shebang(*spec.Batch) string { return "/bin/bash" }

// Header returns the #BSUB lines in the Python tool's order.
func (*Adapter) Header(s *adapters.Script) ([]string, error) {
	r, b := &s.Step.Run, s.Batch
	var h []string
	add := func(cond bool, line string) {
		if cond {
			h = append(h, "#BSUB "+line)
		}
	}
	nodes := s.Resource(r.Nodes, b.Nodes)
	add(nodes != "", "-nnodes "+nodes)
	add(b.Queue != "", "-q "+b.Queue)
	add(b.Bank != "", "-G "+b.Bank)
	add(true, "-W "+walltime(r.Walltime))
	add(true, "-J "+s.JobName)
	add(true, "-o "+s.JobName+".%J.out")
	res := s.Resource(r.Reservation, b.Reservation)
	add(res != "", "-U "+res)
	add(true, "-e "+s.JobName+".%J.err")
	return h, nil
}

// walltime drops the seconds of HH:MM:SS; LSF takes [HH:]MM.
func walltime(w string) string {
	parts := strings.Split(w, ":")
	if len(parts) == 3 {
		return parts[0] + ":" + parts[1]
	}
	return w
}

// Launcher implements adapters.ScriptWriter with jsrun resource sets.
func (*Adapter) Launcher(s *adapters.Script, _, procs string) string {
	r := &s.Step.Run
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	parts := []string{"jsrun"}
	if procs != "" {
		parts = append(parts, "--nrs", procs)
	}
	parts = append(parts, "-b", or(r.Bind, "rs"))
	if adapters.Truthy(r.GPUs) {
		parts = append(parts, "-g", r.GPUs)
	}
	if r.BindGPUs != "" {
		parts = append(parts, "-B", r.BindGPUs)
	}
	parts = append(parts, "-a", or(r.TasksPerRS, "1"), "-r", or(r.RSPerNode, "1"), "-c", or(r.CPUsPerRS, "1"))
	return strings.Join(parts, " ")
}
