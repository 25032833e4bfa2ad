package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// fixture is a served study: three steps, one of them with a name that
// needs escaping in a URL, and three events.
type fixture struct {
	dir   string
	st    *store.Store
	srv   *Server
	url   string
	wakes atomic.Int32
	close func()
}

const oddName = "b_X.a;b c"

func serve(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	zero, start := 0, time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	steps := []store.StepInfo{
		{Name: "a", Step: "a", Workspace: "a", JobName: "a"},
		{Name: oddName, Step: "b", Workspace: "b/X.a;b c", JobName: "b_X.ab_c", Scheduled: true,
			Params: []store.KV{{Key: "X", Value: "a;b c"}}, Parents: []int32{0}},
		{Name: "c", Step: "c", Workspace: "c", JobName: "c", Parents: []int32{1}},
	}
	status := []store.StepStatus{
		{State: state.Finished, JobID: "101", Submitted: start, Started: start, Ended: start.Add(time.Second), ExitCode: &zero},
		{State: state.Running, JobID: "42", Submitted: start, Started: start.Add(time.Second)},
		{State: state.Initialized},
	}
	st, err := store.Create(dir, &store.StudyInfo{Name: "apitest", Stem: "apitest", Dir: dir, BatchType: "slurm", Created: start},
		store.Settings{Attempts: 1}, steps, status, state.StudyRunning)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, st: st}
	f.event(t, "a", 0, state.Initialized, state.Running)
	f.event(t, "a", 0, state.Running, state.Finished)
	f.event(t, oddName, 1, state.Initialized, state.Running)
	f.srv = New(dir, st, func() { f.wakes.Add(1) })
	l, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(l) }()
	f.url = "http://" + l.Addr().String()
	var once sync.Once
	f.close = func() {
		once.Do(func() {
			f.srv.Close()
			if err := <-served; err != nil {
				t.Errorf("Serve after Close: %v", err)
			}
		})
	}
	t.Cleanup(f.close)
	return f
}

func (f *fixture) event(t *testing.T, step string, index int, from, to state.State) {
	t.Helper()
	err := f.st.Update(func(tx *store.Tx) error {
		return tx.AppendEvent(&store.Event{Time: time.Now(), Step: step, Index: index, From: from, To: to})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// get requests path and returns the status code and the body decoded
// into v (when v is not nil).
func (f *fixture) do(t *testing.T, method, path string, header map[string]string, v any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range header {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s %s: %v in %q", method, path, err, body)
		}
	}
	return resp.StatusCode, string(body)
}

func TestHealth(t *testing.T) {
	f := serve(t)
	var got map[string]string
	if code, _ := f.do(t, "GET", "/health", nil, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	if want := fmt.Sprint(map[string]string{"status": "ok", "study": "apitest", "path": f.dir, "state": "RUNNING"}); fmt.Sprint(got) != want {
		t.Errorf("health %v, want %v", got, want)
	}
}

type stepDoc struct {
	Name     string `json:"name"`
	JobID    string `json:"job_id"`
	State    string `json:"state"`
	ExitCode *int   `json:"exit_code"`
	Params   []struct {
		Name, Value string
	} `json:"params"`
}

// TestState: the study in the shape of `maestro status --json`.
func TestState(t *testing.T) {
	f := serve(t)
	var doc struct {
		Schema int            `json:"schema"`
		Study  string         `json:"study"`
		Path   string         `json:"path"`
		State  string         `json:"state"`
		Total  int            `json:"total"`
		Counts map[string]int `json:"counts"`
		Steps  []stepDoc      `json:"steps"`
	}
	if code, body := f.do(t, "GET", "/api/v1/state", nil, &doc); code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if doc.Schema != 1 || doc.Study != "apitest" || doc.Path != f.dir || doc.State != "RUNNING" || doc.Total != 3 ||
		fmt.Sprint(doc.Counts) != "map[FINISHED:1 INITIALIZED:1 RUNNING:1]" {
		t.Errorf("state %+v", doc)
	}
	var rows []string
	for _, s := range doc.Steps {
		rows = append(rows, s.Name+" "+s.JobID+" "+s.State+" "+fmt.Sprint(s.Params))
	}
	if got := strings.Join(rows, "|"); got != "a 101 FINISHED []|"+oddName+" 42 RUNNING [{X a;b c}]|c  INITIALIZED []" {
		t.Errorf("steps %s", got)
	}
}

// TestStep: one step by name (escaped in the path), and a clear 404.
func TestStep(t *testing.T) {
	f := serve(t)
	var s stepDoc
	if code, body := f.do(t, "GET", "/api/v1/steps/"+url.PathEscape(oddName), nil, &s); code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if s.Name != oddName || s.JobID != "42" || s.State != "RUNNING" || s.ExitCode != nil {
		t.Errorf("step %+v", s)
	}
	if code, _ := f.do(t, "GET", "/api/v1/steps/a", nil, &s); code != 200 || s.Name != "a" || s.ExitCode == nil || *s.ExitCode != 0 {
		t.Errorf("step a: %d %+v", code, s)
	}
	var e map[string]string
	if code, _ := f.do(t, "GET", "/api/v1/steps/nope", nil, &e); code != 404 || e["error"] != `no step named "nope"` {
		t.Errorf("unknown step: %d %v", code, e)
	}
}

func seqs(evs []store.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, fmt.Sprint(e.Seq))
	}
	return strings.Join(s, ",")
}

// TestEvents: the feed, from a given event (query or Last-Event-ID), in
// pages, and its errors.
func TestEvents(t *testing.T) {
	f := serve(t)
	for _, c := range []struct {
		path   string
		header map[string]string
		want   string
	}{
		{"/api/v1/events", nil, "1,2,3"},
		{"/api/v1/events?since=1", nil, "2,3"},
		{"/api/v1/events?limit=2", nil, "1,2"},
		{"/api/v1/events?since=1&limit=1", nil, "2"},
		{"/api/v1/events", map[string]string{"Last-Event-ID": "2"}, "3"},
		{"/api/v1/events?since=0", map[string]string{"Last-Event-ID": "2"}, "1,2,3"}, // the query wins
		{"/api/v1/events?since=3", nil, ""},
	} {
		var evs []store.Event
		code, body := f.do(t, "GET", c.path, c.header, &evs)
		if code != 200 || seqs(evs) != c.want {
			t.Errorf("%s %v: %d %s, want %s", c.path, c.header, code, body, c.want)
		}
		if c.want == "" && strings.TrimSpace(body) != "[]" {
			t.Errorf("no events must be [], not %q", body)
		}
	}
	var evs []store.Event
	f.do(t, "GET", "/api/v1/events?since=2", nil, &evs)
	if len(evs) != 1 || evs[0].Step != oddName || evs[0].Index != 1 || evs[0].From != state.Initialized || evs[0].To != state.Running {
		t.Errorf("event 3: %+v", evs)
	}
	for path, want := range map[string]string{
		"/api/v1/events?since=x":            `since must be an event number, got "x"`,
		"/api/v1/events?since=-1":           `since must be an event number, got "-1"`,
		"/api/v1/events?limit=0":            `limit must be a positive number, got "0"`,
		"/api/v1/events?limit=ten":          `limit must be a positive number, got "ten"`,
		"/api/v1/events/stream?since=later": `since must be an event number, got "later"`,
	} {
		var e map[string]string
		if code, _ := f.do(t, "GET", path, nil, &e); code != 400 || e["error"] != want {
			t.Errorf("%s: %d %v, want 400 %q", path, code, e, want)
		}
	}
}

// TestCancel queues one cancel request and wakes the conductor.
func TestCancel(t *testing.T) {
	f := serve(t)
	var got map[string]string
	if code, _ := f.do(t, "POST", "/api/v1/cancel", nil, &got); code != 202 || got["status"] != "cancelling" {
		t.Errorf("cancel: %d %v", code, got)
	}
	if n := f.wakes.Load(); n != 1 {
		t.Errorf("woke the conductor %d times", n)
	}
	var reqs []store.Request
	f.st.Update(func(tx *store.Tx) error {
		var err error
		reqs, err = tx.TakeRequests()
		return err
	})
	if len(reqs) != 1 || reqs[0].Kind != store.RequestCancel || reqs[0].At.IsZero() {
		t.Errorf("requests %+v", reqs)
	}
}

// TestMethodsAndPaths: the routes answer only their methods, and other
// paths and methods get JSON errors as docs/STATUS.md promises.
func TestMethodsAndPaths(t *testing.T) {
	f := serve(t)
	for _, c := range []struct {
		method, path string
		want         int
		msg          string
	}{
		{"GET", "/api/v1/cancel", 405, "/api/v1/cancel takes POST, not GET"},
		{"POST", "/api/v1/state", 405, "/api/v1/state takes GET, HEAD, not POST"},
		{"DELETE", "/api/v1/events", 405, "/api/v1/events takes GET, HEAD, not DELETE"},
		{"GET", "/api/v2/state", 404, "no route for GET /api/v2/state; the API's routes are listed in docs/STATUS.md"},
		{"GET", "/", 404, "no route for GET /; the API's routes are listed in docs/STATUS.md"},
		{"POST", "/nope", 404, "no route for POST /nope; the API's routes are listed in docs/STATUS.md"},
	} {
		var e map[string]string
		if code, body := f.do(t, c.method, c.path, nil, &e); code != c.want || e["error"] != c.msg || len(e) != 1 {
			t.Errorf("%s %s: %d %s, want %d {\"error\":%q}", c.method, c.path, code, body, c.want, c.msg)
		}
	}
	if n := f.wakes.Load(); n != 0 {
		t.Errorf("a refused request woke the conductor %d times", n)
	}
}

// TestUnreadableStore: every route answers 503 with the store's error when
// the database cannot be read, and the stream ends at once.
func TestUnreadableStore(t *testing.T) {
	f := serve(t)
	if err := os.WriteFile(store.Path(f.dir), []byte("not a bbolt database, not at all, but long enough to be read"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/health"}, {"GET", "/api/v1/state"}, {"GET", "/api/v1/steps/a"},
		{"GET", "/api/v1/events"}, {"POST", "/api/v1/cancel"},
	} {
		var e map[string]string
		if code, _ := f.do(t, c.method, c.path, nil, &e); code != 503 || !strings.Contains(e["error"], "study database") {
			t.Errorf("%s %s: %d %v", c.method, c.path, code, e)
		}
	}
	if code, body := f.do(t, "GET", "/api/v1/events/stream", nil, nil); code != 200 || body != "" {
		t.Errorf("stream: %d %q", code, body)
	}
	if n := f.wakes.Load(); n != 0 {
		t.Errorf("a failed cancel woke the conductor %d times", n)
	}
}

// sse reads server-sent events.
type sse struct {
	r    *bufio.Reader
	body io.Closer
}

type message struct{ id, event, data string }

func (f *fixture) stream(t *testing.T, ctx context.Context, path string, header map[string]string) *sse {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.url+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	return &sse{r: bufio.NewReader(resp.Body), body: resp.Body}
}

// next returns the next message; io.EOF when the stream ends.
func (s *sse) next() (message, error) {
	var m message
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return m, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch k, v, _ := strings.Cut(line, ": "); {
		case line == "":
			if m != (message{}) {
				return m, nil
			}
		case k == "id":
			m.id = v
		case k == "event":
			m.event = v
		case k == "data":
			m.data = v
		}
	}
}

func (s *sse) expect(t *testing.T, id, event string) message {
	t.Helper()
	m, err := s.next()
	if err != nil || m.id != id || m.event != event {
		t.Fatalf("got %+v %v, want id %q event %q", m, err, id, event)
	}
	return m
}

// TestStream: the events after since, in order, then each new one as the
// conductor reports it, and an end event when the conductor stops.
func TestStream(t *testing.T) {
	f := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := f.stream(t, ctx, "/api/v1/events/stream?since=1", nil)
	m := s.expect(t, "2", "state")
	var ev store.Event
	if err := json.Unmarshal([]byte(m.data), &ev); err != nil || ev.Seq != 2 || ev.Step != "a" || ev.To != state.Finished {
		t.Errorf("event 2: %+v %v", ev, err)
	}
	s.expect(t, "3", "state")

	f.event(t, "c", 2, state.Initialized, state.Running)
	f.srv.Changed()
	m = s.expect(t, "4", "state")
	if !strings.Contains(m.data, `"step":"c"`) {
		t.Errorf("event 4: %s", m.data)
	}

	// A client reconnecting with Last-Event-ID gets only what it missed.
	again := f.stream(t, ctx, "/api/v1/events/stream", map[string]string{"Last-Event-ID": "3"})
	again.expect(t, "4", "state")

	// Events recorded as the conductor ends still go out, then "end".
	f.event(t, "c", 2, state.Running, state.Finished)
	f.close()
	s.expect(t, "5", "state")
	s.expect(t, "", "end")
	if _, err := s.next(); err != io.EOF {
		t.Errorf("after end: %v", err)
	}
	again.expect(t, "5", "state")
	again.expect(t, "", "end")
}

// TestStreamManyAndLeave: a backlog longer than one page arrives whole
// and in order; a client that leaves is forgotten.
func TestStreamManyAndLeave(t *testing.T) {
	f := serve(t)
	err := f.st.Update(func(tx *store.Tx) error {
		for i := 0; i < 1500; i++ {
			if err := tx.AppendEvent(&store.Event{Step: "c", Index: 2, From: state.Running, To: state.Running}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := f.stream(t, ctx, "/api/v1/events/stream", nil)
	for i := 1; i <= 1503; i++ {
		s.expect(t, fmt.Sprint(i), "state")
	}
	subscribers := func() int {
		f.srv.mu.Lock()
		defer f.srv.mu.Unlock()
		return len(f.srv.subs)
	}
	if n := subscribers(); n != 1 {
		t.Errorf("%d subscribers while streaming", n)
	}
	cancel()
	s.body.Close()
	for deadline := time.Now().Add(10 * time.Second); subscribers() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stream of a client that left is still subscribed")
		}
	}
}

func TestListen(t *testing.T) {
	if _, err := Listen("0.0.0.0:0", false); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("Listen on every interface without --http-remote: %v", err)
	}
	l, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	// Serve on a closed listener reports the error (Close was not called).
	if err := New(t.TempDir(), nil, func() {}).Serve(l); err == nil {
		t.Error("Serve on a closed listener must fail")
	}
}
