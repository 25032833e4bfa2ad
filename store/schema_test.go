package store

import (
	"fmt"
	"os"
	"path/filepath"
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
