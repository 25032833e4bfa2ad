package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters/adaptertest"
)

// crashArraySpec is a study its spec puts in Slurm job arrays (run.array):
// a fan of n steps submitted together, a step after each of them, which
// become ready a few at a time and so go in many small arrays while the
// conductor is being killed, and a Slurm funnel after them all.
func crashArraySpec(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprint(i + 1)
	}
	return `description: {name: crash_arrays, description: killed conductors of an array study}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
  - name: fan
    description: Slurm array tasks
    run: {cmd: "sleep 0.2; echo fan_X.$(X) >> $(SPECROOT)/ledger", procs: 1, array: true}
  - name: post
    description: one after each fan step
    run: {cmd: "echo post_X.$(X) >> $(SPECROOT)/ledger", procs: 1, array: true, depends: [fan]}
  - name: funnel
    description: a Slurm job after them all
    run: {cmd: "echo funnel >> $(SPECROOT)/ledger", procs: 1, depends: [post_*]}
global.parameters:
  X: {values: [` + strings.Join(vals, ", ") + `], label: X.%%}
`
}

// The conductor of an array study SIGKILLed at 10 random moments (while
// it marks steps, submits arrays, records their task ids, or polls):
// every step still runs exactly once, the fans each as a task of an
// array, and the study ends FINISHED.
func TestCrashRecoveryArraysSlurm(t *testing.T) {
	t.Parallel()
	needSlurm(t)
	const n = 100
	var fans, steps []string
	for i := 1; i <= n; i++ {
		fans = append(fans, fmt.Sprintf("fan_X.%d", i), fmt.Sprintf("post_X.%d", i))
	}
	steps = append(fans, "funnel")
	// Each conductor lives up to 1.5 s: long enough to mark and submit
	// arrays and record them, so that the kills fall in every phase.
	study := crashLoopWith(t, crashArraySpec(n), 10, steps, crash{window: 1500 * time.Millisecond})
	st := adaptertest.Steps(t, study)
	ids := map[string]string{}
	for _, name := range fans {
		id := st[name].JobID
		if ids[id] != "" || !strings.Contains(id, "_") && !strings.HasPrefix(name, "post_") {
			t.Errorf("%s: job %q, want a job of its own (%q has it too), for a fan step an array task", name, id, ids[id])
		}
		ids[id] = name
	}
	log := readFile(filepath.Join(study, "logs", "crash_arrays.log"))
	killed := log[:strings.LastIndex(log, "driving study")] // what the killed conductors logged
	t.Logf("%d conductors logged that they started; the killed ones submitted %d arrays, the last %d; %d jobs were found that a killed conductor submitted without recording them",
		strings.Count(log, "driving study"), strings.Count(killed, "submitted as one array"), strings.Count(log[len(killed):], "submitted as one array"),
		strings.Count(log, "submitted before the answer was lost"))
}
