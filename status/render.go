package status

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"

	"github.com/maestro-go/maestro/state"
)

// Table is one study's status, ready to render.
type Table struct {
	Title     string // the study's absolute path
	State     state.Study
	Rows      []Row
	Conductor string // as Snapshot.Conductor
}

// Layouts names the table layouts.
var Layouts = []string{"flat", "narrow", "legacy"}

// tableColumns are the columns the tables show (Params is in the CSV and
// the narrow layout only, as in the Python tool).
var tableColumns = Columns[:colParams]

// Theme styles the parts of a table; the zero Theme prints plain text.
type Theme struct {
	on     bool
	title  lipgloss.Style
	header lipgloss.Style
	states map[state.State]lipgloss.Style
}

// NewTheme returns the colour theme for output rendered by r.
func NewTheme(r *lipgloss.Renderer) Theme {
	return Theme{on: true, title: r.NewStyle().Bold(true), header: r.NewStyle().Bold(true), states: StateStyles(r)}
}

// StateStyles colours states: green for done, red for failures, cyan for
// running, yellow for waiting, magenta for cancelled.
func StateStyles(r *lipgloss.Renderer) map[state.State]lipgloss.Style {
	color := func(c string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(c)) }
	green, red, yellow, cyan, magenta := color("2"), color("1"), color("3"), color("6"), color("5")
	return map[state.State]lipgloss.Style{
		state.Finished: green, state.Failed: red, state.TimedOut: red, state.HWFailure: red,
		state.Unknown: red, state.NotFound: red, state.Incomplete: red,
		state.Running: cyan, state.Finishing: cyan,
		state.Pending: yellow, state.Queued: yellow, state.Waiting: yellow,
		state.Cancelled: magenta,
	}
}

func (t Theme) style(s lipgloss.Style, text string) string {
	if !t.on {
		return text
	}
	return s.Render(text)
}

// stateText styles a State cell padded to width.
func (t Theme) stateText(text string, width int) string {
	pad := strings.Repeat(" ", max(0, width-runewidth.StringWidth(text)))
	if s, ok := t.states[state.State(text)]; ok && t.on {
		return s.Render(text) + pad
	}
	return text + pad
}

// displayable returns rows fit for a table: a cell with a line break or
// another control character (a hostile parameter value) is escaped, so
// that every step stays on one line. Rows without any come back as they are.
func displayable(rows []Row) []Row {
	clean := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < ' ' || s[i] == 0x7f {
				return false
			}
		}
		return true
	}
	var out []Row
	for i := range rows {
		for c := range rows[i] {
			if clean(rows[i][c]) {
				continue
			}
			if out == nil {
				out = append([]Row(nil), rows...)
			}
			out[i][c] = strconv.Quote(rows[i][c])
			out[i][c] = out[i][c][1 : len(out[i][c])-1]
		}
	}
	if out == nil {
		return rows
	}
	return out
}

func widths(rows []Row, ncol int, headerPad int) []int {
	w := make([]int, ncol)
	for c := 0; c < ncol; c++ {
		w[c] = runewidth.StringWidth(Columns[c]) + headerPad
	}
	for i := range rows {
		for c := 0; c < ncol; c++ {
			if n := runewidth.StringWidth(rows[i][c]); n > w[c] {
				w[c] = n
			}
		}
	}
	return w
}

func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-runewidth.StringWidth(s)))
}

// Flat writes the table with box-drawing borders, one row per step.
func Flat(w io.Writer, t *Table, th Theme) {
	c := *t
	c.Rows = displayable(t.Rows)
	t = &c
	ncol := len(tableColumns)
	wd := widths(t.Rows, ncol, 0)
	var b strings.Builder
	line := func(l, m, r, fill string) {
		b.WriteString(l)
		for c := 0; c < ncol; c++ {
			if c > 0 {
				b.WriteString(m)
			}
			b.WriteString(strings.Repeat(fill, wd[c]+2))
		}
		b.WriteString(r + "\n")
	}
	total := 1
	for _, x := range wd {
		total += x + 3
	}
	title := "Study: " + t.Title
	left := max(0, (total-runewidth.StringWidth(title))/2)
	b.WriteString(strings.Repeat(" ", left) + th.style(th.title, title) + "\n")
	line("┏", "┳", "┓", "━")
	b.WriteString("┃")
	for c := 0; c < ncol; c++ {
		b.WriteString(" " + th.style(th.header, pad(Columns[c], wd[c])) + " ┃")
	}
	b.WriteString("\n")
	line("┡", "╇", "┩", "━")
	for i := range t.Rows {
		b.WriteString("│")
		for c := 0; c < ncol; c++ {
			cell := t.Rows[i][c]
			if c == colState {
				b.WriteString(" " + th.stateText(cell, wd[c]) + " │")
			} else {
				b.WriteString(" " + pad(cell, wd[c]) + " │")
			}
		}
		b.WriteString("\n")
	}
	line("└", "┴", "┘", "─")
	b.WriteString(Summary(t) + "\n")
	io.WriteString(w, b.String())
}

// Legacy writes the Python tool's plain layout: a rule, the path, a rule,
// and columns separated by two blanks with numbers right-aligned.
func Legacy(w io.Writer, t *Table, th Theme) {
	c := *t
	c.Rows = displayable(t.Rows)
	t = &c
	ncol := len(tableColumns)
	wd := widths(t.Rows, ncol, 2)
	total := 2 * (ncol - 1)
	for _, x := range wd {
		total += x
	}
	var b strings.Builder
	rule := strings.Repeat("=", total) + "\n"
	b.WriteString(rule + th.style(th.title, t.Title) + "\n" + rule)
	cells := func(get func(c int) string, style bool) {
		for c := 0; c < ncol; c++ {
			if c > 0 {
				b.WriteString("  ")
			}
			text := get(c)
			switch {
			case c == colRestarts:
				b.WriteString(strings.Repeat(" ", max(0, wd[c]-runewidth.StringWidth(text))) + text)
			case c == colState && style:
				b.WriteString(th.stateText(text, wd[c]))
			default:
				b.WriteString(pad(text, wd[c]))
			}
		}
		b.WriteString("\n")
	}
	cells(func(c int) string { return Columns[c] }, false)
	cells(func(c int) string { return strings.Repeat("-", wd[c]) }, false)
	for i := range t.Rows {
		cells(func(c int) string { return t.Rows[i][c] }, true)
	}
	b.WriteString(rule)
	b.WriteString(Summary(t) + "\n")
	io.WriteString(w, b.String())
}

// Narrow writes each step as a block of name: value lines, for terminals
// too narrow for a row per step.
func Narrow(w io.Writer, t *Table, th Theme) {
	c := *t
	c.Rows = displayable(t.Rows)
	t = &c
	var b strings.Builder
	b.WriteString(th.style(th.title, "Study: "+t.Title) + "\n")
	label := 0
	for _, c := range Columns {
		label = max(label, runewidth.StringWidth(c))
	}
	for i := range t.Rows {
		b.WriteString("\n")
		b.WriteString(th.style(th.header, t.Rows[i][colName]) + "\n")
		for c := 1; c < len(Columns); c++ {
			v := t.Rows[i][c]
			if c == colState {
				v = th.stateText(v, 0)
			}
			b.WriteString("  " + pad(Columns[c], label) + "  " + v + "\n")
		}
	}
	b.WriteString("\n" + Summary(t) + "\n")
	io.WriteString(w, b.String())
}

// Summary is one line: the study state and the count of steps per state.
func Summary(t *Table) string {
	counts := map[string]int{}
	for i := range t.Rows {
		counts[t.Rows[i][colState]]++
	}
	var parts []string
	for _, s := range state.All {
		if n := counts[string(s)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
	}
	line := fmt.Sprintf("Study %s: %s (%s)", t.State, Steps(len(t.Rows)), strings.Join(parts, ", "))
	if t.Conductor == ConductorGone {
		line = fmt.Sprintf("Study %s, but its conductor is gone: %s (%s)\n%s", t.State, Steps(len(t.Rows)),
			strings.Join(parts, ", "), ResumeHint(t.Title))
	}
	return line
}

// Steps counts steps in words: "1 step", "14 steps".
func Steps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}
