package conductor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// pending reports whether changes wait to be written.
func (e *engine) pending() bool { return len(e.m.dirty) > 0 || len(e.m.events) > 0 || e.m.metaDirty }

// flush writes every change since the last flush in one transaction, then
// the event lines and, at most every Tunables.CSVInterval, status.csv. Changes to
// local steps are batched for up to Tunables.FlushInterval (a local step that ends
// meanwhile leaves its exit status behind, see the local adapter); job ids
// from a scheduler and requests are written at once. A failed write keeps
// the changes for the next try, nothing is lost in memory, and nothing is
// submitted until a write succeeds (see submit): a job whose submission
// could not be recorded could be submitted again by the next conductor.
func (e *engine) flush(final bool) {
	if e.m.pending() && !final && !e.m.urgent && time.Since(e.lastFlush) < e.t.FlushInterval {
		return
	}
	if e.m.pending() {
		err := e.st.Update(func(tx *store.Tx) error {
			for i := range e.m.dirty {
				if err := tx.PutStatus(int(i), &e.m.status[i]); err != nil {
					return err
				}
			}
			for k := range e.m.events {
				if err := tx.AppendEvent(&e.m.events[k]); err != nil {
					return err
				}
			}
			if e.m.metaDirty {
				if err := tx.SetSettings(e.m.settings); err != nil {
					return err
				}
				return tx.SetStudyState(e.m.study)
			}
			return nil
		})
		if err != nil {
			if e.writeErr == nil {
				e.logf("cannot record state: %v; submissions stop until a write succeeds", err)
			}
			e.writeErr = err
			return
		}
		if e.writeErr != nil {
			e.logf("the study database is written again; submissions resume")
			e.writeErr = nil
		}
		e.writeEvents()
		if e.attached != nil && len(e.m.events) > 0 {
			e.attached.Changed()
		}
		clear(e.m.dirty)
		e.m.events, e.m.metaDirty, e.m.urgent, e.lastFlush = e.m.events[:0], false, false, time.Now()
		e.csvDirty = true
	}
	if e.csvDirty && (final || time.Since(e.lastCSV) >= max(e.t.CSVInterval, 20*e.csvCost)) {
		e.writeCSV()
	}
}

// writeEvents appends the flushed events to logs/events.jsonl.
func (e *engine) writeEvents() {
	f, err := os.OpenFile(filepath.Join(e.dir, "logs", "events.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		e.logf("cannot write events: %v", err)
		return
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for k := range e.m.events {
		enc.Encode(&e.m.events[k])
	}
}

func (e *engine) writeCSV() {
	now := time.Now()
	rows := make([]status.Row, len(e.m.steps))
	for i := range e.m.steps {
		rows[i] = status.MakeRow(&e.m.steps[i], &e.m.status[i], now)
	}
	if err := status.WriteCSV(filepath.Join(e.dir, "status.csv"), rows); err != nil {
		e.logf("cannot write status.csv: %v", err)
		return
	}
	e.lastCSV, e.csvDirty = time.Now(), false
	e.csvCost = e.lastCSV.Sub(now)
}
