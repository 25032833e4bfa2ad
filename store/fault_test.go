package store

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"
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

// Readers that follow each other without a pause never keep a writer out:
// every write gets its turn well within the lock timeout.
func TestReadersDoNotStarveTheWriter(t *testing.T) {
	dir, st := newStudy(t, 2000)
	st.LockTimeout = 2 * time.Second
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reader := &Store{path: Path(dir)}
			for {
				select {
				case <-stop:
					return
				default:
				}
				reader.View(func(tx *Tx) error { _, err := tx.Statuses(); return err })
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for k := 0; k < 20; k++ {
		if err := st.Update(func(tx *Tx) error { return tx.SetSettings(Settings{Throttle: k}) }); err != nil {
			t.Fatalf("write %d among readers: %v", k, err)
		}
	}
}
