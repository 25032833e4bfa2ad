package status

import (
	"fmt"
	"io"
	"slices"
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
	Width     int    // the terminal's columns to fit (Flat); 0: no limit
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

// Flat writes the table with box-drawing borders, one row per step. With
// t.Width set, it fits that many columns: headers wrap at their spaces,
// the columns of dropOrder give way in turn (a note under the table names
// them), and as a last resort the widest columns narrow, their cells
// wrapping onto more lines.
func Flat(w io.Writer, t *Table, th Theme) {
	c := *t
	c.Rows = displayable(t.Rows)
	t = &c
	all := widths(t.Rows, len(tableColumns), 0)
	cols := make([]int, len(tableColumns)) // the columns shown, by index
	for c := range cols {
		cols[c] = c
	}
	var hidden []string
	if t.Width > 0 {
		need := func() int {
			n := 1 + 3*len(cols)
			for _, c := range cols {
				n += all[c]
			}
			return n
		}
		if need() > t.Width { // headers wrap at their spaces first
			for c := range all {
				all[c] = max(longestWord(tableColumns[c]), cellWidth(t.Rows, c))
			}
		}
		for _, drop := range dropOrder {
			if need() <= t.Width {
				break
			}
			cols = slices.DeleteFunc(cols, func(c int) bool { return c == drop })
			hidden = append(hidden, tableColumns[drop])
		}
	}
	ncol := len(cols)
	wd := make([]int, ncol)
	for k, c := range cols {
		wd[k] = all[c]
	}
	if t.Width > 0 {
		shrink(wd, t.Width-(1+3*ncol))
	}
	var b strings.Builder
	line := func(l, m, r, fill string) {
		b.WriteString(l)
		for k := 0; k < ncol; k++ {
			if k > 0 {
				b.WriteString(m)
			}
			b.WriteString(strings.Repeat(fill, wd[k]+2))
		}
		b.WriteString(r + "\n")
	}
	// row writes one table row, on as many lines as its longest cell needs.
	row := func(cell func(c int) string, edge string, style func(c int, text string, w int) string) {
		parts := make([][]string, ncol)
		n := 1
		for k, c := range cols {
			parts[k] = wrap(cell(c), wd[k])
			n = max(n, len(parts[k]))
		}
		for i := 0; i < n; i++ {
			b.WriteString(edge)
			for k, c := range cols {
				text := ""
				if i < len(parts[k]) {
					text = parts[k][i]
				}
				b.WriteString(" " + style(c, text, wd[k]) + " " + edge)
			}
			b.WriteString("\n")
		}
	}
	total := 1
	for _, x := range wd {
		total += x + 3
	}
	title := "Study: " + t.Title
	left := max(0, (total-runewidth.StringWidth(title))/2)
	b.WriteString(strings.Repeat(" ", left) + th.style(th.title, title) + "\n")
	b.WriteString(Summary(t) + "\n")
	line("┏", "┳", "┓", "━")
	row(func(c int) string { return tableColumns[c] }, "┃", func(_ int, text string, w int) string { return th.style(th.header, pad(text, w)) })
	line("┡", "╇", "┩", "━")
	for i := range t.Rows {
		row(func(c int) string { return t.Rows[i][c] }, "│", func(c int, text string, w int) string {
			if c == colState {
				return th.stateText(text, w)
			}
			return pad(text, w)
		})
	}
	line("└", "┴", "┘", "─")
	if len(hidden) > 0 {
		note := fmt.Sprintf("Left out to fit %d columns: %s (--layout narrow shows every column).", t.Width, strings.Join(hidden, ", "))
		for _, l := range wrap(note, t.Width) {
			b.WriteString(l + "\n")
		}
	}
	io.WriteString(w, b.String())
}

// dropOrder is the order in which Flat leaves columns out to fit a width.
var dropOrder = []int{colSubmit, colStart, colElapsed, colEnd, colRestarts, colWorkspace}

// longestWord is the width of s's longest word.
func longestWord(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		n = max(n, runewidth.StringWidth(w))
	}
	return n
}

// cellWidth is the widest cell of column c.
func cellWidth(rows []Row, c int) int {
	n := 0
	for i := range rows {
		n = max(n, runewidth.StringWidth(rows[i][c]))
	}
	return n
}

// minCell is the narrowest a column gets when a table is fitted.
const minCell = 4

// shrink narrows the column widths wd until they add up to room at most,
// always taking from the widest column (never below minCell).
func shrink(wd []int, room int) {
	sum := 0
	for _, x := range wd {
		sum += x
	}
	for sum > room {
		widest := 0
		for c := range wd {
			if wd[c] > wd[widest] {
				widest = c
			}
		}
		if wd[widest] <= minCell {
			return
		}
		wd[widest]--
		sum--
	}
}

// wrap breaks s into lines of at most w cells, after a space, '/', '_',
// ':' or '.' where there is one in the line, else anywhere.
func wrap(s string, w int) []string {
	if runewidth.StringWidth(s) <= w {
		return []string{s}
	}
	var out []string
	r := []rune(s)
	for len(r) > 0 {
		n, used := 0, 0
		for n < len(r) && used+runewidth.RuneWidth(r[n]) <= w {
			used += runewidth.RuneWidth(r[n])
			n++
		}
		if n == len(r) {
			out = append(out, string(r))
			break
		}
		n = max(n, 1)
		cut := n
		for k := n; k > n/2; k-- {
			if strings.ContainsRune(" /_:.", r[k-1]) {
				cut = k
				break
			}
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		r = r[cut:]
		for len(r) > 0 && r[0] == ' ' {
			r = r[1:]
		}
	}
	return out
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
	b.WriteString(rule + th.style(th.title, t.Title) + "\n" + Summary(t) + "\n" + rule)
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
	b.WriteString(Summary(t) + "\n")
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
