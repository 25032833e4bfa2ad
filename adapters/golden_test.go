package adapters_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/flux"
	"github.com/maestro-go/maestro/adapters/local"
	"github.com/maestro-go/maestro/adapters/lsf"
	"github.com/maestro-go/maestro/adapters/slurm"
	"github.com/maestro-go/maestro/spec"
)

// update rewrites the golden files from the current output:
//
//	go test ./adapters -run TestGolden -update
var update = flag.Bool("update", false, "rewrite golden files")

const goldenDir = "../testdata/golden"

// scriptCase is one generated script: the adapter, the batch block and the
// step (its values already substituted, as the study hands them over).
type scriptCase struct {
	name    string
	w       adapters.ScriptWriter
	batch   spec.Batch
	step    spec.Step
	job     string // job name; the step name when empty
	restart bool   // render run.restart instead of run.cmd
}

func (c scriptCase) render() ([]byte, error) {
	step := c.step
	batch := c.batch
	job := c.job
	if job == "" {
		job = step.Name
	}
	s := &adapters.Script{JobName: job, Step: &step, Batch: &batch}
	text := step.Run.Cmd
	if c.restart {
		text = step.Run.Restart
	}
	return adapters.Render(c.w, s, text, step.Run.Scheduled())
}

func slurmBatch() spec.Batch {
	return spec.Batch{Type: "slurm", Shell: "/bin/bash", Host: "quartz", Bank: "baasic", Queue: "pbatch"}
}

func lsfBatch() spec.Batch {
	return spec.Batch{Type: "lsf", Shell: "/bin/bash", Host: "lassen", Bank: "wbronze", Queue: "pdebug"}
}

func fluxBatch() spec.Batch {
	return spec.Batch{Type: "flux", Shell: "/bin/bash", Host: "tioga", Bank: "guests", Queue: "pdebug"}
}

func localBatch() spec.Batch { return spec.Batch{Type: "local", Shell: "/bin/bash"} }

// with returns b changed by f.
func with(b spec.Batch, f func(*spec.Batch)) spec.Batch {
	f(&b)
	return b
}

// step builds a step with a one-line description; f sets its run keys.
func step(name, cmd string, f func(*spec.Run)) spec.Step {
	s := spec.Step{Name: name, Description: "Step " + name + ".", Run: spec.Run{Cmd: cmd}}
	if f != nil {
		f(&s.Run)
	}
	return s
}

func goldenCases() []scriptCase {
	sl, ls, fl := slurm.New(), lsf.New(), flux.New()
	var cases []scriptCase
	add := func(c ...scriptCase) { cases = append(cases, c...) }

	// ---- Slurm header ----
	all := step("simulate", "$(LAUNCHER) ./sim.exe\n", func(r *spec.Run) {
		r.Nodes, r.Procs, r.Walltime = "2", "4", "01:00:00"
		r.Reservation, r.GPUs, r.Exclusive, r.QOS = "res_step", "2", "True", "standby"
	})
	all.Description = "Run the simulation\nwith every resource\nset."
	add(scriptCase{name: "slurm_header_all_keys", w: sl, step: all,
		batch: with(slurmBatch(), func(b *spec.Batch) {
			b.Nodes, b.Procs, b.Reservation, b.QOS = "1", "8", "res_batch", "normal"
			b.Args = []spec.KV{{Key: "mem", Value: "8G"}, {Key: "constraint", Value: "haswell"}}
		})})
	add(scriptCase{name: "slurm_procs_only_ntasks", w: sl, batch: slurmBatch(),
		step: step("hello", "$(LAUNCHER) echo hello > hello.txt\n", func(r *spec.Run) { r.Procs = "1" })})
	add(scriptCase{name: "slurm_nodes_and_procs_no_ntasks", w: sl, batch: slurmBatch(),
		step: step("run-lulesh", "$(LAUNCHER) ./lulesh2.0 -s 100 -p > out.log\n", func(r *spec.Run) {
			r.Nodes, r.Procs, r.Walltime, r.Exclusive = "2", "27", "00:10:00", "True"
		})})
	add(scriptCase{name: "slurm_batch_nodes_step_procs", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.Nodes = "1" }),
		step:  step("prepend-procs", "$(LAUNCHER) echo \"Test print #1\"\n", func(r *spec.Run) { r.Procs = "1" })})
	add(scriptCase{name: "slurm_batch_procs_ntasks", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.Procs = "16" }),
		step:  step("batch-procs", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes = "2" })})
	add(scriptCase{name: "slurm_nodes_only", w: sl, batch: slurmBatch(),
		step: step("nodes-only", "./setup.sh\n", func(r *spec.Run) { r.Nodes = "3" })})
	add(scriptCase{name: "slurm_reservation_batch", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.Reservation = "test_reservation" }),
		step:  step("res-batch", "./a.out\n", func(r *spec.Run) { r.Nodes = "1" })})
	add(scriptCase{name: "slurm_reservation_step", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.Reservation = "test_reservation" }),
		step:  step("res-step", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Reservation = "1", "dat_2024" })})
	add(scriptCase{name: "slurm_gpus_step", w: sl, batch: slurmBatch(),
		step: step("gpus-step", "./a.out\n", func(r *spec.Run) { r.Nodes, r.GPUs = "1", "4" })})
	add(scriptCase{name: "slurm_gpus_batch", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.GPUs = "2" }),
		step:  step("gpus-batch", "./a.out\n", func(r *spec.Run) { r.Nodes = "1" })})
	add(scriptCase{name: "slurm_gpus_zero", w: sl, batch: slurmBatch(),
		step: step("gpus-zero", "./a.out\n", func(r *spec.Run) { r.Nodes, r.GPUs = "1", "0" })})
	add(scriptCase{name: "slurm_exclusive_true", w: sl, batch: slurmBatch(),
		step: step("excl-true", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Exclusive = "1", "True" })})
	add(scriptCase{name: "slurm_exclusive_false", w: sl, batch: slurmBatch(),
		step: step("excl-false", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Exclusive = "1", "False" })})
	add(scriptCase{name: "slurm_qos_step", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.QOS = "normal" }),
		step:  step("qos-step", "./a.out\n", func(r *spec.Run) { r.Nodes, r.QOS = "1", "expedite" })})
	add(scriptCase{name: "slurm_qos_batch", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.QOS = "normal" }),
		step:  step("qos-batch", "./a.out\n", func(r *spec.Run) { r.Nodes = "1" })})
	add(scriptCase{name: "slurm_batch_args", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) {
			b.Args = []spec.KV{{Key: "mem-per-cpu", Value: "2G"}, {Key: "requeue", Value: ""}, {Key: "mail-type", Value: "END"}}
		}),
		step: step("batch-args", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "1", "2" })})
	comment := step("comment", "./a.out\n", func(r *spec.Run) { r.Nodes = "1" })
	comment.Description = "First line of the description.\nSecond line.\nThird line.\n"
	add(scriptCase{name: "slurm_comment_multiline", w: sl, batch: slurmBatch(), step: comment})
	add(scriptCase{name: "slurm_shell_zsh", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.Shell = "/bin/zsh" }),
		step:  step("zsh", "$(LAUNCHER) print hello\n", func(r *spec.Run) { r.Procs = "2" })})
	add(scriptCase{name: "slurm_job_name_hashed", w: sl, batch: slurmBatch(), job: "a1b2c3d4e5",
		step: step("hashed", "./a.out\n", func(r *spec.Run) { r.Nodes = "1" })})

	// ---- srun launcher ----
	add(scriptCase{name: "slurm_launcher_plain", w: sl, batch: slurmBatch(),
		step: step("plain", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "2", "8" })})
	add(scriptCase{name: "slurm_launcher_nodes_procs", w: sl, batch: slurmBatch(),
		step: step("nodes-procs", "$(LAUNCHER)[2n, 4p] ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "4", "16" })})
	add(scriptCase{name: "slurm_launcher_procs_nodes_order", w: sl, batch: slurmBatch(),
		step: step("procs-nodes", "$(LAUNCHER)[4p, 2n] ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "4", "16" })})
	add(scriptCase{name: "slurm_launcher_procs_only", w: sl, batch: slurmBatch(),
		step: step("procs-only", "$(LAUNCHER)[4p] ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "4", "16" })})
	add(scriptCase{name: "slurm_launcher_legacy", w: sl, batch: slurmBatch(),
		step: step("legacy", "$(LAUNCHER)[1, 2] ./a.out\n$(LAUNCHER)[2,4] ./b.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "2", "4" })})
	add(scriptCase{name: "slurm_launcher_first_bracket", w: sl, batch: slurmBatch(),
		step: step("first-bracket", "$(LAUNCHER)[1n, 1p] a [x] $(LAUNCHER)[1p] b\n", func(r *spec.Run) { r.Nodes, r.Procs = "1", "1" })})
	add(scriptCase{name: "slurm_launcher_mixed_lines", w: sl, batch: slurmBatch(),
		step: step("mixed", "cd build\n$(LAUNCHER) ./full.exe\n$(LAUNCHER)[1n, 2p] ./half.exe\necho \"array=${A[0]}\"\n$(LAUNCHER)[ 3p ] ./three.exe\n",
			func(r *spec.Run) { r.Nodes, r.Procs = "2", "4" })})
	add(scriptCase{name: "slurm_launcher_cores_per_task", w: sl, batch: slurmBatch(),
		step: step("cores", "$(LAUNCHER) ./omp.exe\n$(LAUNCHER)[1n, 2p] ./omp.exe\n", func(r *spec.Run) {
			r.Nodes, r.Procs, r.CoresPerTask = "2", "4", "9"
		})})
	add(scriptCase{name: "slurm_launcher_procs_from_batch", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.Procs = "6" }),
		step:  step("procs-batch", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes = "2" })})
	add(scriptCase{name: "slurm_launcher_no_token", w: sl, batch: slurmBatch(),
		step: step("no-token", "echo \"Test print #1\"\n", func(r *spec.Run) { r.Nodes, r.Procs = "1", "1" })})
	add(scriptCase{name: "slurm_restart", w: sl, batch: slurmBatch(), restart: true,
		step: step("restartable", "$(LAUNCHER) ./sim --start\n", func(r *spec.Run) {
			r.Nodes, r.Procs, r.Walltime = "1", "4", "00:30:00"
			r.Restart = "$(LAUNCHER)[2p] ./sim --restart latest.chk\n"
		})})
	add(scriptCase{name: "slurm_unscheduled", w: sl,
		batch: with(slurmBatch(), func(b *spec.Batch) { b.Nodes, b.Procs, b.Reservation = "2", "4", "res" }),
		step: step("unscheduled", "$(LAUNCHER) echo one\n$(LAUNCHER)[1n, 1p] a [x] $(LAUNCHER)[1p] b\n$(LAUNCHER)[1, 1] legacy\n", func(r *spec.Run) {
			r.Walltime, r.GPUs, r.Exclusive = "00:05:00", "1", "True"
		})})
	add(scriptCase{name: "slurm_unscheduled_restart", w: sl, batch: slurmBatch(), restart: true,
		step: step("unscheduled-restart", "echo start\n", func(r *spec.Run) { r.Restart = "$(LAUNCHER)[1p] echo again\n" })})

	// ---- LSF ----
	lsfAll := step("lsf-all", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) {
		r.Nodes, r.Procs, r.Walltime = "2", "8", "02:30:00"
	})
	add(scriptCase{name: "lsf_header_all_keys", w: ls, step: lsfAll,
		batch: with(lsfBatch(), func(b *spec.Batch) { b.Nodes, b.Reservation = "1", "dat_lsf" })})
	add(scriptCase{name: "lsf_reservation_step", w: ls,
		batch: with(lsfBatch(), func(b *spec.Batch) { b.Reservation = "dat_lsf" }),
		step:  step("lsf-res-step", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Reservation, r.Walltime = "1", "step_res", "00:10" })})
	add(scriptCase{name: "lsf_walltime_minutes", w: ls, batch: lsfBatch(),
		step: step("make-lulesh", "make\n", func(r *spec.Run) { r.Nodes, r.Procs, r.Walltime = "1", "1", "10" })})
	add(scriptCase{name: "lsf_walltime_hhmm", w: ls, batch: lsfBatch(),
		step: step("hhmm", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Walltime = "1", "00:10" })})
	add(scriptCase{name: "lsf_walltime_hhmmss", w: ls, batch: lsfBatch(),
		step: step("hhmmss", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Walltime = "1", "12:45:00" })})
	add(scriptCase{name: "lsf_walltime_empty", w: ls, batch: lsfBatch(),
		step: step("no-walltime", "./a.out\n", func(r *spec.Run) { r.Nodes = "1" })})
	add(scriptCase{name: "lsf_nodes_from_batch", w: ls,
		batch: with(lsfBatch(), func(b *spec.Batch) { b.Nodes = "4" }),
		step:  step("batch-nodes", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Procs, r.Walltime = "4", "00:20:00" })})
	add(scriptCase{name: "lsf_shell_zsh_ignored", w: ls,
		batch: with(lsfBatch(), func(b *spec.Batch) { b.Shell = "/bin/zsh" }),
		step:  step("zsh", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "1", "2" })})
	add(scriptCase{name: "lsf_jsrun_defaults", w: ls, batch: lsfBatch(),
		step: step("jsrun-defaults", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs, r.Walltime = "1", "4", "00:10" })})
	add(scriptCase{name: "lsf_jsrun_overrides", w: ls, batch: lsfBatch(),
		step: step("jsrun-overrides", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) {
			r.Nodes, r.Procs, r.Walltime = "2", "8", "01:00:00"
			r.Bind, r.GPUs, r.BindGPUs = "packed:4", "1", "rs"
			r.TasksPerRS, r.RSPerNode, r.CPUsPerRS = "2", "4", "10"
		})})
	add(scriptCase{name: "lsf_jsrun_gpus_zero", w: ls, batch: lsfBatch(),
		step: step("jsrun-gpus-zero", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs, r.GPUs = "1", "2", "0" })})
	add(scriptCase{name: "lsf_jsrun_lulesh", w: ls, batch: lsfBatch(),
		step: step("run-lulesh_CPT.1.TASKS.8", "export OMP_NUM_THREADS=1\n\n$(LAUNCHER) ./lulesh2.0 -s 100 -i 100 -p >& out.log\n", func(r *spec.Run) {
			r.Nodes, r.Procs, r.RSPerNode, r.CPUsPerRS, r.Exclusive, r.Walltime = "1", "8", "8", "1", "True", "00:10"
		})})
	add(scriptCase{name: "lsf_jsrun_brackets", w: ls, batch: lsfBatch(),
		step: step("jsrun-brackets", "$(LAUNCHER)[1n, 2p] ./a.out\n$(LAUNCHER)[3p] ./b.out\n$(LAUNCHER)[1, 4] ./c.out\n", func(r *spec.Run) {
			r.Nodes, r.Procs, r.CPUsPerRS = "2", "4", "2"
		})})
	add(scriptCase{name: "lsf_unscheduled", w: ls, batch: lsfBatch(),
		step: step("lsf-local", "$(LAUNCHER) hostname\n", nil)})

	// ---- Flux ----
	fluxAll := step("flux-all", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) {
		r.Nodes, r.Procs, r.CoresPerTask, r.GPUs, r.Walltime = "2", "8", "4", "1", "01:00:00"
		r.Priority, r.Exclusive, r.Waitable = "high", "True", true
	})
	add(scriptCase{name: "flux_header_all_keys", w: fl, batch: fluxBatch(), step: fluxAll})
	add(scriptCase{name: "flux_header_minimal", w: fl,
		batch: spec.Batch{Type: "flux", Shell: "/bin/bash", Host: "tioga"},
		step:  step("flux-min", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Procs = "1" })})
	add(scriptCase{name: "flux_header_from_batch", w: fl,
		batch: with(fluxBatch(), func(b *spec.Batch) { b.Nodes, b.Procs, b.GPUs = "3", "12", "2" }),
		step:  step("flux-batch", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Procs = "6" })})
	add(scriptCase{name: "flux_exclusive_false", w: fl, batch: fluxBatch(),
		step: step("flux-shared", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Exclusive, r.GPUs = "1", "False", "0" })})
	for _, wt := range []struct{ name, walltime string }{
		{"minutes", "10"}, {"mmss", "05:30"}, {"hhmmss", "01:00:00"}, {"days", "1-02:00:00"},
	} {
		add(scriptCase{name: "flux_walltime_" + wt.name, w: fl, batch: fluxBatch(),
			step: step("wt-"+wt.name, "./a.out\n", func(r *spec.Run) { r.Nodes, r.Walltime = "1", wt.walltime })})
	}
	for _, p := range []struct{ name, priority string }{
		{"held", "HELD"}, {"minimal", "minimal"}, {"low", "Low"}, {"medium", "medium"},
		{"high", "HIGH"}, {"expedited", "Expedited"}, {"zero", "0"}, {"half", "0.5"}, {"one", "1"},
	} {
		add(scriptCase{name: "flux_urgency_" + p.name, w: fl, batch: fluxBatch(),
			step: step("urgency-"+p.name, "./a.out\n", func(r *spec.Run) { r.Nodes, r.Priority = "1", p.priority })})
	}
	add(scriptCase{name: "flux_launcher_step_nodes", w: fl, batch: fluxBatch(),
		step: step("fl-step-nodes", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "2", "4" })})
	add(scriptCase{name: "flux_launcher_batch_nodes", w: fl,
		batch: with(fluxBatch(), func(b *spec.Batch) { b.Nodes = "3" }),
		step:  step("fl-batch-nodes", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Procs = "4" })})
	add(scriptCase{name: "flux_launcher_default_nodes", w: fl, batch: fluxBatch(),
		step: step("fl-default-nodes", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Procs = "4" })})
	add(scriptCase{name: "flux_launcher_cores_gpus", w: fl, batch: fluxBatch(),
		step: step("fl-cores-gpus", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) {
			r.Nodes, r.Procs, r.CoresPerTask, r.GPUs = "1", "4", "2", "1"
		})})
	add(scriptCase{name: "flux_launcher_batch_gpus", w: fl,
		batch: with(fluxBatch(), func(b *spec.Batch) { b.GPUs = "4" }),
		step:  step("fl-batch-gpus", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "1", "4" })})
	add(scriptCase{name: "flux_launcher_args", w: fl,
		batch: with(fluxBatch(), func(b *spec.Batch) {
			b.Args = []spec.KV{{Key: "mpi", Value: "spectrum"}, {Key: "cpu-affinity", Value: "per-task"}}
		}),
		step: step("fl-args", "$(LAUNCHER) ./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs = "1", "4" })})
	add(scriptCase{name: "flux_launcher_brackets", w: fl,
		batch: with(fluxBatch(), func(b *spec.Batch) { b.Nodes = "3" }),
		step: step("fl-brackets", "$(LAUNCHER)[2n, 4p] ./a.out\n$(LAUNCHER)[1, 1] ./c.out\n$(LAUNCHER)[1n, 3p] ./d.out\n", func(r *spec.Run) {
			r.Nodes, r.Procs = "2", "4"
		})})
	add(scriptCase{name: "flux_launcher_brackets_batch_nodes", w: fl,
		batch: with(fluxBatch(), func(b *spec.Batch) { b.Nodes = "3" }),
		step:  step("fl-brackets-batch", "$(LAUNCHER)[4p] ./b.out\n", func(r *spec.Run) { r.Procs = "4" })})
	add(scriptCase{name: "flux_launcher_brackets_default_nodes", w: fl, batch: fluxBatch(),
		step: step("fl-brackets-default", "$(LAUNCHER)[2p] ./b.out\n", func(r *spec.Run) { r.Procs = "4" })})
	add(scriptCase{name: "flux_shell_zsh", w: fl,
		batch: with(fluxBatch(), func(b *spec.Batch) { b.Shell = "/bin/zsh" }),
		step:  step("fl-zsh", "$(LAUNCHER) print hi\n", func(r *spec.Run) { r.Procs = "1" })})
	add(scriptCase{name: "flux_unscheduled", w: fl, batch: fluxBatch(),
		step: step("fl-local", "$(LAUNCHER)[1p] hostname\n", func(r *spec.Run) { r.Walltime, r.Priority = "10", "high" })})

	// ---- local ----
	add(scriptCase{name: "local_unscheduled", w: local.New(), batch: localBatch(),
		step: step("hello_world", "echo \"Hello, World!\" > hello_world.txt\n", nil)})
	add(scriptCase{name: "local_launcher_stripped", w: local.New(), batch: localBatch(),
		step: step("stripped", "$(LAUNCHER) echo one\n$(LAUNCHER)[1n, 1p] a [x] $(LAUNCHER)[1p] b\n", nil)})
	add(scriptCase{name: "local_scheduled_no_header", w: local.New(), batch: localBatch(),
		step: step("local-procs", "./a.out\n", func(r *spec.Run) { r.Nodes, r.Procs, r.Walltime = "1", "4", "00:10:00" })})
	add(scriptCase{name: "local_shell_zsh", w: local.New(),
		batch: with(localBatch(), func(b *spec.Batch) { b.Shell = "/bin/zsh" }),
		step:  step("zsh", "print hello\n", nil)})
	add(scriptCase{name: "local_restart", w: local.New(), batch: localBatch(), restart: true,
		step: step("local-restart", "echo start\n", func(r *spec.Run) { r.Restart = "echo again\n" })})
	return cases
}

func goldenPath(c scriptCase) string {
	return filepath.Join(goldenDir, c.name+c.w.Extension())
}

func TestGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			if seen[c.name] {
				t.Fatalf("duplicate case name %q", c.name)
			}
			seen[c.name] = true
			got, err := c.render()
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			path := goldenPath(c)
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./adapters -run TestGolden -update` to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the generated script\n--- want\n%s--- got\n%s", path, want, got)
			}
		})
	}
}

// TestGoldenNoStrays fails on golden files that no case produces any more.
func TestGoldenNoStrays(t *testing.T) {
	if *update {
		t.Skip("updating")
	}
	known := map[string]bool{}
	for _, c := range goldenCases() {
		known[filepath.Base(goldenPath(c))] = true
	}
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !known[e.Name()] {
			t.Errorf("stray golden file %s: no case writes it", filepath.Join(goldenDir, e.Name()))
		}
	}
}

// TestGoldenLayout checks the structure docs/SPEC.md (Scripts) gives every
// script, independently of the golden files: shebang, header lines of the
// adapter's kind only for scheduled steps, one blank line, the command, a
// newline.
func TestGoldenLayout(t *testing.T) {
	prefix := map[string]string{".slurm.sh": "#SBATCH ", ".lsf.sh": "#BSUB ", ".flux.sh": "#flux: ", ".sh": ""}
	for _, c := range goldenCases() {
		got, err := c.render()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		text := string(got)
		cmd := c.step.Run.Cmd
		if c.restart {
			cmd = c.step.Run.Restart
		}
		head, body, ok := strings.Cut(text, "\n\n")
		if !ok {
			t.Errorf("%s: no blank line after the header:\n%s", c.name, text)
			continue
		}
		lines := strings.Split(head, "\n")
		if !strings.HasPrefix(lines[0], "#!") {
			t.Errorf("%s: first line %q is not a shebang", c.name, lines[0])
		}
		p := prefix[c.w.Extension()]
		for _, l := range lines[1:] {
			if !c.step.Run.Scheduled() || p == "" {
				t.Errorf("%s: unexpected header line %q", c.name, l)
			} else if !strings.HasPrefix(l, p) {
				t.Errorf("%s: header line %q does not start with %q", c.name, l, p)
			}
		}
		if !strings.HasSuffix(body, "\n") {
			t.Errorf("%s: no final newline", c.name)
		}
		if strings.Contains(body, "$(LAUNCHER)") {
			t.Errorf("%s: launcher token left in the command:\n%s", c.name, body)
		}
		if !adapters.HasLauncher(cmd) && body != cmd+"\n" {
			t.Errorf("%s: command without launcher changed: %q, want %q", c.name, body, cmd+"\n")
		}
	}
}

// TestCompatLauncherTokens renders the steps of the Python tool's
// launcher_tokens.yaml sample and compares them byte for byte with the
// scripts it wrote (testdata/compat/expected/launcher_tokens.yaml).
func TestCompatLauncherTokens(t *testing.T) {
	batch := spec.Batch{Type: "slurm", Shell: "/bin/bash", Host: "hostname", Bank: "bank_name", Queue: "queue_name", Nodes: "1"}
	mk := func(name, desc, cmd, nodes, procs string) spec.Step {
		return spec.Step{Name: name, Description: desc, Run: spec.Run{Cmd: cmd, Nodes: nodes, Procs: procs}}
	}
	steps := []spec.Step{
		mk("legacy-token", "The legacy format for specifying node and task breakdown. Both nodes and procs are required for this format.",
			"$(LAUNCHER)[1,1] echo \"Test print #1\"\n$(LAUNCHER)[1,1] echo \"Test print #2\"\n", "2", "2"),
		mk("legacy-token-prepend", "The legacy format for simply appending all of the step's resources to a single command. Procs is the only resource required for this format.",
			"$(LAUNCHER) echo \"Test print #1\"\n", "1", "1"),
		mk("legacy-token-prepend-procs", "The legacy format for simply appending all of the step's resources to a single command. Procs is the only resource required for this format.",
			"$(LAUNCHER) echo \"Test print #1\"\n", "", "1"),
		mk("command-prepend", "This format automatically prepends the scheduler appropriate MPI command. Procs is the only required resource.",
			"echo \"Test print #1\"\n", "1", "1"),
		mk("full-new-format", "Newest format for specifying resource allocation. Only requires procs.",
			"$(LAUNCHER)[1p, 1n] echo \"Test print #1\"\n$(LAUNCHER)[1n, 1p] echo \"Test print #2\"\n", "2", "2"),
		mk("procs-new-format", "Newest format for specifying resource allocation. Only requires procs.",
			"$(LAUNCHER)[1p] echo \"Test print #1\"\n", "", "1"),
	}
	for _, st := range steps {
		c := scriptCase{name: st.Name, w: slurm.New(), batch: batch, step: st}
		got, err := c.render()
		if err != nil {
			t.Errorf("%s: %v", st.Name, err)
			continue
		}
		path := filepath.Join("../testdata/compat/expected/launcher_tokens.yaml/scripts", st.Name, st.Name+".slurm.sh")
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the Python tool's script\n--- want\n%s--- got\n%s", st.Name, want, got)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	sl, ls, fl := slurm.New(), lsf.New(), flux.New()
	type errCase struct {
		name  string
		w     adapters.ScriptWriter
		batch spec.Batch
		step  spec.Step
		want  []string // substrings of the error
	}
	nodesProcs := func(cmd, nodes, procs string) spec.Step {
		return step("bad", cmd, func(r *spec.Run) { r.Nodes, r.Procs = nodes, procs })
	}
	var cases []errCase
	for _, w := range []struct {
		name string
		w    adapters.ScriptWriter
		b    spec.Batch
	}{{"slurm", sl, slurmBatch()}, {"lsf", ls, lsfBatch()}, {"flux", fl, fluxBatch()}} {
		cases = append(cases,
			errCase{w.name + "_nodes_without_procs", w.w, w.b, nodesProcs("$(LAUNCHER)[2n] ./a.out", "2", "4"),
				[]string{"step 'bad'", "Processors/tasks must be specified."}},
			errCase{w.name + "_too_many_nodes", w.w, w.b, nodesProcs("$(LAUNCHER)[3n, 2p] ./a.out", "2", "4"),
				[]string{"$(LAUNCHER)[3n, 2p]", "nodes"}},
			errCase{w.name + "_too_many_procs", w.w, w.b, nodesProcs("$(LAUNCHER)[1n, 5p] ./a.out", "2", "4"),
				[]string{"$(LAUNCHER)[1n, 5p]", "procs"}},
			errCase{w.name + "_too_many_procs_only", w.w, w.b, nodesProcs("$(LAUNCHER)[8p] ./a.out", "", "4"),
				[]string{"$(LAUNCHER)[8p]", "procs"}},
			errCase{w.name + "_legacy_too_many_nodes", w.w, w.b, nodesProcs("$(LAUNCHER)[3, 1] ./a.out", "2", "4"),
				[]string{"$(LAUNCHER)[3, 1]", "nodes"}},
			errCase{w.name + "_legacy_too_many_procs", w.w, w.b, nodesProcs("$(LAUNCHER)[1, 9] ./a.out", "2", "4"),
				[]string{"$(LAUNCHER)[1, 9]", "procs"}},
			errCase{w.name + "_second_token_too_big", w.w, w.b, nodesProcs("$(LAUNCHER)[1p] a\n$(LAUNCHER)[1n, 7p] b", "1", "4"),
				[]string{"$(LAUNCHER)[1n, 7p]"}},
			errCase{w.name + "_three_items", w.w, w.b, nodesProcs("$(LAUNCHER)[x, y, z] ./a.out", "2", "4"),
				[]string{"x, y, z"}},
			errCase{w.name + "_three_numbers", w.w, w.b, nodesProcs("$(LAUNCHER)[1n, 2p, 3] ./a.out", "2", "4"),
				[]string{"1n, 2p, 3"}},
			errCase{w.name + "_not_a_number", w.w, w.b, nodesProcs("$(LAUNCHER)[twop] ./a.out", "2", "4"),
				[]string{"twop"}},
			errCase{w.name + "_unknown_unit", w.w, w.b, nodesProcs("$(LAUNCHER)[2x] ./a.out", "2", "4"),
				[]string{"2x"}},
			errCase{w.name + "_empty_brackets", w.w, w.b, nodesProcs("$(LAUNCHER)[] ./a.out", "2", "4"),
				[]string{"$(LAUNCHER)[]"}},
			errCase{w.name + "_procs_above_batch_procs", w.w, with(w.b, func(b *spec.Batch) { b.Procs = "4" }),
				nodesProcs("$(LAUNCHER)[1n, 6p] ./a.out", "1", ""), []string{"procs"}},
		)
	}
	for _, wt := range []string{"ten minutes", "1:2:3:4", "x-01:00:00", "01:xx", "1-", "-5", "00:-5"} {
		cases = append(cases, errCase{"flux_walltime_" + wt, fl, fluxBatch(),
			step("bad", "./a.out", func(r *spec.Run) { r.Nodes, r.Walltime = "1", wt }),
			[]string{"step 'bad'", "walltime '"}})
	}
	for _, p := range []string{"urgent", "1.5", "-0.1", "expedite"} {
		cases = append(cases, errCase{"flux_priority_" + p, fl, fluxBatch(),
			step("bad", "./a.out", func(r *spec.Run) { r.Nodes, r.Priority = "1", p }),
			[]string{"step 'bad'", "priority '" + p + "'"}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := scriptCase{name: c.name, w: c.w, batch: c.batch, step: c.step}
			out, err := sc.render()
			if err == nil {
				t.Fatalf("Render succeeded, want an error; script:\n%s", out)
			}
			if out != nil {
				t.Errorf("Render returned a script with its error:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestUnscheduledNeverFails: launcher errors only matter when the launcher
// is substituted; a step that is not scheduled just loses its tokens.
func TestUnscheduledNeverFails(t *testing.T) {
	for _, w := range []adapters.ScriptWriter{slurm.New(), lsf.New(), flux.New(), local.New()} {
		st := step("local", "$(LAUNCHER)[2n] a\n$(LAUNCHER)[x, y, z] b\n", func(r *spec.Run) { r.Walltime = "bad walltime" })
		c := scriptCase{name: "unscheduled", w: w, batch: fluxBatch(), step: st}
		got, err := c.render()
		if err != nil {
			t.Fatalf("%T: %v", w, err)
		}
		if want := "#!/bin/bash\n\na\nb\n\n"; string(got) != want {
			t.Errorf("%T: got %q, want %q", w, got, want)
		}
	}
}
