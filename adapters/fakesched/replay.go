package fakesched

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// EnvReplay names the file that tells a replaying command what to print:
// when it is set, the fake commands replay a recording of the real tool
// instead of keeping job state.
const EnvReplay = "FAKESCHED_REPLAY"

// Recording is one file of a real tool's output (testdata/flux/captured,
// testdata/lsf/observed): its first line is "# <command> (<stream>,
// exit N), <version and notes>"; the rest is what the command printed on
// that stream.
type Recording struct {
	File    string
	Command string // as the header gives it; LSF recordings elide ids ("IDS")
	Stream  string // "stdout" or "stderr"
	Exit    int    // -1 when the header states none
	Body    string
}

var recordingHeader = regexp.MustCompile(`^# (.+?) \((stdout|stderr)([^)]*)\)`)
var recordedExit = regexp.MustCompile(`exit (-?\d+)`)

// Load reads a recording. A file without the header (flux version's
// output) is all body; a header that names no command (a legend) is
// dropped.
func Load(t testing.TB, path string) Recording {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := Recording{File: filepath.Base(path), Exit: -1, Body: string(data)}
	first, rest, _ := strings.Cut(string(data), "\n")
	if strings.HasPrefix(first, "# ") {
		r.Body = rest
	}
	if m := recordingHeader.FindStringSubmatch(first); m != nil {
		r.Command, r.Stream = m[1], m[2]
		if e := recordedExit.FindStringSubmatch(m[3]); e != nil {
			r.Exit, _ = strconv.Atoi(e[1])
		}
	}
	return r
}

// Args are the words of the recorded command after the program, with the
// workspace of the recording (/WS) replaced by ws.
func (r Recording) Args(t testing.TB, ws string) []string {
	t.Helper()
	w, err := split(r.Command, false)
	if err != nil || len(w) == 0 {
		t.Fatalf("%s: cannot read the command %q: %v", r.File, r.Command, err)
	}
	for len(w) > 1 && w[0] == "env" { // env -u NAME program ...
		if w[1] == "-u" && len(w) > 2 {
			w = append([]string{"env"}, w[3:]...)
		} else {
			w = w[1:]
		}
	}
	for i := range w {
		w[i] = strings.ReplaceAll(w[i], "/WS", ws)
	}
	return w[1:]
}

// Play is one answer of a replaying command.
type Play struct {
	Stdout, Stderr string
	Exit           int
	// Args, when not nil, are the arguments the command must be given;
	// other arguments make it fail with exit status 99 and say why.
	Args []string
}

// Replay makes the commands named answer with the plays, one per call in
// turn (the last one repeats), for the rest of the test, and returns a
// function that counts the calls made so far.
func Replay(t testing.TB, plays []Play, names ...string) (calls func() int) {
	t.Helper()
	bin, dir := t.TempDir(), t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.Symlink(exe, filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := json.Marshal(plays)
	spec := filepath.Join(dir, "plays.json")
	if err := os.WriteFile(spec, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(EnvReplay, spec)
	return func() int {
		n, _ := os.ReadFile(spec + ".calls")
		return len(n)
	}
}

// replay plays the next answer of $FAKESCHED_REPLAY.
func replay(spec string, args []string) int {
	data, err := os.ReadFile(spec)
	var plays []Play
	if err == nil {
		err = json.Unmarshal(data, &plays)
	}
	if err != nil || len(plays) == 0 {
		fmt.Fprintln(os.Stderr, "replay:", spec, err)
		return 99
	}
	// One byte per call: the count survives concurrent calls.
	f, err := os.OpenFile(spec+".calls", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		return 99
	}
	f.Write([]byte{'.'})
	f.Close()
	n, _ := os.ReadFile(spec + ".calls")
	p := plays[min(len(n), len(plays))-1]
	if p.Args != nil && strings.Join(p.Args, "\x00") != strings.Join(args, "\x00") {
		fmt.Fprintf(os.Stderr, "replay: called with %q, the recording has %q\n", args, p.Args)
		return 99
	}
	fmt.Fprint(os.Stdout, p.Stdout)
	fmt.Fprint(os.Stderr, p.Stderr)
	return p.Exit
}
