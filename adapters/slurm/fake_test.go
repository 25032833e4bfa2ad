package slurm_test

// A fake Slurm for tests without a cluster: sbatch, squeue, sacct,
// scontrol and scancel are this test binary (TestMain), replaying what the
// real commands printed. The recordings (testdata/slurm/replay/*.jsonl)
// are made on the real cluster by the same tests with
// MAESTRO_SLURM_RECORD=1: then each command runs the real one and appends
// its arguments, output and exit status to the recording.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var slurmCommands = []string{"sbatch", "squeue", "sacct", "scontrol", "scancel"}

// Environment of the fake commands.
const (
	envRecord = "MAESTRO_FAKESLURM_RECORD" // recording to append to (record mode)
	envReplay = "MAESTRO_FAKESLURM_REPLAY" // recording to replay
	envState  = "MAESTRO_FAKESLURM_STATE"  // replay: directory of call counters and temp dirs seen
	envBin    = "MAESTRO_FAKESLURM_BIN"    // the directory of the fake commands, left off PATH for the real ones
)

func TestMain(m *testing.M) {
	if name := filepath.Base(os.Args[0]); slices.Contains(slurmCommands, name) {
		os.Exit(fakeMain(name, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// call is one recorded command: its arguments with temporary directories
// written as $TMP/<test>, what it printed and how it exited.
type call struct {
	Args   []string          `json:"args,omitempty"`
	Stdout string            `json:"stdout,omitempty"`
	Stderr string            `json:"stderr,omitempty"`
	Exit   int               `json:"exit"`
	Meta   map[string]string `json:"meta,omitempty"` // what the test itself recorded
}

// tempDirs matches a test's temporary directory, t.TempDir()'s parent:
// the test's name without unusual characters, then random digits.
var tempDirs = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/(Test[A-Za-z_]*)[0-9]+/`)

func fakeMain(name string, args []string) int {
	if path := os.Getenv(envRecord); path != "" {
		return record(path, name, args)
	}
	if path := os.Getenv(envReplay); path != "" {
		return replay(path, os.Getenv(envState), name, args)
	}
	fmt.Fprintf(os.Stderr, "fake %s: neither %s nor %s is set\n", name, envRecord, envReplay)
	return 99
}

func normalize(s string) string { return tempDirs.ReplaceAllString(s, "$$TMP/$1/") }

// record runs the real command and appends the call to the recording.
func record(path, name string, args []string) int {
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if d != os.Getenv(envBin) {
			dirs = append(dirs, d)
		}
	}
	os.Setenv("PATH", strings.Join(dirs, string(os.PathListSeparator)))
	real, err := exec.LookPath(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "record %s: %v\n", name, err)
		return 99
	}
	cmd := exec.Command(real, args...)
	cmd.Stdin = os.Stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	c := call{Stdout: normalize(out.String()), Stderr: normalize(errb.String())}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		c.Exit = ee.ExitCode()
	case err != nil:
		fmt.Fprintf(os.Stderr, "record %s: %v\n", name, err)
		return 99
	}
	for _, a := range append([]string{name}, args...) {
		c.Args = append(c.Args, normalize(a))
	}
	if err := appendCall(path, c); err != nil {
		fmt.Fprintf(os.Stderr, "record %s: %v\n", name, err)
		return 99
	}
	os.Stdout.Write(out.Bytes())
	os.Stderr.Write(errb.Bytes())
	return c.Exit
}

// appendCall adds one line to a recording, under an exclusive lock: the
// conformance suite's subtests run commands side by side.
func appendCall(path string, c call) error {
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	return err
}

func readCalls(path string) ([]call, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var calls []call
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var c call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		calls = append(calls, c)
	}
	return calls, sc.Err()
}

// replay answers as the real command did when called with the same
// arguments. The same arguments get the recorded answers in order (a job
// that was PENDING, then RUNNING, then COMPLETED), the last one again once
// they run out.
func replay(path, stateDir, name string, args []string) int {
	calls, err := readCalls(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fake %s: %v\n", name, err)
		return 99
	}
	// Learn where each test's temporary directory is, to write it back
	// into what the commands print (squeue %Z, sacct WorkDir).
	key := []string{name}
	for _, a := range args {
		for _, m := range tempDirs.FindAllStringSubmatch(a, -1) {
			os.WriteFile(filepath.Join(stateDir, "dir-"+m[1]), []byte(m[0]), 0o644)
		}
		key = append(key, normalize(a))
	}
	var answers []call
	for _, c := range calls {
		if slices.Equal(c.Args, key) {
			answers = append(answers, c)
		}
	}
	if len(answers) == 0 {
		fmt.Fprintf(os.Stderr, "fake %s: no recorded call %q in %s (record again: see testdata/slurm/replay/README.md)\n", name, key, path)
		return 99
	}
	sum := sha256.Sum256([]byte(strings.Join(key, "\x00")))
	counter := filepath.Join(stateDir, "calls-"+hex.EncodeToString(sum[:8]))
	n := 0
	if data, err := os.ReadFile(counter); err == nil {
		n, _ = strconv.Atoi(string(data))
	}
	os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o644)
	c := answers[min(n, len(answers)-1)]
	denormalize := func(s string) string {
		return regexp.MustCompile(`\$TMP/(Test[A-Za-z_]*)/`).ReplaceAllStringFunc(s, func(m string) string {
			test := strings.TrimSuffix(strings.TrimPrefix(m, "$TMP/"), "/")
			if dir, err := os.ReadFile(filepath.Join(stateDir, "dir-"+test)); err == nil {
				return string(dir)
			}
			return m
		})
	}
	os.Stdout.WriteString(denormalize(c.Stdout))
	os.Stderr.WriteString(denormalize(c.Stderr))
	return c.Exit
}

// fakeSlurm puts the fake commands first on PATH for the rest of the test,
// replaying testdata/slurm/replay/NAME.jsonl, or, with
// MAESTRO_SLURM_RECORD=1 on a machine with a Slurm cluster, recording it
// anew. It reports whether it records.
func fakeSlurm(t *testing.T, name string) (recording bool, cassette string) {
	t.Helper()
	cassette = filepath.Join("..", "..", "testdata", "slurm", "replay", name+".jsonl")
	recording = os.Getenv("MAESTRO_SLURM_RECORD") == "1"
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The same temporary directories in both modes: recordings name them
	// by test and number.
	bin, stateDir := t.TempDir(), t.TempDir()
	for _, c := range slurmCommands {
		if err := os.Symlink(exe, filepath.Join(bin, c)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(envBin, bin)
	if os.Getenv("GORACE") == "" {
		t.Setenv("GORACE", "atexit_sleep_ms=0") // a race-enabled fake would take a second to exit
	}
	if recording {
		requireSlurm(t)
		if err := os.MkdirAll(filepath.Dir(cassette), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(cassette); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(cassette)
		t.Setenv(envRecord, abs)
		t.Setenv(envReplay, "")
		t.Logf("recording %s from the real cluster", cassette)
		return true, abs
	}
	abs, _ := filepath.Abs(cassette)
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("no recording to replay: %v", err)
	}
	t.Setenv(envRecord, "")
	t.Setenv(envReplay, abs)
	t.Setenv(envState, stateDir)
	return false, abs
}

// meta returns what the test recorded itself under key, recording value
// when it records.
func meta(t *testing.T, recording bool, cassette, key, value string) string {
	t.Helper()
	if recording {
		if err := appendCall(cassette, call{Meta: map[string]string{key: value}}); err != nil {
			t.Fatal(err)
		}
		return value
	}
	calls, err := readCalls(cassette)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if v, ok := c.Meta[key]; ok {
			return v
		}
	}
	t.Fatalf("%s records no %s", cassette, key)
	return ""
}
