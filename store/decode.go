package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/state"
)

// Reading a million records through encoding/json's reflection takes
// seconds and a dozen allocations each. Step and status records are read
// here by a scanner for exactly the shape json.Marshal gives them: no
// blanks, keys this version writes, strings of printable ASCII without
// escapes. Each record becomes one string that every string field is a
// part of. A record of any other shape (an older or newer writer, a hand
// edit) goes through json.Unmarshal, so both read the same.

func decodeStep(data []byte, si *StepInfo) error {
	*si = StepInfo{}
	return readStep(string(data), si)
}

// readStep decodes the record s into si, whose strings become parts of s;
// its lists are appended to si's (empty) slices, so that a caller can
// reuse them.
func readStep(s string, si *StepInfo) error {
	if (&scanner{s: s}).step(si) {
		return nil
	}
	*si = StepInfo{}
	return json.Unmarshal([]byte(s), si)
}

// readStatus decodes the record s into st, whose strings become parts of
// s.
func readStatus(s string, st *StepStatus) error {
	*st = StepStatus{}
	if (&scanner{s: s}).status(st) {
		return nil
	}
	*st = StepStatus{}
	return json.Unmarshal([]byte(s), st)
}

type scanner struct {
	s   string
	i   int
	bad bool
}

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *scanner) expect(c byte) {
	if p.peek() != c {
		p.bad = true
		return
	}
	p.i++
}

// object calls field for each key of an object until the scan fails.
func (p *scanner) object(field func(key string)) bool {
	p.expect('{')
	if p.peek() == '}' {
		p.i++
		return !p.bad
	}
	for !p.bad {
		key := p.str()
		p.expect(':')
		if p.bad {
			return false
		}
		field(key)
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return !p.bad
		default:
			p.bad = true
		}
	}
	return false
}

// str reads a string of printable ASCII without escapes, eight bytes at
// a time while all eight are plain (plain8), then byte by byte.
func (p *scanner) str() string {
	p.expect('"')
	s, start := p.s, p.i
	i := start
	for ; i+8 <= len(s) && plain8(load8(s[i:i+8])); i += 8 {
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			p.i = i + 1
			return s[start:i]
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			break
		}
	}
	p.bad = true
	return ""
}

// load8 reads eight bytes as one number (the compiler makes it one load).
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plain8 reports whether the eight bytes of x are printable ASCII, none a
// quote or a backslash, testing all eight at once: the high bit of a byte
// of the mask is set where a byte is below 0x20, at 0x7f or above, or
// equal to '"' or '\\' (a byte's borrow or carry may set it in the byte
// above, too, which does not change the answer).
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v } // where v has a zero byte
	below := (x - 0x20*ones) &^ x
	above := (x + ones) | x
	return (below|above|zero(x^'"'*ones)|zero(x^'\\'*ones))&highs == 0
}

func (p *scanner) boolean() bool {
	switch {
	case len(p.s)-p.i >= 4 && p.s[p.i:p.i+4] == "true":
		p.i += 4
		return true
	case len(p.s)-p.i >= 5 && p.s[p.i:p.i+5] == "false":
		p.i += 5
	default:
		p.bad = true
	}
	return false
}

func (p *scanner) integer() int {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	digits := p.s[start:p.i]
	n, err := strconv.Atoi(digits)
	if err != nil || n != int(int32(n)) || len(digits) > 1 && digits[0] == '0' || len(digits) > 2 && digits[:2] == "-0" {
		p.bad = true
	}
	return n
}

func (p *scanner) time() time.Time {
	s := p.str()
	if t, ok := parseUTC(s); ok {
		return t
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.bad = true
	}
	return t
}

// parseUTC reads a time in UTC as json.Marshal writes it,
// 2006-01-02T15:04:05.999999999Z, and reads it as time.Parse does, a
// few times faster; it refuses any other shape, which time.Parse reads
// (or refuses) instead.
func parseUTC(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || len(s) > len("2006-01-02T15:04:05.999999999Z") || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	ok := true
	num := func(from, to, lo, hi int) int {
		n := 0
		for _, c := range []byte(s[from:to]) {
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int(c-'0')
		}
		if n < lo || n > hi {
			ok = false
		}
		return n
	}
	year, month := num(0, 4, 0, 9999), num(5, 7, 1, 12)
	day := num(8, 10, 1, daysIn(month, year))
	hour, minute, sec := num(11, 13, 0, 23), num(14, 16, 0, 59), num(17, 19, 0, 59)
	nsec := 0
	if frac := s[19 : len(s)-1]; frac != "" {
		if len(frac) < 2 || frac[0] != '.' {
			return time.Time{}, false
		}
		nsec = num(20, len(s)-1, 0, 999_999_999)
		for k := len(frac); k <= 9; k++ {
			nsec *= 10
		}
	}
	if !ok {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn is the number of days in a month of a year.
func daysIn(month, year int) int {
	switch {
	case month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0):
		return 29
	case month == 2:
		return 28
	case month == 4 || month == 6 || month == 9 || month == 11:
		return 30
	}
	return 31
}

// array calls elem for each element of an array until the scan fails.
func (p *scanner) array(elem func()) {
	p.expect('[')
	if p.peek() == ']' {
		p.i++
		return
	}
	for !p.bad {
		elem()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return
		default:
			p.bad = true
		}
	}
}

// whole reports whether the record was all read, and well.
func (p *scanner) whole(ok bool) bool { return ok && !p.bad && p.i == len(p.s) }

func (p *scanner) step(si *StepInfo) bool {
	return p.whole(p.object(func(key string) {
		switch key {
		case "name":
			si.Name = p.str()
		case "step":
			si.Step = p.str()
		case "workspace":
			si.Workspace = p.str()
		case "script":
			si.Script = p.str()
		case "restart":
			si.Restart = p.str()
		case "scheduled":
			si.Scheduled = p.boolean()
		case "job_name":
			si.JobName = p.str()
		case "walltime":
			si.Walltime = p.str()
		case "nested":
			si.Nested = p.boolean()
		case "array":
			si.Array = p.boolean()
		case "bundle":
			si.Bundle = p.integer()
		case "params":
			si.Params = p.kvs(si.Params[:0])
		case "parents":
			si.Parents = si.Parents[:0]
			if end := strings.IndexByte(p.s[p.i:], ']'); end > 0 { // a funnel's million parents: room for all at once
				si.Parents = slices.Grow(si.Parents, strings.Count(p.s[p.i:p.i+end], ",")+1)
			}
			p.array(func() { si.Parents = append(si.Parents, int32(p.integer())) })
		case "resources":
			si.Resources = p.kvs(si.Resources[:0])
		default:
			p.bad = true
		}
	}))
}

// kvs reads a list of KVs, appending them to out.
func (p *scanner) kvs(out []KV) []KV {
	p.array(func() {
		var kv KV
		if p.object(func(key string) {
			switch key {
			case "Key":
				kv.Key = p.str()
			case "Value":
				kv.Value = p.str()
			default:
				p.bad = true
			}
		}) {
			out = append(out, kv)
		}
	})
	return out
}

func (p *scanner) status(st *StepStatus) bool {
	return p.whole(p.object(func(key string) {
		switch key {
		case "state":
			st.State = state.State(p.str())
		case "job_id":
			st.JobID = p.str()
		case "submitted":
			st.Submitted = p.time()
		case "started":
			st.Started = p.time()
		case "ended":
			st.Ended = p.time()
		case "restarts":
			st.Restarts = p.integer()
		case "attempts":
			st.Attempts = p.integer()
		case "hw_retries":
			st.HWRetries = p.integer()
		case "exit_code":
			code := p.integer()
			st.ExitCode = &code
		case "reason":
			st.Reason = p.str()
		case "submitting":
			st.Submitting = p.boolean()
		case "token":
			st.Token = p.integer()
		case "marked_at":
			st.MarkedAt = p.time()
		case "bundle":
			st.Bundle = p.str()
		default:
			p.bad = true
		}
	}))
}
