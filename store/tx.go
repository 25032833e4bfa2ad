package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"unsafe"

	bolt "go.etcd.io/bbolt"

	"github.com/maestro-go/maestro/state"
)

// Tx is one transaction on a study database.
type Tx struct {
	tx *bolt.Tx
}

func (t *Tx) bucket(name []byte) (*bolt.Bucket, error) {
	b := t.tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("the study database lacks the %q bucket; it is damaged", name)
	}
	return b, nil
}

func (t *Tx) getJSON(bucket, key []byte, v any) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	data := b.Get(key)
	if data == nil {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("the study database has a damaged %s/%s record: %v", bucket, key, err)
	}
	return nil
}

func (t *Tx) putJSON(bucket, key []byte, v any) error {
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	return putJSON(b, key, v)
}

// Info returns the study description.
func (t *Tx) Info() (*StudyInfo, error) {
	var info StudyInfo
	return &info, t.getJSON(bucketMeta, []byte("study"), &info)
}

// Settings returns the conductor settings.
func (t *Tx) Settings() (Settings, error) {
	var s Settings
	return s, t.getJSON(bucketMeta, []byte("settings"), &s)
}

// SetSettings stores the conductor settings.
func (t *Tx) SetSettings(s Settings) error { return t.putJSON(bucketMeta, []byte("settings"), s) }

// StudyState returns the study's state.
func (t *Tx) StudyState() (state.Study, error) {
	b, err := t.bucket(bucketMeta)
	if err != nil {
		return "", err
	}
	return state.Study(b.Get([]byte("state"))), nil
}

// SetStudyState stores the study's state.
func (t *Tx) SetStudyState(s state.Study) error {
	b, err := t.bucket(bucketMeta)
	if err != nil {
		return err
	}
	return b.Put([]byte("state"), []byte(s))
}

// Conductor returns the recorded conductor, if any.
func (t *Tx) Conductor() (*Conductor, error) {
	var c Conductor
	return &c, t.getJSON(bucketMeta, []byte("conductor"), &c)
}

// SetConductor records the conductor driving the study.
func (t *Tx) SetConductor(c *Conductor) error { return t.putJSON(bucketMeta, []byte("conductor"), c) }

// Steps returns every step description in node order.
func (t *Tx) Steps() ([]StepInfo, error) {
	n, err := t.StepCount()
	if err != nil {
		return nil, err
	}
	out := make([]StepInfo, n)
	return out, t.StepsInto(out, 0)
}

// StepCount returns the number of steps (their keys run from 0 up).
func (t *Tx) StepCount() (int, error) {
	b, err := t.bucket(bucketSteps)
	if err != nil {
		return 0, err
	}
	k, _ := b.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	return int(binary.BigEndian.Uint32(k)) + 1, nil
}

// StepsInto decodes steps lo..len(dst)+lo-1 into dst, walking the keys in
// order (several transactions can decode parts of a study side by side).
func (t *Tx) StepsInto(dst []StepInfo, lo int) error {
	return t.eachStepRecord(lo, lo+len(dst), func(i int, v []byte) error { return decodeStep(v, &dst[i-lo]) })
}

// EachStep calls fn with steps lo..hi-1 in order, stopping at its first
// error. The step it is given is valid only until fn returns: it is
// reused from call to call, and its strings are parts of the database's
// memory map (nothing is copied), which closes with the transaction.
func (t *Tx) EachStep(lo, hi int, fn func(i int, si *StepInfo) error) error {
	var si StepInfo
	var fnErr error
	err := t.eachStepRecord(lo, hi, func(i int, v []byte) error {
		si = StepInfo{Params: si.Params[:0], Parents: si.Parents[:0], Resources: si.Resources[:0]}
		if err := readStep(unsafe.String(unsafe.SliceData(v), len(v)), &si); err != nil {
			return err
		}
		fnErr = fn(i, &si)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// eachStepRecord calls decode with the records of steps lo..hi-1 in order;
// its error is a damaged record's.
func (t *Tx) eachStepRecord(lo, hi int, decode func(i int, v []byte) error) error {
	b, err := t.bucket(bucketSteps)
	if err != nil {
		return err
	}
	c := b.Cursor()
	i := lo
	for k, v := c.Seek(key32(lo)); k != nil && i < hi; k, v = c.Next() {
		if int(binary.BigEndian.Uint32(k)) != i {
			return fmt.Errorf("the study database's steps are out of order; it is damaged")
		}
		if err := decode(i, v); err != nil {
			return fmt.Errorf("the study database has a damaged step record: %v", err)
		}
		i++
	}
	if i < hi {
		return fmt.Errorf("the study database lacks step %d; it is damaged", i)
	}
	return nil
}

// Statuses returns every step status in node order.
func (t *Tx) Statuses() ([]StepStatus, error) {
	recs, err := t.StatusRecords()
	if err != nil {
		return nil, err
	}
	out := make([]StepStatus, recs.Len())
	for i := range out {
		if err := recs.Decode(i, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StatusRecords are the step statuses of a study as stored, copied out of
// one transaction without decoding them: that takes a fraction of the
// time, and of the memory, decoded statuses take, and the statuses can be
// decoded later, in any order, by any number of goroutines at once.
type StatusRecords struct {
	blocks [][]byte      // of statusBlock bytes, or of one longer record
	spans  []span        // per record: where it is
	states []uint32      // per record: its state, as an index into names
	names  []state.State // the states of the records, each once
}

// span is where a record is: a part of a block.
type span struct{ block, start, end uint32 }

// statusBlock is the size of the blocks StatusRecords copies records into.
const statusBlock = 1 << 20

// StatusRecords copies every step status record, in node order, and reads
// its state where the record begins with it, as maestro writes them (a
// few times faster than decoding the status), else from the decoded
// status (a record that cannot be decoded fails it). A record that repeats
// the one before (a study's statuses often all do before it runs, or in a
// dry run) shares its copy and its state.
func (t *Tx) StatusRecords() (*StatusRecords, error) {
	b, err := t.bucket(bucketStatus)
	if err != nil {
		return nil, err
	}
	r := &StatusRecords{}
	c := b.Cursor()
	if k, _ := c.Last(); k != nil { // the keys run from 0 up
		n := int(binary.BigEndian.Uint32(k)) + 1
		r.spans, r.states = make([]span, 0, n), make([]uint32, 0, n)
	}
	var block []byte
	index := map[state.State]uint32{}
	last := uint32(0)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		i := len(r.spans)
		if int(binary.BigEndian.Uint32(k)) != i {
			return nil, fmt.Errorf("the study database's statuses are out of order; it is damaged")
		}
		if i > 0 && string(v) == r.record(i-1) {
			r.spans, r.states = append(r.spans, r.spans[i-1]), append(r.states, last)
			continue
		}
		if len(block)+len(v) > cap(block) || r.blocks == nil {
			block = make([]byte, 0, max(statusBlock, len(v)))
			r.blocks = append(r.blocks, block)
		}
		block = append(block, v...)
		r.blocks[len(r.blocks)-1] = block
		r.spans = append(r.spans, span{uint32(len(r.blocks) - 1), uint32(len(block) - len(v)), uint32(len(block))})
		s, err := r.leadState(i)
		if err != nil {
			return nil, err
		}
		if len(r.names) == 0 || s != r.names[last] {
			k, ok := index[s]
			if !ok {
				k = uint32(len(r.names))
				index[s] = k
				r.names = append(r.names, s)
			}
			last = k
		}
		r.states = append(r.states, last)
	}
	return r, nil
}

// leadState reads the state of record i where the record begins with it,
// else decodes the record.
func (r *StatusRecords) leadState(i int) (state.State, error) {
	const lead = `{"state":`
	if rec := r.record(i); strings.HasPrefix(rec, lead) {
		p := scanner{s: rec, i: len(lead)}
		if s := p.str(); !p.bad {
			return state.State(s), nil
		}
	}
	var st StepStatus
	err := r.Decode(i, &st)
	return st.State, err
}

// record returns record i; it is a part of its block.
func (r *StatusRecords) record(i int) string {
	sp := r.spans[i]
	rec := r.blocks[sp.block][sp.start:sp.end]
	return unsafe.String(unsafe.SliceData(rec), len(rec))
}

// Len is the number of statuses.
func (r *StatusRecords) Len() int { return len(r.spans) }

// State returns the state of status i as StatusRecords read it. Only a
// record that Decode reads with another (it names its state twice) or
// cannot read disagrees with Decode.
func (r *StatusRecords) State(i int) state.State { return r.names[r.states[i]] }

// Decode decodes status i into st; st's strings are parts of r's copy.
func (r *StatusRecords) Decode(i int, st *StepStatus) error {
	if err := readStatus(r.record(i), st); err != nil {
		return fmt.Errorf("the study database has a damaged status record: %v", err)
	}
	return nil
}

// Status returns the status of node i.
func (t *Tx) Status(i int) (*StepStatus, error) {
	var s StepStatus
	return &s, t.getJSON(bucketStatus, key32(i), &s)
}

// PutStatus stores the status of node i.
func (t *Tx) PutStatus(i int, s *StepStatus) error {
	b, err := t.bucket(bucketStatus)
	if err != nil {
		return err
	}
	data, err := encodeStatus(nil, s)
	if err != nil {
		return err
	}
	return b.Put(key32(i), data)
}
