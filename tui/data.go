package tui

import (
	"time"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// Data is what the view shows: a snapshot of the study and the number of
// the last event it includes, where the event feed picks up.
type Data struct {
	*status.Snapshot
	Seq uint64
}

// StepUpdate is the new status of the step at Index.
type StepUpdate struct {
	Index  int
	Status store.StepStatus
}

// Changes is what a poll found since the last one: the study state, the
// statuses of the steps named by new events, and the last event's number.
type Changes struct {
	State     state.Study
	Conductor string // as status.Snapshot.Conductor
	Seq       uint64
	Updates   []StepUpdate
}

// Reload replaces everything the view holds: the event feed jumped (the
// study was launched again, or too much happened since the last poll).
type Reload struct{ Data Data }

// PollError reports a poll that failed; the view keeps the last data and
// tries again at the next tick.
type PollError struct{ Err error }

// Source feeds the live view; Poll returns Changes, Reload or PollError.
type Source interface {
	Poll(seq uint64, created time.Time, steps []store.StepInfo) any
}

// DefaultMaxEvents is the most events a poll applies one by one; past that a
// full reload is cheaper than reading each step named.
const DefaultMaxEvents = 20_000

// Load reads the study in dir (an absolute path) for the live view.
func Load(s *store.Store, dir string) (Data, error) {
	var seq uint64
	snap, err := status.ReadSnapshot(s, dir, func(tx *store.Tx) error {
		var err error
		seq, err = tx.LastEventSeq()
		return err
	})
	if err != nil {
		return Data{}, err
	}
	return Data{Snapshot: snap, Seq: seq}, nil
}

// StoreSource polls a study's database, one short transaction per poll.
type StoreSource struct {
	Store *store.Store
	Dir   string
	// Liveness, when set, tells whether a conductor drives the study
	// (status.Snapshot.Conductor), so that the view shows a dead one.
	Liveness func(dir string, s state.Study) string
	// MaxEvents is the most events a poll applies one by one (0:
	// DefaultMaxEvents).
	MaxEvents int
}

// Poll reads the events after seq and the statuses of the steps they
// name. Any sign that the feed is not the one seq came from (the event
// seq is gone, the next one is not seq+1, the study was created anew, an
// event that names no step of steps) or a backlog past MaxEvents makes it
// a full reload.
func (s StoreSource) Poll(seq uint64, created time.Time, steps []store.StepInfo) any {
	var ch Changes
	maxEvents := s.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	jumped := false
	err := s.Store.View(func(tx *store.Tx) error {
		info, err := tx.Info()
		if err != nil {
			return err
		}
		if !info.Created.Equal(created) {
			jumped = true
			return nil
		}
		if ch.State, err = tx.StudyState(); err != nil {
			return err
		}
		from := seq
		if seq > 0 {
			from = seq - 1 // read event seq again, to check it is still there
		}
		evs, err := tx.EventsSince(from, maxEvents+2)
		if err != nil {
			return err
		}
		if seq > 0 {
			if len(evs) == 0 || evs[0].Seq != seq {
				jumped = true
				return nil
			}
			evs = evs[1:]
		}
		switch {
		case len(evs) == 0:
			ch.Seq = seq
			return nil
		case evs[0].Seq != seq+1 || len(evs) > maxEvents:
			jumped = true
			return nil
		}
		ch.Seq = evs[len(evs)-1].Seq
		seen := make(map[int]bool, len(evs))
		for k := range evs {
			i := evs[k].Index
			if seen[i] {
				continue
			}
			if i < 0 || i >= len(steps) || steps[i].Name != evs[k].Step {
				jumped = true
				return nil
			}
			seen[i] = true
			st, err := tx.Status(i)
			if err != nil {
				return err
			}
			ch.Updates = append(ch.Updates, StepUpdate{Index: i, Status: *st})
		}
		return nil
	})
	if err != nil {
		return PollError{err}
	}
	if jumped {
		d, err := Load(s.Store, s.Dir)
		if err != nil {
			return PollError{err}
		}
		if s.Liveness != nil {
			d.Conductor = s.Liveness(s.Dir, d.State)
		}
		return Reload{d}
	}
	if s.Liveness != nil {
		ch.Conductor = s.Liveness(s.Dir, ch.State)
	}
	return ch
}
