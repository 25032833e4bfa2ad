package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/state"
)

var decodeSeed = flag.Int64("decode.seed", 0, "seed of the tests of random records (0: from the clock)")

// sameAs checks that the fast decoders read data as json.Unmarshal does:
// the same error or none, and records that marshal the same.
func sameAs[T any](t *testing.T, data []byte, decode func([]byte, *T) error) {
	t.Helper()
	var want, got T
	werr := json.Unmarshal(data, &want)
	gerr := decode(data, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: json.Unmarshal says %v, the decoder %v", data, werr, gerr)
	}
	if werr != nil {
		return
	}
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if !bytes.Equal(wj, gj) {
		t.Fatalf("%s:\njson.Unmarshal %s\ndecoder        %s", data, wj, gj)
	}
}

func decodeStatus(data []byte, st *StepStatus) error { return readStatus(string(data), st) }

func randText(r *rand.Rand) string {
	const plain = "abcXYZ019_./-+ ():"
	odd := []string{`"`, `\`, "\n", "é", "\u2028", "<&>", "\x7f", "\xff"}
	var b strings.Builder
	for n := r.Intn(12); n > 0; n-- {
		if r.Intn(8) == 0 {
			b.WriteString(odd[r.Intn(len(odd))])
		} else {
			b.WriteByte(plain[r.Intn(len(plain))])
		}
	}
	return b.String()
}

func randTime(r *rand.Rand) time.Time {
	if r.Intn(3) == 0 {
		return time.Time{}
	}
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+1800), time.FixedZone("", -7*3600)}
	return time.Unix(r.Int63n(4e9), r.Int63n(1e9)*int64(r.Intn(2))).In(zones[r.Intn(len(zones))])
}

func randStep(r *rand.Rand) StepInfo {
	si := StepInfo{Name: randText(r), Step: randText(r), Workspace: randText(r), Script: randText(r),
		Restart: randText(r), Scheduled: r.Intn(2) == 0, JobName: randText(r), Walltime: randText(r), Nested: r.Intn(2) == 0,
		Array: r.Intn(2) == 0, Bundle: r.Intn(3) * r.Intn(100)}
	for n := r.Intn(3); n > 0; n-- {
		si.Params = append(si.Params, KV{randText(r), randText(r)})
		si.Resources = append(si.Resources, KV{randText(r), randText(r)})
	}
	for n := r.Intn(3); n > 0; n-- {
		si.Parents = append(si.Parents, int32(r.Intn(1<<20)))
	}
	return si
}

// seed returns -decode.seed, else one from the clock, and logs it.
func seed(t *testing.T) int64 {
	seed := *decodeSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -decode.seed=%d)", seed, seed)
	return seed
}

// TestDecodeMatchesUnmarshal checks, on random records, that the encoders
// write what json.Marshal writes and the decoders read what
// json.Unmarshal reads.
func TestDecodeMatchesUnmarshal(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	for k := 0; k < 3000; k++ {
		si := randStep(r)
		data, _ := json.Marshal(&si)
		if got := appendStepJSON(nil, &si); !bytes.Equal(got, data) {
			t.Fatalf("appendStepJSON:\n%s\njson.Marshal:\n%s", got, data)
		}
		sameAs(t, data, decodeStep)
		st := StepStatus{State: state.All[r.Intn(len(state.All))], JobID: randText(r), Submitted: randTime(r), Started: randTime(r),
			Ended: randTime(r), Restarts: r.Intn(3), Attempts: r.Intn(3), HWRetries: r.Intn(2), Reason: randText(r),
			Submitting: r.Intn(2) == 0, Token: r.Intn(5), MarkedAt: randTime(r), Bundle: randText(r)}
		if r.Intn(2) == 0 {
			code := r.Intn(300) - 10
			st.ExitCode = &code
		}
		data, _ = json.Marshal(&st)
		if got, err := encodeStatus(nil, &st); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("encodeStatus (%v):\n%s\njson.Marshal:\n%s", err, got, data)
		}
		sameAs(t, data, decodeStatus)
	}
}

// Records of other shapes take json.Unmarshal's path and read the same.
func TestDecodeOtherShapes(t *testing.T) {
	for _, s := range []string{
		`{"name":"a","workspace":"w","parents":[1,2]}`,
		`{ "name" : "a" }`,
		`{"name":"a","extra":{"x":[1,2]}}`,
		`{"name":"a","name":"b","parents":[1],"parents":[2]}`,
		`{"name":null,"params":null}`,
		`{"name":"a\u00e9","params":[{"Key":"k","Value":"v"},{"key":"k2"}]}`,
		`{"parents":[01]}`, `{"parents":[-0]}`, `{"parents":[]}`, `{"parents":[1,,2]}`, `{"parents":[1,2}`, `{"parents":[7]]}`,
		`{"parents":[1],"name":"]"}`, `{"parents":[1.5]}`, `{"parents":[4294967296]}`,
		`{"name":"a"} `, `{"name":"a"}x`, `{"name":"a"`, `{"name":"a",}`, `[]`, `{}`, ``,
	} {
		sameAs(t, []byte(s), decodeStep)
	}
	for _, s := range []string{
		`{"state":"FINISHED","exit_code":0,"ended":"2026-01-02T03:04:05.5+01:00"}`,
		`{"state":"FINISHED","exit_code":null}`,
		`{"state":"RUNNING","started":"2026-01-02T03:04:05Z","restarts":-3}`,
		`{"started":"2026-01-02 03:04:05Z"}`, `{"started":"not a time"}`, `{"started":null}`,
		`{"exit_code":1,"exit_code":2}`, `{"submitting":tru}`, `{"token":99999999999}`,
	} {
		sameAs(t, []byte(s), decodeStatus)
	}
}

// The records maestro writes take the fast path.
func TestDecodeFastPath(t *testing.T) {
	code := 2
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	si := StepInfo{Name: "sim_X.1", Step: "sim", Workspace: "sim/X.1", Script: "/s/sim/X.1/sim_X.1.sh", JobName: "sim_X.1",
		Scheduled: true, Walltime: "00:10:00", Params: []KV{{"X", "1"}}, Parents: []int32{0, 7}}
	st := StepStatus{State: state.Failed, JobID: "12_3", Submitted: at, Started: at, Ended: at, Restarts: 1, Attempts: 2,
		ExitCode: &code, Reason: "exit code 2", Token: 3, MarkedAt: at}
	data, _ := json.Marshal(&si)
	var gotInfo StepInfo
	if !(&scanner{s: string(data)}).step(&gotInfo) {
		t.Errorf("the scanner refuses %s", data)
	}
	data, _ = json.Marshal(&st)
	var gotStatus StepStatus
	if !(&scanner{s: string(data)}).status(&gotStatus) {
		t.Errorf("the scanner refuses %s", data)
	}
}

// A time json.Marshal cannot write fails the status as it does.
func TestEncodeStatusOutOfRange(t *testing.T) {
	st := StepStatus{State: state.Finished, Ended: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, want := json.Marshal(&st)
	if _, err := encodeStatus(nil, &st); want == nil || err == nil {
		t.Fatalf("encodeStatus: %v, json.Marshal: %v; want both to fail", err, want)
	}
}

// TestEachStepAndStatusRecords checks, on a study of random records (some
// with empty lists after full ones, as EachStep reuses them; statuses over
// several blocks, one longer than a block, some repeating the one before),
// that EachStep
// reads what StepsInto reads and that StatusRecords decode as
// json.Unmarshal reads the statuses.
func TestEachStepAndStatusRecords(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	steps := make([]StepInfo, 500)
	status := make([]StepStatus, len(steps))
	for i := range steps {
		steps[i] = randStep(r)
		status[i] = StepStatus{State: state.All[r.Intn(len(state.All))], JobID: randText(r), Ended: randTime(r),
			Reason: randText(r) + strings.Repeat("r", r.Intn(8000))} // several blocks of records
	}
	for i := 1; i < len(status); i += 3 {
		status[i] = status[i-1] // records that repeat the one before
	}
	status[100].Reason = strings.Repeat("long", statusBlock/3) // a record longer than a block
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "meta"), 0o755)
	s, err := Create(dir, &StudyInfo{Name: "t"}, Settings{}, steps, status, state.StudyInitialized)
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(func(tx *Tx) error {
		want := make([]StepInfo, len(steps)-100)
		if err := tx.StepsInto(want, 50); err != nil {
			return err
		}
		next := 50
		if err := tx.EachStep(50, len(steps)-50, func(i int, si *StepInfo) error {
			w, _ := json.Marshal(&want[i-50])
			g, _ := json.Marshal(si)
			if i != next || !bytes.Equal(g, w) {
				t.Errorf("EachStep's step %d (want %d):\n%s\nStepsInto:\n%s", i, next, g, w)
			}
			next++
			return nil
		}); err != nil || next != len(steps)-50 {
			t.Errorf("EachStep: %v, stopped before %d", err, next)
		}
		stop := errors.New("stop")
		if err := tx.EachStep(0, 10, func(i int, si *StepInfo) error { return stop }); err != stop {
			t.Errorf("EachStep passes on fn's error as %v", err)
		}
		if err := tx.EachStep(490, 501, func(int, *StepInfo) error { return nil }); err == nil {
			t.Error("EachStep past the end must fail")
		}
		recs, err := tx.StatusRecords()
		if err != nil || recs.Len() != len(status) {
			t.Fatalf("StatusRecords: %v, %d records", err, recs.Len())
		}
		for i := range status {
			var st StepStatus
			if err := recs.Decode(i, &st); err != nil {
				return err
			}
			var want StepStatus // as stored: invalid UTF-8 replaced
			data, _ := json.Marshal(&status[i])
			json.Unmarshal(data, &want)
			w, _ := json.Marshal(&want)
			g, _ := json.Marshal(&st)
			if !bytes.Equal(g, w) || recs.State(i) != want.State {
				t.Errorf("status %d:\n%s\nwant\n%s", i, g, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestParseUTC checks that parseUTC reads every UTC time json.Marshal
// writes, and any string it takes as time.Parse does.
func TestParseUTC(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	check := func(s string) bool {
		got, ok := parseUTC(s)
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok && (err != nil || got != want) {
			t.Fatalf("parseUTC(%q) = %v; time.Parse: %v, %v", s, got, want, err)
		}
		return ok
	}
	for k := 0; k < 20000; k++ {
		at := time.Unix(r.Int63n(253402300800), r.Int63n(1e9)/[]int64{1, 1e3, 1e6, 1e9}[r.Intn(4)]).UTC()
		data, _ := json.Marshal(at)
		if s := string(data[1 : len(data)-1]); !check(s) {
			t.Fatalf("parseUTC refuses %q", s)
		}
		// The same time, a character changed.
		b := data[1 : len(data)-1]
		b[r.Intn(len(b))] = "0123456789:-.TZz+ "[r.Intn(18)]
		check(string(b))
	}
	for _, s := range []string{"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T23:59:59Z",
		"2026-04-31T00:00:00Z", "2026-12-31T24:00:00Z", "2026-12-31T23:60:00Z", "2026-12-31T23:59:60Z", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999999999Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567891Z", "2026-01-01T00:00:00.5+01:00",
		"2026-01-01T00:00:00.-5Z", "2026-01-01T00:00:00.+5Z", "+026-01-01T00:00:00Z", "2026-1-01T00:00:00Z"} {
		check(s)
	}
}

// BenchmarkReadRecords decodes a step and a status record as a
// million-step study holds them, the way status --json reads them.
func BenchmarkReadRecords(b *testing.B) {
	step := appendStepJSON(nil, &StepInfo{Name: "sim_X.12345", Step: "sim", Workspace: "sim/X.12345",
		Script: "/scratch/user/studies/fan_20260304-120000/sim/X.12345/sim_X.12345.sh", JobName: "sim_X.12345",
		Params: []KV{{"X", "12345"}}})
	at := time.Date(2026, 3, 4, 12, 0, 0, 123456789, time.UTC)
	status, _ := encodeStatus(nil, &StepStatus{State: state.Finished, JobID: "1234_56", Submitted: at, Started: at, Ended: at,
		ExitCode: new(int)})
	stepText, statusText := string(step), string(status)
	b.Run("step", func(b *testing.B) {
		var si StepInfo
		for i := 0; i < b.N; i++ {
			si = StepInfo{Params: si.Params[:0]}
			if err := readStep(stepText, &si); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("status", func(b *testing.B) {
		var st StepStatus
		for i := 0; i < b.N; i++ {
			if err := readStatus(statusText, &st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPlain8 checks plain8 against the byte-by-byte rule: every byte
// value at every place among plain ones, then random words.
func TestPlain8(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' }
	check := func(b []byte) {
		want := true
		for _, c := range b {
			want = want && plain(c)
		}
		if got := plain8(load8(string(b))); got != want {
			t.Fatalf("plain8(%q) = %v", b, got)
		}
	}
	for c := 0; c < 256; c++ {
		for k := 0; k < 8; k++ {
			b := []byte("abcdefgh")
			b[k] = byte(c)
			check(b)
		}
	}
	r := rand.New(rand.NewSource(seed(t)))
	for k := 0; k < 100000; k++ {
		b := make([]byte, 8)
		for i := range b {
			if r.Intn(4) == 0 {
				b[i] = byte(r.Intn(256))
			} else {
				b[i] = byte(0x20 + r.Intn(0x5f))
			}
		}
		check(b)
	}
}
