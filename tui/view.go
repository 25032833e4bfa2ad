package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
)

// Lines around the table: title, path, counts, filter line, column
// header, and the help line at the bottom.
const chromeLines = 6

type styles struct {
	title, header, dim, selected, err lipgloss.Style
	states                            map[state.State]lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	if r == nil {
		return styles{} // zero styles print plain text
	}
	color := func(c string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(c)) }
	return styles{
		title:    r.NewStyle().Bold(true),
		header:   r.NewStyle().Bold(true),
		dim:      r.NewStyle().Faint(true),
		selected: r.NewStyle().Reverse(true),
		err:      color("1").Bold(true),
		states:   status.StateStyles(r),
	}
}

// paint styles text when styles are on (the zero styles print plain text).
func (s styles) paint(st lipgloss.Style, text string) string {
	if s.states == nil {
		return text
	}
	return st.Render(text)
}

func (s styles) state(st state.State, text string) string {
	if c, ok := s.states[st]; ok {
		return c.Render(text)
	}
	return text
}

// fit truncates s to w cells with an ellipsis, and pads it to w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if n := width(s); n <= w {
		return s + strings.Repeat(" ", w-n)
	}
	return runewidth.FillRight(runewidth.Truncate(s, w, "…"), w)
}

// fitLeft keeps the end of s, for paths.
func fitLeft(s string, w int) string {
	if width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && runewidth.StringWidth(string(r))+1 > w {
		r = r[1:]
	}
	return "…" + string(r)
}

// columns is the table layout for a width: the name takes what the
// others leave, and columns go, least useful first, when it would be
// too narrow.
type columns struct {
	name, id, run, elapsed, restarts int // 0: not shown
}

const (
	stateWidth    = 11 // INITIALIZED
	durationWidth = 14 // 0d:00h:01m:27s
	restartsWidth = 8  // Restarts
)

func (m *Model) columns() columns {
	c := columns{id: min(max(m.idWidth, len("Job ID")), 20), run: durationWidth, elapsed: durationWidth, restarts: restartsWidth}
	want := min(max(m.nameWidth, len("Step Name")), 24)
	rest := func() int {
		n := 2 + 2 + stateWidth
		for _, w := range []int{c.id, c.run, c.elapsed, c.restarts} {
			if w > 0 {
				n += 2 + w
			}
		}
		return m.width - n
	}
	for _, drop := range []*int{&c.restarts, &c.id, &c.run, &c.elapsed} {
		if rest() >= want {
			break
		}
		*drop = 0
	}
	c.name = max(min(rest(), max(m.nameWidth, len("Step Name"))), 4)
	return c
}

// rows is how many table rows fit under the header and above the detail.
func (m *Model) rows() int {
	return max(m.height-chromeLines-m.detailHeight(), 1)
}

func (m *Model) detailHeight() int {
	if !m.detail.show {
		return 0
	}
	return 3 + m.tailShown()
}

// tailShown is how many stderr lines the pane shows: all it read, as long
// as the table keeps three rows.
func (m *Model) tailShown() int {
	n := len(m.detail.lines)
	if m.detail.path == "" {
		n = 0
	}
	return max(min(n, m.height-chromeLines-3-3), 0)
}

// View renders the screen: only the rows that fit are formatted.
func (m *Model) View() string {
	if m.quitting {
		return ""
	}
	var b strings.Builder
	line := func(s string) {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if m.showHelp {
		line(m.titleLine())
		for k := 0; k < m.height-2; k++ {
			l := ""
			if k < len(helpText) {
				l = helpText[k]
			}
			line(fit(l, m.width))
		}
		b.WriteString(m.style.paint(m.style.dim, fit("any key: back to the table · q quit", m.width)))
		return cut(b.String(), m.height)
	}
	line(m.titleLine())
	line(m.style.paint(m.style.dim, fitLeft(m.dir, m.width)))
	line(m.countsLine())
	line(m.filterLine())
	c := m.columns()
	line(m.style.paint(m.style.header, m.cells(c, "Step Name", "Job ID", "State", "Run Time", "Elapsed", "Restarts", "")))
	rows := m.rows()
	now := m.now()
	for k := m.offset; k < m.offset+rows; k++ {
		if k >= len(m.view) {
			line("")
			continue
		}
		i := m.view[k]
		st := &m.status[i]
		end := st.Ended
		if end.IsZero() && st.State.InFlight() {
			end = now
		}
		id := st.JobID
		if id == "" {
			id = "--"
		}
		colour := st.State
		if k == m.cursor {
			colour = "" // the selected row is one style, end to end
		}
		text := m.cells(c, m.steps[i].Name, id, string(st.State), status.Duration(st.Started, end),
			status.Duration(st.Submitted, end), strconv.Itoa(st.Restarts), colour)
		if k == m.cursor {
			text = m.style.paint(m.style.selected, fit("▸"+text[1:], m.width))
		}
		line(text)
	}
	if m.detail.show {
		m.detailLines(line)
	}
	b.WriteString(m.helpLine())
	return cut(b.String(), m.height)
}

// cut keeps the first n lines of text, for a terminal too short for the
// lines around the table.
func cut(text string, n int) string {
	end := 0
	for k := 0; k < n; k++ {
		i := strings.IndexByte(text[end:], '\n')
		if i < 0 {
			return text
		}
		end += i + 1
	}
	return text[:max(end-1, 0)]
}

// cells lays out one row; colour, when not "", styles the state cell.
func (m *Model) cells(c columns, name, id, st, run, elapsed, restarts string, colour state.State) string {
	var b strings.Builder
	b.WriteString("  ")
	b.WriteString(fit(name, c.name))
	if c.id > 0 {
		b.WriteString("  " + fit(id, c.id))
	}
	b.WriteString("  ")
	if colour != "" {
		b.WriteString(m.style.state(colour, fit(st, stateWidth)))
	} else {
		b.WriteString(fit(st, stateWidth))
	}
	if c.run > 0 {
		b.WriteString("  " + fit(run, c.run))
	}
	if c.elapsed > 0 {
		b.WriteString("  " + fit(elapsed, c.elapsed))
	}
	if c.restarts > 0 {
		b.WriteString("  " + strings.Repeat(" ", max(c.restarts-len(restarts), 0)) + restarts)
	}
	return b.String()
}

func (m *Model) titleLine() string {
	end := m.now()
	switch m.studyState { // an ended study's clock stops at its last step's end
	case state.StudyFinished, state.StudyFailure, state.StudyCancelled, state.StudyDryRun:
		if !m.lastEnd.IsZero() {
			end = m.lastEnd
		}
	}
	name := "Study " + m.info.Name
	shown, colour := string(m.studyState), studyColour(m.studyState)
	if m.conductor == status.ConductorGone {
		shown, colour = shown+", conductor gone", state.Failed
	}
	rest := fmt.Sprintf(" · elapsed %s · %s", status.Duration(m.info.Created, end), status.Steps(len(m.steps)))
	if width(name)+3+len(shown)+len(rest) > m.width {
		return fit(name+" · "+shown+rest, m.width)
	}
	return m.style.paint(m.style.title, name) + " · " + m.style.state(colour, shown) + rest
}

// studyColour maps a study state to the step state of the same colour.
func studyColour(s state.Study) state.State {
	switch s {
	case state.StudyFinished:
		return state.Finished
	case state.StudyFailure:
		return state.Failed
	case state.StudyRunning:
		return state.Running
	case state.StudyCancelled:
		return state.Cancelled
	}
	return ""
}

// countList is the count per state, in the order of state.All, then any
// state this version does not know.
func (m *Model) countList() []status.Count {
	out := make([]status.Count, 0, len(m.counts))
	for _, s := range state.All {
		if n := m.counts[s]; n > 0 {
			out = append(out, status.Count{State: s, N: n})
		}
	}
	if len(out) < len(m.counts) {
		var other []state.State
		for s, n := range m.counts {
			if n > 0 && !slices.Contains(state.All, s) {
				other = append(other, s)
			}
		}
		slices.Sort(other)
		for _, s := range other {
			out = append(out, status.Count{State: s, N: m.counts[s]})
		}
	}
	return out
}

func (m *Model) countsLine() string {
	var b strings.Builder
	used := 0
	for k, c := range m.countList() {
		part := fmt.Sprintf("%s %d", c.State, c.N)
		sep := ""
		if k > 0 {
			sep = " · "
		}
		if used+len(sep)+width(part) > m.width {
			if used+2 <= m.width {
				b.WriteString(" …")
			}
			break
		}
		b.WriteString(sep + m.style.state(c.State, part))
		used += width(sep) + width(part)
	}
	return b.String()
}

func (m *Model) filterLine() string {
	parts := []string{}
	if len(m.view) == 0 {
		parts = append(parts, fmt.Sprintf("no rows of %d", len(m.steps)))
	} else {
		last := min(m.offset+m.rows(), len(m.view))
		parts = append(parts, fmt.Sprintf("rows %d-%d of %d", m.offset+1, last, len(m.view)))
	}
	if m.stateFilter != "" {
		parts = append(parts, "state "+string(m.stateFilter))
	}
	if m.nameFilter != "" {
		parts = append(parts, fmt.Sprintf("name %q", m.nameFilter))
	}
	order := "sort " + sortNames[m.sort]
	if m.reverse {
		order += " (reversed)"
	}
	parts = append(parts, order)
	text := strings.Join(parts, " · ")
	if m.pollErr != nil {
		errText := " · read failed: " + strings.ReplaceAll(m.pollErr.Error(), "\n", "; ")
		return text + m.style.paint(m.style.err, fit(errText, max(m.width-width(text), 0)))
	}
	return fit(text, m.width)
}

func (m *Model) detailLines(line func(string)) {
	d := &m.detail
	info := &m.steps[d.index]
	title := fmt.Sprintf("── %s · %s ", info.Name, d.st.State)
	line(m.style.paint(m.style.title, fit(title+strings.Repeat("─", max(m.width-width(title), 0)), m.width)))
	code := "exit code --"
	if d.st.ExitCode != nil {
		code = "exit code " + strconv.Itoa(*d.st.ExitCode)
	}
	reason := d.st.Reason
	if reason == "" {
		reason = "--"
	}
	line(fit(code+" · reason: "+reason, m.width))
	if d.path == "" {
		line(m.style.paint(m.style.dim, fit("no stderr file in "+info.Workspace, m.width)))
		return
	}
	shown := m.tailShown()
	what := fmt.Sprintf("stderr, last %d lines: ", shown)
	switch {
	case len(d.lines) == 0:
		what = "stderr is empty: "
	case shown == 1:
		what = "stderr, last line: "
	}
	line(m.style.paint(m.style.dim, fit(what+fitLeft(d.path, m.width-width(what)), m.width)))
	for _, l := range d.lines[len(d.lines)-shown:] {
		line("  " + fit(printable(l), m.width-2))
	}
}

func (m *Model) helpLine() string {
	if m.typing {
		return fit("/"+m.nameFilter+"█  enter: keep · esc: clear", m.width)
	}
	if m.conductor == status.ConductorGone {
		return m.style.paint(m.style.err, fit("conductor gone: resume with maestro restart "+m.dir+" · q quit", m.width))
	}
	return m.style.paint(m.style.dim, fit(keyLine, m.width))
}

// keyLine is the bottom line: the keys used most, within 80 columns; ?
// shows them all (helpText).
const keyLine = "↑↓ move · / name · f state · s sort · d detail · ? help · q quit"

// helpText is the ? screen.
var helpText = []string{
	"",
	"  ↑ ↓  j k           move the selection",
	"  pgup pgdn  b space  a page up, down",
	"  g G  home end      first, last row",
	"  /                  filter by name (enter keeps it, esc clears it)",
	"  f F                filter by state, next or previous",
	"  esc                clear the filters",
	"  s                  sort: table order, name, state, elapsed",
	"  r                  reverse the order",
	"  d                  show or hide the failed step's stderr pane",
	"  ? h                this help",
	"  q ctrl+c           quit",
}

// printable makes a line of a step's stderr safe to show: tabs become
// spaces and other control characters (escape sequences included) '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			return '?'
		}
		return r
	}, s)
}
