package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

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
	b, err := t.bucket(bucketSteps)
	if err != nil {
		return err
	}
	c := b.Cursor()
	i := 0
	for k, v := c.Seek(key32(lo)); k != nil && i < len(dst); k, v = c.Next() {
		if int(binary.BigEndian.Uint32(k)) != lo+i {
			return fmt.Errorf("the study database's steps are out of order; it is damaged")
		}
		if err := decodeStep(v, &dst[i]); err != nil {
			return fmt.Errorf("the study database has a damaged step record: %v", err)
		}
		i++
	}
	if i != len(dst) {
		return fmt.Errorf("the study database lacks step %d; it is damaged", lo+i)
	}
	return nil
}

// Statuses returns every step status in node order.
func (t *Tx) Statuses() ([]StepStatus, error) {
	b, err := t.bucket(bucketStatus)
	if err != nil {
		return nil, err
	}
	var out []StepStatus
	if k, _ := b.Cursor().Last(); k != nil { // the keys run from 0 up
		out = make([]StepStatus, 0, int(binary.BigEndian.Uint32(k))+1)
	}
	err = b.ForEach(func(k, v []byte) error {
		if int(binary.BigEndian.Uint32(k)) != len(out) {
			return fmt.Errorf("the study database's statuses are out of order; it is damaged")
		}
		out = append(out, StepStatus{})
		if err := decodeStatus(v, &out[len(out)-1]); err != nil {
			return fmt.Errorf("the study database has a damaged status record: %v", err)
		}
		return nil
	})
	return out, err
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
