package bundle_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/bundle"
	"github.com/maestro-go/maestro/adapters/slurm"
	"github.com/maestro-go/maestro/state"
)

// requireSlurm skips without a Slurm cluster, unless CI (which starts
// one) says the Slurm tests must run.
func requireSlurm(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("sbatch")
	if os.Getenv("SLURM_CONF") != "" && err == nil {
		return
	}
	if os.Getenv("MAESTRO_REQUIRE_SLURM") == "1" {
		t.Fatal("MAESTRO_REQUIRE_SLURM=1 but no Slurm cluster (SLURM_CONF and sbatch on PATH)")
	}
	t.Skip("no Slurm cluster: start one with ../shared/slurm/start-local-slurm.sh")
}

// submitSlurm submits a bundle's job through the Slurm executor, as the
// conductor would, and waits until Slurm reports its end.
func submitSlurm(t *testing.T, s *study, job *adapters.Job, limit time.Duration) (string, adapters.Status) {
	t.Helper()
	ex, err := slurm.New().Open(adapters.Config{Batch: s.batch, StateDir: s.rec.Dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := ex.Submit(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Cancel(ctx, []string{id}) })
	start := time.Now()
	var st adapters.Status
	waitFor(t, limit, "bundle job "+id+" to end", func() bool {
		res, err := ex.Query(ctx, []string{id})
		st = res[id]
		return err == nil && st.State.Terminal()
	})
	t.Logf("bundle job %s ended %s (%s) %s after its submission", id, st.State, st.Reason, time.Since(start).Round(time.Second))
	return id, st
}

// TestSlurmBundle runs 50 trivial steps as one sbatch job, 4 at a time:
// every step ends FINISHED with its own record, start and end, with the
// bundle's job id; one more, which sleeps past its own walltime of 2 s,
// is stopped alone and TIMEDOUT.
func TestSlurmBundle(t *testing.T) {
	requireSlurm(t)
	t.Parallel()
	s := newStudy(t)
	var members []bundle.Member
	for i := range 50 {
		members = append(members, s.step(fmt.Sprintf("trivial_%02d", i), "00:01:00", "echo $PWD"))
	}
	overrun := s.step("overrun", "00:00:02", "sleep 60")
	b, job := s.write("bundle_50", append(members, overrun), bundle.Options{Parallel: 4})
	id, st := submitSlurm(t, s, job, 3*time.Minute)
	if st.State != state.Finished {
		t.Errorf("bundle job %s: %+v", id, st)
	}
	if o := b.Read(overrun.Job, id); o.Phase != bundle.Overran || o.Code != 128+int(syscall.SIGTERM) {
		t.Errorf("overrun: %s with %d, want stopped at its own walltime by TERM", o.Phase, o.Code)
	} else if got, _ := o.Status(st.State); got.State != state.TimedOut {
		t.Errorf("overrun: %s, want TIMEDOUT", got.State)
	}
	for _, m := range members {
		o := b.Read(m.Job, id)
		got, again := o.Status(st.State)
		if o.Phase != bundle.Ended || got.State != state.Finished || again || o.Start.IsZero() || o.End.Before(o.Start) {
			t.Errorf("%s: %+v -> %+v", m.Job.Name, o, got)
		}
		if code, ok := adapters.ReadRecord(s.rec.Path(m.Job.Name), m.Job.Token, id); !ok || code != 0 {
			t.Errorf("%s: record %d %v, want 0 of job %s", m.Job.Name, code, ok, id)
		}
		if out, _ := os.ReadFile(m.Job.Workspace + "/" + m.Job.Name + ".out"); string(out) != m.Job.Workspace+"\n" {
			t.Errorf("%s: output %q", m.Job.Name, out)
		}
	}
}

// TestSlurmBundleWalltime gives a bundle a 1-minute time limit with a
// step that sleeps longer: Slurm's warning (USR1, 20 s ahead) stops it,
// or, without the warning, Slurm's TERM at the limit; either way it reads
// TIMEDOUT; the steps after it never started and go back to the ready
// queue; the ones before it FINISHED.
func TestSlurmBundleWalltime(t *testing.T) {
	requireSlurm(t)
	for _, c := range []struct {
		name string
		w    adapters.ScriptWriter
	}{{"warned", slurm.New()}, {"killed", unwarned{slurm.New()}}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			slurmWalltime(t, c.w)
		})
	}
}

// unwarned is the Slurm script writer without the walltime warning: at
// the time limit Slurm sends TERM to every process of the job at once.
type unwarned struct{ adapters.ScriptWriter }

func slurmWalltime(t *testing.T, w adapters.ScriptWriter) {
	s := newStudy(t)
	members := []bundle.Member{
		s.step("quick_0", "00:10:00", "true"),
		s.step("quick_1", "00:10:00", "true"),
		s.step("sleeper", "00:10:00", "sleep 300"),
		s.step("later_0", "00:10:00", "true"),
		s.step("later_1", "00:10:00", "true"),
	}
	b, job := s.writeWith(w, "bundle_short", members, bundle.Options{Parallel: 1, MaxWalltime: time.Minute,
		Lead: 20 * time.Second, Grace: 5 * time.Second})
	if job.Walltime != "00:01:00" {
		t.Fatalf("walltime %s, want the cap", job.Walltime)
	}
	id, st := submitSlurm(t, s, job, 4*time.Minute)
	if text, _ := os.ReadFile(filepath.Join(b.Dir, b.Name+".err")); len(text) > 0 {
		t.Logf("the bundle's stderr:\n%s", text)
	}
	for _, m := range members {
		o := b.Read(m.Job, id)
		got, again := o.Status(st.State)
		end, _ := os.ReadFile(filepath.Join(b.Dir, m.Job.Name+".end"))
		t.Logf("%s: %s, code %d, %s -> %s (.end: %q)", m.Job.Name, o.Phase, o.Code, o.End.Sub(o.Start), got.State, end)
		switch m.Job.Name[:5] {
		case "quick":
			if got.State != state.Finished || again {
				t.Errorf("%s: %s, want FINISHED", m.Job.Name, got.State)
			}
		case "sleep":
			// Without the warning Slurm's TERM reaches the step and the
			// runner at once: the step's end is recorded as killed (143)
			// or not at all (Started); both read TIMEDOUT in a bundle
			// that timed out.
			if o.Phase == bundle.NotStarted || got.State != state.TimedOut || again {
				t.Errorf("%s: %s -> %s, want TIMEDOUT", m.Job.Name, o.Phase, got.State)
			}
		default:
			if o.Phase != bundle.NotStarted || !again {
				t.Errorf("%s: %s again %v, want never started", m.Job.Name, o.Phase, again)
			}
		}
	}
}
