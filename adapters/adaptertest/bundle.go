package adaptertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/bundle"
	"github.com/maestro-go/maestro/state"
)

// bundled: four steps written as one bundle (adapters/bundle), two at a
// time, submitted as one job through the executor: each step runs its
// own script in its own workspace with its own output and record, step
// 2, exiting 3, is FAILED alone, the others FINISHED, and the bundle's
// job ends. The job's script asks for the scheduler's walltime warning
// when the adapter has one (bundle.Signaller).
func (s *suite) bundled(t *testing.T) {
	t.Parallel()
	var members []bundle.Member
	for i := range 4 {
		cmd := fmt.Sprintf("echo \"member-%d $(pwd)\"", i)
		if i == 2 {
			cmd += "; exit 3"
		}
		j, sc := s.script(t, fmt.Sprintf("bundled%d", i), cmd, "00:05:00")
		members = append(members, bundle.Member{Job: j, Script: sc})
	}
	b, err := bundle.New("bundle_conformance", s.stateDir, members, bundle.Options{Parallel: 2, Lead: 20 * time.Second, Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	job, err := b.Write(s.h.Adapter, adapters.Records{Dir: s.stateDir}, "1")
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	job.Nested = s.h.Nested
	text, err := os.ReadFile(job.Script)
	if err != nil {
		t.Fatal(err)
	}
	if sig, ok := s.h.Adapter.(bundle.Signaller); ok && s.h.Scheduled {
		if line := sig.WalltimeSignal(b.Lead); !strings.Contains(string(text), "\n"+line+"\n") {
			t.Errorf("the bundle's script lacks the walltime warning %q:\n%s", line, text)
		}
	} else {
		t.Logf("%s has no walltime warning for a bundle's runner (no bundle.Signaller): at the walltime only the scheduler's own signal reaches it", s.h.Adapter.Name())
	}
	id := s.submit(t, job)
	bundleState := s.wait(t, []string{id}, s.h.Timeout, ended)[id].State
	if bundleState != state.Finished && bundleState != state.Failed {
		t.Fatalf("bundle job %s: %s, want it to end on its own", id, bundleState)
	}
	record := id // the records carry the scheduler's job id; a local step's none
	if !s.h.Scheduled {
		record = ""
	}
	records := adapters.Records{Dir: s.stateDir}
	for i, m := range members {
		j := m.Job
		o := b.Read(j, record)
		st, again := o.Status(bundleState)
		want, exit := state.Finished, 0
		if i == 2 {
			want, exit = state.Failed, 3
		}
		if o.Phase != bundle.Ended || again || st.State != want || st.ExitCode == nil || *st.ExitCode != exit {
			t.Errorf("%s: %s again %v -> %s exit %v, want %s exit %d", j.Name, o.Phase, again, st.State, code(st), want, exit)
		}
		if c, ok := records.Exit(j, record); !ok || c != exit {
			t.Errorf("%s: recorded exit %d (recorded: %v), want %d", j.Name, c, ok, exit)
		}
		out, _ := os.ReadFile(filepath.Join(j.Workspace, j.Name+".out"))
		if got, wantOut := strings.TrimSpace(string(out)), fmt.Sprintf("member-%d %s", i, j.Workspace); got != wantOut {
			t.Errorf("%s: %s.out holds %q, want %q", j.Name, j.Name, got, wantOut)
		}
	}
}
