package store

import (
	"os"
	"strings"
	"testing"
)

// A database cut short under bbolt's map faults when its missing pages
// are read; that must be one error, never a crash.
func TestTruncatedDatabaseIsAnError(t *testing.T) {
	dir, _ := newStudy(t, 3000)
	// Not a multiple of the page size: reading the last page faults.
	if err := os.Truncate(Path(dir), 20000); err != nil {
		t.Fatal(err)
	}
	st := &Store{path: Path(dir)}
	err := st.View(func(tx *Tx) error {
		_, err := tx.Statuses()
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("reading a truncated database: %v", err)
	}
	err = st.Update(func(tx *Tx) error { return tx.SetSettings(Settings{Throttle: 1}) })
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("writing a truncated database: %v", err)
	}
}
