package bundle_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/bundle"
	"github.com/maestro-go/maestro/adapters/slurm"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// study is a study directory with step workspaces and scripts, as the
// conductor leaves them before it submits.
type study struct {
	t     *testing.T
	dir   string
	rec   adapters.Records
	batch *spec.Batch
}

func newStudy(t *testing.T) *study {
	dir := t.TempDir()
	return &study{t: t, dir: dir, rec: adapters.Records{Dir: filepath.Join(dir, "meta", "jobs")},
		batch: &spec.Batch{Type: "slurm", Shell: "/bin/bash", Queue: partition(), Bank: "maestro"}}
}

func partition() string {
	if p := os.Getenv("LOCAL_SLURM_PARTITION"); p != "" {
		return p
	}
	return "debug"
}

// step writes the script of one step (cmd is its body) in its own
// workspace.
func (s *study) step(name, walltime, cmd string) bundle.Member {
	s.t.Helper()
	ws := filepath.Join(s.dir, name)
	if err := os.MkdirAll(ws, 0o755); err != nil {
		s.t.Fatal(err)
	}
	script := filepath.Join(ws, name+".slurm.sh")
	if err := os.WriteFile(script, []byte("#!/bin/bash\n#SBATCH --job-name="+name+"\n\n"+cmd+"\n"), 0o755); err != nil {
		s.t.Fatal(err)
	}
	st := &spec.Step{Name: name, Run: spec.Run{Cmd: cmd, Procs: "1", Walltime: walltime}}
	return bundle.Member{
		Job:    &adapters.Job{Name: name, Script: script, Workspace: ws, Walltime: walltime, Token: "7"},
		Script: &adapters.Script{JobName: name, Step: st, Batch: s.batch},
	}
}

// write makes the bundle and writes its files.
func (s *study) write(name string, members []bundle.Member, opt bundle.Options) (*bundle.Bundle, *adapters.Job) {
	s.t.Helper()
	return s.writeWith(slurm.New(), name, members, opt)
}

// writeWith is write with another script writer.
func (s *study) writeWith(w adapters.ScriptWriter, name string, members []bundle.Member, opt bundle.Options) (*bundle.Bundle, *adapters.Job) {
	s.t.Helper()
	b, err := bundle.New(name, s.rec.Dir, members, opt)
	if err != nil {
		s.t.Fatal(err)
	}
	job, err := b.Write(w, s.rec, "1")
	if err != nil {
		s.t.Fatal(err)
	}
	return b, job
}

// runLocal starts a bundle's job script with bash on this machine, as
// the scheduler would on a compute node; the steps it leaves running are
// killed at the end of the test.
func runLocal(t *testing.T, b *bundle.Bundle, job *adapters.Job) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(job.Script)
	cmd.Dir = job.Workspace
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, m := range b.Members {
			if o := b.Read(m.Job, ""); o.PID > 0 {
				syscall.Kill(-o.PID, syscall.SIGKILL)
			}
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd
}

// waitFor polls cond until it holds, failing after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// TestRunnerRunsEveryStep runs 10 steps 3 at a time with real bash: each
// ends with its own code, output files, start and end, and exit record in
// the Recorder's format, and never more than 3 run at once.
func TestRunnerRunsEveryStep(t *testing.T) {
	s := newStudy(t)
	running := filepath.Join(s.dir, "running")
	if err := os.Mkdir(running, 0o755); err != nil {
		t.Fatal(err)
	}
	var members []bundle.Member
	for i := range 10 {
		name := fmt.Sprintf("step_%d", i)
		members = append(members, s.step(name, "00:05:00", fmt.Sprintf(
			`touch %[1]s/%[2]s; sleep 0.3; ls %[1]s | wc -l > at-once; rm %[1]s/%[2]s
echo "out of %[2]s in $PWD"; echo "err of %[2]s" >&2; exit %[3]d`, running, name, i%4)))
	}
	b, job := s.write("bundle_0", members, bundle.Options{Parallel: 3})
	before := time.Now().Truncate(time.Second)
	if err := runLocal(t, b, job).Wait(); err != nil {
		t.Fatalf("runner: %v", err)
	}
	after := time.Now()
	most := 0
	for i, m := range members {
		name, ws := m.Job.Name, m.Job.Workspace
		o := b.Read(m.Job, "")
		if o.Phase != bundle.Ended || o.Code != i%4 {
			t.Errorf("%s: %s with %d, want ended with %d", name, o.Phase, o.Code, i%4)
		}
		if o.Start.Before(before) || o.End.Before(o.Start) || o.End.After(after) || o.Host == "" || o.PID <= 0 {
			t.Errorf("%s: start %s end %s host %q pid %d, want times within the run", name, o.Start, o.End, o.Host, o.PID)
		}
		if code, ok := adapters.ReadRecord(s.rec.Path(name), "7", ""); !ok || code != i%4 {
			t.Errorf("%s: record %d %v, want %d", name, code, ok, i%4)
		}
		st, again := o.Status(state.Finished)
		want := state.Finished
		if i%4 != 0 {
			want = state.Failed
		}
		if st.State != want || again || st.ExitCode == nil || *st.ExitCode != i%4 {
			t.Errorf("%s: status %+v again %v, want %s", name, st, again, want)
		}
		out, _ := os.ReadFile(filepath.Join(ws, name+".out"))
		errText, _ := os.ReadFile(filepath.Join(ws, name+".err"))
		if string(out) != "out of "+name+" in "+ws+"\n" || string(errText) != "err of "+name+"\n" {
			t.Errorf("%s: out %q err %q", name, out, errText)
		}
		n, err := os.ReadFile(filepath.Join(ws, "at-once"))
		c, _ := strconv.Atoi(strings.TrimSpace(string(n)))
		if err != nil || c < 1 {
			t.Errorf("%s: at-once %q %v", name, n, err)
		}
		most = max(most, c)
	}
	if most != 3 {
		t.Errorf("at most %d steps ran at once, want 3", most)
	}
}

// TestRunnerStepWalltime runs steps one at a time, each with a walltime
// of its own: the one that sleeps past it is TERMed and TIMEDOUT, the one
// that ignores TERM is KILLed after the grace, the quick one and the one
// after them end on their own, and the runner goes on to the end.
func TestRunnerStepWalltime(t *testing.T) {
	s := newStudy(t)
	members := []bundle.Member{
		s.step("quick", "00:00:01", "exit 0"),
		s.step("over", "00:00:01", "sleep 60"),
		s.step("stubborn", "00:00:01", "trap '' TERM; sleep 60"),
		s.step("after", "00:01:00", "exit 4"),
	}
	b, job := s.write("bundle_1", members, bundle.Options{Parallel: 1, Lead: 3 * time.Second, Grace: time.Second})
	if err := runLocal(t, b, job).Wait(); err != nil {
		t.Fatalf("runner: %v, want exit 0 once every step ended", err)
	}
	for _, c := range []struct {
		name  string
		phase bundle.Phase
		code  int
		state state.State
	}{
		{"quick", bundle.Ended, 0, state.Finished},
		{"over", bundle.Overran, 128 + int(syscall.SIGTERM), state.TimedOut},
		{"stubborn", bundle.Overran, 128 + int(syscall.SIGKILL), state.TimedOut},
		{"after", bundle.Ended, 4, state.Failed},
	} {
		var j *adapters.Job
		for _, m := range members {
			if m.Job.Name == c.name {
				j = m.Job
			}
		}
		o := b.Read(j, "")
		st, again := o.Status(state.Finished)
		if o.Phase != c.phase || o.Code != c.code || st.State != c.state || again {
			t.Errorf("%s: %s with %d -> %s (again %v), want %s with %d -> %s", c.name, o.Phase, o.Code, st.State, again, c.phase, c.code, c.state)
		}
	}
	if _, err := os.Stat(filepath.Join(b.Dir, "quick.over")); err == nil {
		t.Error("quick, ended within its walltime, was marked over it")
	}
}

// TestRunnerStops signals a runner with 2 steps at a time while one step
// sleeps and one ignores TERM: the step that ended before keeps its end,
// the running ones are recorded as stopped (KILLed after the grace if
// need be), and the steps that never started have no start file.
func TestRunnerStops(t *testing.T) {
	for _, c := range []struct {
		signal syscall.Signal
		phase  bundle.Phase
	}{
		{syscall.SIGUSR1, bundle.TimedOut}, // Slurm's warning
		{syscall.SIGALRM, bundle.TimedOut}, // Flux's time limit
		{syscall.SIGUSR2, bundle.TimedOut}, // LSF's run limit
		{syscall.SIGTERM, bundle.Stopped},
	} {
		t.Run(c.signal.String(), func(t *testing.T) {
			s := newStudy(t)
			members := []bundle.Member{
				s.step("quick", "00:01:00", "exit 0"),
				s.step("sleeper", "00:01:00", "sleep 600"),
				s.step("stubborn", "00:01:00", "trap '' TERM; touch trapped; while :; do sleep 1; done"),
				s.step("later_1", "00:01:00", "exit 0"),
				s.step("later_2", "00:01:00", "exit 0"),
			}
			b, job := s.write("bundle_1", members, bundle.Options{Parallel: 2, Lead: 3 * time.Second, Grace: time.Second})
			cmd := runLocal(t, b, job)
			// stubborn must have set its trap before the signal comes,
			// or TERM ends it at once.
			trapped := filepath.Join(members[2].Job.Workspace, "trapped")
			waitFor(t, 10*time.Second, "quick to end and stubborn to set its trap", func() bool {
				_, err := os.Stat(trapped)
				return b.Read(members[0].Job, "").Phase == bundle.Ended && err == nil
			})
			start := time.Now()
			if err := cmd.Process.Signal(c.signal); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			t.Logf("the runner exited %v %s after the signal", err, time.Since(start).Round(time.Millisecond))
			if exitStatus(err) != 1 {
				t.Errorf("runner: %v, want exit 1", err)
			}
			if o := b.Read(members[0].Job, ""); o.Phase != bundle.Ended || o.Code != 0 {
				t.Errorf("quick: %+v", o)
			}
			for _, m := range members[1:3] {
				o := b.Read(m.Job, "")
				if o.Phase != c.phase || o.Code <= 128 || o.End.Before(o.Start) {
					t.Errorf("%s: %s with %d, want %s by a signal", m.Job.Name, o.Phase, o.Code, c.phase)
				}
				if st, _ := o.Status(state.TimedOut); st.State != state.TimedOut {
					t.Errorf("%s in a bundle that timed out: %s", m.Job.Name, st.State)
				}
				if _, ok := adapters.ReadRecord(s.rec.Path(m.Job.Name), "7", ""); !ok {
					t.Errorf("%s: no exit record", m.Job.Name)
				}
			}
			if o := b.Read(members[2].Job, ""); o.Code != 128+int(syscall.SIGKILL) {
				t.Errorf("stubborn: code %d, want %d (KILLed after the grace)", o.Code, 128+int(syscall.SIGKILL))
			}
			if c.phase == bundle.Stopped {
				if st, _ := b.Read(members[1].Job, "").Status(state.Cancelled); st.State != state.Cancelled {
					t.Errorf("sleeper in a cancelled bundle: %s", st.State)
				}
			}
			for _, m := range members[3:] {
				o := b.Read(m.Job, "")
				if _, err := os.Stat(filepath.Join(b.Dir, m.Job.Name+".start")); o.Phase != bundle.NotStarted || err == nil {
					t.Errorf("%s: %s, want never started", m.Job.Name, o.Phase)
				}
				if st, again := o.Status(state.TimedOut); !again || st.State.Terminal() {
					t.Errorf("%s: %+v again %v, want back to the ready queue", m.Job.Name, st, again)
				}
			}
		})
	}
}

// TestWalltimeAndResources checks the rule: as many steps as slots take
// the longest walltime; more take sum/P + longest*(P-1)/P; then the lead,
// in minutes, capped; P steps' nodes or procs at once.
func TestWalltimeAndResources(t *testing.T) {
	s := newStudy(t)
	mk := func(walltimes ...string) []bundle.Member {
		var ms []bundle.Member
		for i, w := range walltimes {
			ms = append(ms, s.step(fmt.Sprintf("w%d", i), w, "true"))
		}
		return ms
	}
	for _, c := range []struct {
		walltimes []string
		opt       bundle.Options
		want      time.Duration
	}{
		{[]string{"10:00", "05:00", "01:00"}, bundle.Options{}, 11 * time.Minute},                     // all at once
		{[]string{"10:00", "10:00", "10:00", "10:00"}, bundle.Options{Parallel: 2}, 26 * time.Minute}, // (40+10)/2 + 1
		{[]string{"00:00:30", "00:00:30", "00:00:30"}, bundle.Options{Parallel: 1}, 3 * time.Minute},  // 1:30 -> 2 + 1
		{[]string{"01:00:00", "", "00:10:00"}, bundle.Options{}, 0},                                   // one without: none
		{[]string{"10:00", "10:00"}, bundle.Options{Parallel: 1, MaxWalltime: 5 * time.Minute}, 5 * time.Minute},
	} {
		b, err := bundle.New("b", s.rec.Dir, mk(c.walltimes...), c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if b.Walltime != c.want {
			t.Errorf("%v %+v: walltime %s, want %s", c.walltimes, c.opt, b.Walltime, c.want)
		}
	}
	if _, err := bundle.New("b", s.rec.Dir, mk("10:00"), bundle.Options{MaxWalltime: time.Minute}); err == nil {
		t.Error("a cap no longer than the lead was taken")
	}

	members := mk("10:00", "10:00", "10:00")
	members[0].Script.Step.Run.Nodes = "2"
	if _, err := bundle.New("b", s.rec.Dir, members, bundle.Options{}); err == nil || !strings.Contains(err.Error(), "other resources") {
		t.Errorf("steps with other nodes bundled: %v", err)
	}
	for _, m := range members {
		m.Script.Step.Run.Nodes = "2"
	}
	_, job := s.write("wide", members, bundle.Options{Parallel: 3})
	text, err := os.ReadFile(job.Script)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"#!/bin/bash\n", "#SBATCH --nodes=6\n", "#SBATCH --time=00:11:00\n", `#SBATCH --job-name="wide"` + "\n",
		`#SBATCH --output="wide.out"` + "\n", "#SBATCH --partition=" + partition() + "\n", "#SBATCH --signal=B:USR1@60\n"} {
		if !strings.Contains(string(text), line) {
			t.Errorf("job script lacks %q:\n%s", line, text)
		}
	}
	if job.Walltime != "00:11:00" || job.Name != "wide" || job.Workspace != bundle.Dir(s.rec.Dir, "wide") {
		t.Errorf("job %+v", job)
	}
}

// TestPlan bundles steps of one resource key only, k at most.
func TestPlan(t *testing.T) {
	s := newStudy(t)
	var ms []bundle.Member
	for i := range 7 {
		m := s.step(fmt.Sprintf("p%d", i), "10:00", "true")
		if i%2 == 1 {
			m.Script.Step.Run.GPUs = "1"
		}
		ms = append(ms, m)
	}
	var got []string
	for _, g := range bundle.Plan(ms, 2) {
		var names []string
		for _, m := range g {
			names = append(names, m.Job.Name)
		}
		got = append(got, strings.Join(names, ","))
	}
	if want := "p0,p2 p1,p3 p4,p6 p5"; strings.Join(got, " ") != want {
		t.Errorf("plan %v, want %s", got, want)
	}
}
