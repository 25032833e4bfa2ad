package conductor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// recorder writes what the machine changed: every change since the last
// write in one transaction of the study database, then the events to
// logs/events.jsonl and, at most every Tunables.CSVInterval, status.csv.
// Changes to local steps are batched for up to Tunables.FlushInterval (a
// local step that ends meanwhile leaves its exit status behind, see the
// local adapter); job ids from a scheduler and requests are written at
// once. A failed write keeps the changes for the next try, nothing is lost
// in memory, and nothing is submitted until a write succeeds (see
// engine.submit): a job whose submission could not be recorded could be
// submitted again by the next conductor.
type recorder struct {
	db       Database
	dir      string
	t        Tunables
	logf     func(format string, args ...any)
	attached Attachment // told of recorded events; nil: none

	err         error // the last write failed
	failedSince time.Time
	logged      time.Time // when the write failure was last logged
	lastFlush   time.Time
	lastCSV     time.Time
	csvCost     time.Duration // how long the last status.csv took
	csvDirty    bool
}

// flush writes m's changes (see recorder), at once when final.
func (r *recorder) flush(m *machine, final bool) {
	if m.pending() && !final && !m.urgent && time.Since(r.lastFlush) < r.t.FlushInterval {
		return
	}
	if m.pending() {
		err := r.db.Update(func(tx *store.Tx) error {
			for i := range m.dirty {
				if err := tx.PutStatus(int(i), &m.status[i]); err != nil {
					return err
				}
			}
			for k := range m.events {
				if err := tx.AppendEvent(&m.events[k]); err != nil {
					return err
				}
			}
			if m.metaDirty {
				if err := tx.SetSettings(m.settings); err != nil {
					return err
				}
				return tx.SetStudyState(m.study)
			}
			return nil
		})
		if err != nil {
			if r.err == nil {
				r.logf("cannot record state: %v; submissions stop until a write succeeds", err)
			}
			r.err = err
			return
		}
		if r.err != nil {
			r.logf("the study database is written again; submissions resume")
			r.err = nil
		}
		r.writeEvents(m.events)
		if r.attached != nil && len(m.events) > 0 {
			r.attached.Changed()
		}
		m.recorded()
		r.lastFlush, r.csvDirty = time.Now(), true
	}
	if r.csvDirty && (final || time.Since(r.lastCSV) >= max(r.t.CSVInterval, 20*r.csvCost)) {
		r.writeCSV(m)
	}
}

// writeRetry is how often a failed write to the store is tried again.
const writeRetry = time.Second

// stalled returns an error once writes to the store have failed for
// longer than the give-up time while nothing the conductor holds would be
// lost by stopping: no job in flight, and no job's submission or end that
// is known only in memory (those are held, and written as soon as a write
// succeeds, however long that takes). The conductor then stops and says
// why, rather than drive a study whose state it cannot keep. Meanwhile it
// logs the failure every give-up period.
func (r *recorder) stalled(m *machine) error {
	if r.err == nil {
		r.failedSince, r.logged = time.Time{}, time.Time{}
		return nil
	}
	now := time.Now()
	if r.failedSince.IsZero() {
		r.failedSince, r.logged = now, now
	}
	if now.Sub(r.failedSince) < r.t.WriteGiveUp {
		return nil
	}
	if held := m.held(); held > 0 || len(m.localJobs) > 0 || m.schedInFlight() || len(m.limbo) > 0 {
		if now.Sub(r.logged) >= r.t.WriteGiveUp {
			r.logf("still cannot record state (%v): %d jobs in flight, %d submissions or ends known only here; nothing is submitted until a write succeeds",
				r.err, len(m.localJobs)+len(m.schedJobs)+len(m.bundles), held)
			r.logged = now
		}
		return nil
	}
	err := fmt.Errorf("cannot record the state of %s for %s (%v); stopped with no job in flight and nothing submitted since; "+
		"when the study directory is writable again, run `maestro restart %s`", r.dir, r.t.WriteGiveUp.Round(time.Second), r.err, r.dir)
	r.logf("%v", err)
	return err
}

// writeEvents appends the flushed events to logs/events.jsonl.
func (r *recorder) writeEvents(events []store.Event) {
	f, err := os.OpenFile(filepath.Join(r.dir, "logs", "events.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		r.logf("cannot write events: %v", err)
		return
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for k := range events {
		enc.Encode(&events[k])
	}
}

func (r *recorder) writeCSV(m *machine) {
	now := time.Now()
	rows := make([]status.Row, len(m.steps))
	for i := range m.steps {
		rows[i] = status.MakeRow(&m.steps[i], &m.status[i], now)
	}
	if err := status.WriteCSV(filepath.Join(r.dir, "status.csv"), rows); err != nil {
		r.logf("cannot write status.csv: %v", err)
		return
	}
	r.lastCSV, r.csvDirty = time.Now(), false
	r.csvCost = r.lastCSV.Sub(now)
}
