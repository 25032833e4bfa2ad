package slurm

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

// findChunk bounds the job names of one squeue or sacct call.
const findChunk = 100

// Find implements adapters.Executor: squeue, then sacct for what squeue no
// longer lists, by job name; a job counts only if it runs in the step's
// workspace and was submitted since the given time (an earlier submission
// of the same step has the same name and workspace). A step submitted as
// an array task is found through the array's index in the state
// directory (adapters.ArrayTasks): by the array's name, in the state
// directory, and the task's index.
func (e *executor) Find(ctx context.Context, jobs []*adapters.Job, since time.Time) (map[string]string, error) {
	want := map[string]string{} // name -> workspace
	var names []string
	for _, j := range jobs {
		want[j.Name] = filepath.Clean(j.Workspace)
		names = append(names, j.Name)
	}
	found := map[string]string{}
	err := e.byName(ctx, names, "JobIDRaw", since, func(id, name, workdir string) {
		if ws, ok := want[name]; ok && filepath.Clean(workdir) == ws && found[name] == "" {
			found[name] = id
		}
	})
	if err != nil {
		return nil, err
	}
	arrays := adapters.ArrayTasks(e.rec.Dir, jobs, since)
	if len(arrays) == 0 {
		return found, nil
	}
	names = names[:0]
	for name := range arrays {
		names = append(names, name)
	}
	err = e.byName(ctx, names, "JobID", since, func(id, name, workdir string) {
		if filepath.Clean(workdir) != filepath.Clean(e.rec.Dir) {
			return
		}
		for _, task := range expandTasks(id) {
			_, index, _ := strings.Cut(task, "_")
			n, err := strconv.Atoi(index)
			if step, ok := arrays[name][n]; ok && err == nil && found[step] == "" {
				found[step] = task
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// byName calls fn with the id, name and working directory of each job
// named one of names and submitted since the given time, as squeue (with
// -r: an array's tasks one by one) and then sacct (its id field given)
// list them.
func (e *executor) byName(ctx context.Context, names []string, idField string, since time.Time, fn func(id, name, workdir string)) error {
	take := func(f []string) {
		if t, err := time.ParseInLocation("2006-01-02T15:04:05", f[3], time.Local); err == nil && t.Before(since.Truncate(time.Second)) {
			return
		}
		fn(f[0], f[1], f[2])
	}
	for _, chunk := range adapters.Chunks(names, findChunk) {
		list := strings.Join(chunk, ",")
		args := []string{"-h", "-t", "all", "-o", "%i|%j|%Z|%V", "--name=" + list}
		if idField == "JobID" {
			args = append([]string{"-r"}, args...)
		}
		out, stderr, err := e.cfg.Command(ctx, nil, "squeue", args...)
		if err != nil && !strings.Contains(stderr, "Invalid job id") {
			return err
		}
		eachLine(out, 4, take)
		out, stderr, err = e.cfg.Command(ctx, nil, "sacct", "-X", "-n", "-P", "-o", idField+",JobName,WorkDir,Submit",
			"-S", since.Add(-time.Minute).Format("2006-01-02T15:04:05"), "--name="+list)
		if strings.Contains(stderr, "accounting storage is disabled") {
			continue
		}
		if err != nil {
			return err
		}
		eachLine(out, 4, take)
	}
	return nil
}

// eachLine calls fn with the |-separated fields of each line that has n.
func eachLine(out string, n int, fn func([]string)) {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Split(strings.TrimSpace(line), "|"); len(f) == n && f[0] != "" {
			fn(f)
		}
	}
}
