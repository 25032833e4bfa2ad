package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/conductor"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// The scale benchmarks run maestro as a child process, as users do, so
// that its wall time and peak memory (max RSS) are its own.

// buildBinaries builds maestro and its conductor side by side in a
// temporary directory and returns the maestro binary.
func buildBinaries(b *testing.B) string {
	bin := b.TempDir()
	for _, cmd := range []string{"maestro", "conductor"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(bin, cmd), "../cmd/"+cmd).CombinedOutput()
		if err != nil {
			b.Fatalf("go build %s: %v\n%s", cmd, err, out)
		}
	}
	return filepath.Join(bin, "maestro")
}

// child runs maestro with args and returns its wall time and max RSS in
// MiB.
func child(b *testing.B, exe string, args ...string) (time.Duration, float64) {
	cmd := exec.Command(exe, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("maestro %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	wall := time.Since(start)
	return wall, float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
}

// scripts are the folders and script files of a study, packed into one
// buffer: a million of them must not take the benchmark's memory.
type scripts struct {
	buf  []byte
	ends []int // per file: end of its relative path, then end of its data
}

func (s *scripts) len() int { return len(s.ends) / 2 }

func (s *scripts) file(i int) (rel string, data []byte) {
	lo := 0
	if i > 0 {
		lo = s.ends[2*i-1]
	}
	return string(s.buf[lo:s.ends[2*i]]), s.buf[s.ends[2*i]:s.ends[2*i+1]]
}

// readScripts reads every script of the study in root, in the order of its
// folders.
func readScripts(b *testing.B, root string) *scripts {
	s := &scripts{}
	tops, err := os.ReadDir(root)
	if err != nil {
		b.Fatal(err)
	}
	for _, top := range tops {
		if !top.IsDir() || top.Name() == "logs" || top.Name() == "meta" {
			continue
		}
		dirs, err := os.ReadDir(filepath.Join(root, top.Name()))
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range dirs {
			if !d.IsDir() { // a step without parameters has its script here
				s.add(b, root, top.Name(), d.Name())
				continue
			}
			rel := top.Name() + "/" + d.Name()
			files, err := os.ReadDir(filepath.Join(root, rel))
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range files {
				s.add(b, root, rel, f.Name())
			}
		}
	}
	return s
}

func (s *scripts) add(b *testing.B, root, rel, name string) {
	if !strings.HasSuffix(name, ".sh") {
		return
	}
	data, err := os.ReadFile(filepath.Join(root, rel, name))
	if err != nil {
		b.Fatal(err)
	}
	s.buf = append(s.buf, rel+"/"+name...)
	s.ends = append(s.ends, len(s.buf))
	s.buf = append(s.buf, data...)
	s.ends = append(s.ends, len(s.buf))
}

// parallelFloor creates the folders and files of s under root with two
// workers, each making its share of the folders and writing their files
// with bare system calls: the least a tool on two processors must spend.
func parallelFloor(b *testing.B, root string, s *scripts) time.Duration {
	start := time.Now()
	tops := map[string]bool{}
	for i := 0; i < s.len(); i++ {
		rel, _ := s.file(i)
		tops[rel[:strings.IndexByte(rel, '/')]] = true
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		b.Fatal(err)
	}
	for top := range tops {
		if err := os.Mkdir(root+"/"+top, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		failed atomic.Value
	)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= s.len() {
					return
				}
				rel, data := s.file(i)
				path := root + "/" + rel
				if err := syscall.Mkdir(filepath.Dir(path), 0o755); err != nil && err != syscall.EEXIST {
					failed.Store(err)
					return
				}
				if err := writeFile(path, data); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// writeFile creates a file with its data in three system calls, as
// cheaply as any tool could.
func writeFile(path string, data []byte) error {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o755)
	if err != nil {
		return err
	}
	if _, err := syscall.Write(fd, data); err != nil {
		syscall.Close(fd)
		return err
	}
	return syscall.Close(fd)
}

// BenchmarkScale measures, on a study of one step over a million values
// plus a funnel: `maestro run --dry` against creating the same folders and
// files with two workers (targets: at most 1.5× that floor and 1 GiB max
// RSS), then `maestro status --json` of that study (at most 1.5 s and
// 600 MB).
func BenchmarkScale(b *testing.B) {
	const n = 1_000_000
	dir := benchDir(b)
	// The study takes two inodes a step, and so does the floor after it
	// (tmpfs has a limit, by default half the pages of memory).
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err == nil && fs.Files > 0 && fs.Ffree < 2*n+100_000 {
		b.Skipf("%s has %d free inodes; the study needs %d", dir, fs.Ffree, 2*n+100_000)
	}
	exe := buildBinaries(b)
	specPath := writeFanSpec(b, dir, n)
	var dry, base, status time.Duration
	var dryRSS, statusRSS float64
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, "study")
		wall, rss := child(b, exe, "run", "--dry", "-o", out, specPath)
		dry += wall
		dryRSS = max(dryRSS, rss)
		wall, rss = child(b, exe, "status", "--json", out)
		status += wall
		statusRSS = max(statusRSS, rss)
		files := readScripts(b, out)
		if files.len() != n+1 {
			b.Fatalf("%d scripts, want %d", files.len(), n+1)
		}
		os.RemoveAll(out)
		floorDir := filepath.Join(dir, "floor")
		base += parallelFloor(b, floorDir, files)
		os.RemoveAll(floorDir)
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(dry), "dry-s/op")
	b.ReportMetric(per(base), "floor2-s/op")
	b.ReportMetric(dry.Seconds()/base.Seconds(), "x-floor2")
	b.ReportMetric(dryRSS, "dry-MiB")
	b.ReportMetric(per(status), "json-s/op")
	b.ReportMetric(statusRSS, "json-MiB")
}

// BenchmarkConductorRSS measures the peak memory (VmHWM) of the conductor
// of a study of 100,000 local steps, two at a time, once it has loaded the
// study and run a few of them (target: at most 200 MB); then cancels it.
func BenchmarkConductorRSS(b *testing.B) {
	const n = 100_000
	exe := buildBinaries(b)
	dir := benchDir(b)
	specPath := writeLocalSpec(b, dir, n, "echo $(X)")
	var hwm float64
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, fmt.Sprintf("run%d", i))
		child(b, exe, "run", "-y", "-t", "2", "-o", out, specPath)
		pid := conductor.Running(out)
		if pid <= 0 {
			b.Fatal("no conductor is running the study")
		}
		s, err := store.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for finished(b, s) < 20 {
			if time.Now().After(deadline) {
				b.Fatal("the conductor finished no 20 steps within 2 minutes")
			}
			time.Sleep(100 * time.Millisecond)
		}
		hwm = max(hwm, vmHWM(b, pid))
		child(b, exe, "cancel", "-y", out)
		for conductor.Running(out) > 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		os.RemoveAll(out)
	}
	b.ReportMetric(hwm, "conductor-MiB")
}

// finished counts the study's FINISHED steps.
func finished(b *testing.B, s *store.Store) int {
	k := 0
	err := s.View(func(tx *store.Tx) error {
		st, err := tx.Statuses()
		for i := range st {
			if st[i].State == state.Finished {
				k++
			}
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// vmHWM reads a process's peak resident memory in MiB.
func vmHWM(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/pid/status")
	return 0
}
