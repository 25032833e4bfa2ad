package lsf_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/adapters/lsf"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
)

// The tests of this file replay the recordings of real LSF clusters
// (testdata/lsf/observed, copied from ../shared/lsf/observed) through the
// adapter's Submit, Query and Cancel. The recordings elide their ids and
// options, so the commands' arguments are not compared; a recording that
// merged stderr into stdout is split back into its streams.

const observed = "../../testdata/lsf/observed"

func rec(t *testing.T, name string) fakesched.Recording {
	return fakesched.Load(t, filepath.Join(observed, name))
}

var stderrLine = regexp.MustCompile(`^(Job <\d+> is not found|LSF is processing your request\. Please wait \.\.\.|Cannot connect to LSF\. Please wait \.\.\.)$`)

// play answers with a recording on its stream, exiting with code.
func play(t *testing.T, name string, code int) fakesched.Play {
	r := rec(t, name)
	p := fakesched.Play{Exit: code}
	if r.Stream == "stderr" {
		p.Stderr = r.Body
		return p
	}
	for _, line := range strings.SplitAfter(r.Body, "\n") {
		if stderrLine.MatchString(strings.TrimSpace(line)) {
			p.Stderr += line
		} else {
			p.Stdout += line
		}
	}
	return p
}

func open(t *testing.T, stateDir string) adapters.Executor {
	t.Helper()
	ex, err := lsf.New().Open(adapters.Config{Batch: &spec.Batch{Type: "lsf"}, StateDir: stateDir, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func submitJob(t *testing.T) *adapters.Job {
	return &adapters.Job{Name: "step", Script: script(t, "#!/bin/bash\n#BSUB -J step\n#BSUB -o step.%J.out\ntrue\n"), Workspace: t.TempDir(), Token: "1"}
}

// TestReplaySubmit: every recorded form of bsub's answer gives the id;
// answers that do not say what became of the job are ErrUnavailable (not
// a spent attempt: the conductor looks for the job before submitting
// again); refusals carry LSF's words.
func TestReplaySubmit(t *testing.T) {
	for file, id := range map[string]string{
		"bsub-default-queue.nextflow.txt": "2329803", "bsub-default-queue.snakemake-profile.txt": "123456",
		"bsub-default-queue.toil.txt": "39605914", "bsub-please-wait.ridgeback.txt": "12345678",
		"bsub-queue-dotted.gc3pie-brutus.txt": "473713", "bsub-queue.aiida-cern.txt": "764254593", "bsub-queue.buildtest-summit.txt": "58654",
	} {
		fakesched.Replay(t, []fakesched.Play{play(t, file, 0)}, "bsub")
		if got, err := open(t, "").Submit(context.Background(), submitJob(t)); err != nil || got != id {
			t.Errorf("%s: %q %v; want %s", file, got, err, id)
		}
	}
	for _, c := range []struct {
		file string
		code int
	}{{"bsub-empty.ert.stdout", 0}, {"bsub-nonlsf-host.ert.stderr", 0}, {"bsub-nonlsf-host.ert.stderr", 255}} {
		fakesched.Replay(t, []fakesched.Play{play(t, c.file, c.code)}, "bsub")
		if id, err := open(t, "").Submit(context.Background(), submitJob(t)); !errors.Is(err, adapters.ErrUnavailable) {
			t.Errorf("%s (exit %d): %q %v; want the scheduler unavailable", c.file, c.code, id, err)
		}
	}
	refusals := strings.Split(strings.TrimSpace(rec(t, "bsub-rejected.ert.stderr").Body), "\n")
	refusals = append(refusals, strings.TrimSpace(rec(t, "bsub-not-submitted.toil.txt").Body))
	for _, msg := range refusals {
		for _, code := range []int{255, 0} { // Summit's bsub refused with exit 0
			fakesched.Replay(t, []fakesched.Play{{Stderr: msg + "\n", Exit: code}}, "bsub")
			_, err := open(t, "").Submit(context.Background(), submitJob(t))
			if err == nil || errors.Is(err, adapters.ErrUnavailable) || !strings.Contains(err.Error(), msg) {
				t.Errorf("%q (exit %d): %v", msg, code, err)
			}
		}
	}
}

// TestReplayQuery: bjobs' answers for known, merged not-found, run-limit
// and unknown ids, exit 0 or 255, with busy notices or without.
func TestReplayQuery(t *testing.T) {
	const runlimit = "TERM_RUNLIMIT: job killed after reaching LSF run time limit"
	// EBI's command asked for "jobid stat exit_code cpu_used max_mem avg_mem
	// exec_host exit_reason": its values are put in the query's layout.
	pipelite := func(p fakesched.Play) fakesched.Play {
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(p.Stdout), "\n") {
			if f := strings.Split(line, "|"); len(f) == 8 {
				out = append(out, strings.Join([]string{f[0], f[1], f[2], f[7]}, "|"))
			}
		}
		p.Stdout = strings.Join(out, "\n") + "\n"
		return p
	}
	for _, c := range []struct {
		file string
		code int
		ids  []string
		want map[string]adaptertest.Want
	}{
		{"bjobs-o-done.pipelite-ebi.txt", 0, []string{"872793", "872794", "872795"}, map[string]adaptertest.Want{
			"872793": {State: state.Finished, Code: 0}, "872794": {State: state.Finished, Code: 0}, "872795": {State: state.Finished, Code: 0}}},
		{"bjobs-o-merged-notfound.pipelite-ebi.txt", 255, []string{"873206", "873207", "6065212", "873209"}, map[string]adaptertest.Want{
			"873206": {State: state.Failed, Code: 127}, "873207": {State: state.Failed, Code: 127}, "873209": {State: state.Failed, Code: 127}}},
		{"bjobs-o-pend.pipelite-ebi.txt", 0, []string{"861487"}, map[string]adaptertest.Want{"861487": {State: state.Pending, Code: -1}}},
		{"bjobs-o-runlimit.pipelite-ebi.txt", 0, []string{"861487"}, map[string]adaptertest.Want{"861487": {State: state.TimedOut, Code: 12, Reason: runlimit}}},
		{"bjobs-notfound-empty-exit0.ert.stderr", 0, []string{"1"}, map[string]adaptertest.Want{}},
		{"bjobs-notfound.aiida-cern.stderr", 255, []string{"864220165"}, map[string]adaptertest.Want{}},
	} {
		p := play(t, c.file, c.code)
		if strings.Contains(c.file, "pipelite") {
			p = pipelite(p)
		}
		busy := p
		busy.Stderr = "LSF is processing your request. Please wait ...\n" + p.Stderr
		for _, pl := range []fakesched.Play{p, busy} {
			fakesched.Replay(t, []fakesched.Play{pl}, "bjobs")
			res, err := open(t, "").Query(context.Background(), c.ids)
			if err != nil {
				t.Errorf("%s: %v", c.file, err)
				continue
			}
			adaptertest.CheckStatuses(t, res, c.want)
		}
	}
	fakesched.Replay(t, []fakesched.Play{play(t, "bsub-nonlsf-host.ert.stderr", 255)}, "bjobs")
	if res, err := open(t, "").Query(context.Background(), []string{"1"}); !errors.Is(err, adapters.ErrUnavailable) || res != nil {
		t.Errorf("bjobs from a non-LSF host: %v %v", res, err)
	}
}

// TestReplayForgotten: a job LSF forgot (CLEAN_PERIOD) reports how it
// ended in the job report of its output file.
func TestReplayForgotten(t *testing.T) {
	ws, stateDir := t.TempDir(), t.TempDir()
	job := &adapters.Job{Name: "Test_CPU_7_0", Script: script(t, "#!/bin/bash\n#BSUB -J Test_CPU_7_0\n#BSUB -o out.%J.txt\ntrue\n"), Workspace: ws, Token: "1"}
	fakesched.Replay(t, []fakesched.Play{{Stdout: "Job <9603712> is submitted to queue <hpc>.\n"}}, "bsub")
	if id, err := open(t, stateDir).Submit(context.Background(), job); err != nil || id != "9603712" {
		t.Fatalf("submit: %q %v", id, err)
	}
	if err := os.WriteFile(filepath.Join(ws, "out.9603712.txt"), []byte(rec(t, "jobreport-runlimit.dtu.txt").Body), 0o644); err != nil {
		t.Fatal(err)
	}
	fakesched.Replay(t, []fakesched.Play{{Stderr: "Job <9603712> is not found\n", Exit: 255}}, "bjobs")
	res, err := open(t, stateDir).Query(context.Background(), []string{"9603712"}) // a later conductor
	if err != nil || res["9603712"].State != state.TimedOut || *res["9603712"].ExitCode != 140 {
		t.Errorf("forgotten job: %v %v", res, err)
	}
}

// TestReplayCancel: bkill's answers for running, ended and unknown jobs,
// alone or in one batch exiting 255, are all success.
func TestReplayCancel(t *testing.T) {
	batch := rec(t, "bkill-batch.ert.txt").Body // stdout lines, then stderr lines
	lines := strings.SplitAfter(batch, "\n")
	for _, c := range []struct {
		name string
		p    fakesched.Play
	}{
		{"bkill-terminated.aiida-cern.txt", play(t, "bkill-terminated.aiida-cern.txt", 0)},
		{"bkill-terminated.gc3pie-brutus.txt", play(t, "bkill-terminated.gc3pie-brutus.txt", 0)},
		{"bkill-finished.ert-7676.stderr", play(t, "bkill-finished.ert-7676.stderr", 255)},
		{"bkill-nomatch.ert.stderr", play(t, "bkill-nomatch.ert.stderr", 255)},
		{"bkill-batch.ert.txt", fakesched.Play{Stdout: strings.Join(lines[:3], ""), Stderr: strings.Join(lines[3:], ""), Exit: 255}},
	} {
		fakesched.Replay(t, []fakesched.Play{c.p}, "bkill")
		if err := open(t, "").Cancel(context.Background(), []string{"11", "22", "33", "44", "55", "66"}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	fakesched.Replay(t, []fakesched.Play{play(t, "bsub-nonlsf-host.ert.stderr", 255)}, "bkill")
	if err := open(t, "").Cancel(context.Background(), []string{"1"}); !errors.Is(err, adapters.ErrUnavailable) {
		t.Errorf("bkill from a non-LSF host: %v", err)
	}
}

// TestReplayFindNothing: bjobs -J finding no job is an answer.
func TestReplayFindNothing(t *testing.T) {
	fakesched.Replay(t, []fakesched.Play{play(t, "bjobs-nounfinished.roslin.txt", 255)}, "bjobs")
	j := submitJob(t)
	if found, err := open(t, "").Find(context.Background(), []*adapters.Job{j}, time.Now()); err != nil || len(found) != 0 {
		t.Errorf("find: %v %v", found, err)
	}
}

// TestEveryRecordingReplayed: each file of testdata/lsf/observed is used
// by a test of the adapter.
func TestEveryRecordingReplayed(t *testing.T) {
	var src string
	for _, f := range []string{"replay_test.go", "parse_test.go"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src += string(data)
	}
	entries, err := os.ReadDir(observed)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, e := range entries {
		if !strings.Contains(src, `"`+e.Name()+`"`) {
			missing = append(missing, e.Name())
		}
	}
	if len(entries) < 37 || len(missing) > 0 {
		t.Errorf("%d recordings; not replayed: %v", len(entries), missing)
	}
}
