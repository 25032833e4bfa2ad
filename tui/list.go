package tui

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/maestro-go/maestro/state"
)

// sortBy orders the rows.
type sortBy int

const (
	sortTable   sortBy = iota // the store's order: breadth-first from the root
	sortName                  // by name
	sortState                 // by state, in the order of state.All
	sortElapsed               // longest elapsed time first
	numSorts
)

var sortNames = [numSorts]string{"table order", "name", "state", "elapsed"}

// rebuild recomputes the rows shown from the filters and the sort order,
// keeping the selected step selected when it is still shown.
func (m *Model) rebuild() {
	sel := m.selected()
	view := m.view[:0]
	lower := strings.ToLower(m.nameFilter)
	for i := range m.steps {
		if m.stateFilter != "" && m.status[i].State != m.stateFilter {
			continue
		}
		if lower != "" && !containsFold(m.steps[i].Name, lower) {
			continue
		}
		view = append(view, int32(i))
	}
	m.view = view
	m.sortView()
	m.cursor = 0
	if sel >= 0 {
		if k := slices.Index(m.view, int32(sel)); k >= 0 {
			m.cursor = k
		}
	}
	m.clamp()
}

// sortView orders m.view; ties keep the table order.
func (m *Model) sortView() {
	switch m.sort {
	case sortName:
		slices.SortFunc(m.view, func(a, b int32) int {
			return cmp.Or(strings.Compare(m.steps[a].Name, m.steps[b].Name), cmp.Compare(a, b))
		})
	case sortState, sortElapsed:
		keys := m.keys[:0]
		now := m.now()
		for i := range m.status {
			keys = append(keys, m.sortKey(i, now))
		}
		m.keys = keys
		slices.SortFunc(m.view, func(a, b int32) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
	default:
		slices.Sort(m.view)
	}
	if m.reverse {
		slices.Reverse(m.view)
	}
}

// sortKey is step i's key for the state and elapsed orders (ascending).
func (m *Model) sortKey(i int, now time.Time) int64 {
	st := &m.status[i]
	if m.sort == sortState {
		if k := slices.Index(state.All, st.State); k >= 0 {
			return int64(k)
		}
		return int64(len(state.All))
	}
	end := st.Ended
	if end.IsZero() && st.State.InFlight() {
		end = now
	}
	if st.Submitted.IsZero() || end.IsZero() || end.Before(st.Submitted) {
		return 1 // unknown sorts after every known time
	}
	return -int64(end.Sub(st.Submitted))
}

// containsFold reports whether s contains lower (already lower case),
// ignoring case; ASCII names, the usual kind, take no allocation.
func containsFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), lower)
		}
	}
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// nextState is the state filter after cur going forward (dir 1) or back
// (-1) through "all" and the states some step is in.
func (m *Model) nextState(cur state.State, dir int) state.State {
	opts := []state.State{""}
	for _, c := range m.countList() {
		opts = append(opts, c.State)
	}
	k := slices.Index(opts, cur)
	if k < 0 {
		k = 0
	}
	return opts[(k+dir+len(opts))%len(opts)]
}
