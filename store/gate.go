package store

import (
	"os"
	"syscall"
	"time"
)

// turn waits for this process's turn at the database. bbolt takes its
// file lock by trying every 50 ms, so a writer among readers whose shared
// locks overlap may never find the file free: four `status --json` loops
// could stall the conductor for seconds. Everyone therefore queues at a
// gate file first, waits there until the database's lock is free for it,
// and leaves the gate once bbolt holds that lock: a writer waits for the
// transactions already running, not for readers that came after it. The
// gate is held for moments only, so waiting for it by trying often costs
// nothing. Where the gate cannot be opened or locked (a read-only study,
// some NFS), or is not had by the deadline, it is skipped, and bbolt's
// own wait decides.
func (s *Store) turn(readOnly bool, deadline time.Time) (leave func()) {
	gate, err := os.OpenFile(s.path+".gate", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if gate, err = os.Open(s.path + ".gate"); err != nil {
			return func() {}
		}
	}
	if !lockBy(gate, syscall.LOCK_EX, deadline) {
		gate.Close()
		return func() {}
	}
	if db, err := os.Open(s.path); err == nil {
		how := syscall.LOCK_EX
		if readOnly {
			how = syscall.LOCK_SH
		}
		if lockBy(db, how, deadline) {
			syscall.Flock(int(db.Fd()), syscall.LOCK_UN)
		}
		db.Close()
	}
	return func() { gate.Close() }
}

// lockBy takes an flock on f, trying with growing pauses of at most 2 ms
// until the deadline.
func lockBy(f *os.File, how int, deadline time.Time) bool {
	for pause := 50 * time.Microsecond; ; pause = min(2*pause, 2*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return true
		}
		if err != syscall.EWOULDBLOCK || time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
	}
}
