// Package tui is `maestro status --watch`: a live, scrollable view of one
// study. The Model is built from data, not from a store, so tests drive it
// by calling Update and View; a Source feeds it changes when it runs live.
package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// Options configure a Model.
type Options struct {
	Width, Height int                // the terminal size until the first tea.WindowSizeMsg (80x24 when zero)
	Now           func() time.Time   // the clock (time.Now when nil)
	Renderer      *lipgloss.Renderer // styles the view; nil prints plain text
	Source        Source             // feeds changes; nil shows the data as given
	Interval      time.Duration      // between polls (500 ms when zero)
	TailLines     int                // stderr lines in the detail pane (10 when zero)
}

// Model is the live view of one study.
type Model struct {
	opt        Options
	dir        string
	info       store.StudyInfo
	studyState state.Study
	conductor  string // as status.Snapshot.Conductor
	steps      []store.StepInfo
	status     []store.StepStatus
	seq        uint64
	counts     map[state.State]int
	lastEnd    time.Time // the latest end of any step
	idWidth    int       // the longest job id
	nameWidth  int       // the longest step name

	view           []int32 // the steps shown, in order
	keys           []int64 // sort keys by step, reused
	cursor, offset int     // the selected row and the first row shown, in view
	sort           sortBy
	reverse        bool
	stateFilter    state.State
	nameFilter     string
	typing         bool // typing the name filter
	hideDetail     bool
	showHelp       bool // the ? screen

	width, height int
	polling       bool
	pollErr       error
	detail        detail
	style         styles
	quitting      bool
}

// detail is the failed step's pane, read when the selection changes.
type detail struct {
	show  bool
	index int
	st    store.StepStatus
	path  string
	lines []string
}

type tickMsg time.Time

// New returns the view of d.
func New(d Data, opt Options) *Model {
	if opt.Width <= 0 || opt.Height <= 0 {
		opt.Width, opt.Height = 80, 24
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Interval <= 0 {
		opt.Interval = 500 * time.Millisecond
	}
	if opt.TailLines <= 0 {
		opt.TailLines = 10
	}
	m := &Model{opt: opt, width: opt.Width, height: opt.Height, style: newStyles(opt.Renderer)}
	m.load(d)
	return m
}

func (m *Model) now() time.Time { return m.opt.Now() }

// load replaces the data, keeping filters, order and selection.
func (m *Model) load(d Data) {
	m.dir, m.studyState, m.seq, m.conductor = d.Dir, d.State, d.Seq, d.Conductor
	if d.Info != nil {
		m.info = *d.Info
	}
	m.steps, m.status = d.Steps, d.Status
	m.counts = make(map[state.State]int, len(state.All))
	m.lastEnd, m.idWidth, m.nameWidth = time.Time{}, 0, 0
	for i := range m.status {
		m.counts[m.status[i].State]++
		m.noteStatus(&m.status[i])
		m.nameWidth = max(m.nameWidth, width(m.steps[i].Name))
	}
	if m.stateFilter != "" && m.counts[m.stateFilter] == 0 {
		m.stateFilter = ""
	}
	if cap(m.view) < len(m.steps) {
		m.view = make([]int32, 0, len(m.steps))
	}
	m.rebuild() // keeps the selected step selected
}

// noteStatus keeps the widths and the latest end up to date.
func (m *Model) noteStatus(st *store.StepStatus) {
	if st.Ended.After(m.lastEnd) {
		m.lastEnd = st.Ended
	}
	m.idWidth = max(m.idWidth, len(st.JobID))
}

// width is s's width in cells; ASCII names need no table look-up.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return runewidth.StringWidth(s)
		}
	}
	return len(s)
}

// apply takes the statuses a poll found.
func (m *Model) apply(c Changes) {
	if c.State != "" {
		m.studyState = c.State
	}
	m.conductor = c.Conductor
	m.seq = c.Seq
	moved := false
	for _, u := range c.Updates {
		if u.Index < 0 || u.Index >= len(m.status) {
			continue
		}
		old := &m.status[u.Index]
		if old.State != u.Status.State {
			m.counts[old.State]--
			if m.counts[old.State] == 0 {
				delete(m.counts, old.State)
			}
			m.counts[u.Status.State]++
			moved = true
		}
		*old = u.Status
		m.noteStatus(old)
	}
	if m.stateFilter != "" && m.counts[m.stateFilter] == 0 && moved {
		m.stateFilter = ""
	}
	if (moved && (m.stateFilter != "" || m.sort == sortState)) || m.sort == sortElapsed {
		m.rebuild()
	}
}

// Init starts polling when there is a Source.
func (m *Model) Init() tea.Cmd { return m.poll() }

func (m *Model) tick() tea.Cmd {
	if m.opt.Source == nil {
		return nil
	}
	return tea.Tick(m.opt.Interval, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) poll() tea.Cmd {
	if m.opt.Source == nil || m.polling {
		return nil
	}
	m.polling = true
	src, seq, created, steps := m.opt.Source, m.seq, m.info.Created, m.steps
	return func() tea.Msg { return src.Poll(seq, created, steps) }
}

// Update handles keys, resizes and what the Source reports.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 1), max(msg.Height, 1)
	case tea.KeyMsg:
		cmd = m.key(msg)
	case tickMsg:
		cmd = m.poll()
	case Changes:
		m.polling, m.pollErr = false, nil
		m.apply(msg)
		cmd = m.tick()
	case Reload:
		m.polling, m.pollErr = false, nil
		m.load(msg.Data)
		cmd = m.tick()
	case PollError:
		m.polling, m.pollErr = false, msg.Err
		cmd = m.tick()
	}
	m.clamp()
	return m, cmd
}

func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if k.Type == tea.KeyCtrlC {
		m.quitting = true
		return tea.Quit
	}
	if k.Paste && !m.typing {
		return nil // pasted text is no command
	}
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 {
		// Keys typed faster than they are read arrive together.
		for _, r := range k.Runes {
			if cmd := m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}); cmd != nil {
				return cmd
			}
			m.clamp()
		}
		return nil
	}
	if m.typing {
		m.typeKey(k)
		return nil
	}
	if m.showHelp { // any key leaves the help screen; q still quits
		m.showHelp = k.String() == "q"
		if m.showHelp {
			m.quitting = true
			return tea.Quit
		}
		return nil
	}
	switch k.String() {
	case "?", "h":
		m.showHelp = true
	case "q":
		m.quitting = true
		return tea.Quit
	case "up", "k":
		m.cursor--
	case "down", "j":
		m.cursor++
	case "pgup", "b", "ctrl+b":
		m.cursor -= m.rows()
		m.offset -= m.rows()
	case "pgdown", " ", "ctrl+f":
		m.cursor += m.rows()
		m.offset += m.rows()
	case "home", "g":
		m.cursor = 0
	case "end", "G":
		m.cursor = len(m.view) - 1
	case "/":
		m.typing = true
	case "f", "F":
		dir := 1
		if k.String() == "F" {
			dir = -1
		}
		m.stateFilter = m.nextState(m.stateFilter, dir)
		m.rebuild()
	case "s":
		m.sort = (m.sort + 1) % numSorts
		m.rebuild()
	case "r":
		m.reverse = !m.reverse
		m.rebuild()
	case "d":
		m.hideDetail = !m.hideDetail
	case "esc":
		if m.nameFilter != "" || m.stateFilter != "" {
			m.nameFilter, m.stateFilter = "", ""
			m.rebuild()
		}
	}
	return nil
}

// typeKey edits the name filter, filtering as it is typed.
func (m *Model) typeKey(k tea.KeyMsg) {
	switch k.Type {
	case tea.KeyEnter:
		m.typing = false
		return
	case tea.KeyEsc:
		m.typing, m.nameFilter = false, ""
	case tea.KeyBackspace:
		if r := []rune(m.nameFilter); len(r) > 0 {
			m.nameFilter = string(r[:len(r)-1])
		}
	case tea.KeyRunes, tea.KeySpace:
		m.nameFilter += string(k.Runes)
	case tea.KeyUp:
		m.cursor--
		return
	case tea.KeyDown:
		m.cursor++
		return
	default:
		return
	}
	m.rebuild()
}

// selected is the selected step's index, -1 when no row is shown.
func (m *Model) selected() int {
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return -1
	}
	return int(m.view[m.cursor])
}

// clamp keeps the cursor on a row and in the window of rows shown.
func (m *Model) clamp() {
	m.cursor = min(max(m.cursor, 0), max(len(m.view)-1, 0))
	m.refreshDetail()
	rows := m.rows()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = min(max(m.offset, 0), max(len(m.view)-rows, 0))
}

// failedState reports whether a step in state s ended without finishing.
func failedState(s state.State) bool {
	switch s {
	case state.Failed, state.TimedOut, state.HWFailure, state.Incomplete, state.Unknown, state.NotFound:
		return true
	}
	return false
}

// refreshDetail reads the selected failed step's stderr tail when the
// selection or that step's status changed since the last read.
func (m *Model) refreshDetail() {
	i := m.selected()
	if i < 0 || m.hideDetail || !failedState(m.status[i].State) {
		m.detail.show = false
		return
	}
	st := &m.status[i]
	d := &m.detail
	if d.show && d.index == i && d.st.State == st.State && d.st.JobID == st.JobID && d.st.Ended.Equal(st.Ended) {
		return
	}
	*d = detail{show: true, index: i, st: *st}
	if d.path = status.ErrFile(m.dir, &m.steps[i], st); d.path != "" {
		d.lines = status.Tail(d.path, m.opt.TailLines)
	}
}
