package conductor

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// The machine's tests run no process and touch no file: a study is a list
// of steps in memory.

// chain is a study a -> b -> c (local unless scheduled), all INITIALIZED.
func chain(scheduled bool, settings store.Settings) *machine {
	steps := []store.StepInfo{
		{Name: "a", JobName: "a", Scheduled: scheduled, Restart: "a.restart.sh"},
		{Name: "b", JobName: "b", Scheduled: scheduled, Parents: []int32{0}},
		{Name: "c", JobName: "c", Scheduled: scheduled, Parents: []int32{1}},
	}
	status := make([]store.StepStatus, len(steps))
	for i := range status {
		status[i].State = state.Initialized
	}
	return newMachine(steps, status, settings, state.StudyRunning, 2)
}

func noAdopt(int32, time.Time) (string, bool) { return "", false }

func states(m *machine) string {
	var s []string
	for i := range m.status {
		s = append(s, string(m.status[i].State))
	}
	return strings.Join(s, " ")
}

// run submits step i as job id and reports each status in turn.
func run(m *machine, i int32, id string, report ...adapters.Status) {
	m.inFlight(i, id, time.Now())
	for _, s := range report {
		m.apply(i, s)
	}
}

func TestMachineEndStates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		scheduled bool
		settings  store.Settings
		reports   []adapters.Status // of a's jobs, one per submission
		want      string            // states of a, b, c
		ready     bool              // a is ready to submit again
		reason    string            // in a's reason
	}{
		{name: "finished releases the child", reports: []adapters.Status{done(state.Finished, 0)},
			want: "FINISHED INITIALIZED INITIALIZED"},
		{name: "failure fails the descendants", settings: store.Settings{Attempts: 1}, reports: []adapters.Status{done(state.Failed, 3)},
			want: "FAILED FAILED FAILED", reason: "exit code 3"},
		{name: "a local failure with attempts left runs again", settings: store.Settings{Attempts: 2}, reports: []adapters.Status{done(state.Failed, 3)},
			want: "INITIALIZED INITIALIZED INITIALIZED", ready: true, reason: "attempt 1 of 2 failed with exit code 3"},
		{name: "a scheduled failure uses no attempts", scheduled: true, settings: store.Settings{Attempts: 2}, reports: []adapters.Status{done(state.Failed, 3)},
			want: "FAILED FAILED FAILED"},
		{name: "a timeout restarts", scheduled: true, settings: store.Settings{RLimit: 1}, reports: []adapters.Status{{State: state.TimedOut}},
			want: "INITIALIZED INITIALIZED INITIALIZED", ready: true, reason: "restart 1"},
		{name: "a timeout past the restart limit fails", scheduled: true, settings: store.Settings{RLimit: 1},
			reports: []adapters.Status{{State: state.TimedOut}, {State: state.TimedOut}},
			want:    "FAILED FAILED FAILED", reason: "restart limit (1)"},
		{name: "node failures are resubmitted, bounded", scheduled: true,
			reports: []adapters.Status{{State: state.HWFailure}, {State: state.HWFailure}, {State: state.HWFailure}},
			want:    "FAILED FAILED FAILED", reason: "node failure 3 times"},
		{name: "a cancelled job cancels the descendants", scheduled: true, reports: []adapters.Status{{State: state.Cancelled}},
			want: "CANCELLED CANCELLED CANCELLED"},
		{name: "a lost job fails the descendants", scheduled: true, reports: []adapters.Status{{State: state.NotFound}},
			want: "NOTFOUND FAILED FAILED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := chain(c.scheduled, c.settings)
			m.recover(noAdopt)
			for k, s := range c.reports {
				m.readyLocal, m.readySched, m.queued[0] = nil, nil, false
				run(m, 0, string(rune('1'+k)), adapters.Status{State: state.Running}, s)
			}
			if got := states(m); got != c.want {
				t.Errorf("states %s, want %s", got, c.want)
			}
			ready := slices.Contains(append(m.readyLocal, m.readySched...), 0)
			if ready != c.ready {
				t.Errorf("a ready %v, want %v", ready, c.ready)
			}
			if !strings.Contains(m.status[0].Reason, c.reason) {
				t.Errorf("a's reason %q, want %q in it", m.status[0].Reason, c.reason)
			}
			if len(m.localJobs)+len(m.schedJobs) != 0 {
				t.Errorf("jobs still in flight: %v %v", m.localJobs, m.schedJobs)
			}
			if want := strings.Count(c.want, "INITIALIZED"); m.open != want {
				t.Errorf("open %d, want %d", m.open, want)
			}
		})
	}
}

func TestMachineReleasesAChildWhenAllParentsFinish(t *testing.T) {
	t.Parallel()
	steps := []store.StepInfo{{Name: "a"}, {Name: "b"}, {Name: "c", Parents: []int32{0, 1}}}
	status := []store.StepStatus{{State: state.Initialized}, {State: state.Initialized}, {State: state.Initialized}}
	m := newMachine(steps, status, store.Settings{Attempts: 1}, state.StudyRunning, 0)
	m.recover(noAdopt)
	if !slices.Equal(m.readyLocal, []int32{0, 1}) {
		t.Fatalf("ready %v, want a and b", m.readyLocal)
	}
	run(m, 0, "1", done(state.Finished, 0))
	if slices.Contains(m.readyLocal, 2) {
		t.Fatal("c is ready with b not finished")
	}
	run(m, 1, "2", done(state.Finished, 0))
	if !slices.Contains(m.readyLocal, 2) {
		t.Fatal("c is not ready with a and b finished")
	}
	var moves []string
	for _, ev := range m.events {
		moves = append(moves, ev.Step+":"+string(ev.To))
	}
	if got := strings.Join(moves, " "); got != "a:RUNNING a:FINISHED b:RUNNING b:FINISHED" {
		t.Errorf("events %s", got)
	}
	if len(m.dirty) != 2 || !m.pending() {
		t.Errorf("dirty %v", m.dirty)
	}
	m.recorded()
	if m.pending() {
		t.Error("changes pending once recorded")
	}
}

// What an earlier conductor left is sorted out: scheduled steps being
// submitted are looked for, local jobs are adopted or run again, and the
// descendants of ended steps end.
func TestMachineRecover(t *testing.T) {
	t.Parallel()
	steps := []store.StepInfo{
		{Name: "marked-job", Scheduled: true},
		{Name: "marked-local"},
		{Name: "running-local"},
		{Name: "lost-local"},
		{Name: "pending-job", Scheduled: true},
		{Name: "cancelled"},
		{Name: "below-cancelled", Parents: []int32{5}},
		{Name: "below-running", Parents: []int32{2}},
	}
	status := []store.StepStatus{
		{State: state.Initialized, Submitting: true},
		{State: state.Initialized, Submitting: true},
		{State: state.Running, JobID: "11"},
		{State: state.Running, JobID: "12"},
		{State: state.Pending, JobID: "900"},
		{State: state.Cancelled},
		{State: state.Initialized},
		{State: state.Initialized},
	}
	m := newMachine(steps, status, store.Settings{Attempts: 1}, state.StudyRunning, 0)
	var asked []string
	m.recover(func(i int32, _ time.Time) (string, bool) {
		asked = append(asked, steps[i].Name)
		return m.status[i].JobID, steps[i].Name == "running-local"
	})
	if got := strings.Join(asked, " "); got != "marked-local running-local lost-local" {
		t.Errorf("adopt asked for %s", got)
	}
	if !m.limbo[0] || len(m.limbo) != 1 || !m.status[0].Submitting {
		t.Errorf("limbo %v, marked-job %+v", m.limbo, m.status[0])
	}
	if m.status[1].Submitting || !m.dirty[1] {
		t.Errorf("marked-local kept its mark: %+v", m.status[1])
	}
	if m.localJobs["11"] != 2 || len(m.localJobs) != 1 || m.schedJobs["900"] != 4 || len(m.schedJobs) != 1 {
		t.Errorf("jobs in flight: local %v, scheduled %v", m.localJobs, m.schedJobs)
	}
	if s := m.status[3]; s.State != state.Initialized || s.JobID != "" {
		t.Errorf("lost-local %+v", s)
	}
	if m.status[6].State != state.Cancelled || m.status[7].State != state.Initialized {
		t.Errorf("below-cancelled %s, below-running %s", m.status[6].State, m.status[7].State)
	}
	if !slices.Equal(m.readyLocal, []int32{1, 3}) || len(m.readySched) != 0 {
		t.Errorf("ready local %v, scheduled %v", m.readyLocal, m.readySched)
	}
	if m.open != 6 {
		t.Errorf("open %d, want 6", m.open)
	}

	m.settle(0, "")
	if m.status[0].Submitting || !slices.Equal(m.readySched, []int32{0}) || len(m.limbo) != 0 {
		t.Errorf("a step whose job was not found is not ready again: %+v, %v", m.status[0], m.readySched)
	}
}

func TestMachineSubmissions(t *testing.T) {
	t.Parallel()
	m := chain(true, store.Settings{Attempts: 2})
	m.recover(noAdopt)
	if !m.mark(0) || m.mark(0) || !m.status[0].Submitting || m.status[0].Token != 1 || !m.urgent {
		t.Fatalf("mark: %+v", m.status[0])
	}
	if m.rejected(0, errors.New("invalid partition")) || m.status[0].Attempts != 1 || m.status[0].Submitting {
		t.Fatalf("first rejection: %+v", m.status[0])
	}
	m.mark(0)
	m.uncertain(0)
	if m.submittable(0) || m.queued[0] {
		t.Fatal("a step in limbo is to be submitted")
	}
	m.settle(0, "77")
	if s := m.status[0]; s.State != state.Pending || s.JobID != "77" || s.Submitting || m.schedJobs["77"] != 0 {
		t.Fatalf("found job: %+v", s)
	}

	m = chain(true, store.Settings{Attempts: 1})
	m.recover(noAdopt)
	m.mark(0)
	if !m.rejected(0, errors.New("invalid partition")) || states(m) != "FAILED FAILED FAILED" || m.open != 0 {
		t.Fatalf("last rejection: %s, %+v", states(m), m.status[0])
	}
	if !strings.Contains(m.status[0].Reason, "submission failed 1 time(s): invalid partition") {
		t.Errorf("reason %q", m.status[0].Reason)
	}
}

func TestMachineCancel(t *testing.T) {
	t.Parallel()
	steps := []store.StepInfo{{Name: "running"}, {Name: "limbo", Scheduled: true}, {Name: "marked", Scheduled: true}, {Name: "done"}}
	status := []store.StepStatus{{State: state.Initialized}, {State: state.Initialized}, {State: state.Initialized}, {State: state.Finished}}
	m := newMachine(steps, status, store.Settings{Attempts: 1}, state.StudyRunning, 0)
	m.recover(noAdopt)
	run(m, 0, "5")
	m.mark(1)
	m.uncertain(1)
	m.mark(2)
	m.cancel()
	if got := states(m); got != "CANCELLED CANCELLED CANCELLED FINISHED" {
		t.Errorf("states %s", got)
	}
	if len(m.localJobs) != 0 || !m.status[1].Submitting || m.status[2].Submitting {
		t.Errorf("jobs %v, limbo mark %v, other mark %v", m.localJobs, m.status[1].Submitting, m.status[2].Submitting)
	}
	if len(m.readyLocal)+len(m.readySched) != 0 || !m.metaDirty || m.open != 0 {
		t.Errorf("after cancel: ready %v %v, meta %v, open %d", m.readyLocal, m.readySched, m.metaDirty, m.open)
	}
	if m.end() != state.StudyCancelled || m.study != state.StudyCancelled {
		t.Errorf("end %s", m.study)
	}
	if marked := m.endedMarked(); !slices.Equal(marked, []int32{1}) {
		t.Errorf("marked steps to look for: %v", marked)
	}
}

func TestMachineReset(t *testing.T) {
	t.Parallel()
	m := chain(false, store.Settings{Attempts: 1})
	m.recover(noAdopt)
	run(m, 0, "1", done(state.Finished, 0))
	run(m, 1, "2", done(state.Failed, 1))
	roots, err := m.resetRoots(nil)
	if err != nil || !slices.Equal(roots, []int32{1, 2}) {
		t.Fatalf("roots %v, %v", roots, err)
	}
	if _, err := m.resetRoots([]string{"x"}); err == nil || !strings.Contains(err.Error(), "--only x: no step") || !strings.Contains(err.Error(), "a, b, c") {
		t.Errorf("unknown step: %v", err)
	}
	n, err := m.reset(roots)
	if err != nil || n != 2 || states(m) != "FINISHED INITIALIZED INITIALIZED" || m.study != state.StudyInitialized {
		t.Fatalf("reset %d, %v: %s, study %s", n, err, states(m), m.study)
	}
	if s := m.status[1]; s.JobID != "" || s.Attempts != 0 || s.ExitCode != nil {
		t.Errorf("b after reset: %+v", s)
	}
	m.inFlight(1, "3", time.Now())
	only, _ := m.resetRoots([]string{"a"})
	if _, err := m.reset(only); err == nil || !strings.Contains(err.Error(), "step b is still RUNNING as job 3") {
		t.Errorf("reset of a step in flight: %v", err)
	}
}

// fan is n independent scheduled steps, all INITIALIZED.
func fan(n int) *machine {
	steps := make([]store.StepInfo, n)
	status := make([]store.StepStatus, n)
	for i := range steps {
		steps[i] = store.StepInfo{Name: string(rune('a' + i)), JobName: string(rune('a' + i)), Scheduled: true}
		status[i].State = state.Initialized
	}
	return newMachine(steps, status, store.Settings{Attempts: 1}, state.StudyRunning, 2)
}

// The steps of a bundle share its job id: each counts for the throttle,
// the bundle is watched until its last step ends, a step it never started
// goes back to the ready queue with no attempt spent, and a new machine
// (a conductor started over) watches the bundle's steps again.
func TestMachineBundles(t *testing.T) {
	t.Parallel()
	m := fan(3)
	m.recover(noAdopt)
	group := []int32{0, 1, 2}
	m.markBundle(group, func([]int32) string { return "bundle-x" })
	for _, i := range group {
		if st := m.status[i]; !st.Submitting || st.Bundle != "bundle-x" || st.Token != 1 {
			t.Fatalf("step %d after markBundle: %+v", i, st)
		}
		m.inFlight(i, "7", time.Now())
	}
	if m.inFlightSteps() != 3 || len(m.bundles) != 1 || len(m.schedJobs) != 0 || !m.schedInFlight() {
		t.Fatalf("%d steps in flight, bundles %v, jobs %v", m.inFlightSteps(), m.bundles, m.schedJobs)
	}

	again := newMachine(m.steps, slices.Clone(m.status), m.settings, state.StudyRunning, 2)
	again.recover(noAdopt)
	if !slices.Equal(again.bundles["7"], group) || again.bundled != 3 {
		t.Errorf("after recovery: bundles %v, %d bundled", again.bundles, again.bundled)
	}

	m.apply(0, done(state.Finished, 0))
	m.unstarted(2, "its bundle ended before it started")
	if m.inFlightSteps() != 1 || !slices.Equal(m.bundles["7"], []int32{1}) {
		t.Errorf("bundles %v, %d in flight", m.bundles, m.inFlightSteps())
	}
	if st := m.status[2]; st.State != state.Initialized || st.JobID != "" || st.Bundle != "" || st.Attempts != 0 || !m.queued[2] {
		t.Errorf("unstarted step: %+v, queued %v", st, m.queued[2])
	}
	m.apply(1, done(state.Failed, 1))
	if len(m.bundles) != 0 || m.bundled != 0 || m.schedInFlight() {
		t.Errorf("bundles %v, %d bundled after the last step ended", m.bundles, m.bundled)
	}
	if got := states(m); got != "FINISHED FAILED INITIALIZED" {
		t.Errorf("states %s", got)
	}
}
