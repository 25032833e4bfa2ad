package conductor

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// machine is the state machine of a study's steps: the state of each, what
// waits for what, which steps are ready to submit, which jobs are in
// flight and which steps were perhaps submitted. It runs no process and
// touches no file: a transition changes memory only and leaves behind what
// must be recorded (the steps it changed, their events, the study's state
// and settings). The engine feeds it what executors report and submits
// what it makes ready; a recorder writes what it changed.
type machine struct {
	steps    []store.StepInfo
	status   []store.StepStatus
	settings store.Settings
	study    state.Study
	maxHW    int // Tunables.MaxHWRetries

	children [][]int32
	waiting  []int32 // parents not yet FINISHED
	queued   []bool  // in a ready queue

	readyLocal, readySched []int32
	localJobs, schedJobs   map[string]int32   // job id -> step, in flight
	bundles                map[string][]int32 // bundle job id -> its steps in flight
	bundled                int                // steps in flight in bundles
	limbo                  map[int32]bool     // scheduled steps perhaps submitted, to be found
	open                   int                // steps not yet ended

	// What changed since it was last recorded.
	dirty     map[int32]bool
	events    []store.Event
	metaDirty bool // settings or study state
	urgent    bool // changes to record before anything else happens

	debugf func(format string, args ...any) // traces transitions; nil: none
}

// newMachine holds the steps of a study as the store has them. Nothing is
// ready nor in flight until recover (or a reset) says so.
func newMachine(steps []store.StepInfo, status []store.StepStatus, settings store.Settings, study state.Study, maxHW int) *machine {
	m := &machine{steps: steps, status: status, settings: settings, study: study, maxHW: maxHW,
		children: make([][]int32, len(steps)), waiting: make([]int32, len(steps)), queued: make([]bool, len(steps)),
		localJobs: map[string]int32{}, schedJobs: map[string]int32{}, bundles: map[string][]int32{}, limbo: map[int32]bool{}, dirty: map[int32]bool{}}
	for i := range steps {
		for _, p := range steps[i].Parents {
			m.children[p] = append(m.children[p], int32(i))
		}
	}
	m.count()
	return m
}

// count sets the number of open steps from their states.
func (m *machine) count() {
	m.open = 0
	for i := range m.status {
		if !m.status[i].State.Terminal() {
			m.open++
		}
	}
}

// pending reports whether changes wait to be recorded.
func (m *machine) pending() bool { return len(m.dirty) > 0 || len(m.events) > 0 || m.metaDirty }

// recorded forgets the changes once they are written.
func (m *machine) recorded() {
	clear(m.dirty)
	m.events, m.metaDirty, m.urgent = m.events[:0], false, false
}

// held counts the unrecorded changes of steps that were submitted or
// ended: losing them could run a job twice or lose its end.
func (m *machine) held() int {
	n := 0
	for i := range m.dirty {
		if st := &m.status[i]; st.JobID != "" || st.State.Terminal() {
			n++
		}
	}
	return n
}

// set moves step i to s, recording the change as an event.
func (m *machine) set(i int32, s state.State, reason string) {
	st := &m.status[i]
	from := st.State
	if from == s && reason == st.Reason {
		return
	}
	switch {
	case !from.Terminal() && s.Terminal():
		m.open--
	case from.Terminal() && !s.Terminal():
		m.open++
	}
	st.State, st.Reason = s, reason
	if s.Terminal() && st.Ended.IsZero() {
		st.Ended = time.Now()
	}
	m.dirty[i] = true
	if from != s {
		m.events = append(m.events, store.Event{Time: time.Now(), Step: m.steps[i].Name, Index: int(i), From: from, To: s, Reason: reason})
		if m.debugf != nil {
			m.debugf("%s: %s -> %s %s", m.steps[i].Name, from, s, reason)
		}
	}
}

// recover rebuilds what is in flight and ready from the recorded states,
// for a fresh study and after a conductor died alike: jobs in flight are
// watched again, scheduled steps being submitted go to limbo (to be looked
// for), and local ones are handed to adopt, which returns the job of a
// local step that an earlier conductor started (or may have started,
// since the given time); only a local step that left nothing behind runs
// again.
func (m *machine) recover(adopt func(i int32, since time.Time) (id string, ok bool)) {
	m.count()
	for i := range m.status {
		st := &m.status[i]
		if st.State == state.Initialized && st.Submitting {
			// The old conductor was submitting it: find out whether it did.
			switch {
			case m.steps[i].Scheduled:
				m.limbo[int32(i)] = true
			case !m.adopt(int32(i), adopt):
				m.unmark(int32(i))
			}
			continue
		}
		if !st.State.InFlight() {
			continue
		}
		if m.steps[i].Scheduled {
			m.watch(int32(i), st.JobID)
			continue
		}
		if m.adopt(int32(i), adopt) {
			continue
		}
		m.set(int32(i), state.Initialized, "its process ended with the previous conductor and left no exit status; running it again")
		st.JobID, st.Started, st.Submitted, st.Ended = "", time.Time{}, time.Time{}, time.Time{}
	}
	for i := range m.status {
		m.waiting[i] = 0
		for _, p := range m.steps[i].Parents {
			if m.status[p].State != state.Finished {
				m.waiting[i]++
			}
		}
	}
	for i := range m.status {
		switch m.status[i].State {
		case state.Initialized:
			if m.waiting[i] == 0 && !m.limbo[int32(i)] {
				m.enqueue(int32(i))
			}
		case state.Cancelled:
			m.endDescendants(int32(i), state.Cancelled)
		case state.Finished:
		default:
			if m.status[i].State.Terminal() {
				m.endDescendants(int32(i), state.Failed)
			}
		}
	}
}

// adopt watches the job adopt finds for local step i again.
func (m *machine) adopt(i int32, adopt func(int32, time.Time) (string, bool)) bool {
	st := &m.status[i]
	since := st.Submitted
	if st.JobID == "" {
		since = st.MarkedAt
	}
	id, ok := adopt(i, since)
	switch {
	case !ok:
		return false
	case st.JobID == "":
		m.inFlight(i, id, since)
	default:
		m.localJobs[id] = i
	}
	return true
}

// watch notes scheduled step i in flight as job id: a job of its own, or
// the bundle it was marked for.
func (m *machine) watch(i int32, id string) {
	if m.status[i].Bundle == "" {
		m.schedJobs[id] = i
		return
	}
	m.bundles[id] = append(m.bundles[id], i)
	m.bundled++
}

// inFlightSteps counts the steps in flight, bundled ones each (what the
// throttle counts).
func (m *machine) inFlightSteps() int { return len(m.localJobs) + len(m.schedJobs) + m.bundled }

// schedInFlight reports whether scheduler jobs are in flight.
func (m *machine) schedInFlight() bool { return len(m.schedJobs)+len(m.bundles) > 0 }

// enqueue makes step i ready to submit.
func (m *machine) enqueue(i int32) {
	if m.queued[i] {
		return
	}
	m.queued[i] = true
	if m.steps[i].Scheduled {
		m.readySched = append(m.readySched, i)
	} else {
		m.readyLocal = append(m.readyLocal, i)
	}
}

// endDescendants gives every unstarted descendant of i the state s: FAILED
// below a failure, CANCELLED below a cancellation.
func (m *machine) endDescendants(i int32, s state.State) {
	why := fmt.Sprintf("upstream step %s ended %s", m.steps[i].Name, m.status[i].State)
	stack := append([]int32(nil), m.children[i]...)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m.status[c].State != state.Initialized {
			continue
		}
		m.set(c, s, why)
		stack = append(stack, m.children[c]...)
	}
}

// finished releases the children of a step that FINISHED.
func (m *machine) finished(i int32) {
	for _, c := range m.children[i] {
		m.waiting[c]--
		if m.waiting[c] == 0 && m.status[c].State == state.Initialized {
			m.enqueue(c)
		}
	}
}

// mark records that step i is about to be submitted (see
// store.StepStatus.Submitting); false means it already was marked or is
// not to be submitted.
func (m *machine) mark(i int32) bool {
	st := &m.status[i]
	if st.State != state.Initialized || st.Submitting {
		return false
	}
	st.Token++
	st.Submitting, st.MarkedAt, st.Bundle = true, time.Now(), ""
	m.dirty[i], m.urgent = true, true
	return true
}

// markBundle marks the steps of group, each one that mark takes, as
// about to be submitted in one bundle; name gives the bundle's job name
// from the marked steps (their tokens included).
func (m *machine) markBundle(group []int32, name func([]int32) string) {
	for _, i := range group {
		m.mark(i)
	}
	n := name(group)
	for _, i := range group {
		m.status[i].Bundle = n
	}
}

// unmark records that step i is not being submitted.
func (m *machine) unmark(i int32) {
	m.status[i].Submitting, m.status[i].Bundle = false, ""
	m.dirty[i] = true
}

// unstarted sends step i, in flight in a bundle that ended before the
// step started, back to the ready queue: no attempt is spent.
func (m *machine) unstarted(i int32, reason string) {
	if !m.status[i].State.InFlight() {
		return
	}
	m.release(i)
	st := &m.status[i]
	st.JobID, st.Bundle, st.Submitted, st.Started, st.Ended, st.ExitCode = "", "", time.Time{}, time.Time{}, time.Time{}, nil
	m.set(i, state.Initialized, reason)
	m.urgent = true
	if m.waiting[i] == 0 {
		m.enqueue(i)
	}
}

// submittable reports whether step i, at the head of a ready queue, is
// still to be submitted.
func (m *machine) submittable(i int32) bool {
	return m.status[i].State == state.Initialized && !m.limbo[i]
}

// inFlight records that step i runs as job id.
func (m *machine) inFlight(i int32, id string, submitted time.Time) {
	st := &m.status[i]
	st.JobID, st.Submitted, st.Started, st.Ended, st.ExitCode = id, submitted, time.Time{}, time.Time{}, nil
	st.Submitting = false
	if m.steps[i].Scheduled {
		m.watch(i, id)
		m.urgent = true
		m.set(i, state.Pending, "")
		return
	}
	m.localJobs[id] = i
	st.Started = submitted
	m.set(i, state.Running, "")
}

// uncertain puts scheduled step i aside when its submission may have
// created a job: it keeps its mark, and is submitted again only if the
// scheduler, asked later (see settle), has no job of it.
func (m *machine) uncertain(i int32) {
	m.limbo[i] = true
	m.queued[i] = false
}

// settle ends step i's time in limbo: it runs as job id, or, with no id,
// was not submitted and is ready again.
func (m *machine) settle(i int32, id string) {
	if id != "" {
		m.inFlight(i, id, m.status[i].MarkedAt)
	} else {
		m.unmark(i)
		if m.waiting[i] == 0 {
			m.enqueue(i)
		}
	}
	delete(m.limbo, i)
}

// rejected records a submission of step i that failed for good; a step
// with attempts left waits, one without ends FAILED. It reports whether
// the step ended.
func (m *machine) rejected(i int32, err error) (ended bool) {
	st := &m.status[i]
	st.Submitting = false
	st.Attempts++
	if st.Attempts >= m.settings.Attempts {
		m.set(i, state.Failed, fmt.Sprintf("submission failed %d time(s): %v", st.Attempts, err))
		m.endDescendants(i, state.Failed)
		return true
	}
	m.set(i, state.Initialized, fmt.Sprintf("submission attempt %d failed: %v", st.Attempts, err))
	m.dirty[i] = true
	return false
}

// apply reacts to what an executor reports of step i's job. It reports
// whether the job ended (is no longer in flight).
func (m *machine) apply(i int32, s adapters.Status) (ended bool) {
	st := &m.status[i]
	if !st.State.InFlight() {
		return false // a late report for a step already ended or reset
	}
	if s.ExitCode != nil {
		code := *s.ExitCode
		st.ExitCode = &code
	}
	if !s.State.Terminal() {
		if s.State == state.Running && st.Started.IsZero() {
			st.Started = time.Now()
		}
		m.set(i, s.State, s.Reason)
		return false
	}
	m.release(i)
	if st.Started.IsZero() {
		st.Started = st.Submitted
	}
	info := &m.steps[i]
	switch s.State {
	case state.Finished:
		m.set(i, state.Finished, s.Reason)
		m.finished(i)
	case state.TimedOut:
		switch {
		case info.Restart == "":
			m.set(i, state.TimedOut, "walltime exceeded and the step has no restart cmd")
			m.endDescendants(i, state.Failed)
		case m.settings.RLimit == 0 || st.Restarts < m.settings.RLimit:
			st.Restarts++
			m.retry(i, s, fmt.Sprintf("walltime exceeded; restart %d with the restart cmd", st.Restarts))
		default:
			m.set(i, state.Failed, fmt.Sprintf("walltime exceeded and the restart limit (%d) is used up", m.settings.RLimit))
			m.endDescendants(i, state.Failed)
		}
	case state.HWFailure:
		if st.HWRetries < m.maxHW {
			st.HWRetries++
			m.retry(i, s, fmt.Sprintf("node failure; resubmission %d of %d", st.HWRetries, m.maxHW))
			break
		}
		m.set(i, state.Failed, fmt.Sprintf("node failure %d times", m.maxHW+1))
		m.endDescendants(i, state.Failed)
	case state.Failed:
		if !info.Scheduled {
			st.Attempts++
			if st.Attempts < m.settings.Attempts {
				m.retry(i, s, fmt.Sprintf("attempt %d of %d failed with exit code %s", st.Attempts, m.settings.Attempts, exitText(st.ExitCode)))
				break
			}
		}
		m.set(i, state.Failed, orText(s.Reason, "exit code "+exitText(st.ExitCode)))
		m.endDescendants(i, state.Failed)
	case state.Cancelled:
		m.set(i, state.Cancelled, s.Reason)
		m.endDescendants(i, state.Cancelled)
	default:
		m.set(i, s.State, s.Reason)
		m.endDescendants(i, state.Failed)
	}
	return true
}

// retry records how step i's job ended (ended, in the scheduler's words)
// and sends the step back to the ready queue.
func (m *machine) retry(i int32, ended adapters.Status, why string) {
	m.set(i, ended.State, ended.Reason)
	m.status[i].Ended = time.Time{}
	m.set(i, state.Initialized, why)
	m.enqueue(i)
}

// release forgets step i's job as in flight.
func (m *machine) release(i int32) {
	st := &m.status[i]
	switch {
	case m.steps[i].Scheduled && st.Bundle != "":
		members := m.bundles[st.JobID]
		for k, j := range members {
			if j == i {
				members = append(members[:k], members[k+1:]...)
				m.bundled--
				break
			}
		}
		if len(members) == 0 {
			delete(m.bundles, st.JobID)
		} else {
			m.bundles[st.JobID] = members
		}
	case m.steps[i].Scheduled:
		delete(m.schedJobs, m.status[i].JobID)
	default:
		delete(m.localJobs, m.status[i].JobID)
	}
}

// stopped records that local step i's job was stopped by an interrupt:
// the step is to run again.
func (m *machine) stopped(i int32) {
	m.release(i)
	st := &m.status[i]
	st.JobID, st.Submitted, st.Started, st.Ended, st.ExitCode = "", time.Time{}, time.Time{}, time.Time{}, nil
	m.set(i, state.Initialized, "stopped by an interrupt; maestro restart runs it again")
}

// cancel cancels every step not yet ended, once the executors were told to
// stop the jobs in flight.
func (m *machine) cancel() {
	for i := range m.status {
		st := &m.status[i]
		if st.State.InFlight() {
			m.release(int32(i))
		}
		if !m.limbo[int32(i)] {
			// Marked but never submitted: nothing to find later. A step
			// still in limbo (the scheduler could not be asked) keeps its
			// mark, so a restart looks for its job first.
			st.Submitting = false
		}
		if !st.State.Terminal() {
			m.set(int32(i), state.Cancelled, "study cancelled")
		}
	}
	m.readyLocal, m.readySched = nil, nil
	m.metaDirty, m.urgent = true, true
}

// update applies an update request's settings.
func (m *machine) update(r store.Request) {
	if r.Throttle != nil {
		m.settings.Throttle = *r.Throttle
	}
	if r.RLimit != nil {
		m.settings.RLimit = *r.RLimit
	}
	if r.Sleep != nil {
		m.settings.SleepSecs = *r.Sleep
	}
	m.metaDirty, m.urgent = true, true
}

// end sets the study's end state from its steps' and returns it.
func (m *machine) end() state.Study {
	end := state.StudyFinished
	for i := range m.status {
		switch m.status[i].State {
		case state.Finished:
		case state.Cancelled:
			end = state.StudyCancelled
		default:
			if end != state.StudyCancelled {
				end = state.StudyFailure
			}
		}
	}
	m.study, m.metaDirty = end, true
	return end
}

// resetRoots returns the steps a reset starts from (see Reset).
func (m *machine) resetRoots(only []string) ([]int32, error) {
	var roots []int32
	if len(only) == 0 {
		for i := range m.status {
			if s := m.status[i].State; s.Terminal() && s != state.Finished {
				roots = append(roots, int32(i))
			}
		}
		return roots, nil
	}
	for _, name := range only {
		matched := false
		for i := range m.steps {
			if m.steps[i].Name == name || m.steps[i].Step == name {
				roots = append(roots, int32(i))
				matched = true
			}
		}
		if !matched {
			return nil, fmt.Errorf("--only %s: no step of the study has that name (steps are named like %s)", name, m.exampleNames())
		}
	}
	return roots, nil
}

func (m *machine) exampleNames() string {
	var names []string
	for i := 0; i < len(m.steps) && i < 3; i++ {
		names = append(names, m.steps[i].Name)
	}
	return strings.Join(names, ", ")
}

// reset sends the roots and their descendants back to INITIALIZED, with
// no job and no attempts used, and returns how many it changed. A step
// still in flight or being submitted is an error, and nothing is changed
// then that must be undone: the caller records nothing.
func (m *machine) reset(roots []int32) (int, error) {
	seen := make([]bool, len(m.steps))
	stack := roots
	n := 0
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			continue
		}
		seen[i] = true
		stack = append(stack, m.children[i]...)
		s := &m.status[i]
		if s.State == state.Initialized && !s.Submitting {
			continue
		}
		if s.State.InFlight() || s.Submitting {
			return 0, fmt.Errorf("step %s is still %s as job %s; cancel the study or let it end first", m.steps[i].Name, s.State, s.JobID)
		}
		m.set(i, state.Initialized, "reset by maestro restart")
		s.JobID, s.Bundle, s.Submitted, s.Started, s.Ended, s.ExitCode = "", "", time.Time{}, time.Time{}, time.Time{}, nil
		s.Restarts, s.Attempts, s.HWRetries = 0, 0, 0
		n++
	}
	if n > 0 {
		m.study, m.metaDirty = state.StudyInitialized, true
	}
	return n, nil
}

// endedMarked unmarks the local steps that ended while marked as being
// submitted (a cancel left them so) and returns the scheduled ones: their
// jobs, if any, must be looked for before the mark goes.
func (m *machine) endedMarked() []int32 {
	var marked []int32
	for i := range m.status {
		if s := &m.status[i]; s.Submitting && s.State.Terminal() {
			if !m.steps[i].Scheduled {
				m.unmark(int32(i))
				continue
			}
			marked = append(marked, int32(i))
		}
	}
	return marked
}

func exitText(code *int) string {
	if code == nil {
		return "unknown"
	}
	return strconv.Itoa(*code)
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
