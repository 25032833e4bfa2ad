package adapters_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

// An array's driver script, run as the scheduler runs task i (here by
// hand, as Slurm would) with the array's task list as its argument,
// waits for the list if it starts before it is written, runs job i's own
// script in its workspace with its output in its own files, keeps the
// earlier run's output as KeepOutput does, and the script records its
// exit status under the task's own id; the list finds each task again,
// and only for the submission (token) it was. Arrays of the same header
// lines share one driver, written once.
func TestArrayDriver(t *testing.T) {
	state := t.TempDir()
	rec, err := adapters.NewRecorder(state)
	if err != nil {
		t.Fatal(err)
	}
	var rows []adapters.ArrayRow
	var jobs []*adapters.Job
	for i, name := range []string{"one", "it's two"} {
		ws := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(ws, 0o755); err != nil {
			t.Fatal(err)
		}
		script := filepath.Join(ws, name+".slurm.sh")
		body := fmt.Sprintf("#!/bin/bash\n#SBATCH --output=\"%s.out\"\n\necho \"out $(pwd) $(printenv MAESTRO_JOB_ID)$n$f\"\necho err >&2\nexit %d\n", name, 4+i)
		if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		j := &adapters.Job{Name: name, Script: script, Workspace: ws, Token: "7"}
		jobs = append(jobs, j)
		errf := name + ".err"
		if i == 1 {
			errf = name + ".out" // one file for both
		}
		rows = append(rows, adapters.ArrayRow{Job: j, Out: name + ".out", Err: errf})
	}
	d := adapters.ArrayDriver{IndexVar: "TASK", Base: 1, ID: "${ARRAY}_${TASK}"}
	since := time.Now()
	driver, err := d.WriteDriver(state, ".slurm.sh", rec, []string{"#DIRECTIVE a"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := adapters.NewArrayFiles(state, rec, jobs)
	if err != nil {
		t.Fatal(err)
	}
	name := files.JobName
	text, _ := os.ReadFile(driver)
	if !strings.HasPrefix(string(text), "#!/bin/sh\n#DIRECTIVE a\n") || !strings.HasPrefix(name, "array-") {
		t.Fatalf("driver %s of array %s:\n%s", driver, name, text)
	}
	before, _ := os.Stat(driver)
	if again, err := d.WriteDriver(state, ".slurm.sh", rec, []string{"#DIRECTIVE a"}); err != nil || again != driver {
		t.Errorf("the same header's driver: %s, %v; want %s", again, err, driver)
	} else if after, _ := os.Stat(driver); !os.SameFile(before, after) {
		t.Errorf("%s written again", driver)
	}
	if other, err := d.WriteDriver(state, ".slurm.sh", rec, []string{"#DIRECTIVE b"}); err != nil || other == driver {
		t.Errorf("another header's driver: %s, %v", other, err)
	}
	task := func(task int) *exec.Cmd {
		cmd := exec.Command(driver, files.Tasks)
		cmd.Dir = state
		// Variables of the driver's own names in the environment reach
		// the step unchanged.
		cmd.Env = append(os.Environ(), "ARRAY=77", fmt.Sprintf("TASK=%d", task), "MAESTRO_JOB_ID=leaked", "n=kept", "f=kept")
		return cmd
	}
	run := func(t int) error { return task(t).Run() }
	// Task 1 starts before the list is written: it waits for it. Its
	// workspace holds two earlier runs' output.
	first := jobs[0]
	for _, f := range []string{".out", ".err", ".out.1", ".err.2"} {
		if err := os.WriteFile(filepath.Join(first.Workspace, first.Name+f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	early := task(1)
	if err := early.Start(); err != nil {
		t.Fatal(err)
	}
	waiting(t, early.Process.Pid)
	if err := files.WriteTasks(rows); err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		var err error
		if i == 0 {
			err = early.Wait()
		} else {
			err = run(i + 1)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4+i {
			t.Errorf("task %d: %v, want exit %d", i+1, err, 4+i)
		}
		id := fmt.Sprintf("77_%d", i+1)
		if code, ok := adapters.ReadRecord(rec.Path(j.Name), "7", id); !ok || code != 4+i {
			t.Errorf("task %d: record %d %v, want %d as %s", i+1, code, ok, 4+i, id)
		}
		out, _ := os.ReadFile(filepath.Join(j.Workspace, j.Name+".out"))
		want := "out " + j.Workspace + " keptkept\n" // the script's commands do not inherit the id
		if i == 0 {
			if e, _ := os.ReadFile(filepath.Join(j.Workspace, j.Name+".err")); string(e) != "err\n" {
				t.Errorf("task 1: stderr %q", e)
			}
		} else {
			want += "err\n"
		}
		if string(out) != want {
			t.Errorf("task %d: stdout %q, want %q", i+1, out, want)
		}
	}
	// The earlier output was moved aside where KeepOutput moves it.
	for f, was := range map[string]string{".out.3": ".out", ".err.3": ".err", ".out.1": ".out.1", ".err.2": ".err.2"} {
		if got, _ := os.ReadFile(filepath.Join(first.Workspace, first.Name+f)); string(got) != was {
			t.Errorf("%s%s holds %q, want the earlier %q", first.Name, f, got, was)
		}
	}
	if err := run(3); err == nil {
		t.Error("task 3 of 2 ran")
	}
	got := adapters.ArrayTasks(state, jobs, since)
	if fmt.Sprint(got) != fmt.Sprint(map[string]map[int]string{name: {0: "one", 1: "it's two"}}) {
		t.Errorf("array tasks %v", got)
	}
	other := *jobs[0]
	other.Token = "8"
	if got := adapters.ArrayTasks(state, []*adapters.Job{&other}, since); len(got) != 0 {
		t.Errorf("another submission found as %v", got)
	}
	if _, err := d.WriteDriver("", ".sh", rec, nil); err == nil {
		t.Error("a driver without a state directory")
	}
	if _, err := adapters.NewArrayFiles("", rec, jobs); err == nil {
		t.Error("an array without a state directory")
	}
	bad := *jobs[0]
	bad.Workspace += "\tx"
	if err := files.WriteTasks([]adapters.ArrayRow{{Job: &bad, Out: "o", Err: "e"}}); err == nil {
		t.Error("a workspace with a tab in the task list")
	}
}

// A task that waits for its list stops at once, running nothing, when
// its state directory is removed (the study was deleted while its array
// was queued): it does not hold a core for ListWait.
func TestArrayDriverStudyGone(t *testing.T) {
	state := filepath.Join(t.TempDir(), "meta")
	rec, err := adapters.NewRecorder(state)
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	j := &adapters.Job{Name: "one", Script: filepath.Join(ws, "one.sh"), Workspace: ws, Token: "7"}
	d := adapters.ArrayDriver{IndexVar: "TASK", Base: 0, ID: "${TASK}"}
	path, err := d.WriteDriver(state, ".sh", rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := adapters.NewArrayFiles(state, rec, []*adapters.Job{j})
	if err != nil {
		t.Fatal(err)
	}
	driver, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command("sh", "-c", string(driver), path, files.Tasks)
	cmd.Env = append(os.Environ(), "TASK=0")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waiting(t, cmd.Process.Pid)
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "no state directory") {
			t.Errorf("driver: %v, stderr %q; want exit 1 for a missing state directory", err, stderr.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("the driver still waits for the list of a removed study")
	}
}

// waiting waits until the process pid sleeps in a child of its own, as a
// driver waiting for its task list does.
func waiting(t *testing.T, pid int) {
	t.Helper()
	children := fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		kids, err := os.ReadFile(children)
		if err != nil {
			t.Fatalf("cannot watch the driver: %v", err)
		}
		for _, kid := range strings.Fields(string(kids)) {
			// The wait runs in a subshell: its child sleeps.
			grand, _ := os.ReadFile(fmt.Sprintf("/proc/%s/task/%s/children", kid, kid))
			for _, g := range strings.Fields(string(grand)) {
				if comm, _ := os.ReadFile("/proc/" + g + "/comm"); strings.TrimSpace(string(comm)) == "sleep" {
					return
				}
			}
		}
	}
	t.Fatal("the driver did not wait for its task list")
}
