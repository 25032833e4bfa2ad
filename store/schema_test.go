package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/state"
)

// schema1 copies the schema-1 fixture (see testdata/schema1/README.md)
// into a fresh study directory.
func schema1(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/schema1/meta/maestro.db")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path(dir), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSchema1Opens proves that a study written by the first schema still
// opens with everything it recorded: the batch block (every key, args and
// extra keys included), the settings, each step's parameters and parents,
// and the statuses and events.
func TestSchema1Opens(t *testing.T) {
	st, err := Open(schema1(t))
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(func(tx *Tx) error {
		info, err := tx.Info()
		if err != nil {
			return err
		}
		b := info.Batch
		for _, c := range [][2]string{
			{info.Name, "schema1"}, {info.BatchType, "slurm"},
			{b.Type, "slurm"}, {b.Shell, "/bin/bash"}, {b.Host, "localhost"}, {b.Bank, "maestro"},
			{b.Queue, "debug"}, {b.Nodes, "1"}, {b.Procs, "2"}, {b.GPUs, "0"}, {b.Reservation, ""},
			{b.QOS, "normal"}, {b.Version, "22.05"}, {b.FluxURI, ""},
			{fmt.Sprint(b.Args), "[{mem 64M} {comment schema-one}]"},
			{fmt.Sprint(b.Extra), "map[site_key:kept for batch.info]"},
		} {
			if c[0] != c[1] {
				t.Errorf("study info: got %q, want %q (batch %+v)", c[0], c[1], b)
			}
		}
		if set, err := tx.Settings(); err != nil || set != (Settings{Attempts: 1, RLimit: 1, Throttle: 0, SleepSecs: 1}) {
			t.Errorf("settings %+v %v", set, err)
		}
		steps, err := tx.Steps()
		if err != nil {
			return err
		}
		want := []string{
			"prep prep [] [] false",
			"sim_MODE.fast.SIZE.10 sim [{SIZE 10} {MODE fast}] [0] true",
			"sim_MODE.a;b c.SIZE.20 sim [{SIZE 20} {MODE a;b c}] [0] true",
			"fail fail [] [1 2] false",
		}
		if len(steps) != len(want) {
			t.Fatalf("%d steps, want %d", len(steps), len(want))
		}
		for i, s := range steps {
			if got := fmt.Sprint(s.Name, " ", s.Step, " ", s.Params, " ", s.Parents, " ", s.Scheduled); got != want[i] {
				t.Errorf("step %d: %s, want %s", i, got, want[i])
			}
		}
		if s := steps[1]; s.JobName != "sim_MODE.fast.SIZE.10" || s.Walltime != "00:02:00" || s.Restart == "" {
			t.Errorf("step 1: %+v", s)
		}
		statuses, err := tx.Statuses()
		if err != nil {
			return err
		}
		var got []string
		for _, s := range statuses {
			got = append(got, fmt.Sprintf("%s %s %d", s.State, s.JobID, *s.ExitCode))
		}
		if fmt.Sprint(got) != "[FINISHED 16684 0 FINISHED 1 0 FINISHED 2 0 FAILED 16778 3]" {
			t.Errorf("statuses %v", got)
		}
		if s, err := tx.StudyState(); err != nil || s != state.StudyFailure {
			t.Errorf("study state %q %v", s, err)
		}
		events, err := tx.EventsSince(0, 100)
		if err != nil {
			return err
		}
		if len(events) != 8 || events[7].Step != "fail" || events[7].To != state.Failed || events[7].Reason != "exit code 3" {
			t.Errorf("events %+v", events)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSchema1Records decodes every study and step record of the fixture
// into this version's types and encodes it again: the JSON must be what
// schema 1 wrote, key for key, so studies written now are schema 1 too.
func TestSchema1Records(t *testing.T) {
	st, err := Open(schema1(t))
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, raw []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		json.Unmarshal(raw, &a)
		json.Unmarshal(again, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s changed:\n%s\nnow\n%s", what, raw, again)
		}
	}
	err = st.View(func(tx *Tx) error {
		same("meta/study", tx.tx.Bucket(bucketMeta).Get([]byte("study")), &StudyInfo{})
		same("meta/settings", tx.tx.Bucket(bucketMeta).Get([]byte("settings")), &Settings{})
		same("meta/conductor", tx.tx.Bucket(bucketMeta).Get([]byte("conductor")), &Conductor{})
		for _, b := range []struct {
			name []byte
			new  func() any
		}{
			{bucketSteps, func() any { return &StepInfo{} }},
			{bucketStatus, func() any { return &StepStatus{} }},
			{bucketEvents, func() any { return &Event{} }},
		} {
			n := 0
			tx.tx.Bucket(b.name).ForEach(func(k, v []byte) error {
				n++
				same(fmt.Sprintf("%s/%x", b.name, k), v, b.new())
				return nil
			})
			if n == 0 {
				t.Errorf("the fixture has no %s records", b.name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func schemaOf(t *testing.T, dir string) string {
	t.Helper()
	var v string
	st := &Store{path: Path(dir)}
	if err := st.View(func(tx *Tx) error { v = string(tx.tx.Bucket(bucketMeta).Get([]byte("schema"))); return nil }); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigration drives the upgrade path with a schema 2 that exists only
// here: the migration runs once, in the transaction that sets the new
// version; a failing one leaves the database as it was; a missing step or
// a newer schema is refused with one line.
func TestMigration(t *testing.T) {
	dir := schema1(t)
	calls := 0
	toV2 := map[int]Migration{1: func(tx *Tx) error {
		calls++
		return tx.tx.Bucket(bucketMeta).Put([]byte("migrated"), []byte("yes"))
	}}
	fail := map[int]Migration{1: func(tx *Tx) error {
		tx.tx.Bucket(bucketMeta).Put([]byte("half"), []byte("done"))
		return errors.New("disk on fire")
	}}

	if _, err := open(dir, 3, toV2); err == nil || !strings.Contains(err.Error(), `written with state schema "1"; this maestro reads schema 3`) {
		t.Errorf("no migration from 2 to 3: %v", err)
	}
	_, err := open(dir, 2, fail)
	if err == nil || !strings.Contains(err.Error(), "from schema 1 to 2: schema 1 to 2: disk on fire") {
		t.Errorf("failing migration: %v", err)
	}
	if v := schemaOf(t, dir); v != "1" {
		t.Errorf("after failed migrations the schema is %q", v)
	}

	st, err := open(dir, 2, toV2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(dir, 2, toV2); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, dir); v != "2" || calls != 1 {
		t.Errorf("schema %q after %d migration calls, want 2 after 1", v, calls)
	}
	st.View(func(tx *Tx) error {
		m := tx.tx.Bucket(bucketMeta)
		if string(m.Get([]byte("migrated"))) != "yes" || m.Get([]byte("half")) != nil {
			t.Errorf("migrated %q, half %q", m.Get([]byte("migrated")), m.Get([]byte("half")))
		}
		return nil
	})
	// This version (schema 1) must not touch a database of a newer one.
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), `written with state schema "2"; this maestro reads schema 1`) {
		t.Errorf("newer schema: %v", err)
	}
}
