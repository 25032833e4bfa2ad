package adapters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ArraySubmitter is an executor that can submit many jobs as one job
// array (docs/SCHEDULERS.md, Arrays). Each job of an array still runs its
// own script in its own workspace with its own output files, records its
// own exit status (see Recorder), and has an id of its own that Query,
// Cancel and Find take like any other: cancelling one task leaves the
// others, and Find finds each task of an array whose submission's answer
// was lost.
type ArraySubmitter interface {
	// MaxArray is the most jobs one SubmitArray call takes.
	MaxArray() int
	// SubmitArray submits jobs (at most MaxArray of them, whose scripts
	// ask for the same resources) as one array, of which at most parallel
	// run at once (0: no limit). It returns one id per job, in the jobs'
	// order. With an error no job was created, unless it is ErrUncertain:
	// then each may have been, and Find tells.
	SubmitArray(ctx context.Context, jobs []*Job, parallel int) ([]string, error)
}

// ArrayTask is one job of an array, as an ArrayIndex keeps it.
type ArrayTask struct {
	Name      string `json:"name"`
	Token     string `json:"token"`
	Workspace string `json:"workspace"`
}

// ArrayIndex is what an executor keeps of an array it submits, in the
// study's StateDir next to the array's driver script, written before the
// submission: the array's job name and its tasks in index order. Find
// reads it to learn which array and which task a step's job is.
type ArrayIndex struct {
	JobName string      `json:"job_name"`
	Tasks   []ArrayTask `json:"tasks"`
}

// ArrayDriver is the driver script of one array: a POSIX sh script
// (bash, which runs the steps' scripts, would read BASH_ENV for it too)
// with the scheduler's header lines, which picks its task's row by the
// index the scheduler gives it (indexVar, counted from base) and runs that
// step's script in its workspace with its output redirected to the
// step's files and its exit status recorded as the job idVar names (see
// exitTrap).
type ArrayDriver struct {
	Header   []string // the scheduler's directive lines, shared by every task
	IndexVar string   // the variable holding the task index, e.g. SLURM_ARRAY_TASK_ID
	Base     int      // the index of the first task
	ID       string   // shell text of the task's job id, e.g. ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}
}

// ArrayRow is how a driver runs one task: the step's script in its
// workspace, stdout and stderr to the files its header names (relative to
// the workspace; equal names share one file).
type ArrayRow struct {
	Job      *Job
	Out, Err string
}

// Write writes the driver of rows into dir as array-HASH.EXT with its
// index as array-HASH.json (the hash is of the driver's text, which
// holds every task's token, so a resubmission is another array) and
// returns the driver's path and the array's job name. header is called
// with that job name to give the header lines.
func (d ArrayDriver) Write(dir, ext string, rec *Recorder, rows []ArrayRow, header func(jobName string) []string) (path, jobName string, err error) {
	if dir == "" || rec == nil || rec.Dir == "" {
		return "", "", fmt.Errorf("job arrays need the study's state directory")
	}
	var body strings.Builder
	fmt.Fprintf(&body, "export MAESTRO_JOB_ID=\"%s\"\ncase \"$%s\" in\n", d.ID, d.IndexVar)
	idx := ArrayIndex{Tasks: make([]ArrayTask, len(rows))}
	for i, r := range rows {
		j := r.Job
		idx.Tasks[i] = ArrayTask{Name: j.Name, Token: j.Token, Workspace: filepath.Clean(j.Workspace)}
		fmt.Fprintf(&body, "%d) cd %s || exit 1\n   export", d.Base+i, shellQuote(j.Workspace))
		for _, kv := range rec.Env(j) {
			body.WriteString(" " + shellQuote(kv))
		}
		errTo := "2>" + shellQuote(r.Err)
		if r.Err == r.Out {
			errTo = "2>&1"
		}
		fmt.Fprintf(&body, "\n   exec %s >%s %s ;;\n", shellQuote(j.Script), shellQuote(r.Out), errTo)
	}
	fmt.Fprintf(&body, "*) echo \"maestro: no step for array task $%s\" >&2; exit 1 ;;\nesac\n", d.IndexVar)
	sum := sha256.Sum256([]byte(body.String()))
	stem := "array-" + hex.EncodeToString(sum[:6])
	idx.JobName = stem
	var text strings.Builder
	text.WriteString("#!/bin/sh\n")
	for _, h := range header(stem) {
		text.WriteString(h + "\n")
	}
	text.WriteString("# Written by maestro: runs each array task's own step (docs/SCHEDULERS.md, Arrays).\n")
	text.WriteString(body.String())
	index, err := json.Marshal(idx)
	if err != nil {
		return "", "", err
	}
	if err := writeWhole(filepath.Join(dir, stem+".json"), index, 0o644); err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, stem+ext)
	return path, stem, writeWhole(path, []byte(text.String()), 0o755)
}

// writeWhole writes a file through a temporary name, so that a conductor
// killed meanwhile leaves it whole or absent (like the Journal, it is not
// synced: a killed process loses nothing the kernel has).
func writeWhole(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, data, mode)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ArrayTasks reads the indexes of the arrays written in dir since the
// given time (less a minute: file times and scheduler times differ) and
// returns, for each job that is a task of one, the array's job name and
// the task's position. A job matches a task by name, token and workspace.
func ArrayTasks(dir string, jobs []*Job, since time.Time) map[string]map[int]string {
	if dir == "" {
		return nil
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "array-*.json"))
	if len(paths) == 0 {
		return nil
	}
	want := map[ArrayTask]bool{}
	for _, j := range jobs {
		want[ArrayTask{Name: j.Name, Token: j.Token, Workspace: filepath.Clean(j.Workspace)}] = true
	}
	found := map[string]map[int]string{} // array job name -> position -> step job name
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.ModTime().Before(since.Add(-time.Minute)) {
			continue
		}
		data, err := os.ReadFile(p)
		var idx ArrayIndex
		if err != nil || json.Unmarshal(data, &idx) != nil || idx.JobName == "" {
			continue
		}
		for i, task := range idx.Tasks {
			if want[task] {
				if found[idx.JobName] == nil {
					found[idx.JobName] = map[int]string{}
				}
				found[idx.JobName][i] = task.Name
			}
		}
	}
	return found
}
