package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeLocalSpec writes a study of n trivial local steps and a funnel.
func writeLocalSpec(b *testing.B, dir string, n int, cmd string) string {
	var vals strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			vals.WriteString(", ")
		}
		fmt.Fprint(&vals, i)
	}
	text := fmt.Sprintf(`description:
    name: local
    description: %d trivial local steps and a funnel
study:
    - name: step
      description: trivial
      run:
          cmd: %s
    - name: funnel
      description: after all of them
      run:
          cmd: echo done
          depends: [step_*]
global.parameters:
    X:
        values: [%s]
        label: X.%%%%
`, n, cmd, vals.String())
	path := filepath.Join(dir, fmt.Sprintf("local%d.yaml", n))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// xargsFloor runs the same step scripts with `xargs -P 2`, each in its
// workspace: the time to start that many processes on this machine.
func xargsFloor(b *testing.B, study string) time.Duration {
	var scripts []string
	filepath.Walk(study, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".sh") {
			scripts = append(scripts, p)
		}
		return nil
	})
	cmd := exec.Command("xargs", "-P", "2", "-n", "1")
	cmd.Stdin = strings.NewReader(strings.Join(scripts, "\n"))
	cmd.Dir = study
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("xargs: %v", err)
	}
	return time.Since(start)
}

// BenchmarkLocalRun measures `maestro run -fg` of n trivial local steps
// plus a funnel against xargs -P 2 starting the same scripts, in one run.
func BenchmarkLocalRun(b *testing.B) {
	for _, n := range []int{200, 1000} {
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			dir := benchDir(b)
			specPath := writeLocalSpec(b, dir, n, "echo $(X)")
			var ours, floor time.Duration
			for i := 0; i < b.N; i++ {
				out := filepath.Join(dir, fmt.Sprintf("run%d", i))
				start := time.Now()
				if code := Main([]string{"run", "-fg", "-y", "-o", out, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
					b.Fatalf("exit %d", code)
				}
				ours += time.Since(start)
				b.StopTimer()
				dry := filepath.Join(dir, fmt.Sprintf("dry%d", i))
				if code := Main([]string{"run", "--dry", "-o", dry, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
					b.Fatalf("exit %d", code)
				}
				floor += xargsFloor(b, dry)
				os.RemoveAll(out)
				os.RemoveAll(dry)
				b.StartTimer()
			}
			b.ReportMetric(floor.Seconds()/float64(b.N), "xargs-s/op")
			b.ReportMetric(ours.Seconds()/floor.Seconds(), "x-xargs")
		})
	}
}

// BenchmarkStatus measures `maestro status` of a 10,000-step study.
func BenchmarkStatus(b *testing.B) {
	dir := benchDir(b)
	specPath := writeFanSpec(b, dir, 10_000)
	study := filepath.Join(dir, "study")
	if code := Main([]string{"run", "--dry", "-o", study, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
		b.Fatalf("exit %d", code)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := Main([]string{"status", "--disable-pager", study}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkIdleConductor measures the conductor's CPU time per second of
// wall time while every step is waiting (here, on sleeping processes).
func BenchmarkIdleConductor(b *testing.B) {
	dir := benchDir(b)
	specPath := writeLocalSpec(b, dir, 2, "sleep 3")
	var cpu, wall time.Duration
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, fmt.Sprintf("idle%d", i))
		var before, after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		start := time.Now()
		if code := Main([]string{"run", "-fg", "-y", "-o", out, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
			b.Fatalf("exit %d", code)
		}
		wall += time.Since(start)
		syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		cpu += time.Duration(after.Utime.Nano()-before.Utime.Nano()) + time.Duration(after.Stime.Nano()-before.Stime.Nano())
	}
	b.ReportMetric(cpu.Seconds()/wall.Seconds()*100, "cpu-%")
}

// BenchmarkLocalRunUnderStatus measures `maestro run -fg` of 2,000 local
// steps of 0.1 s each (8 at a time) with four `maestro status --json`
// loops reading the study all along, against the same run alone, in one
// run: readers must not slow the conductor (target ≤ 1.2×).
func BenchmarkLocalRunUnderStatus(b *testing.B) {
	dir := benchDir(b)
	specPath := writeLocalSpec(b, dir, 2000, "sleep 0.1; echo $(X)")
	run := func(out string) time.Duration {
		start := time.Now()
		if code := Main([]string{"run", "-fg", "-y", "-t", "8", "-o", out, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
			b.Fatalf("exit %d", code)
		}
		return time.Since(start)
	}
	var alone, loaded time.Duration
	reads := 0
	for i := 0; i < b.N; i++ {
		alone += run(filepath.Join(dir, fmt.Sprintf("alone%d", i)))
		out := filepath.Join(dir, fmt.Sprintf("loaded%d", i))
		stop := make(chan struct{})
		counts := make(chan int, 4)
		for k := 0; k < 4; k++ {
			go func() {
				n := 0
				for {
					select {
					case <-stop:
						counts <- n
						return
					default:
					}
					cmd := exec.Command(os.Args[0], "status", "--json", out)
					cmd.Args[0] = "maestro"
					if cmd.Run() == nil {
						n++
					}
				}
			}()
		}
		loaded += run(out)
		close(stop)
		for k := 0; k < 4; k++ {
			reads += <-counts
		}
	}
	b.ReportMetric(alone.Seconds()/float64(b.N), "alone-s/op")
	b.ReportMetric(float64(reads)/loaded.Seconds(), "reads/s")
	b.ReportMetric(loaded.Seconds()/alone.Seconds(), "x-alone")
}
