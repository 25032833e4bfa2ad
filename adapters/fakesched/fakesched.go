// Package fakesched is test infrastructure: fake `flux`, `bsub`, `bjobs`
// and `bkill` commands for machines without Flux or LSF. They keep real
// job state in a directory ($FAKESCHED_DIR), really run each job script in
// the background (its own session and process group), and reproduce what
// the adapters rely on in the real tools: the submission line, the query
// formats (honouring the -o format given), the messages and exit codes for
// unknown ids, PENDING -> RUNNING -> end, exit codes, walltime limits
// (killed -> TIMEOUT / TERM_RUNLIMIT) and cancellation (the process group
// is killed -> CANCELED / EXIT with TERM_OWNER).
//
// The fakes are Go functions run by a test binary. Its TestMain calls
// Main, which runs the fake named by the binary's base name; Install (or
// Start) puts symlinks to the test binary under the fakes' names in a
// directory for PATH:
//
//	func TestMain(m *testing.M) {
//		fakesched.Main()
//		os.Exit(m.Run())
//	}
//
// Variables (read by every fake command, from its environment):
//
//	FAKESCHED_DIR         where job state lives (required)
//	FAKESCHED_TIME_SCALE  multiplies walltimes: 0.02 makes a minute 1.2 s
//	FAKESCHED_PENDING     how long a job stays pending (Go duration, 100ms)
//	FAKESCHED_GRACE       time between the signals of a kill (500ms)
//	FAKESCHED_FORGET      ended jobs are forgotten (unknown ids) this long
//	                      after they end, as LSF's CLEAN_PERIOD does
//	FAKESCHED_FIRST_ID    the first LSF job id (100000000: nine digits)
//	FAKESCHED_FLUX_URI    when set, flux commands fail unless FLUX_URI is it
//	FAKESCHED_FLUX_CORES  the cores of the Flux instance (8, as the recorded
//	                      one): jobs wait in S until theirs are free
//	FAKESCHED_FLUX_QUEUES the instance's named queues, comma-separated;
//	                      none by default, so that every -q is refused
//	FAKESCHED_HIDDEN      bjobs does not list a job this long after bsub
//	                      took it (Go duration; 0)
//	FAKESCHED_FAIL        submit,query,cancel: those commands fail as when
//	                      the scheduler cannot be reached
//	FAKESCHED_HANG        submit,query,cancel: those commands never return
//	FAKESCHED_LOSE        submit: bsub takes the job but prints nothing and
//	                      exits 0, as seen in the wild
//
// FAKESCHED_FAIL, FAKESCHED_HANG and FAKESCHED_LOSE are also read from the
// files "fail", "hang" and "lose" in FAKESCHED_DIR, so a test can switch them while a
// conductor runs.
package fakesched

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment variables of the fakes.
const (
	EnvDir       = "FAKESCHED_DIR"
	EnvTimeScale = "FAKESCHED_TIME_SCALE"
	EnvPending   = "FAKESCHED_PENDING"
	EnvGrace     = "FAKESCHED_GRACE"
	EnvForget    = "FAKESCHED_FORGET"
	EnvFirstID   = "FAKESCHED_FIRST_ID"
	EnvFluxURI   = "FAKESCHED_FLUX_URI"
	EnvFluxCores = "FAKESCHED_FLUX_CORES"
	EnvQueues    = "FAKESCHED_FLUX_QUEUES"
	EnvHidden    = "FAKESCHED_HIDDEN"
	EnvFail      = "FAKESCHED_FAIL"
	EnvHang      = "FAKESCHED_HANG"
	EnvLose      = "FAKESCHED_LOSE"
)

// Names are the commands Install provides.
var Names = []string{"flux", "bsub", "bjobs", "bkill"}

// supervisorName is the argv[0] of the process that runs one job.
const supervisorName = "fakesched-job"

// Commands are the names under which a binary must run Main: the fakes
// and the process that runs one job (for testscript.Main's commands).
func Commands() []string { return append(append([]string(nil), Names...), supervisorName) }

// Main runs the fake named by the base name of os.Args[0] and exits with
// its status. It returns false, doing nothing, when the binary was not
// started as a fake.
func Main() (handled bool) {
	var run func([]string) int
	name := filepath.Base(os.Args[0])
	if spec := os.Getenv(EnvReplay); spec != "" && name != supervisorName {
		os.Exit(replay(spec, os.Args[1:]))
	}
	switch name {
	case "bsub":
		run = bsub
	case "bjobs":
		run = bjobs
	case "bkill":
		run = bkill
	case "flux":
		run = flux
	case supervisorName:
		run = supervise
	default:
		return false
	}
	os.Exit(run(os.Args[1:]))
	return true
}

// Install makes a directory holding symlinks to the running test binary
// under the names of the fakes, and returns it (for the front of PATH).
func Install(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, name := range Names {
		if err := os.Symlink(exe, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// Fake is the fakes installed for one test, with their state directory.
type Fake struct {
	Bin, Dir string
	mu       sync.Mutex
	vars     map[string]string
}

// Start installs the fakes with a fresh state directory; vars are
// "NAME=value" settings of the fakes. The fakes' environment is
// f.Environ, for adapters.Config.Env (scheduler commands are looked up on
// its PATH): nothing of this process changes, so tests with fakes of their
// own can run in parallel. When the test ends every job still running is
// cancelled.
func Start(t testing.TB, vars ...string) *Fake {
	t.Helper()
	f := &Fake{Bin: Install(t), Dir: t.TempDir(), vars: map[string]string{}}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		f.vars[k] = v
	}
	t.Cleanup(func() { Shutdown(f.Dir) })
	return f
}

// Set changes a variable for the commands run from now on ("" unsets).
func (f *Fake) Set(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vars[name] = value
}

// Environ is the environment of scheduler commands: this process's, with
// the fakes first on PATH and the fakes' variables.
func (f *Fake) Environ() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := os.Getenv("PATH")
	if !strings.HasPrefix(path, f.Bin+string(os.PathListSeparator)) {
		path = f.Bin + string(os.PathListSeparator) + path
	}
	set := map[string]string{EnvDir: f.Dir, "PATH": path}
	if os.Getenv("GORACE") == "" {
		set["GORACE"] = "atexit_sleep_ms=0" // a race-enabled fake would take a second to exit
	}
	for k, v := range f.vars {
		set[k] = v
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !has(set, k) && !strings.HasPrefix(k, "FAKESCHED_") {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func has(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// Shutdown cancels every job of a state directory that has not ended and
// waits (up to 10 s) until they have.
func Shutdown(dir string) {
	s := &store{dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		live := 0
		for _, j := range s.all("") {
			if j.Phase != ended {
				live++
				s.requestCancel(j.ID)
			}
		}
		if live == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// injected says how an operation (submit, query, cancel) must misbehave:
// "fail", "hang" or "".
func injected(op string) string {
	for _, m := range []struct{ env, mode string }{{EnvHang, "hang"}, {EnvFail, "fail"}, {EnvLose, "lose"}} {
		list := os.Getenv(m.env)
		if dir := os.Getenv(EnvDir); dir != "" {
			if data, err := os.ReadFile(filepath.Join(dir, m.mode)); err == nil {
				list += "," + string(data)
			}
		}
		for _, v := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			if v == op {
				return m.mode
			}
		}
	}
	return ""
}

// hang never returns, as a command waiting for a daemon that does not
// answer (the adapters kill it at their deadline).
func hang() int {
	time.Sleep(math.MaxInt64)
	return 1
}

// duration reads a Go duration variable.
func duration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d >= 0 {
		return d
	}
	return def
}

// scaled shortens a walltime by FAKESCHED_TIME_SCALE.
func scaled(d time.Duration) time.Duration {
	f, err := strconv.ParseFloat(os.Getenv(EnvTimeScale), 64)
	if err != nil || f <= 0 {
		return d
	}
	return time.Duration(float64(d) * f)
}

// user is the submitting user as the schedulers list it.
func user() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(syscall.Getuid())
}
