// Package slurm is the Slurm adapter: #SBATCH scripts, srun launchers, and
// sbatch/squeue/sacct/scancel for execution.
package slurm

import (
	"strings"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/spec"
)

// Extension implements adapters.ScriptWriter.
func (*Adapter) Extension() string { return ".slurm.sh" }

// Shebang implements adapters.ScriptWriter.
func (*Adapter) Shebang(b *spec.Batch) string { return b.Shell }

// Header returns the #SBATCH lines in the Python tool's order; step values
// override batch values, and each batch.args entry adds one more line.
func (*Adapter) Header(s *adapters.Script) ([]string, error) {
	r, b := &s.Step.Run, s.Batch
	nodes := s.Resource(r.Nodes, b.Nodes)
	procs := s.Resource(r.Procs, b.Procs)
	var h []string
	add := func(cond bool, line string) {
		if cond {
			h = append(h, "#SBATCH "+line)
		}
	}
	add(adapters.Truthy(nodes), "--nodes="+nodes)
	add(b.Queue != "", "--partition="+b.Queue)
	add(b.Bank != "", "--account="+b.Bank)
	add(adapters.Truthy(r.Walltime), "--time="+r.Walltime)
	add(true, `--job-name="`+s.JobName+`"`)
	add(true, `--output="`+s.JobName+`.out"`)
	add(true, `--error="`+s.JobName+`.err"`)
	add(true, `--comment "`+adapters.DirectiveText(s.Step.Description)+`"`)
	res := s.Resource(r.Reservation, b.Reservation)
	add(res != "", `--reservation="`+res+`"`)
	gpus := s.Resource(r.GPUs, b.GPUs)
	add(adapters.Truthy(gpus), "--gres=gpu:"+gpus)
	add(procs != "" && (b.Procs != "" || !adapters.Truthy(nodes)), "--ntasks="+procs)
	add(adapters.Truthy(r.Exclusive), "--exclusive")
	qos := s.Resource(r.QOS, b.QOS)
	add(qos != "", "--qos="+qos)
	for _, kv := range b.Args {
		h = append(h, "#SBATCH "+option(kv))
	}
	return h, nil
}

// option renders one batch.args entry as a long option.
func option(kv spec.KV) string {
	key := kv.Key
	if !strings.HasPrefix(key, "-") {
		key = "--" + key
	}
	if kv.Value == "" {
		return key
	}
	return key + "=" + kv.Value
}

// Launcher implements adapters.ScriptWriter: srun -n P [-N N] [-c C].
func (*Adapter) Launcher(s *adapters.Script, nodes, procs string) string {
	parts := []string{"srun"}
	if procs != "" {
		parts = append(parts, "-n", procs)
	}
	if nodes != "" {
		parts = append(parts, "-N", nodes)
	}
	if c := s.Step.Run.CoresPerTask; c != "" {
		parts = append(parts, "-c", c)
	}
	return strings.Join(parts, " ")
}
