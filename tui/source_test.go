package tui

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

func colourRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	return r
}

// storedStudy writes d to a study database in a new directory.
func storedStudy(t *testing.T, d Data) (*store.Store, string) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := store.Create(dir, d.Info, store.Settings{}, d.Steps, d.Status, d.State)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// change moves step i to to, as the conductor does: the status and its
// event in one transaction.
func change(t *testing.T, s *store.Store, i int, name string, to state.State) {
	t.Helper()
	err := s.Update(func(tx *store.Tx) error {
		st, err := tx.Status(i)
		if err != nil {
			return err
		}
		from := st.State
		st.State = to
		if err := tx.PutStatus(i, st); err != nil {
			return err
		}
		return tx.AppendEvent(&store.Event{Time: now, Step: name, Index: i, From: from, To: to})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLastSeq(t *testing.T) {
	s, dir := storedStudy(t, bigStudy(3))
	total := 0
	for _, add := range []int{0, 1, 1, 3, 27, 100} {
		for k := 0; k < add; k++ {
			change(t, s, k%3, []string{"step00000", "step00001", "step00002"}[k%3], state.Running)
		}
		total += add
		d, err := Load(s, dir)
		if err != nil {
			t.Fatal(err)
		}
		if d.Seq != uint64(total) {
			t.Errorf("after %d events Seq = %d", total, d.Seq)
		}
	}
}

func TestStoreSourcePoll(t *testing.T) {
	s, dir := storedStudy(t, bigStudy(50))
	d, err := Load(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	m := New(d, Options{Width: 120, Height: 30, Now: clock})
	src := StoreSource{Store: s, Dir: dir}

	// Nothing happened: no changes, the same place in the feed.
	got := src.Poll(m.seq, m.info.Created, m.steps)
	if ch, ok := got.(Changes); !ok || len(ch.Updates) != 0 || ch.Seq != 0 || ch.State != state.StudyRunning {
		t.Fatalf("idle poll = %#v", got)
	}

	// Two events about step 7 and one about step 3: two statuses read.
	change(t, s, 7, "step00007", state.Failed)
	change(t, s, 3, "step00003", state.Cancelled)
	change(t, s, 7, "step00007", state.Unknown)
	got = src.Poll(m.seq, m.info.Created, m.steps)
	ch, ok := got.(Changes)
	if !ok || ch.Seq != 3 || len(ch.Updates) != 2 {
		t.Fatalf("poll = %#v", got)
	}
	if ch.Updates[0].Index != 7 || ch.Updates[0].Status.State != state.Unknown || ch.Updates[1].Index != 3 {
		t.Errorf("updates = %+v", ch.Updates)
	}
	m.Update(ch)
	lines := frame(t, m)
	for k, want := range map[int]string{3: "CANCELLED", 7: "UNKNOWN", 6: "FINISHED", 8: "FINISHED"} {
		if f := strings.Fields(lines[5+k]); f[0] != "step0000"+string(rune('0'+k)) || f[2] != want {
			t.Errorf("row %d: %q, want %s", k, lines[5+k], want)
		}
	}

	// The next poll starts after them.
	change(t, s, 9, "step00009", state.Finished)
	if ch := src.Poll(m.seq, m.info.Created, m.steps).(Changes); ch.Seq != 4 || len(ch.Updates) != 1 || ch.Updates[0].Index != 9 {
		t.Errorf("poll after seq 3 = %+v", ch)
	}
}

func TestStoreSourceReloads(t *testing.T) {
	s, dir := storedStudy(t, bigStudy(20))
	change(t, s, 1, "step00001", state.Failed)
	change(t, s, 2, "step00002", state.Failed)
	src := StoreSource{Store: s, Dir: dir}
	d, err := Load(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	isReload := func(what string, got any) {
		t.Helper()
		r, ok := got.(Reload)
		if !ok {
			t.Errorf("%s: %#v, want a reload", what, got)
			return
		}
		if r.Data.Seq != 2 || len(r.Data.Steps) != 20 || r.Data.Status[2].State != state.Failed {
			t.Errorf("%s: reloaded seq %d, %d steps", what, r.Data.Seq, len(r.Data.Steps))
		}
	}
	isReload("the feed went back", src.Poll(9, d.Info.Created, d.Steps))
	isReload("another study", src.Poll(2, d.Info.Created.Add(time.Second), d.Steps))
	isReload("an event that names another step", src.Poll(1, d.Info.Created, d.Steps[:2]))
	one := src
	one.MaxEvents = 1
	isReload("a backlog", one.Poll(0, d.Info.Created, d.Steps))
	if _, ok := src.Poll(1, d.Info.Created, d.Steps).(Changes); !ok {
		t.Error("one event past seq 1 is not a backlog")
	}

	// An unreadable study is an error the view shows, not a crash.
	locked := *s
	locked.LockTimeout = 50 * time.Millisecond
	bad := StoreSource{Store: &locked, Dir: dir}
	held := make(chan struct{})
	release := make(chan struct{})
	go s.Update(func(tx *store.Tx) error { close(held); <-release; return nil })
	<-held
	got := bad.Poll(2, d.Info.Created, d.Steps)
	close(release)
	if _, ok := got.(PollError); !ok {
		t.Errorf("poll of a locked study = %#v", got)
	}
}
