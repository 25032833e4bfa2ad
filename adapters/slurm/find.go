package slurm

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
)

// findChunk bounds the job names of one squeue or sacct call.
const findChunk = 100

// Find implements adapters.Executor: squeue, then sacct for what squeue no
// longer lists, by job name; a job counts only if it runs in the step's
// workspace and was submitted since the given time (an earlier submission
// of the same step has the same name and workspace).
func (e *executor) Find(ctx context.Context, jobs []*adapters.Job, since time.Time) (map[string]string, error) {
	want := map[string]string{} // name -> workspace
	var names []string
	for _, j := range jobs {
		want[j.Name] = filepath.Clean(j.Workspace)
		names = append(names, j.Name)
	}
	found := map[string]string{}
	take := func(id, name, workdir, submit string) {
		ws, ok := want[name]
		if !ok || filepath.Clean(workdir) != ws {
			return
		}
		if t, err := time.ParseInLocation("2006-01-02T15:04:05", submit, time.Local); err == nil && t.Before(since.Truncate(time.Second)) {
			return
		}
		found[name] = id
	}
	for _, chunk := range adapters.Chunks(names, findChunk) {
		list := strings.Join(chunk, ",")
		out, stderr, err := e.cfg.Command(ctx, nil, "squeue", "-h", "-t", "all", "-o", "%i|%j|%Z|%V", "--name="+list)
		if err != nil && !strings.Contains(stderr, "Invalid job id") {
			return nil, err
		}
		eachLine(out, 4, func(f []string) { take(f[0], f[1], f[2], f[3]) })
		out, stderr, err = e.cfg.Command(ctx, nil, "sacct", "-X", "-n", "-P", "-o", "JobIDRaw,JobName,WorkDir,Submit",
			"-S", since.Add(-time.Minute).Format("2006-01-02T15:04:05"), "--name="+list)
		if strings.Contains(stderr, "accounting storage is disabled") {
			continue
		}
		if err != nil {
			return nil, err
		}
		eachLine(out, 4, func(f []string) {
			if _, seen := found[f[1]]; !seen {
				take(f[0], f[1], f[2], f[3])
			}
		})
	}
	return found, nil
}

// eachLine calls fn with the |-separated fields of each line that has n.
func eachLine(out string, n int, fn func([]string)) {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Split(strings.TrimSpace(line), "|"); len(f) == n && f[0] != "" {
			fn(f)
		}
	}
}
