package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// update rewrites the golden files from the current output:
//
//	go test ./status -run TestJSONGolden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/json")

var timeSeed = flag.Int64("time.seed", 0, "seed of TestAppendTime (0: from the clock)")

const jsonGoldenDir = "../testdata/json"

var (
	zone    = time.FixedZone("UTC+2", 2*60*60) // stored times keep their zone; the document is in UTC
	created = time.Date(2026, 3, 4, 12, 0, 0, 0, zone)
	now     = created.Add(10 * time.Minute)
)

func at(sec float64) time.Time { return created.Add(time.Duration(sec * float64(time.Second))) }

func code(n int) *int { return &n }

// newStudy writes a study database into a new directory.
func newStudy(t testing.TB, name string, st state.Study, steps []store.StepInfo, status []store.StepStatus) (*store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	info := &store.StudyInfo{Name: name, Dir: dir, Created: created}
	s, err := store.Create(dir, info, store.Settings{Attempts: 1}, steps, status, st)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// failedStudy has a step in most states, a failure with an exit code,
// retries and restarts, and parameters that need escaping.
func failedStudy(t testing.TB) (*store.Store, string) {
	steps := []store.StepInfo{
		{Name: "setup", Workspace: "setup", JobName: "setup"},
		{Name: "sim_N.1.MSG.hi", Workspace: "sim/N.1.MSG.hi", JobName: "sim_N.1.MSG.hi",
			Params: []store.KV{{Key: "N", Value: "1"}, {Key: "MSG", Value: "hi"}}},
		{Name: "sim_N.2.MSG.say_hello", Workspace: "sim/N.2.MSG.say_hello", JobName: "sim_N.2.MSG.say_hello",
			Params: []store.KV{{Key: "N", Value: "2"}, {Key: "MSG", Value: "say \"hello\"\tand\\or ünïcödé"}}},
		{Name: "bad", Workspace: "bad", JobName: "bad"},
		{Name: "after_bad", Workspace: "after_bad", JobName: "after_bad"},
		{Name: "slow", Workspace: "slow", JobName: "slow"},
		{Name: "queued", Workspace: "queued", JobName: "queued"},
		{Name: "last", Workspace: "last", JobName: "last"},
	}
	status := []store.StepStatus{
		{State: state.Finished, JobID: "4101", Submitted: at(0), Started: at(0.25), Ended: at(1.5), ExitCode: code(0)},
		{State: state.Finished, JobID: "4102", Submitted: at(2), Started: at(3), Ended: at(90.125), ExitCode: code(0)},
		{State: state.Finished, JobID: "4107", Submitted: at(2), Started: at(60), Ended: at(3725), ExitCode: code(0),
			Restarts: 1, Reason: "walltime exceeded; restart 1 with the restart cmd"},
		{State: state.Failed, JobID: "4103", Submitted: at(2), Started: at(2), Ended: at(4), ExitCode: code(3),
			Attempts: 2, Reason: "exit code 3"},
		{State: state.Failed, Ended: at(4), Reason: "a parent failed"},
		{State: state.Running, JobID: "4104", Submitted: at(5), Started: at(10)},
		{State: state.Pending, JobID: "4105", Submitted: at(300)},
		{State: state.Initialized},
	}
	return newStudy(t, "fail \"fast\"", state.StudyRunning, steps, status)
}

func dryStudy(t testing.TB) (*store.Store, string) {
	steps := []store.StepInfo{
		{Name: "hello_X.1", Workspace: "hello/X.1", JobName: "hello_X.1", Params: []store.KV{{Key: "X", Value: "1"}}},
		{Name: "bye", Workspace: "bye", JobName: "bye"},
	}
	status := []store.StepStatus{{State: state.DryRun}, {State: state.DryRun}}
	return newStudy(t, "dry", state.StudyDryRun, steps, status)
}

// document is WriteJSON's output for the study in dir, its path normalised.
func document(t *testing.T, s *store.Store, dir string) []byte {
	t.Helper()
	snap, err := ReadSnapshot(s, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, snap, now); err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(dir)
	return bytes.ReplaceAll(out.Bytes(), quoted[1:len(quoted)-1], []byte("$STUDY"))
}

// TestJSONGolden compares the documents, indented, with the golden files;
// the raw output must be one line of compact JSON.
func TestJSONGolden(t *testing.T) {
	for name, study := range map[string]func(testing.TB) (*store.Store, string){
		"failure": failedStudy,
		"dry":     dryStudy,
	} {
		t.Run(name, func(t *testing.T) {
			s, dir := study(t)
			raw := document(t, s, dir)
			if bytes.Count(raw, []byte("\n")) != 1 || !bytes.HasSuffix(raw, []byte("\n")) {
				t.Fatalf("not one line:\n%s", raw)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, raw)
			}
			if !bytes.Equal(compact.Bytes(), bytes.TrimSuffix(raw, []byte("\n"))) {
				t.Errorf("not compact:\n%s", raw)
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, raw, "", "  ")
			path := filepath.Join(jsonGoldenDir, name+".json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s differs (run with -update to accept):\n%s", path, pretty.Bytes())
			}
		})
	}
}

// TestJSONDecodes reads the document back with encoding/json.
func TestJSONDecodes(t *testing.T) {
	s, dir := failedStudy(t)
	snap, err := ReadSnapshot(s, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, snap, now); err != nil {
		t.Fatal(err)
	}
	var doc Document
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != JSONSchema || doc.Study != `fail "fast"` || doc.Path != dir || doc.State != "RUNNING" ||
		!doc.Created.Equal(created) || doc.Total != 8 || len(doc.Steps) != 8 {
		t.Errorf("study fields: %+v", doc)
	}
	wantCounts := map[string]int{"INITIALIZED": 1, "PENDING": 1, "RUNNING": 1, "FINISHED": 3, "FAILED": 2}
	if len(doc.Counts) != len(wantCounts) {
		t.Errorf("counts %v, want %v", doc.Counts, wantCounts)
	}
	for k, n := range wantCounts {
		if doc.Counts[k] != n {
			t.Errorf("counts[%s] = %d, want %d", k, doc.Counts[k], n)
		}
	}
	bad := doc.Steps[3]
	if bad.Name != "bad" || bad.State != "FAILED" || bad.ExitCode == nil || *bad.ExitCode != 3 || bad.Attempts != 2 ||
		bad.Reason != "exit code 3" || *bad.JobID != "4103" || *bad.Run != 2 || !bad.End.Equal(at(4)) {
		t.Errorf("the failed step: %+v", bad)
	}
	if p := doc.Steps[2].Params; len(p) != 2 || p[0].Name != "N" || p[1].Value != "say \"hello\"\tand\\or ünïcödé" {
		t.Errorf("params %+v", p)
	}
	if r := doc.Steps[2]; r.Restarts != 1 || *r.Run != 3665 || *r.Elapsed != 3723 {
		t.Errorf("restarted step: %+v", r)
	}
	slow := doc.Steps[5] // RUNNING: measured up to now
	if *slow.Run != 590 || *slow.Elapsed != 595 || slow.End != nil || slow.ExitCode != nil {
		t.Errorf("the running step: %+v", slow)
	}
	last := doc.Steps[7] // not started: nulls
	if last.JobID != nil || last.Run != nil || last.Elapsed != nil || last.Start != nil || last.Submit != nil ||
		last.End != nil || last.ExitCode != nil || last.Params == nil {
		t.Errorf("the step not started: %+v", last)
	}
	if *doc.Steps[1].Run != 87.125 {
		t.Errorf("milliseconds: run %v", *doc.Steps[1].Run)
	}
}

func TestCounts(t *testing.T) {
	got := Counts([]store.StepStatus{{State: state.Failed}, {State: "ZOMBIE"}, {State: state.Finished},
		{State: state.Failed}, {State: "ALIEN"}, {State: state.Initialized}})
	want := []Count{{state.Initialized, 1}, {state.Finished, 1}, {state.Failed, 2}, {"ALIEN", 1}, {"ZOMBIE", 1}}
	if len(got) != len(want) {
		t.Fatalf("Counts = %v, want %v", got, want)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("Counts = %v, want %v", got, want)
		}
	}
}

// TestReadSnapshotSizes reads studies of sizes around the bisection's
// edges, in parts.
func TestReadSnapshotSizes(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 100} {
		steps := make([]store.StepInfo, n)
		status := make([]store.StepStatus, n)
		for i := range steps {
			steps[i] = store.StepInfo{Name: "s" + strings.Repeat("x", i), Workspace: "w"}
			status[i] = store.StepStatus{State: state.Initialized}
		}
		s, dir := newStudy(t, "n", state.StudyInitialized, steps, status)
		snap, err := ReadSnapshot(s, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Steps) != n || len(snap.Status) != n {
			t.Fatalf("n=%d: read %d steps, %d statuses", n, len(snap.Steps), len(snap.Status))
		}
		for i := range steps {
			if snap.Steps[i].Name != steps[i].Name {
				t.Fatalf("n=%d: step %d is %q", n, i, snap.Steps[i].Name)
			}
		}
	}
}

// TestWriteJSONError passes on the writer's error.
func TestWriteJSONError(t *testing.T) {
	s, dir := failedStudy(t)
	snap, err := ReadSnapshot(s, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(failWriter{}, snap, now); err == nil || err.Error() != "disk full" {
		t.Errorf("err = %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

var errDiskFull = errors.New("disk full")

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "new\nline\r\t", "\x00\x01\x1f\x7f",
		"ünïcödé ✓ 🚀", "bad \xff\xfe utf8", "line\u2028sep\u2029", "<html>&amp;"} {
		checkString(t, s)
	}
}

// checkString checks that appendString's output is JSON that decodes as
// encoding/json's encoding of s does.
func checkString(t *testing.T, s string) {
	t.Helper()
	out := appendString(nil, s)
	if !json.Valid(out) {
		t.Fatalf("%q: invalid JSON %s", s, out)
	}
	var got, want string
	json.Unmarshal(out, &got)
	ref, _ := json.Marshal(s)
	json.Unmarshal(ref, &want)
	if got != want {
		t.Errorf("%q: decodes to %q, want %q", s, got, want)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "ü\x00"} {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

// checkTime checks that appendTime writes what AppendFormat writes.
func checkTime(t *testing.T, sec, nsec int64) {
	t.Helper()
	at := time.Unix(sec, nsec).In(zone)
	want := `"` + at.UTC().Format(JSONTimeLayout) + `"`
	if got := string(appendTime(nil, at)); got != want {
		t.Fatalf("appendTime(%v) = %s, want %s", at, got, want)
	}
}

// TestAppendTime compares appendTime with AppendFormat on times from
// before year 0 to after 9999.
func TestAppendTime(t *testing.T) {
	for _, at := range []time.Time{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC)} {
		checkTime(t, at.Unix(), int64(at.Nanosecond()))
	}
	seed := *timeSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -time.seed=%d)", seed, seed)
	r := rand.New(rand.NewSource(seed))
	for k := 0; k < 20000; k++ {
		checkTime(t, r.Int63n(400e9)-70e9, r.Int63n(1e9))
	}
}

func FuzzAppendTime(f *testing.F) {
	f.Add(int64(1e9), int64(5e8))
	f.Fuzz(func(t *testing.T, sec, nsec int64) { checkTime(t, sec%(1<<40), nsec) })
}

// TestStreamJSON checks that StreamJSON writes what WriteJSON writes of a
// snapshot, for studies of one part and of several.
func TestStreamJSON(t *testing.T) {
	many := func(tb testing.TB) (*store.Store, string) {
		n := 2*jsonPart + 7
		steps := make([]store.StepInfo, n)
		status := make([]store.StepStatus, n)
		for i := range steps {
			name := "s_X." + strings.Repeat("x", i%5) + string(rune('a'+i%26))
			steps[i] = store.StepInfo{Name: name, Workspace: "s/" + name, Params: []store.KV{{Key: "X", Value: name}}}
			status[i] = store.StepStatus{State: state.All[i%len(state.All)], Started: at(float64(i % 100))}
		}
		return newStudy(tb, "many", state.StudyRunning, steps, status)
	}
	for name, study := range map[string]func(testing.TB) (*store.Store, string){
		"failure": failedStudy, "dry": dryStudy, "many": many,
	} {
		t.Run(name, func(t *testing.T) {
			s, dir := study(t)
			snap, err := ReadSnapshot(s, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			snap.Conductor = ConductorGone
			var want, got bytes.Buffer
			if err := WriteJSON(&want, snap, now); err != nil {
				t.Fatal(err)
			}
			head, err := ReadHead(s, dir)
			if err != nil {
				t.Fatal(err)
			}
			if head.State != snap.State || head.Steps != nil {
				t.Errorf("head: state %q and %d steps, want %q and none", head.State, len(head.Steps), snap.State)
			}
			head.Conductor = ConductorGone
			if err := StreamJSON(&got, s, head, now); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("StreamJSON differs from WriteJSON:\n%.300s\n%.300s", got.Bytes(), want.Bytes())
			}
		})
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n++; w.n > 2 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestStreamJSONWriteError: a failing output stops the stream with its
// error.
func TestStreamJSONWriteError(t *testing.T) {
	steps := make([]store.StepInfo, 3*jsonPart)
	status := make([]store.StepStatus, len(steps))
	for i := range steps {
		steps[i] = store.StepInfo{Name: strings.Repeat("n", 40), Workspace: "w"}
		status[i] = store.StepStatus{State: state.Initialized}
	}
	s, dir := newStudy(t, "big", state.StudyInitialized, steps, status)
	head, err := ReadHead(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := StreamJSON(&failingWriter{}, s, head, now); err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v, want disk full", err)
	}
}

// TestStreamJSONDamagedStatus: a status record that names two states (its
// count and its step would disagree) or fails to decode stops the stream
// with an error.
func TestStreamJSONDamagedStatus(t *testing.T) {
	for name, rec := range map[string]string{
		"two states": `{"state":"DRYRUN","state":"FAILED"}`,
		"bad time":   `{"state":"DRYRUN","ended":"yesterday"}`,
	} {
		t.Run(name, func(t *testing.T) {
			s, dir := dryStudy(t)
			db, err := bolt.Open(store.Path(dir), 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("status")).Put([]byte{0, 0, 0, 1}, []byte(rec)) })
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			head, err := ReadHead(s, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := StreamJSON(io.Discard, s, head, now); err == nil || !strings.Contains(err.Error(), "damaged status record") {
				t.Fatalf("err = %v, want a damaged status record", err)
			}
		})
	}
}
