package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/mattn/go-runewidth"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

var (
	created = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	now     = created.Add(10 * time.Minute)
)

func clock() time.Time { return now }

func code(n int) *int { return &n }

// smallStudy is seven steps in every kind of state; the failed one wrote
// a stderr file of 30 lines into its workspace under dir.
func smallStudy(t testing.TB, dir string) Data {
	at := func(sec int) time.Time { return created.Add(time.Duration(sec) * time.Second) }
	steps := []store.StepInfo{
		{Name: "setup", Workspace: "setup", JobName: "setup"},
		{Name: "sim_X.1", Workspace: "sim/X.1", JobName: "sim_X.1", Params: []store.KV{{Key: "X", Value: "1"}}},
		{Name: "sim_X.2", Workspace: "sim/X.2", JobName: "sim_X.2", Params: []store.KV{{Key: "X", Value: "2"}}},
		{Name: "sim_X.3", Workspace: "sim/X.3", JobName: "sim_X.3", Params: []store.KV{{Key: "X", Value: "3"}}},
		{Name: "check_X.2", Workspace: "check/X.2", JobName: "check_X.2"},
		{Name: "plot", Workspace: "plot", JobName: "plot"},
		{Name: "report", Workspace: "report", JobName: "report"},
	}
	st := []store.StepStatus{
		{State: state.Finished, JobID: "101", Submitted: at(0), Started: at(1), Ended: at(5), ExitCode: code(0)},
		{State: state.Finished, JobID: "102", Submitted: at(5), Started: at(6), Ended: at(70), ExitCode: code(0)},
		{State: state.Failed, JobID: "103", Submitted: at(5), Started: at(6), Ended: at(9), ExitCode: code(3),
			Reason: "exit code 3", Attempts: 1},
		{State: state.Running, JobID: "104", Submitted: at(5), Started: at(7), Restarts: 2},
		{State: state.Failed, Reason: "a parent failed"},
		{State: state.Pending, JobID: "105", Submitted: at(300)},
		{State: state.Initialized},
	}
	ws := filepath.Join(dir, "sim", "X.2")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	var errText strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&errText, "stderr line %02d\n", i)
	}
	if err := os.WriteFile(filepath.Join(ws, "sim_X.2.err"), []byte(errText.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	info := &store.StudyInfo{Name: "demo", Dir: dir, Created: created}
	return Data{Snapshot: &status.Snapshot{Dir: dir, Info: info, State: state.StudyRunning, Steps: steps, Status: st}}
}

// bigStudy is n steps: step i is named step<i> and FINISHED, except every
// tenth, which is RUNNING; elapsed time grows with i.
func bigStudy(n int) Data {
	steps := make([]store.StepInfo, n)
	st := make([]store.StepStatus, n)
	for i := range steps {
		name := fmt.Sprintf("step%05d", i)
		steps[i] = store.StepInfo{Name: name, Workspace: name, JobName: name}
		st[i] = store.StepStatus{State: state.Finished, JobID: fmt.Sprint(1000 + i),
			Submitted: created, Started: created, Ended: created.Add(time.Duration(i) * time.Second)}
		if i%10 == 0 {
			st[i].State, st[i].Ended = state.Running, time.Time{}
		}
	}
	info := &store.StudyInfo{Name: "big", Created: created}
	return Data{Snapshot: &status.Snapshot{Dir: "/studies/big", Info: info, State: state.StudyRunning, Steps: steps, Status: st}}
}

func newModel(d Data) *Model {
	return New(d, Options{Width: 120, Height: 30, Now: clock})
}

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func press(m *Model, keys ...tea.Msg) {
	for _, k := range keys {
		m.Update(k)
	}
}

// frame is the view's lines, checked to fit the terminal.
func frame(t *testing.T, m *Model) []string {
	t.Helper()
	lines := strings.Split(m.View(), "\n")
	if len(lines) != m.height {
		t.Errorf("the view has %d lines, want %d:\n%s", len(lines), m.height, strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if w := runewidth.StringWidth(l); w > m.width {
			t.Errorf("line wider than %d: %d: %q", m.width, w, l)
		}
	}
	return lines
}

// rowNames is the step names on the screen's table rows, in order.
func rowNames(t *testing.T, m *Model) []string {
	lines := frame(t, m)
	var names []string
	for _, l := range lines[chromeLines-1 : chromeLines-1+m.rows()] {
		if f := strings.Fields(strings.TrimPrefix(l, "▸")); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

// selectedLine is the line with the cursor.
func selectedLine(t *testing.T, m *Model) string {
	for _, l := range frame(t, m) {
		if strings.HasPrefix(l, "▸") {
			return l
		}
	}
	t.Fatal("no selected row")
	return ""
}

func wantContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

func TestFirstFrame(t *testing.T) {
	dir := t.TempDir()
	m := newModel(smallStudy(t, dir))
	lines := frame(t, m)
	wantContains(t, lines[0], "Study demo", "RUNNING", "elapsed 0d:00h:10m:00s", "7 steps")
	if lines[1] != dir {
		t.Errorf("path line %q, want %q", lines[1], dir)
	}
	wantContains(t, lines[2], "INITIALIZED 1 · PENDING 1 · RUNNING 1 · FINISHED 2 · FAILED 2")
	wantContains(t, lines[3], "rows 1-7 of 7", "sort table order")
	if f := strings.Join(strings.Fields(lines[4]), " "); f != "Step Name Job ID State Run Time Elapsed Restarts" {
		t.Errorf("column header %q", lines[4])
	}
	want := []string{
		"▸ setup      101     FINISHED     0d:00h:00m:04s  0d:00h:00m:05s         0",
		"  sim_X.1    102     FINISHED     0d:00h:01m:04s  0d:00h:01m:05s         0",
		"  sim_X.2    103     FAILED       0d:00h:00m:03s  0d:00h:00m:04s         0",
		"  sim_X.3    104     RUNNING      0d:00h:09m:53s  0d:00h:09m:55s         2",
		"  check_X.2  --      FAILED       --:--:--        --:--:--               0",
		"  plot       105     PENDING      --:--:--        0d:00h:05m:00s         0",
		"  report     --      INITIALIZED  --:--:--        --:--:--               0",
	}
	for k, w := range want {
		if got := strings.TrimRight(lines[5+k], " "); got != w {
			t.Errorf("row %d:\n got %q\nwant %q", k, got, w)
		}
	}
	wantContains(t, lines[len(lines)-1], "q quit", "/ name", "f state", "s sort")
}

func TestScrollAndPage(t *testing.T) {
	m := newModel(bigStudy(1000))
	rows := m.rows() // 30 lines less 6 around the table
	if rows != 24 {
		t.Fatalf("rows = %d, want 24", rows)
	}
	press(m, runes("j"), runes("j"), tea.KeyMsg{Type: tea.KeyDown})
	wantContains(t, selectedLine(t, m), "step00003")
	press(m, runes("k"), tea.KeyMsg{Type: tea.KeyUp})
	wantContains(t, selectedLine(t, m), "step00001")

	press(m, tea.KeyMsg{Type: tea.KeyPgDown})
	if got := rowNames(t, m); got[0] != "step00024" || got[23] != "step00047" {
		t.Errorf("after pgdown rows %s..%s", got[0], got[len(got)-1])
	}
	wantContains(t, frame(t, m)[3], "rows 25-48 of 1000")
	press(m, tea.KeyMsg{Type: tea.KeyPgUp})
	if got := rowNames(t, m); got[0] != "step00000" {
		t.Errorf("after pgup the first row is %s", got[0])
	}

	press(m, runes("G"))
	got := rowNames(t, m)
	if got[len(got)-1] != "step00999" || len(got) != 24 {
		t.Errorf("after G rows %v", got)
	}
	wantContains(t, selectedLine(t, m), "step00999")
	press(m, runes("j"), tea.KeyMsg{Type: tea.KeyPgDown}) // nothing past the end
	wantContains(t, selectedLine(t, m), "step00999")

	press(m, runes("g"))
	wantContains(t, selectedLine(t, m), "step00000")
	press(m, runes("k")) // nothing before the start
	wantContains(t, selectedLine(t, m), "step00000")
	press(m, tea.KeyMsg{Type: tea.KeyEnd})
	wantContains(t, selectedLine(t, m), "step00999")
	press(m, tea.KeyMsg{Type: tea.KeyHome})
	wantContains(t, selectedLine(t, m), "step00000")

	// Keys typed faster than they are read arrive as one message.
	press(m, runes("jjjj"))
	wantContains(t, selectedLine(t, m), "step00004")
}

func TestNameFilter(t *testing.T) {
	m := newModel(smallStudy(t, t.TempDir()))
	press(m, runes("/"), runes("S"), runes("im"))
	if got := strings.Join(rowNames(t, m), " "); got != "sim_X.1 sim_X.2 sim_X.3" {
		t.Errorf("while typing, rows %q", got)
	}
	wantContains(t, frame(t, m)[29], "/Sim")
	press(m, runes("_X.2"), tea.KeyMsg{Type: tea.KeyBackspace}, runes("3"), tea.KeyMsg{Type: tea.KeyEnter})
	if got := strings.Join(rowNames(t, m), " "); got != "sim_X.3" {
		t.Errorf("rows %q", got)
	}
	wantContains(t, frame(t, m)[3], `rows 1-1 of 1`, `name "Sim_X.3"`)
	wantContains(t, frame(t, m)[29], "q quit") // typing ended

	press(m, runes("/"), runes("nothing"), tea.KeyMsg{Type: tea.KeyEnter})
	if got := rowNames(t, m); len(got) != 0 {
		t.Errorf("rows %q, want none", got)
	}
	wantContains(t, frame(t, m)[3], "no rows of 7")

	press(m, tea.KeyMsg{Type: tea.KeyEsc})
	if got := rowNames(t, m); len(got) != 7 {
		t.Errorf("esc left %d rows", len(got))
	}
}

func TestStateFilter(t *testing.T) {
	m := newModel(smallStudy(t, t.TempDir()))
	// f cycles through the states steps are in, in the summary's order.
	for _, want := range []struct{ state, rows string }{
		{"INITIALIZED", "report"},
		{"PENDING", "plot"},
		{"RUNNING", "sim_X.3"},
		{"FINISHED", "setup sim_X.1"},
		{"FAILED", "sim_X.2 check_X.2"},
		{"", "setup sim_X.1 sim_X.2 sim_X.3 check_X.2 plot report"},
	} {
		press(m, runes("f"))
		if got := strings.Join(rowNames(t, m), " "); got != want.rows {
			t.Errorf("state filter %q: rows %q, want %q", want.state, got, want.rows)
		}
		if want.state != "" {
			wantContains(t, frame(t, m)[3], "state "+want.state)
		}
	}
	press(m, runes("F"))
	if got := strings.Join(rowNames(t, m), " "); got != "sim_X.2 check_X.2" {
		t.Errorf("F went back to %q", got)
	}
	press(m, runes("/"), runes("check"), tea.KeyMsg{Type: tea.KeyEnter})
	if got := strings.Join(rowNames(t, m), " "); got != "check_X.2" {
		t.Errorf("state and name filters: %q", got)
	}
}

func TestSort(t *testing.T) {
	m := newModel(smallStudy(t, t.TempDir()))
	press(m, runes("j")) // select sim_X.1: it stays selected through every order
	for _, want := range []struct{ sort, rows string }{
		{"name", "check_X.2 plot report setup sim_X.1 sim_X.2 sim_X.3"},
		{"state", "report plot sim_X.3 setup sim_X.1 sim_X.2 check_X.2"},
		{"elapsed", "sim_X.3 plot sim_X.1 setup sim_X.2 check_X.2 report"},
		{"table order", "setup sim_X.1 sim_X.2 sim_X.3 check_X.2 plot report"},
	} {
		press(m, runes("s"))
		if got := strings.Join(rowNames(t, m), " "); got != want.rows {
			t.Errorf("sort %s: rows %q, want %q", want.sort, got, want.rows)
		}
		wantContains(t, frame(t, m)[3], "sort "+want.sort)
		wantContains(t, selectedLine(t, m), "sim_X.1")
	}
	press(m, runes("r"))
	if got := strings.Join(rowNames(t, m), " "); got != "report plot check_X.2 sim_X.3 sim_X.2 sim_X.1 setup" {
		t.Errorf("reversed: %q", got)
	}
	wantContains(t, frame(t, m)[3], "(reversed)")
}

func TestFailedDetail(t *testing.T) {
	dir := t.TempDir()
	m := newModel(smallStudy(t, dir))
	if text := m.View(); strings.Contains(text, "exit code") {
		t.Errorf("a detail pane for a FINISHED step:\n%s", text)
	}
	press(m, runes("jj")) // sim_X.2, FAILED with exit code 3
	lines := frame(t, m)
	text := strings.Join(lines, "\n")
	wantContains(t, text, "── sim_X.2 · FAILED ─", "exit code 3 · reason: exit code 3",
		filepath.Join(dir, "sim", "X.2", "sim_X.2.err"), "stderr line 30", "stderr line 21")
	if strings.Contains(text, "stderr line 20") {
		t.Errorf("more than the last 10 lines:\n%s", text)
	}
	if strings.TrimSpace(lines[28]) != "stderr line 30" {
		t.Errorf("the last stderr line is not above the help line: %q", lines[28])
	}
	// The table keeps what room is left.
	if got := m.rows(); got != 30-chromeLines-13 {
		t.Errorf("rows beside the detail pane = %d", got)
	}

	press(m, runes("jj")) // check_X.2: failed, no job, no stderr file
	wantContains(t, m.View(), "── check_X.2 · FAILED", "exit code -- · reason: a parent failed", "no stderr file in check/X.2")

	press(m, runes("d"))
	if strings.Contains(m.View(), "reason:") {
		t.Error("d did not hide the detail pane")
	}
	press(m, runes("d"))

	// A short terminal shows fewer stderr lines, never fewer than 3 rows.
	press(m, runes("kk"), tea.WindowSizeMsg{Width: 120, Height: 16})
	lines = frame(t, m)
	wantContains(t, strings.Join(lines, "\n"), "stderr line 30", "last 4 lines")
	if m.rows() != 3 {
		t.Errorf("rows = %d, want 3", m.rows())
	}
}

func TestResize(t *testing.T) {
	m := newModel(smallStudy(t, t.TempDir()))
	press(m, tea.WindowSizeMsg{Width: 60, Height: 12})
	lines := frame(t, m)
	header := strings.Join(strings.Fields(lines[4]), " ")
	if header != "Step Name State Run Time Elapsed" {
		t.Errorf("at 60 columns the header is %q", header)
	}
	if got := strings.Join(strings.Fields(lines[5]), " "); got != "▸ setup FINISHED 0d:00h:00m:04s 0d:00h:00m:05s" {
		t.Errorf("at 60 columns the first row is %q", got)
	}
	if m.rows() != 6 {
		t.Errorf("rows = %d, want 6", m.rows())
	}
	wantContains(t, lines[3], "rows 1-6 of 7")
	press(m, tea.WindowSizeMsg{Width: 200, Height: 40})
	lines = frame(t, m)
	if f := strings.Join(strings.Fields(lines[4]), " "); f != "Step Name Job ID State Run Time Elapsed Restarts" {
		t.Errorf("at 200 columns the header is %q", f)
	}
	press(m, tea.WindowSizeMsg{Width: 44, Height: 12})
	if f := strings.Join(strings.Fields(frame(t, m)[4]), " "); f != "Step Name State Elapsed" {
		t.Errorf("at 44 columns the header is %q", f)
	}
	press(m, tea.WindowSizeMsg{Width: 20, Height: 5}) // absurdly small: still a frame
	frame(t, m)
}

func TestChangesUpdateTheRightRow(t *testing.T) {
	m := newModel(smallStudy(t, t.TempDir()))
	_, cmd := m.Update(Changes{State: state.StudyFailure, Seq: 12, Updates: []StepUpdate{
		{Index: 3, Status: store.StepStatus{State: state.Failed, JobID: "104", Submitted: created.Add(5 * time.Second),
			Started: created.Add(7 * time.Second), Ended: created.Add(600 * time.Second), ExitCode: code(9), Restarts: 2}},
		{Index: 6, Status: store.StepStatus{State: state.Cancelled}},
	}})
	if cmd != nil {
		t.Error("without a Source the view must not poll")
	}
	if m.seq != 12 {
		t.Errorf("seq = %d", m.seq)
	}
	lines := frame(t, m)
	wantContains(t, lines[0], "FAILURE")
	wantContains(t, lines[2], "PENDING 1 · FINISHED 2 · FAILED 3 · CANCELLED 1")
	if got := strings.Join(strings.Fields(lines[8]), " "); got != "sim_X.3 104 FAILED 0d:00h:09m:53s 0d:00h:09m:55s 2" {
		t.Errorf("row of sim_X.3: %q", got)
	}
	if got := strings.Join(strings.Fields(lines[11]), " "); got != "report -- CANCELLED --:--:-- --:--:-- 0" {
		t.Errorf("row of report: %q", got)
	}
	for _, k := range []int{5, 6, 7, 9, 10} {
		if strings.Contains(lines[k], "CANCELLED") || strings.Contains(lines[k], "9m:53s") {
			t.Errorf("another row changed: %q", lines[k])
		}
	}

	// Under a state filter, a step that leaves the state leaves the rows.
	press(m, runes("f"), runes("f"))
	wantContains(t, frame(t, m)[3], "state FINISHED")
	m.Update(Changes{Seq: 13, Updates: []StepUpdate{{Index: 0, Status: store.StepStatus{State: state.Failed}}}})
	if got := strings.Join(rowNames(t, m), " "); got != "sim_X.1" {
		t.Errorf("FINISHED rows after the change: %q", got)
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []tea.KeyMsg{runes("q"), {Type: tea.KeyCtrlC}} {
		m := newModel(bigStudy(10))
		_, cmd := m.Update(k)
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%s does not quit", k)
		}
		if m.View() != "" {
			t.Errorf("%s: the last frame is not empty", k)
		}
	}
	// q while typing a filter is part of the filter.
	m := newModel(bigStudy(10))
	press(m, runes("/"))
	if _, cmd := m.Update(runes("q")); cmd != nil {
		t.Error("q quit while typing a filter")
	}
}

// TestPolls checks the loop with a Source: a tick polls, a result
// schedules the next tick, and a poll is never started twice.
func TestPolls(t *testing.T) {
	src := &fakeSource{reply: Changes{Seq: 4, Updates: []StepUpdate{{Index: 1, Status: store.StepStatus{State: state.Running}}}}}
	m := New(bigStudy(5), Options{Width: 120, Height: 30, Now: clock, Source: src, Interval: time.Millisecond})
	poll := m.Init()
	if poll == nil {
		t.Fatal("Init does not poll")
	}
	if _, again := m.Update(tickMsg(now)); again != nil {
		t.Error("a second poll started while one runs")
	}
	msg := poll()
	if src.seq != 0 || len(src.steps) != 5 {
		t.Errorf("polled with seq %d and %d steps", src.seq, len(src.steps))
	}
	_, next := m.Update(msg)
	if next == nil {
		t.Fatal("no tick after a poll")
	}
	if m.status[1].State != state.Running || m.seq != 4 {
		t.Errorf("the changes were not applied: %s, seq %d", m.status[1].State, m.seq)
	}
	if _, ok := next().(tickMsg); !ok {
		t.Fatal("the next command is not a tick")
	}
	src.reply = PollError{fmt.Errorf("the study database is locked")}
	_, poll = m.Update(tickMsg(now))
	m.Update(poll())
	wantContains(t, frame(t, m)[3], "read failed: the study database is locked")
	src.reply = Reload{bigStudy(7)}
	_, poll = m.Update(tickMsg(now))
	m.Update(poll())
	wantContains(t, frame(t, m)[0], "7 steps")
	if strings.Contains(frame(t, m)[3], "read failed") {
		t.Error("the error stayed after a good poll")
	}
}

type fakeSource struct {
	reply any
	seq   uint64
	steps []store.StepInfo
}

func (f *fakeSource) Poll(seq uint64, created time.Time, steps []store.StepInfo) any {
	f.seq, f.steps = seq, steps
	return f.reply
}

func TestStyled(t *testing.T) {
	// With colours on, every line still fits and the text is there.
	m := New(smallStudy(t, t.TempDir()), Options{Width: 120, Height: 30, Now: clock, Renderer: colourRenderer()})
	text := m.View()
	if !strings.Contains(text, "\x1b[") {
		t.Error("no colour in a styled view")
	}
	wantContains(t, text, "FINISHED", "sim_X.3", "Step Name")
}

func TestPrintable(t *testing.T) {
	if got := printable("a\tb\x1b[31mred\x07"); got != "a b?[31mred?" {
		t.Errorf("printable = %q", got)
	}
}

// At 80 columns the key line fits whole; ? shows every key and any key
// goes back to the table.
func TestHelpScreen(t *testing.T) {
	m := New(smallStudy(t, t.TempDir()), Options{Width: 80, Height: 24, Now: clock})
	lines := frame(t, m)
	if last := strings.TrimRight(lines[len(lines)-1], " "); last != keyLine || strings.Contains(last, "…") {
		t.Errorf("the key line at 80 columns = %q, want %q", last, keyLine)
	}
	press(m, runes("?"))
	text := strings.Join(frame(t, m), "\n")
	wantContains(t, text, "filter by name", "sort: table order", "reverse the order", "this help", "any key: back to the table")
	if strings.Contains(text, "sim_X.1") {
		t.Errorf("the help screen shows the table:\n%s", text)
	}
	press(m, runes("j")) // leaves help, does not move
	if text := m.View(); !strings.Contains(text, "sim_X.1") || !strings.HasPrefix(selectedLine(t, m), "▸ setup") {
		t.Errorf("a key did not go back to the table as it was:\n%s", text)
	}
	press(m, runes("?"), runes("q"))
	if !m.quitting {
		t.Error("q on the help screen did not quit")
	}
}

// A RUNNING study whose conductor is gone says so, and how to resume it.
func TestConductorGone(t *testing.T) {
	d := smallStudy(t, "/studies/demo")
	d.Conductor = status.ConductorGone
	m := New(d, Options{Width: 80, Height: 24, Now: clock})
	lines := frame(t, m)
	wantContains(t, lines[0], "RUNNING, conductor gone")
	wantContains(t, lines[len(lines)-1], "conductor gone: resume with maestro restart /studies/demo")
	m.apply(Changes{State: state.StudyRunning, Conductor: status.ConductorRunning})
	if text := m.View(); strings.Contains(text, "gone") {
		t.Errorf("a conductor back at work still shows gone:\n%s", text)
	}
}

// The detail pane keeps the stderr file's name when the path is long, and
// says an empty file is empty rather than "last 0 lines".
func TestDetailFileName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("deep/", 20))
	d := smallStudy(t, dir)
	m := New(d, Options{Width: 80, Height: 30, Now: clock})
	press(m, runes("jj"))
	wantContains(t, strings.Join(frame(t, m), "\n"), "stderr, last 10 lines: …", "X.2/sim_X.2.err")
	if err := os.WriteFile(filepath.Join(dir, "sim", "X.2", "sim_X.2.err"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m = New(d, Options{Width: 80, Height: 30, Now: clock})
	press(m, runes("jj"))
	text := strings.Join(frame(t, m), "\n")
	wantContains(t, text, "stderr is empty: …", "sim_X.2.err")
	if strings.Contains(text, "last 0 lines") {
		t.Errorf("an empty stderr shows as last 0 lines:\n%s", text)
	}
}
