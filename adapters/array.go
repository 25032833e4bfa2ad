package adapters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

// ArrayDriver is the driver script of arrays: a POSIX sh script (bash,
// which runs the steps' scripts, would read BASH_ENV for it too) with the
// scheduler's header lines, which reads its task's line of the task list
// given as its first argument by the index the scheduler gives it
// (IndexVar, counted from Base), keeps the step's earlier output as
// KeepOutput does, and runs that step's script in its workspace with its
// output redirected to the step's files and its exit status recorded as
// the job ID names (see exitTrap). The driver is the same few lines for
// any number of tasks and for every array whose header lines are the
// same, written once (WriteDriver); each array is its job name and its
// task list (NewArrayFiles), one line a task, given to the scheduler with
// it.
//
// The driver is written before the array is submitted, the list may be
// written after (ArrayFiles.WriteTasks), while the scheduler takes the
// array: a task that starts first waits for the list (ListWait), and
// runs nothing without it; it stops waiting at once when the list's
// directory (the state directory) is gone, so that the tasks of a study
// removed while they were queued do not hold the cluster's cores. So an
// array whose list is never written (its steps' headers differed, the
// conductor was killed) runs no step, and Find, which reads the lists,
// finds none of it.
type ArrayDriver struct {
	IndexVar string // the variable holding the task index, e.g. SLURM_ARRAY_TASK_ID
	Base     int    // the index of the first task
	ID       string // shell text of the task's job id, e.g. ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}
}

// ListWait is how long, in seconds, an array's task waits for the task
// list: more than NFS's longest attribute cache (60 s), which may hide a
// new file from a compute node that looked for it before.
const ListWait = 300

// ArrayRow is how a driver runs one task: the step's script in its
// workspace, stdout and stderr to the files its header names (relative to
// the workspace; equal names share one file).
type ArrayRow struct {
	Job      *Job
	Out, Err string
}

// The fields of a line of an array's task list (array-HASH.tasks), in
// order, tab-separated: the token last, as the only one that may be
// empty (splitting on tabs, sh joins adjacent ones).
const (
	taskName = iota
	taskWorkspace
	taskScript
	taskOut
	taskErr
	taskRecord
	taskToken
	taskFields
)

// taskList is the suffix of an array's task list.
const taskList = ".tasks"

// ArrayFiles are the files of one array, in the state directory.
type ArrayFiles struct {
	JobName string // array-HASH, the array's job name
	Tasks   string // array-HASH.tasks
	rec     *Recorder
}

// NewArrayFiles returns the files of an array of jobs in dir, the state
// directory, without writing them; the hash is of the jobs' names,
// workspaces, scripts and tokens, so a resubmission is another array.
func NewArrayFiles(dir string, rec *Recorder, jobs []*Job) (ArrayFiles, error) {
	if err := needStateDir(dir, rec); err != nil {
		return ArrayFiles{}, err
	}
	h := sha256.New()
	buf := make([]byte, 0, 32<<10) // hashed a block at a time: a write a field cost more than the hashing
	for _, j := range jobs {
		for _, v := range []string{j.Name, j.Workspace, j.Script, j.Token} {
			if len(buf)+len(v)+1 > cap(buf) {
				h.Write(buf)
				buf = buf[:0]
			}
			buf = append(append(buf, v...), 0)
		}
	}
	h.Write(buf)
	name := "array-" + hex.EncodeToString(h.Sum(nil)[:6])
	abs, err := filepath.Abs(dir) // a task finds the state directory from the list's path
	if err != nil {
		return ArrayFiles{}, err
	}
	return ArrayFiles{JobName: name, Tasks: filepath.Join(abs, name+taskList), rec: rec}, nil
}

// WriteDriver writes the driver with the header lines into dir (the
// state directory) as array-driver-HASH.EXT, HASH of its text, whole,
// unless it is there already, and returns its path: the arrays of a
// study whose header lines are the same share one driver, and a driver
// of that name holds that text.
func (d ArrayDriver) WriteDriver(dir, ext string, rec *Recorder, header []string) (string, error) {
	if err := needStateDir(dir, rec); err != nil {
		return "", err
	}
	var text strings.Builder
	text.WriteString("#!/bin/sh\n")
	for _, line := range header {
		text.WriteString(line + "\n")
	}
	fmt.Fprintf(&text, driverText, d.ID, ListWait, d.IndexVar, d.Base)
	for _, kv := range rec.env {
		text.WriteString(" " + shellQuote(kv))
	}
	text.WriteString(driverRun)
	sum := sha256.Sum256([]byte(text.String()))
	path := filepath.Join(dir, "array-driver-"+hex.EncodeToString(sum[:6])+ext)
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
		return path, nil
	}
	return path, writeWhole(path, []byte(text.String()), 0o755)
}

// needStateDir refuses an array without the study's state directory,
// where its driver, list and exit records go.
func needStateDir(dir string, rec *Recorder) error {
	if dir == "" || rec == nil || rec.Dir == "" {
		return errors.New("job arrays need the study's state directory")
	}
	return nil
}

// WriteTasks writes the array's task list, one line a row in index order,
// whole and in one write. A field with a tab or a line break cannot be in
// the list.
func (a ArrayFiles) WriteTasks(rows []ArrayRow) error {
	list := make([]byte, 0, len(rows)*256)
	records := a.rec.Dir + string(filepath.Separator) // a job's record is records+name+".rc", rec.Path's file
	for _, r := range rows {
		j := r.Job
		f := [taskFields]string{taskName: j.Name, taskWorkspace: j.Workspace, taskScript: j.Script,
			taskOut: r.Out, taskErr: r.Err, taskRecord: j.Name, taskToken: j.Token}
		for k, v := range f {
			if strings.ContainsAny(v, "\t\n\r") || v == "" && k != taskToken {
				return fmt.Errorf("%s: %q cannot be in an array's task list", j.Name, v)
			}
			if k > 0 {
				list = append(list, '\t')
			}
			if k == taskRecord {
				list = append(append(list, records...), v...)
				v = ".rc"
			}
			list = append(list, v...)
		}
		list = append(list, '\n')
	}
	return writeWhole(a.Tasks, list, 0o644)
}

// driverText is the body of an array's driver, up to the recorder's
// variables (see ArrayDriver; its verbs: the task's id, the wait for the
// list in seconds, the index variable, the first index). The task's line
// of the list ($1) is split on tabs into the positional parameters (the
// field order of taskName and the rest), which, unlike variables, no
// environment can hold; the wait and the keeping of the earlier output
// run in subshells for the same reason.
const driverText = `# Written by maestro: runs each array task's own step (docs/SCHEDULERS.md, Arrays).
export MAESTRO_JOB_ID="%s"
(
	n=0
	while [ ! -e "$1" ]; do
		if [ ! -d "${1%%/*}" ]; then echo "maestro: no state directory ${1%%/*}" >&2; exit 1; fi
		if [ $n -ge %[2]d ]; then echo "maestro: no task list $1" >&2; exit 1; fi
		sleep 1
		n=$((n + 1))
	done
) || exit 1
set -f
IFS=$(printf '\t')
set -- $(sed -n -e "$((%[3]s - %[4]d + 1))p" -e "$((%[3]s - %[4]d + 1))q" "$1")
if [ $# -lt 6 ]; then echo "maestro: no step for array task $%[3]s" >&2; exit 1; fi
cd "$2" || exit 1
(
	if [ -e "$1.out" ] || [ -L "$1.out" ] || [ -e "$1.err" ] || [ -L "$1.err" ]; then
		n=1
		while [ -e "$1.out.$n" ] || [ -L "$1.out.$n" ] || [ -e "$1.err.$n" ] || [ -L "$1.err.$n" ]; do n=$((n + 1)); done
		for f in "$1.out" "$1.err"; do
			if [ -e "$f" ] || [ -L "$f" ]; then mv -f -- "$f" "$f.$n" || exit 1; fi
		done
	fi
) || { echo "maestro: cannot keep the earlier output of $1" >&2; exit 1; }
export`

// driverRun ends an array's driver: the task's own record and token, and
// the step's script.
const driverRun = ` MAESTRO_RC="$6" MAESTRO_TOKEN="$7"
if [ "$4" = "$5" ]; then exec "$3" >"$4" 2>&1; fi
exec "$3" >"$4" 2>"$5"
`

// writeWhole writes a file through a temporary name of its own, so that
// a conductor killed meanwhile leaves it whole or absent, and readers see
// the old file or the new one (like the Journal, it is not synced: a
// killed process loses nothing the kernel has).
func writeWhole(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), mode)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ArrayTasks reads the task lists of the arrays written in dir since the
// given time (less a minute: file times and scheduler times differ) and
// returns, for each job that is a task of one, the array's job name and
// the task's position. A job matches a task by name, token and workspace.
func ArrayTasks(dir string, jobs []*Job, since time.Time) map[string]map[int]string {
	if dir == "" {
		return nil
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "array-*"+taskList))
	if len(paths) == 0 {
		return nil
	}
	type task struct{ name, token, workspace string }
	want := map[task]bool{}
	for _, j := range jobs {
		want[task{j.Name, j.Token, filepath.Clean(j.Workspace)}] = true
	}
	found := map[string]map[int]string{} // array job name -> position -> step job name
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.ModTime().Before(since.Add(-time.Minute)) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(p), taskList)
		for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			f := strings.Split(line, "\t")
			if len(f) == taskFields && want[task{f[taskName], f[taskToken], filepath.Clean(f[taskWorkspace])}] {
				if found[name] == nil {
					found[name] = map[int]string{}
				}
				found[name][i] = f[taskName]
			}
		}
	}
	return found
}
