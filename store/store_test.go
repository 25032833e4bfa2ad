package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/maestro-go/maestro/state"
)

func newStudy(t *testing.T, n int) (string, *Store) {
	t.Helper()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "meta"), 0o755)
	steps := make([]StepInfo, n)
	status := make([]StepStatus, n)
	for i := range steps {
		steps[i] = StepInfo{Name: "s" + string(rune('a'+i%26)), Workspace: "w", Parents: []int32{int32(i - 1)}}
		status[i] = StepStatus{State: state.Initialized}
	}
	st, err := Create(dir, &StudyInfo{Name: "t", Stem: "t", Dir: dir}, Settings{Attempts: 1, Throttle: 2}, steps, status, state.StudyInitialized)
	if err != nil {
		t.Fatal(err)
	}
	return dir, st
}

func TestCreateAndRead(t *testing.T) {
	dir, _ := newStudy(t, 30)
	if _, err := Create(dir, &StudyInfo{}, Settings{}, nil, nil, state.StudyInitialized); err == nil {
		t.Fatal("a second Create must refuse")
	}
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(func(tx *Tx) error {
		n, err := tx.StepCount()
		if err != nil || n != 30 {
			t.Errorf("StepCount %d %v", n, err)
		}
		part := make([]StepInfo, 10)
		if err := tx.StepsInto(part, 15); err != nil || part[0].Name != "sp" || part[9].Parents[0] != 23 {
			t.Errorf("StepsInto: %v %+v", err, part[0])
		}
		if err := tx.StepsInto(make([]StepInfo, 20), 15); err == nil {
			t.Error("StepsInto past the end must fail")
		}
		settings, err := tx.Settings()
		if err != nil || settings.Throttle != 2 {
			t.Errorf("settings %+v %v", settings, err)
		}
		steps, _ := tx.Steps()
		statuses, _ := tx.Statuses()
		if len(steps) != 30 || len(statuses) != 30 {
			t.Errorf("%d steps, %d statuses", len(steps), len(statuses))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRequestsAndEvents(t *testing.T) {
	_, st := newStudy(t, 3)
	three := 3
	err := st.Update(func(tx *Tx) error {
		if tx.PendingRequests() {
			t.Error("no request yet")
		}
		tx.AddRequest(Request{Kind: RequestUpdate, Throttle: &three})
		tx.AddRequest(Request{Kind: RequestCancel})
		for i := 0; i < 5; i++ {
			if err := tx.AppendEvent(&Event{Step: "s", Index: i, From: state.Initialized, To: state.Running}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx *Tx) error {
		if !tx.PendingRequests() {
			t.Error("requests are pending")
		}
		reqs, err := tx.TakeRequests()
		if err != nil || len(reqs) != 2 || reqs[0].Kind != RequestUpdate || *reqs[0].Throttle != 3 || reqs[1].Kind != RequestCancel {
			t.Errorf("requests %+v %v", reqs, err)
		}
		if tx.PendingRequests() {
			t.Error("taken requests are gone")
		}
		last, _ := tx.LastEventSeq()
		evs, _ := tx.EventsSince(2, 2)
		if last != 5 || len(evs) != 2 || evs[0].Seq != 3 || evs[1].Index != 3 {
			t.Errorf("last %d, events %+v", last, evs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefuses(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNoStudy) {
		t.Fatalf("empty directory: %v", err)
	}
	dir, _ := newStudy(t, 1)
	db, err := bolt.Open(Path(dir), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("schema"), []byte("2")) })
	db.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), `schema "2"`) {
		t.Fatalf("other schema: %v", err)
	}
	os.WriteFile(Path(dir), []byte(strings.Repeat("not a database ", 500)), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt file: %v", err)
	}
}

func TestLockTimeout(t *testing.T) {
	dir, st := newStudy(t, 1)
	st.LockTimeout = 100 * time.Millisecond
	db, err := bolt.Open(Path(dir), 0o644, nil) // another process's writer
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = st.View(func(*Tx) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "stayed locked") {
		t.Fatalf("got %v", err)
	}
}

// TestStatusRecordsState: StatusRecords reads the state of a record that
// begins with it from there, decodes any other, and fails on one it cannot
// decode.
func TestStatusRecordsState(t *testing.T) {
	dir, st := newStudy(t, 4)
	put := func(records ...string) {
		db, err := bolt.Open(Path(dir), 0o644, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Update(func(tx *bolt.Tx) error {
			for i, rec := range records {
				tx.Bucket(bucketStatus).Put(key32(i), []byte(rec))
			}
			return nil
		})
	}
	records := []string{`{"state":"RUNNING","job_id":"7"}`, `{"job_id":"7","state":"FAILED"}`, `{"state":"FIN\u0049SHED"}`,
		`{"state":"QUEUED","started":"not a time"}`}
	put(records...)
	st.View(func(tx *Tx) error {
		recs, err := tx.StatusRecords()
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []state.State{"RUNNING", "FAILED", "FINISHED", "QUEUED"} {
			if got := recs.State(i); got != want {
				t.Errorf("State(%d) of %s = %q; want %q", i, records[i], got, want)
			}
		}
		if err := recs.Decode(3, new(StepStatus)); err == nil {
			t.Error("Decode of a status with a bad time must fail")
		}
		return nil
	})
	put(`{"job_id":"7","started":"not a time"}`)
	st.View(func(tx *Tx) error {
		if _, err := tx.StatusRecords(); err == nil || !strings.Contains(err.Error(), "damaged status record") {
			t.Errorf("StatusRecords of a record it cannot decode: %v", err)
		}
		return nil
	})
}
