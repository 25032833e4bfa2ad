package status

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// JSONSchema is the version of the `status --json` document (docs/STATUS.md).
const JSONSchema = 1

// JSONTimeLayout is RFC 3339 in UTC with milliseconds.
const JSONTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Snapshot is everything stored about a study, as of one moment.
type Snapshot struct {
	Dir    string // absolute
	Info   *store.StudyInfo
	State  state.Study
	Steps  []store.StepInfo
	Status []store.StepStatus
	// Conductor is whether a conductor drives the study: ConductorRunning,
	// ConductorGone (the study is RUNNING but its conductor died) or
	// ConductorNone; "" when the reader did not look.
	Conductor string

	// ReadHead's statuses, undecoded (Status is then nil), and the number
	// of steps, read in the same transaction.
	records   *store.StatusRecords
	stepCount int
}

// What Snapshot.Conductor says.
const (
	ConductorRunning = "running"
	ConductorGone    = "gone"
	ConductorNone    = "none"
)

// ResumeHint is the line that tells how to resume a study whose conductor
// is gone.
func ResumeHint(dir string) string {
	return "Its conductor is gone (killed, or its node rebooted); resume the study with: maestro restart " + dir
}

// ReadSnapshot reads a study. Step descriptions never change after
// launch, so they are decoded apart, in parallel parts of one transaction
// each, alongside the transaction that reads the changing part (study
// state and step statuses) together; every transaction is short and closes
// the database again. extra, if not nil, runs inside the second
// transaction, for a reader that needs more of the same moment (the live
// view reads the last event's number there).
func ReadSnapshot(s *store.Store, dir string, extra func(*store.Tx) error) (*Snapshot, error) {
	snap := &Snapshot{Dir: dir}
	stepsErr := make(chan error, 1)
	go func() {
		var err error
		snap.Steps, err = readSteps(s)
		stepsErr <- err
	}()
	err := s.View(func(tx *store.Tx) error {
		if err := snap.readHead(tx); err != nil {
			return err
		}
		if extra != nil {
			return extra(tx)
		}
		return nil
	})
	if serr := <-stepsErr; err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	if len(snap.Steps) != len(snap.Status) {
		return nil, damaged(len(snap.Steps), len(snap.Status))
	}
	return snap, nil
}

func damaged(steps, statuses int) error {
	return fmt.Errorf("the study database is damaged: %d steps but %d statuses", steps, statuses)
}

// readSteps decodes the step descriptions, in as many parts as there are
// processors, each in a transaction of its own: decoding, not reading, is
// what takes the time.
func readSteps(s *store.Store) ([]store.StepInfo, error) {
	var n int
	if err := s.View(func(tx *store.Tx) error {
		var err error
		n, err = tx.StepCount()
		return err
	}); err != nil {
		return nil, err
	}
	steps := make([]store.StepInfo, n)
	parts := min(runtime.GOMAXPROCS(0), max(1, n/1000))
	errs := make(chan error, parts)
	for p := 0; p < parts; p++ {
		lo, hi := n*p/parts, n*(p+1)/parts
		go func() { errs <- s.View(func(tx *store.Tx) error { return tx.StepsInto(steps[lo:hi], lo) }) }()
	}
	var err error
	for p := 0; p < parts; p++ {
		if perr := <-errs; err == nil {
			err = perr
		}
	}
	return steps, err
}

// Count is the number of steps in one state.
type Count struct {
	State state.State
	N     int
}

// Counts returns the number of steps per state, in the order of state.All,
// states with no step left out; states this version does not know follow,
// sorted by name.
func Counts(status []store.StepStatus) []Count {
	var c counter
	for i := range status {
		c.add(status[i].State)
	}
	return c.counts()
}

// counter counts steps per state.
type counter struct {
	known []int // per state of state.All
	last  int   // the index in state.All of the state added last, if known
	other map[state.State]int
}

func (c *counter) add(s state.State) {
	if c.known == nil {
		c.known = make([]int, len(state.All))
	}
	if s == state.All[c.last] {
		c.known[c.last]++
		return
	}
	if k := stateIndex(s); k >= 0 {
		c.known[k]++
		c.last = k
		return
	}
	if c.other == nil {
		c.other = map[state.State]int{}
	}
	c.other[s]++
}

func (c *counter) counts() []Count {
	var out []Count
	for k, n := range c.known {
		if n > 0 {
			out = append(out, Count{state.All[k], n})
		}
	}
	extra := make([]Count, 0, len(c.other))
	for s, n := range c.other {
		extra = append(extra, Count{s, n})
	}
	slices.SortFunc(extra, func(a, b Count) int { return cmp.Compare(a.State, b.State) })
	return append(out, extra...)
}

// stateIndex is s's position in state.All, -1 for a state not there.
func stateIndex(s state.State) int {
	for k, x := range state.All {
		if x == s {
			return k
		}
	}
	return -1
}

// WriteJSON writes the study as one JSON document on one line (the schema
// is in docs/STATUS.md); now stands in for the end of steps in flight.
// The document is built by hand, field by field, into a reused buffer that
// is flushed as it fills: a study of 100,000 steps takes a few tens of
// milliseconds and little memory.
func WriteJSON(w io.Writer, snap *Snapshot, now time.Time) error {
	e := jsonWriter{w: w}
	b := appendHead(make([]byte, 0, 64<<10), snap, len(snap.Steps), Counts(snap.Status))
	for i := range snap.Steps {
		if b = e.step(b, i, &snap.Steps[i], &snap.Status[i], now); e.err != nil {
			return e.err
		}
	}
	e.flush(appendTail(b, snap.Conductor))
	return e.err
}

// ReadHead reads what StreamJSON needs before the step descriptions, in
// one transaction: the study, its state, and its statuses, undecoded.
func ReadHead(s *store.Store, dir string) (*Snapshot, error) {
	snap := &Snapshot{Dir: dir}
	err := s.View(func(tx *store.Tx) error {
		err := snap.readStudy(tx)
		if err != nil {
			return err
		}
		if snap.stepCount, err = tx.StepCount(); err != nil {
			return err
		}
		snap.records, err = tx.StatusRecords()
		return err
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// readHead reads the study, its state and its statuses.
func (snap *Snapshot) readHead(tx *store.Tx) error {
	err := snap.readStudy(tx)
	if err == nil {
		snap.Status, err = tx.Statuses()
	}
	return err
}

// readStudy reads the study and its state.
func (snap *Snapshot) readStudy(tx *store.Tx) error {
	var err error
	if snap.Info, err = tx.Info(); err == nil {
		snap.State, err = tx.StudyState()
	}
	return err
}

// jsonPart is how many steps StreamJSON writes in one part.
const jsonPart = 8192

// jsonStepSize is the room StreamJSON makes in a buffer for a step at
// first: about the most a step without long parameters takes.
const jsonStepSize = 512

// StreamJSON writes the study of head (from ReadHead) as WriteJSON writes
// a snapshot, without ever holding all of its steps, decoded or written:
// it counts the states (StatusRecords read them), then writes the steps in
// parts that a worker per processor builds, each reading the descriptions
// of its steps (they never change after launch) in a transaction of its
// own, while the parts are written in order.
func StreamJSON(w io.Writer, s *store.Store, head *Snapshot, now time.Time) error {
	recs := head.records
	n := recs.Len()
	if head.stepCount != n {
		return damaged(head.stepCount, n)
	}
	if _, err := w.Write(appendHead(nil, head, n, countRecords(recs))); err != nil {
		return err
	}
	parts := (n + jsonPart - 1) / jsonPart
	workers := min(runtime.GOMAXPROCS(0), parts)
	// A worker takes a free buffer before it takes the next part, so the
	// part the writing waits for is always being built or done; two
	// buffers a worker keep them all busy while the parts are written.
	free := make(chan []byte, 2*workers)
	for range cap(free) {
		free <- nil
	}
	built := make([]chan part, parts)
	for p := range built {
		built[p] = make(chan part, 1)
	}
	var next atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var b []byte
				select {
				case b = <-free:
				case <-done:
					return
				}
				p := int(next.Add(1) - 1)
				if p >= parts {
					return
				}
				lo, hi := p*jsonPart, min(n, (p+1)*jsonPart)
				if b == nil {
					b = make([]byte, 0, (hi-lo)*jsonStepSize)
				}
				b, err := appendPart(b, s, recs, lo, hi, now)
				built[p] <- part{b, err}
			}
		}()
	}
	for p := range built {
		part := <-built[p]
		if part.err != nil {
			return part.err
		}
		if _, err := w.Write(part.b); err != nil {
			return err
		}
		free <- part.b[:0]
	}
	_, err := w.Write(appendTail(nil, head.Conductor))
	return err
}

// part is one part of StreamJSON's steps, written, or why it could not be.
type part struct {
	b   []byte
	err error
}

// appendPart appends steps lo..hi-1, each preceded by a comma but the
// first of the study, reading their descriptions in one transaction.
func appendPart(b []byte, s *store.Store, recs *store.StatusRecords, lo, hi int, now time.Time) ([]byte, error) {
	var st store.StepStatus
	err := s.View(func(tx *store.Tx) error {
		return tx.EachStep(lo, hi, func(i int, info *store.StepInfo) error {
			if err := recs.Decode(i, &st); err != nil {
				return err
			}
			if counted := recs.State(i); st.State != counted {
				return fmt.Errorf("the study database has a damaged status record: that of step %d names two states, %s and %s", i, counted, st.State)
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStep(b, info, &st, now)
			return nil
		})
	})
	return b, err
}

// countRecords counts the states of the statuses (as StatusRecords read
// them; appendPart checks them against the decoded statuses).
func countRecords(recs *store.StatusRecords) []Count {
	var c counter
	for i := range recs.Len() {
		c.add(recs.State(i))
	}
	return c.counts()
}

// appendHead appends the document up to its steps: the study, its state,
// the total of n steps and their counts per state.
func appendHead(b []byte, snap *Snapshot, n int, counts []Count) []byte {
	b = append(b, `{"schema":`...)
	b = strconv.AppendInt(b, JSONSchema, 10)
	b = append(b, `,"study":`...)
	b = appendString(b, snap.Info.Name)
	b = append(b, `,"path":`...)
	b = appendString(b, snap.Dir)
	b = append(b, `,"state":`...)
	b = appendString(b, string(snap.State))
	b = append(b, `,"created":`...)
	b = appendTime(b, snap.Info.Created)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"counts":{`...)
	for k, c := range counts {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendString(b, string(c.State))
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(c.N), 10)
	}
	return append(b, `},"steps":[`...)
}

// appendTail appends the rest of the document after its steps.
func appendTail(b []byte, conductor string) []byte {
	b = append(b, `],"conductor":`...)
	if conductor == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, conductor)
	}
	return append(b, "}\n"...)
}

type jsonWriter struct {
	w   io.Writer
	err error
}

// step appends step i, flushing the buffer when it is nearly full.
func (e *jsonWriter) step(b []byte, i int, info *store.StepInfo, st *store.StepStatus, now time.Time) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	if b = appendStep(b, info, st, now); len(b) >= 56<<10 {
		b = e.flush(b)
	}
	return b
}

func (e *jsonWriter) flush(b []byte) []byte {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
	return b[:0]
}

// StepJSON returns one step as the object `status --json` writes for it.
func StepJSON(info *store.StepInfo, st *store.StepStatus, now time.Time) []byte {
	return appendStep(nil, info, st, now)
}

func appendStep(b []byte, info *store.StepInfo, st *store.StepStatus, now time.Time) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, info.Name)
	b = append(b, `,"job_id":`...)
	if st.JobID == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, st.JobID)
	}
	b = append(b, `,"workspace":`...)
	b = appendString(b, info.Workspace)
	b = append(b, `,"state":`...)
	b = appendString(b, string(st.State))
	end := st.Ended
	if end.IsZero() && st.State.InFlight() {
		end = now
	}
	b = append(b, `,"run_seconds":`...)
	b = appendSeconds(b, st.Started, end)
	b = append(b, `,"elapsed_seconds":`...)
	b = appendSeconds(b, st.Submitted, end)
	b = append(b, `,"start_time":`...)
	b = appendTime(b, st.Started)
	b = append(b, `,"submit_time":`...)
	b = appendTime(b, st.Submitted)
	b = append(b, `,"end_time":`...)
	b = appendTime(b, st.Ended)
	b = append(b, `,"restarts":`...)
	b = strconv.AppendInt(b, int64(st.Restarts), 10)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(st.Attempts), 10)
	b = append(b, `,"exit_code":`...)
	if st.ExitCode == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*st.ExitCode), 10)
	}
	b = append(b, `,"reason":`...)
	b = appendString(b, st.Reason)
	b = append(b, `,"params":[`...)
	for k, p := range info.Params {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, p.Key)
		b = append(b, `,"value":`...)
		b = appendString(b, p.Value)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendTime appends t in RFC 3339 (UTC, milliseconds), or null. It
// writes what AppendFormat writes with JSONTimeLayout, digit by digit, a
// few times faster.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, JSONTimeLayout)
		return append(b, '"')
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(b, '"', byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10),
		'-', byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10),
		'T', byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':', byte('0'+sec/10), byte('0'+sec%10),
		'.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
}

// appendSeconds appends end-start in seconds with milliseconds, or null
// when either is unknown, as the tables print --:--:--.
func appendSeconds(b []byte, start, end time.Time) []byte {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return append(b, "null"...)
	}
	ms := end.Sub(start).Milliseconds()
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, as encoding/json
// does (which also escapes <, > and &; there is no HTML here).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029': // valid JSON, but not valid JavaScript
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
