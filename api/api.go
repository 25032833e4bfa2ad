// Package api is the conductor's local HTTP API: the study's state in the
// shape of `maestro status --json`, one step, the persisted event feed (as
// JSON and as server-sent events), health, and cancel.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// Server serves one study. Every request reads the store in short
// transactions, like any other reader.
type Server struct {
	dir   string
	st    *store.Store
	wake  func() // tells the conductor a request is waiting
	mu    sync.Mutex
	subs  map[chan struct{}]struct{}
	srv   *http.Server
	ended chan struct{}
}

// CheckAddr accepts HOST:PORT for the API: a loopback address unless
// remote is set, since the API can cancel the study and has no
// authentication.
func CheckAddr(addr string, remote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %s: %v (use HOST:PORT, such as 127.0.0.1:8080)", addr, err)
	}
	if ip := net.ParseIP(host); !remote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--http %s is not a loopback address; the API has no authentication, so pass --http-remote to serve it beyond this machine", addr)
	}
	return nil
}

// Listen opens addr for the API (see CheckAddr).
func Listen(addr string, remote bool) (net.Listener, error) {
	if err := CheckAddr(addr, remote); err != nil {
		return nil, err
	}
	return net.Listen("tcp", addr)
}

// New returns a server for the study in dir; wake is called after a cancel
// request is queued.
func New(dir string, st *store.Store, wake func()) *Server {
	s := &Server{dir: dir, st: st, wake: wake, subs: map[chan struct{}]struct{}{}, ended: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /api/v1/state", s.state)
	mux.HandleFunc("GET /api/v1/steps/{name}", s.step)
	mux.HandleFunc("GET /api/v1/events", s.events)
	mux.HandleFunc("GET /api/v1/events/stream", s.stream)
	mux.HandleFunc("POST /api/v1/cancel", s.cancel)
	s.srv = &http.Server{Handler: jsonErrors(mux), ReadHeaderTimeout: 10 * time.Second}
	return s
}

// jsonErrors makes the mux's own answers to a path it has no route for
// (404) or a method a route does not take (405) JSON errors like the
// handlers' ones, instead of plain text.
func jsonErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			w = &routeError{ResponseWriter: w, r: r}
		}
		mux.ServeHTTP(w, r)
	})
}

// routeError rewrites a 404 or 405 from the mux as {"error": "..."}.
type routeError struct {
	http.ResponseWriter
	r    *http.Request
	code int
}

func (w *routeError) WriteHeader(code int) {
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
		w.code = code
		w.Header().Set("Content-Type", "application/json")
		w.Header().Del("X-Content-Type-Options")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *routeError) Write(b []byte) (int, error) {
	switch w.code {
	case 0:
		return w.ResponseWriter.Write(b)
	case -1:
		return len(b), nil
	case http.StatusNotFound:
		json.NewEncoder(w.ResponseWriter).Encode(map[string]string{
			"error": fmt.Sprintf("no route for %s %s; the API's routes are listed in docs/STATUS.md", w.r.Method, w.r.URL.Path)})
	default:
		json.NewEncoder(w.ResponseWriter).Encode(map[string]string{
			"error": fmt.Sprintf("%s takes %s, not %s", w.r.URL.Path, w.Header().Get("Allow"), w.r.Method)})
	}
	w.code = -1 // the body is written once
	return len(b), nil
}

// Serve serves on l until Close.
func (s *Server) Serve(l net.Listener) error {
	if err := s.srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close lets event streams send what is left, then stops the server.
func (s *Server) Close() {
	close(s.ended)
	s.Changed()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}

// Changed wakes every event stream: the conductor recorded new events.
func (s *Server) Changed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	var info *store.StudyInfo
	var st string
	err := s.st.View(func(tx *store.Tx) error {
		var err error
		if info, err = tx.Info(); err != nil {
			return err
		}
		state, err := tx.StudyState()
		st = string(state)
		return err
	})
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "study": info.Name, "path": s.dir, "state": st})
}

func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	snap, err := status.ReadSnapshot(s.st, s.dir, nil)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	snap.Conductor = status.ConductorRunning // the conductor serves the API
	status.WriteJSON(w, snap, time.Now())
}

func (s *Server) step(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	snap, err := status.ReadSnapshot(s.st, s.dir, nil)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	for i := range snap.Steps {
		if snap.Steps[i].Name == name {
			w.Header().Set("Content-Type", "application/json")
			w.Write(append(status.StepJSON(&snap.Steps[i], &snap.Status[i], time.Now()), '\n'))
			return
		}
	}
	fail(w, http.StatusNotFound, fmt.Errorf("no step named %q", name))
}

// since reads the first event wanted: ?since=N, else the Last-Event-ID of
// a reconnecting stream.
func since(r *http.Request) (uint64, error) {
	v := r.URL.Query().Get("since")
	if v == "" {
		v = r.Header.Get("Last-Event-ID")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("since must be an event number, got %q", v)
	}
	return n, nil
}

func (s *Server) readEvents(after uint64, limit int) ([]store.Event, error) {
	var evs []store.Event
	err := s.st.View(func(tx *store.Tx) error {
		var err error
		evs, err = tx.EventsSince(after, limit)
		return err
	})
	return evs, err
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	after, err := since(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	limit := 1000
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit <= 0 {
			fail(w, http.StatusBadRequest, fmt.Errorf("limit must be a positive number, got %q", v))
			return
		}
	}
	evs, err := s.readEvents(after, limit)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	if evs == nil {
		evs = []store.Event{}
	}
	writeJSON(w, http.StatusOK, evs)
}

// stream sends every event after since as a server-sent event, in order,
// then each new one as the conductor records it, until the client leaves
// or the conductor ends.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	after, err := since(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, errors.New("streaming unsupported"))
		return
	}
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	tick := time.NewTicker(15 * time.Second) // keeps proxies from closing an idle stream
	defer tick.Stop()
	for {
		evs, err := s.readEvents(after, 1000)
		if err != nil {
			return
		}
		for _, ev := range evs {
			data, _ := json.Marshal(ev)
			fmt.Fprintf(w, "id: %d\nevent: state\ndata: %s\n\n", ev.Seq, data)
			after = ev.Seq
		}
		flusher.Flush()
		if len(evs) == 1000 {
			continue
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.ended:
			if evs, _ := s.readEvents(after, 1); len(evs) == 0 {
				fmt.Fprint(w, "event: end\ndata: {}\n\n")
				flusher.Flush()
				return
			}
		case <-ch:
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		}
	}
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	err := s.st.Update(func(tx *store.Tx) error {
		return tx.AddRequest(store.Request{Kind: store.RequestCancel, At: time.Now()})
	})
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	s.wake()
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "cancelling"})
}
