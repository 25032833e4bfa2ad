package cli

import (
	"context"
	"fmt"
	"github.com/maestro-go/maestro/adapters/all"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/study"
)

// BenchmarkSlurmSubmit measures how fast the conductor submits 200 ready
// steps to the real Slurm cluster against a bare loop of sbatch calls, in
// the same run. It needs the local cluster (../shared/slurm).
func BenchmarkSlurmSubmit(b *testing.B) {
	if ok, err := haveSlurm(); !ok {
		b.Skipf("no Slurm cluster (%v)", err)
	}
	const n = 200
	dir := benchDir(b)
	var vals []string
	for i := 0; i < n; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	specPath := filepath.Join(dir, "submit.yaml")
	os.WriteFile(specPath, []byte(fmt.Sprintf(`description: {name: submit, description: many scheduled steps}
batch: {type: slurm, host: localhost, bank: maestro, queue: debug}
study:
  - {name: job, description: trivial, run: {cmd: "true # $(X)", procs: 1}}
global.parameters:
  X: {values: [%s], label: X.%%%%}
`, strings.Join(vals, ", "))), 0o644)
	script := filepath.Join(dir, "bare.sh")
	os.WriteFile(script, []byte("#!/bin/bash\n#SBATCH --partition=debug\ntrue\n"), 0o755)
	var ours, bare time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		start := time.Now()
		var ids []string
		for k := 0; k < n; k++ {
			out, err := exec.Command("sbatch", "--parsable", "-D", dir, script).Output()
			if err != nil {
				b.Fatalf("sbatch: %v", err)
			}
			ids = append(ids, strings.TrimSpace(string(out)))
		}
		bare += time.Since(start)
		exec.Command("scancel", ids...).Run()

		study := filepath.Join(dir, fmt.Sprintf("study%d", i))
		writeStudy(b, specPath, study)
		b.StartTimer()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		start = time.Now()
		go func() {
			conductor.Run(ctx, conductor.Options{Dir: study, SleepSecs: 3600, Adapters: all.Registry()})
			close(done)
		}()
		waitSubmitted(b, study, n)
		ours += time.Since(start)
		b.StopTimer()
		cancel()
		<-done
		cancelStudy(study)
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/bare.Seconds(), "sbatch-jobs/s")
	b.ReportMetric(float64(n*b.N)/ours.Seconds(), "maestro-jobs/s")
	b.ReportMetric(bare.Seconds()/ours.Seconds(), "x-sbatch-rate")
}

// writeStudy writes a study ready to run, without starting a conductor.
func writeStudy(b testing.TB, specPath, dir string) { writeStudyWith(b, specPath, dir, studySettings) }

// studySettings are the settings writeStudy gives a study.
var studySettings = store.Settings{Attempts: 1, RLimit: 1, SleepSecs: 3600}

// writeStudyWith is writeStudy with the given settings.
func writeStudyWith(b testing.TB, specPath, dir string, settings store.Settings) {
	s, err := spec.Load(specPath)
	if err != nil {
		b.Fatal(err)
	}
	st, err := study.New(s, dir, study.Options{Now: time.Now(), Settings: settings, Adapters: all.Registry()})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Write(os.Environ()); err != nil {
		b.Fatal(err)
	}
}

func waitSubmitted(b *testing.B, study string, n int) {
	st, err := store.Open(study)
	if err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		count := 0
		st.View(func(tx *store.Tx) error {
			all, err := tx.Statuses()
			for _, s := range all {
				if s.JobID != "" {
					count++
				}
			}
			return err
		})
		if count >= n {
			return
		}
	}
	b.Fatal("the conductor did not submit every step in 5 minutes")
}

// cancelStudy cancels whatever the benchmark left in the queue.
func cancelStudy(study string) {
	Main([]string{"cancel", "-y", study}, strings.NewReader(""), io.Discard, io.Discard)
}
