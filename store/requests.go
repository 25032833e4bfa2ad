package store

import (
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/maestro-go/maestro/state"
)

// Request asks the conductor to cancel the study or change its settings.
type Request struct {
	Kind     string    `json:"kind"` // "cancel" or "update"
	Throttle *int      `json:"throttle,omitempty"`
	RLimit   *int      `json:"rlimit,omitempty"`
	Sleep    *int      `json:"sleep,omitempty"`
	At       time.Time `json:"at"`
}

// Request kinds.
const (
	RequestCancel = "cancel"
	RequestUpdate = "update"
)

// AddRequest queues a request for the conductor.
func (t *Tx) AddRequest(r Request) error {
	b, err := t.bucket(bucketRequests)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return putJSON(b, key64(seq), r)
}

// TakeRequests returns the queued requests in order and removes them.
func (t *Tx) TakeRequests() ([]Request, error) {
	b, err := t.bucket(bucketRequests)
	if err != nil {
		return nil, err
	}
	var out []Request
	var keys [][]byte
	err = b.ForEach(func(k, v []byte) error {
		var r Request
		if err := json.Unmarshal(v, &r); err == nil {
			out = append(out, r)
		}
		keys = append(keys, append([]byte(nil), k...))
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PendingRequests reports whether requests are queued, without taking them.
func (t *Tx) PendingRequests() bool {
	b := t.tx.Bucket(bucketRequests)
	if b == nil {
		return false
	}
	k, _ := b.Cursor().First()
	return k != nil
}

// Event is one state change of one step.
type Event struct {
	Seq    uint64      `json:"seq"`
	Time   time.Time   `json:"time"`
	Step   string      `json:"step"`
	Index  int         `json:"index"` // the step's position in the store (and in status tables)
	From   state.State `json:"from"`
	To     state.State `json:"to"`
	Reason string      `json:"reason,omitempty"`
}

// AppendEvent stores e, giving it the next sequence number.
func (t *Tx) AppendEvent(e *Event) error {
	b, err := t.bucket(bucketEvents)
	if err != nil {
		return err
	}
	if e.Seq, err = b.NextSequence(); err != nil {
		return err
	}
	return putJSON(b, key64(e.Seq), e)
}

// LastEventSeq returns the number of the last event, 0 if none.
func (t *Tx) LastEventSeq() (uint64, error) {
	b, err := t.bucket(bucketEvents)
	if err != nil {
		return 0, err
	}
	k, _ := b.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	return binary.BigEndian.Uint64(k), nil
}

// EventsSince returns up to limit events with a sequence above seq.
func (t *Tx) EventsSince(seq uint64, limit int) ([]Event, error) {
	b, err := t.bucket(bucketEvents)
	if err != nil {
		return nil, err
	}
	var out []Event
	c := b.Cursor()
	for k, v := c.Seek(key64(seq + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		var e Event
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, err
		}
		e.Seq = binary.BigEndian.Uint64(k)
		out = append(out, e)
	}
	return out, nil
}
