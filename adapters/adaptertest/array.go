package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// arrayTasks is how many jobs the array subtest submits as one array, and
// arrayParallel how many of them may run at once.
const arrayTasks, arrayParallel = 20, 4

// array: 20 steps submitted as one array (at most 4 running at once;
// without a bound where the scheduler has none, which then refuses the
// bounded array) are each tracked on their own: each task runs its own script in its own
// workspace with its own output files, reports its own state and exit
// code (1 for some, 137 for one) and records them as its own id; task 0,
// cancelled while it runs, ends CANCELLED and leaves the others; and a
// new executor that lost the submission's answer finds every task by its
// id, and nothing for a submission that never happened. Where the
// executor takes none of the suite's jobs as an array (Harness.ArrayRefused),
// its refusal is checked instead.
func (s *suite) array(t *testing.T, as adapters.ArraySubmitter) {
	t.Parallel()
	if max := as.MaxArray(); max < arrayTasks {
		t.Fatalf("MaxArray %d: too small for the subtest's %d tasks", max, arrayTasks)
	}
	since := time.Now()
	jobs := make([]*adapters.Job, arrayTasks)
	want := make([]int, arrayTasks)
	for i := range jobs {
		cmd := fmt.Sprintf("echo \"task-%d $(pwd)\"; echo err-%d >&2", i, i)
		switch {
		case i == 0:
			cmd += "; sleep 300"
		case i == 5:
			cmd, want[i] = cmd+"; exit 137", 137
		case i%4 == 3:
			cmd, want[i] = cmd+"; exit 1", 1
		}
		jobs[i] = s.job(t, fmt.Sprintf("arr%02d", i), cmd, "")
	}
	parallel := arrayParallel
	if s.h.ArrayRefused || s.h.Unthrottled {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		ids, err := as.SubmitArray(ctx, jobs, parallel)
		cancel()
		if !refused(err) {
			t.Fatalf("submit array of %d jobs, at most %d at once: %v %v, want a refusal the conductor answers by submitting them one by one", len(jobs), parallel, ids, err)
		}
		if s.h.ArrayRefused {
			return
		}
		parallel = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	ids, err := as.SubmitArray(ctx, jobs, parallel)
	cancel()
	if err != nil {
		t.Fatalf("submit array: %v", err)
	}
	if len(ids) != len(jobs) {
		t.Fatalf("%d ids for %d jobs: %v", len(ids), len(jobs), ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("ids not distinct: %v", ids)
		}
		seen[id] = true
	}
	t.Logf("array task ids %v", ids)

	// A conductor that lost the answer finds every task, and none of a
	// later submission of the same steps (another token) that never was.
	deadline := time.Now().Add(s.h.Timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		found, err := s.open(t).Find(ctx, jobs, since)
		cancel()
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		if len(found) == len(jobs) {
			for i, j := range jobs {
				if found[j.Name] != ids[i] {
					t.Errorf("found %s as %s, want %s", j.Name, found[j.Name], ids[i])
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("found %d of %d array tasks in %s: %v", len(found), len(jobs), s.h.Timeout, found)
		}
		time.Sleep(s.h.Poll)
	}
	var later []*adapters.Job
	for _, j := range jobs {
		again := *j
		again.Token = "2"
		later = append(later, &again)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	found, err := s.open(t).Find(ctx, later, since)
	cancel()
	if err != nil || len(found) != 0 {
		t.Fatalf("find of a submission that never was: %v %v", found, err)
	}

	// At most parallel run at once; task 0 is cancelled once it runs.
	running := func(res map[string]adapters.Status) {
		if parallel == 0 {
			return
		}
		n := 0
		for _, st := range res {
			if st.State == state.Running {
				n++
			}
		}
		if n > parallel {
			t.Errorf("%d tasks running at once, more than the array's limit %d: %s", n, parallel, describe(res))
		}
	}
	s.watch(t, ids, func(res map[string]adapters.Status) bool {
		running(res)
		return res[ids[0]].State == state.Running
	})
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	err = s.ex.Cancel(ctx, ids[:1])
	cancel()
	if err != nil {
		t.Fatalf("cancel of task %s: %v", ids[0], err)
	}
	res := s.watch(t, ids, func(res map[string]adapters.Status) bool {
		running(res)
		for _, id := range ids {
			if !res[id].State.Terminal() {
				return false
			}
		}
		return true
	})
	records := adapters.Records{Dir: s.stateDir}
	for i, j := range jobs {
		st := res[ids[i]]
		if i == 0 {
			if st.State != state.Cancelled {
				t.Errorf("task %s (cancelled): %s (%s), want CANCELLED", ids[i], st.State, st.Reason)
			}
			continue
		}
		wantState := state.Finished
		if want[i] != 0 {
			wantState = state.Failed
		}
		if st.State != wantState || st.ExitCode == nil || *st.ExitCode != want[i] {
			t.Errorf("task %s (%s): %s exit %v (%s), want %s exit %d", ids[i], j.Name, st.State, code(st), st.Reason, wantState, want[i])
		}
		if c, ok := records.Exit(j, ids[i]); !ok || c != want[i] {
			t.Errorf("task %s (%s): recorded exit %d (recorded: %v), want %d as its own id", ids[i], j.Name, c, ok, want[i])
		}
		out, _ := os.ReadFile(filepath.Join(j.Workspace, j.Name+".out"))
		if got, wantOut := strings.TrimSpace(string(out)), fmt.Sprintf("task-%d %s", i, j.Workspace); got != wantOut {
			t.Errorf("task %s: %s.out holds %q, want %q", ids[i], j.Name, got, wantOut)
		}
		errs, _ := os.ReadFile(filepath.Join(j.Workspace, j.Name+".err"))
		if got := strings.TrimSpace(string(errs)); got != fmt.Sprintf("err-%d", i) {
			t.Errorf("task %s: %s.err holds %q", ids[i], j.Name, got)
		}
	}
}

// watch queries ids until done says so of an answer, and returns it.
func (s *suite) watch(t *testing.T, ids []string, done func(map[string]adapters.Status) bool) map[string]adapters.Status {
	t.Helper()
	var last map[string]adapters.Status
	for deadline := time.Now().Add(s.h.Timeout); time.Now().Before(deadline); time.Sleep(s.h.Poll) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := s.ex.Query(ctx, ids)
		cancel()
		if err != nil {
			t.Logf("query: %v", err)
			continue
		}
		if last = res; done(res) {
			return res
		}
	}
	t.Fatalf("waited %s for the array; last seen %s", s.h.Timeout, describe(last))
	return nil
}

// refused reports whether err refuses a submission for good: no job was
// created, nor is the scheduler down or at a limit.
func refused(err error) bool {
	return err != nil && !errors.Is(err, adapters.ErrUncertain) && !errors.Is(err, adapters.ErrUnavailable) && !errors.Is(err, adapters.ErrLimit)
}

func code(st adapters.Status) string {
	if st.ExitCode == nil {
		return "none"
	}
	return fmt.Sprint(*st.ExitCode)
}
