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
// hand, as Slurm would), runs job i's own script in its workspace with
// its output in its own files, and the script records its exit status
// under the task's own id; the index finds each task again, and only for
// the submission (token) it was.
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
		body := fmt.Sprintf("#!/bin/bash\n#SBATCH --output=\"%s.out\"\n\necho \"out $(pwd) $(printenv MAESTRO_JOB_ID)\"\necho err >&2\nexit %d\n", name, 4+i)
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
	path, name, err := d.Write(state, ".slurm.sh", rec, rows, func(name string) []string { return []string{"#DIRECTIVE " + name} })
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(text), "#!/bin/sh\n#DIRECTIVE "+name+"\n") || !strings.HasPrefix(name, "array-") {
		t.Fatalf("driver %s:\n%s", name, text)
	}
	run := func(task int) error {
		cmd := exec.Command(path)
		cmd.Dir = state
		cmd.Env = append(os.Environ(), "ARRAY=77", fmt.Sprintf("TASK=%d", task), "MAESTRO_JOB_ID=leaked")
		return cmd.Run()
	}
	for i, j := range jobs {
		err := run(i + 1)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4+i {
			t.Errorf("task %d: %v, want exit %d", i+1, err, 4+i)
		}
		id := fmt.Sprintf("77_%d", i+1)
		if code, ok := adapters.ReadRecord(rec.Path(j.Name), "7", id); !ok || code != 4+i {
			t.Errorf("task %d: record %d %v, want %d as %s", i+1, code, ok, 4+i, id)
		}
		out, _ := os.ReadFile(filepath.Join(j.Workspace, j.Name+".out"))
		want := "out " + j.Workspace + " \n" // the script's commands do not inherit the id
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
	if _, _, err := d.Write("", ".sh", rec, rows, func(string) []string { return nil }); err == nil {
		t.Error("an array without a state directory")
	}
}
