package flux_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/adapters/flux"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// The tests of this file replay every recording of real flux-core 0.88.0
// (testdata/flux/captured, copied from ../shared/flux/captured) through
// the adapter: the command it runs must be the recorded one, and what it
// makes of the recorded answer is checked.

const captured = "../../testdata/flux/captured"

func rec(t *testing.T, name string) fakesched.Recording {
	return fakesched.Load(t, filepath.Join(captured, name))
}

// play answers the recorded command with the recordings of its streams
// (stdout first when both are given) and the exit status of the first.
func play(t *testing.T, ws string, names ...string) fakesched.Play {
	t.Helper()
	first := rec(t, names[0])
	p := fakesched.Play{Exit: first.Exit, Args: first.Args(t, ws)}
	for _, n := range names {
		r := rec(t, n)
		if r.Command != first.Command {
			t.Fatalf("%s and %s record different commands", names[0], n)
		}
		if r.Stream == "stdout" {
			p.Stdout = r.Body
		} else {
			p.Stderr = r.Body
		}
	}
	return p
}

func open(t *testing.T) adapters.Executor {
	t.Helper()
	ex, err := flux.New().Open(adapters.Config{Batch: &spec.Batch{Type: "flux"}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// legend is the decimal id of each job of jobs*.txt, in order.
func legend(t *testing.T) (f58s, decs []string) {
	for _, line := range strings.Split(strings.TrimSpace(rec(t, "jobs-legend.txt").Body), "\n") {
		f := strings.Fields(line)
		f58s, decs = append(f58s, f[0]), append(decs, f[1])
	}
	return f58s, decs
}

// jobsWant is what jobs.txt says of its fifteen jobs (jobs-legend.txt).
var jobsWant = []adaptertest.Want{
	{State: state.Pending, Code: -1}, {State: state.Pending, Code: -1}, {State: state.Running, Code: -1},
	{State: state.Finished, Code: 0}, {State: state.Failed, Code: 3}, {State: state.Failed, Code: 137},
	{State: state.Failed, Code: 143}, {State: state.TimedOut, Code: 142}, {State: state.Cancelled, Code: 143},
	{State: state.Cancelled, Code: -1}, {State: state.Failed, Code: 1}, {State: state.Finished, Code: 0},
	{State: state.Failed, Code: 3}, {State: state.TimedOut, Code: 142}, {State: state.Cancelled, Code: 143},
}

func query(t *testing.T, ids []string) (map[string]adapters.Status, error) {
	t.Helper()
	return open(t).Query(context.Background(), ids)
}

// TestReplayQuery: `flux jobs` prints F58 ids ({id}) in both locales, and
// decimal ones for {id.dec}; the adapter reads all three the same, for
// ids given in decimal or in F58 (as Submit returns them).
func TestReplayQuery(t *testing.T) {
	f58s, decs := legend(t)
	for _, c := range []struct {
		stdout string
		ids    []string
	}{{"jobs.txt", decs}, {"jobs.txt", f58s}, {"jobs-ascii.txt", decs}, {"jobs-dec.txt", decs}} {
		// The adapter's command is jobs.txt's; jobs-dec's differs in its format.
		p := play(t, "", "jobs.txt", "jobs.stderr")
		p.Stdout = rec(t, c.stdout).Body
		fakesched.Replay(t, []fakesched.Play{p}, "flux")
		res, err := query(t, c.ids)
		if err != nil {
			t.Fatalf("%s: %v", c.stdout, err)
		}
		want := map[string]adaptertest.Want{}
		for i, id := range c.ids {
			want[id] = jobsWant[i]
		}
		adaptertest.CheckStatuses(t, res, want)
	}
}

// TestReplayQueryUnknown: unknown ids are left out, and are an answer
// (exit 0 with one known id, exit 1 with none), not an outage; a broker
// that cannot be reached is one.
func TestReplayQueryUnknown(t *testing.T) {
	fakesched.Replay(t, []fakesched.Play{play(t, "", "jobs-unknown.txt", "jobs-unknown.stderr")}, "flux")
	res, err := query(t, []string{"39963328512", "999999"})
	if err != nil {
		t.Fatal(err)
	}
	adaptertest.CheckStatuses(t, res, map[string]adaptertest.Want{"39963328512": {State: state.Finished, Code: 0}})

	fakesched.Replay(t, []fakesched.Play{play(t, "", "jobs-none-known.stderr")}, "flux")
	if res, err := query(t, []string{"999999", "1000000"}); err != nil || len(res) != 0 {
		t.Errorf("only unknown ids: %v %v", res, err)
	}
	// The recorded call gave the id in F58; the adapter gives it in decimal.
	p := play(t, "", "jobs-f58-unknown.stderr")
	p.Args[len(p.Args)-1] = "999999"
	fakesched.Replay(t, []fakesched.Play{p}, "flux")
	if res, err := query(t, []string{"ƒ68GN"}); err != nil || len(res) != 0 {
		t.Errorf("an unknown id in F58: %v %v", res, err)
	}
	for _, down := range []string{"jobs-down.stderr", "jobs-no-uri.stderr"} {
		fakesched.Replay(t, []fakesched.Play{play(t, "", down)}, "flux")
		res, err := query(t, []string{"999999"})
		if !errors.Is(err, adapters.ErrUnavailable) || res != nil {
			t.Errorf("%s: %v %v; want the scheduler unavailable", down, res, err)
		}
	}
	// An id flux cannot read is never given to it; if it were, exit 2 is a
	// failure, not an answer.
	calls := fakesched.Replay(t, []fakesched.Play{play(t, "", "jobs-badid.stderr")}, "flux")
	if res, err := query(t, []string{"notanid"}); err != nil || len(res) != 0 || calls() != 0 {
		t.Errorf("a malformed id: %v %v after %d calls", res, err, calls())
	}
	p = play(t, "", "jobs-badid.stderr")
	p.Args = nil
	fakesched.Replay(t, []fakesched.Play{p}, "flux")
	if _, err := query(t, []string{"999999"}); err == nil || errors.Is(err, adapters.ErrUnavailable) {
		t.Errorf("flux jobs' usage error read as %v", err)
	}
}

// TestReplayLong: the long listing of the same jobs agrees with the query
// (TIMEOUT is 142, SIGALRM; CANCELED before running is -128), and the
// legend's F58 and decimal ids are the same numbers.
func TestReplayLong(t *testing.T) {
	f58s, decs := legend(t)
	for i, f := range f58s {
		n, err := flux.ParseID(f)
		if err != nil || flux.F58(n) != f || strconv.FormatUint(n, 10) != decs[i] {
			t.Errorf("legend %s %s: ParseID %d %v, F58 %s", f, decs[i], n, err, flux.F58(n))
		}
	}
	lines := strings.Split(strings.TrimSpace(rec(t, "jobs-long.txt").Body), "\n")[1:]
	for i, line := range lines {
		f := strings.Fields(line)
		st, ok := flux.State(f[2])
		if !ok || st != jobsWant[i].State {
			t.Errorf("%s: %s (%v), want %s", line, st, ok, jobsWant[i].State)
		}
		if st == state.TimedOut && f[6] != "142" {
			t.Errorf("%s: a time limit is not SIGALRM", line)
		}
	}
	if v := rec(t, "flux-version.txt").Body; !strings.Contains(v, "commands:    \t\t0.88.0") {
		t.Errorf("flux-version.txt: %q", v)
	}
}

// script writes ws/name with #flux: lines for opts.
func script(t *testing.T, ws, name string, opts ...string) string {
	t.Helper()
	text := "#!/bin/bash\n"
	for _, o := range opts {
		text += "#flux: " + o + "\n"
	}
	path := filepath.Join(ws, name)
	if err := os.WriteFile(path, []byte(text+"\ntrue\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReplaySubmit: flux submit with the directives as options, flux
// batch for a nested step; the F58 id in either locale is the job's id.
func TestReplaySubmit(t *testing.T) {
	for _, c := range []struct {
		file   string
		opts   []string
		nested bool
		id     string
	}{
		{"submit.txt", []string{"-n 1", "--job-name=finish", "--output=finish.out", "--error=finish.err"}, false, "ƒGx7GrB"},
		{"submit-ascii.txt", []string{"-n 1"}, false, "fPyosM1"},
		{"submit-bank.txt", []string{"-n 1", "--bank=guests"}, false, "ƒj6kc8w"},
		{"submit-urgency.txt", []string{"-n 1", "--urgency=31"}, false, "ƒnxcjh1"},
		{"batch.txt", []string{"-n 1"}, true, "ƒLadWs9"},
	} {
		ws := t.TempDir()
		path := script(t, ws, "finish.flux.sh", c.opts...)
		fakesched.Replay(t, []fakesched.Play{play(t, ws, c.file)}, "flux")
		id, err := open(t).Submit(context.Background(), &adapters.Job{Name: "finish", Script: path, Workspace: ws, Nested: c.nested})
		if err != nil || id != c.id {
			t.Errorf("%s: %q %v; want %s", c.file, id, err, c.id)
		}
	}
}

// TestReplaySubmitRefused: a queue the instance lacks is one line quoting
// flux, and costs an attempt; no broker is an outage; a missing script
// is never submitted.
func TestReplaySubmitRefused(t *testing.T) {
	for _, c := range []struct {
		file, quote string
		nested      bool
	}{
		{"submit-badqueue.stderr", "[Errno 22] 'nosuchqueue' is not a valid queue", false},
		{"submit-badqueue-with-queues.stderr", "[Errno 1] Invalid queue 'nosuchqueue' specified", false},
		{"batch-badqueue.stderr", "flux-batch: ERROR: 'nosuchqueue' is not a valid queue", true},
		{"batch-badqueue-with-queues.stderr", "flux-batch: ERROR: Invalid queue 'nosuchqueue' specified", true},
	} {
		ws := t.TempDir()
		path := script(t, ws, "finish.flux.sh", "-n 1", "-q nosuchqueue")
		p := play(t, ws, c.file)
		if c.nested {
			p.Args = []string{"batch", "--cwd=" + ws, path} // the adapter leaves the options in the script
		}
		fakesched.Replay(t, []fakesched.Play{p}, "flux")
		_, err := open(t).Submit(context.Background(), &adapters.Job{Name: "finish", Script: path, Workspace: ws, Nested: c.nested})
		if err == nil || !strings.Contains(err.Error(), c.quote) || !strings.Contains(err.Error(), "batch.queue") ||
			strings.Contains(err.Error(), "\n") || errors.Is(err, adapters.ErrUnavailable) {
			t.Errorf("%s: %v", c.file, err)
		}
	}
	ws := t.TempDir()
	fakesched.Replay(t, []fakesched.Play{play(t, ws, "submit-down.stderr")}, "flux")
	if _, err := open(t).Submit(context.Background(), &adapters.Job{Name: "finish", Script: script(t, ws, "finish.flux.sh", "-n 1"), Workspace: ws}); !errors.Is(err, adapters.ErrUnavailable) {
		t.Errorf("submit-down.stderr: %v", err)
	}
	fakesched.Replay(t, []fakesched.Play{play(t, ws, "batch-nosize.stderr")}, "flux")
	if _, err := open(t).Submit(context.Background(), &adapters.Job{Name: "nosize", Script: script(t, ws, "nosize.flux.sh"), Workspace: ws, Nested: true}); err == nil ||
		!strings.Contains(err.Error(), "Number of slots to allocate must be specified") {
		t.Errorf("batch-nosize.stderr: %v", err)
	}
	// flux submit takes a missing script as the command (exit 0, the job
	// fails at exec); the adapter reads the script first and runs nothing.
	calls := fakesched.Replay(t, []fakesched.Play{play(t, ws, "submit-missing-script.stderr")}, "flux")
	if _, err := open(t).Submit(context.Background(), &adapters.Job{Name: "x", Script: filepath.Join(ws, "does-not-exist.sh"), Workspace: ws}); err == nil || calls() != 0 {
		t.Errorf("a missing script: %v after %d calls", err, calls())
	}
}

// TestReplayExclusive: flux refuses --exclusive without -N, so a step
// that sets exclusive without nodes gets one whole node.
func TestReplayExclusive(t *testing.T) {
	r := rec(t, "submit-exclusive.stderr")
	if !strings.Contains(r.Body, "exclusive can only be set with a node count") || !strings.Contains(r.Command, "--exclusive") || strings.Contains(r.Command, " -N") {
		t.Fatalf("recording: %s %q", r.Command, r.Body)
	}
	b := &spec.Batch{Type: "flux", Shell: "/bin/bash"}
	for _, c := range []struct{ nodes, want string }{{"", "-N 1"}, {"3", "-N 3"}} {
		h, err := flux.New().Header(&adapters.Script{JobName: "x", Batch: b,
			Step: &spec.Step{Name: "x", Run: spec.Run{Cmd: "true", Procs: "1", Nodes: c.nodes, Exclusive: "true"}}})
		text := strings.Join(h, "\n")
		if err != nil || !strings.Contains(text, "#flux: "+c.want+"\n") || !strings.Contains(text, "#flux: --exclusive") {
			t.Errorf("nodes %q: %v\n%s", c.nodes, err, text)
		}
	}
	// What flux says if a script still carries it reaches the caller.
	ws := t.TempDir()
	p := play(t, ws, "submit-exclusive.stderr")
	fakesched.Replay(t, []fakesched.Play{p}, "flux")
	if _, err := open(t).Submit(context.Background(), &adapters.Job{Name: "finish", Script: script(t, ws, "finish.flux.sh", "-n 1", "--exclusive"), Workspace: ws}); err == nil ||
		!strings.Contains(err.Error(), "exclusive can only be set with a node count") {
		t.Errorf("submit-exclusive.stderr: %v", err)
	}
}

// TestReplayCancel: a running job is cancelled silently; an ended or
// unknown one is not an error (in either locale); no broker is an outage.
func TestReplayCancel(t *testing.T) {
	for _, c := range []struct {
		file string
		ids  []string
		ok   bool
	}{
		{"cancel-running.stderr", []string{"227314499584"}, true},
		{"cancel-ended.stderr", []string{"39963328512", "999999"}, true},
		{"cancel-ended-ascii.stderr", []string{"f23tRWGP", "ƒ68GN"}, true},
		{"cancel-down.stderr", []string{"999999"}, false},
	} {
		fakesched.Replay(t, []fakesched.Play{play(t, "", c.file)}, "flux")
		err := open(t).Cancel(context.Background(), c.ids)
		if c.ok && err != nil || !c.ok && !errors.Is(err, adapters.ErrUnavailable) {
			t.Errorf("%s: %v", c.file, err)
		}
	}
	calls := fakesched.Replay(t, []fakesched.Play{play(t, "", "cancel-badid.stderr")}, "flux")
	if err := open(t).Cancel(context.Background(), []string{"notanid"}); err != nil || calls() != 0 {
		t.Errorf("a malformed id: %v after %d calls", err, calls())
	}
	p := play(t, "", "cancel-badid.stderr")
	p.Args = nil
	fakesched.Replay(t, []fakesched.Play{p}, "flux")
	if err := open(t).Cancel(context.Background(), []string{"999999"}); err == nil {
		t.Error("flux cancel's usage error read as success")
	}
}

// TestEveryRecordingReplayed: each file of testdata/flux/captured is used
// by a test of this file.
func TestEveryRecordingReplayed(t *testing.T) {
	src, err := os.ReadFile("replay_test.go")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(captured)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, e := range entries {
		if !strings.Contains(string(src), `"`+e.Name()+`"`) {
			missing = append(missing, e.Name())
		}
	}
	sort.Strings(missing)
	if len(entries) < 32 || len(missing) > 0 {
		t.Errorf("%d recordings; not replayed: %v", len(entries), missing)
	}
}
