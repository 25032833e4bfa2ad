package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchDir is tmpfs where there is one: on this machine's disk, every
// burst of file creation slows later ones, which would measure the disk.
func benchDir(b *testing.B) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "maestro-bench-")
		if err == nil {
			b.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return b.TempDir()
}

// writeFanSpec writes a study of one step over n values and a funnel step.
func writeFanSpec(b *testing.B, dir string, n int) string {
	var vals strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			vals.WriteString(", ")
		}
		fmt.Fprint(&vals, i)
	}
	text := fmt.Sprintf(`description:
    name: fan
    description: one step over %d values plus a funnel
study:
    - name: sim
      description: simulate
      run:
          cmd: |
            echo "value $(X)" > out.txt
    - name: collect
      description: funnel
      run:
          cmd: |
            ls $(sim.workspace) | wc -l
          depends: [sim_*]
global.parameters:
    X:
        values: [%s]
        label: X.%%%%
`, n, vals.String())
	path := filepath.Join(dir, "fan.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

type scriptFile struct {
	dir, name string
	data      []byte
}

// floor creates the same folders and script files as a study, with nothing
// else: the least any tool must spend.
func floor(root string, files []scriptFile) time.Duration {
	start := time.Now()
	made := map[string]bool{}
	for _, f := range files {
		d := root + "/" + f.dir
		if !made[d] {
			os.MkdirAll(d, 0o755)
			made[d] = true
		}
		os.WriteFile(d+"/"+f.name, f.data, 0o755)
	}
	return time.Since(start)
}

func collectScripts(b *testing.B, root string) []scriptFile {
	var out []scriptFile
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".sh") {
			data, _ := os.ReadFile(path)
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			out = append(out, scriptFile{dir: rel, name: d.Name(), data: data})
		}
		return nil
	})
	return out
}

// BenchmarkDryRun measures `maestro run --dry` of a fan study against the
// floor of creating its folders and scripts, in the same run.
func BenchmarkDryRun(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("values=%d", n), func(b *testing.B) {
			dir := benchDir(b)
			specPath := writeFanSpec(b, dir, n)
			var ours, base time.Duration
			for i := 0; i < b.N; i++ {
				out := filepath.Join(dir, fmt.Sprintf("study%d", i))
				start := time.Now()
				if code := Main([]string{"run", "--dry", "-o", out, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
					b.Fatalf("exit %d", code)
				}
				ours += time.Since(start)
				b.StopTimer()
				files := collectScripts(b, out)
				if len(files) != n+1 {
					b.Fatalf("%d scripts, want %d", len(files), n+1)
				}
				os.RemoveAll(out)
				base += floor(filepath.Join(dir, fmt.Sprintf("floor%d", i)), files)
				os.RemoveAll(filepath.Join(dir, fmt.Sprintf("floor%d", i)))
				b.StartTimer()
			}
			b.ReportMetric(base.Seconds()/float64(b.N), "floor-s/op")
			b.ReportMetric(ours.Seconds()/base.Seconds(), "x-floor")
		})
	}
}
