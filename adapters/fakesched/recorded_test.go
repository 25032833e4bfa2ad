package fakesched

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The fakes' answers are checked against the recordings of the real tools
// (testdata/flux/captured, testdata/lsf/observed): where they differ, the
// recording is right.

func recorded(t *testing.T, dir, name string) Recording {
	return Load(t, filepath.Join("..", "..", "testdata", dir, name))
}

// same runs the recorded command on the fake (the workspace /WS made a
// real one holding finish.flux.sh) and checks that it prints what the
// recording shows on its stream, with its exit status.
func same(t *testing.T, f *Fake, dir, name string) {
	t.Helper()
	r := recorded(t, dir, name)
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, "finish.flux.sh"), []byte("#!/bin/sh\n#flux: -n 1\ntrue\n"), 0o755)
	os.WriteFile(filepath.Join(ws, "nosize.flux.sh"), []byte("#!/bin/sh\ntrue\n"), 0o755)
	args := r.Args(t, ws)
	prog := strings.Fields(r.Command)[0]
	if prog == "env" {
		prog = "flux"
	}
	out, stderr, code := run(t, f, "", prog, args...)
	got := out
	if r.Stream == "stderr" {
		got = stderr
	}
	if got != r.Body || code != r.Exit {
		t.Errorf("%s: the fake printed %q, exit %d; the recording has %q, exit %d", name, got, code, r.Body, r.Exit)
	}
}

// TestFluxAsRecorded: unknown ids, ended jobs, refused queues, exclusive
// without nodes, a batch script without a size and an unreachable broker
// read exactly as real flux-core 0.88.0 prints them.
func TestFluxAsRecorded(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvPending+"=0s")
	ws := t.TempDir()
	// Job 1 of the fake ends as the recordings' 39963328512 did (CD 0).
	id := submitFlux(t, f, ws, "#!/bin/sh\n#flux: -n 1\ntrue\n")
	until(t, f, ` CD 0\n$`, "flux", "jobs", "-a", "-n", "-o", "{id} {status_abbrev} {returncode}", id)
	for _, name := range []string{"jobs-none-known.stderr", "jobs-f58-unknown.stderr", "jobs-badid.stderr", "cancel-badid.stderr",
		"submit-badqueue.stderr", "batch-badqueue.stderr", "submit-exclusive.stderr", "batch-nosize.stderr"} {
		same(t, f, "flux/captured", name)
	}
	// One known id and one unknown: exit 0, the unknown one on stderr.
	out, stderr, code := run(t, f, "", "flux", "jobs", "-a", "-n", "-o", "{id} {status_abbrev} {returncode}", id, "999999")
	if want := recorded(t, "flux/captured", "jobs-unknown.stderr"); stderr != want.Body || code != want.Exit || out != id+" CD 0\n" {
		t.Errorf("jobs-unknown: %q %q exit %d", out, stderr, code)
	}
	_, stderr, code = run(t, f, "", "flux", "cancel", id, "999999")
	if want := recorded(t, "flux/captured", "cancel-ended.stderr"); stderr != strings.ReplaceAll(want.Body, "ƒ23tRWGP", id) || code != want.Exit {
		t.Errorf("cancel-ended: %q exit %d", stderr, code)
	}
	q := Start(t, EnvQueues+"=debug,pdebug")
	same(t, q, "flux/captured", "submit-badqueue-with-queues.stderr")
	same(t, q, "flux/captured", "batch-badqueue-with-queues.stderr")
	down := Start(t, EnvFluxURI+"=local:///elsewhere", "FLUX_URI=local:///tmp/no-such-flux/local")
	for _, name := range []string{"jobs-down.stderr", "submit-down.stderr", "cancel-down.stderr"} {
		same(t, down, "flux/captured", name)
	}
}

// TestFluxEndsAsRecorded: the jobs of jobs-legend.txt, run on the fake,
// end with the status and return code jobs.txt shows for them.
func TestFluxEndsAsRecorded(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvPending+"=0s", EnvGrace+"=100ms")
	ws := t.TempDir()
	submit := func(directives, body string) string {
		return submitFlux(t, f, ws, "#!/bin/bash\n#flux: -n 1\n"+directives+"\n"+body+"\n")
	}
	ids := []string{
		submit("", "exit 0"), submit("", "exit 3"), submit("", "kill -9 $$"), submit("", "kill -TERM $$"),
		submit("#flux: -t 1s", "sleep 300"), submit("", "sleep 300"), submit("#flux: -g 1", "true"),
	}
	until(t, f, ` R \n$`, "flux", "jobs", "-n", "-o", fluxFormat, ids[5])
	run(t, f, "", "flux", "cancel", ids[5])
	// jobs.txt rows 4-9 and 11: CD 0, F 3, F 137, F 143, TO 142, CA 143, F 1.
	lines := strings.Split(strings.TrimSpace(recorded(t, "flux/captured", "jobs.txt").Body), "\n")
	rows := append(lines[3:9:9], lines[10])
	for i, id := range ids {
		want := strings.SplitN(rows[i], " ", 2)[1]
		until(t, f, `^`+id+` `+want+`\n$`, "flux", "jobs", "-a", "-n", "-o", "{id} {status_abbrev} {returncode}", id)
	}
}

// TestLSFAsRecorded: the fake LSF's answers take the recorded forms: the
// submission line, unknown ids (exit 255), bkill's three answers, the
// fields of a run-limit EXIT and the job report in the output file.
func TestLSFAsRecorded(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvPending+"=0s", EnvTimeScale+"=0.02", EnvGrace+"=100ms")
	ws := t.TempDir()
	form := func(name, id string) string {
		return regexp.MustCompile(`<\d+>`).ReplaceAllString(recorded(t, "lsf/observed", name).Body, "<"+id+">")
	}
	out, _, _ := run(t, f, "#!/bin/bash\n#BSUB -q test\n#BSUB -W 1\n#BSUB -J limit\n#BSUB -o limit.%J.out\nsleep 300\n", "bsub", "-cwd", ws)
	id := strings.TrimSuffix(strings.TrimPrefix(strings.Fields(out)[1], "<"), ">")
	if out != form("bsub-queue.aiida-cern.txt", id) {
		t.Errorf("bsub: %q", out)
	}
	// EXIT at the run limit, as EBI's bjobs shows it (exit code 140 here).
	until(t, f, `^`+id+`\|EXIT\|140\|TERM_RUNLIMIT: job killed after reaching LSF run time limit\n$`, "bjobs", "-noheader", "-o", lsfFormat, id)
	report, _ := os.ReadFile(filepath.Join(ws, "limit."+id+".out"))
	rec := recorded(t, "lsf/observed", "jobreport-runlimit.dtu.txt").Body
	for _, re := range []string{`\nSubject: Job ` + id + `: <limit> in cluster <\w+> Exited\n`, "\n\nTERM_RUNLIMIT: job killed after reaching LSF run time limit.\nExited with exit code 140.\n",
		"\nThe output \\(if any\\) is above this job summary.\n"} {
		if !regexp.MustCompile(re).Match(report) || !regexp.MustCompile(strings.ReplaceAll(strings.ReplaceAll(re, id, `\d+`), "<limit>", `<\w+>`)).MatchString(rec) {
			t.Errorf("job report lacks %q:\n%s", re, report)
		}
	}
	_, stderr, code := run(t, f, "", "bjobs", "-noheader", "-o", lsfFormat, "864220165")
	if r := recorded(t, "lsf/observed", "bjobs-notfound.aiida-cern.stderr"); stderr != r.Body || code != 255 {
		t.Errorf("unknown id: %q exit %d", stderr, code)
	}
	_, stderr, code = run(t, f, "", "bkill", id)
	if stderr != form("bkill-finished.ert-7676.stderr", id) || code != 255 {
		t.Errorf("bkill of an ended job: %q exit %d", stderr, code)
	}
	_, stderr, code = run(t, f, "", "bkill", "22")
	if stderr != recorded(t, "lsf/observed", "bkill-nomatch.ert.stderr").Body || code != 255 {
		t.Errorf("bkill of an unknown id: %q exit %d", stderr, code)
	}
	live := submitLSF(t, f, "#!/bin/bash\nsleep 300\n", "-cwd", ws)
	until(t, f, `\|RUN\|`, "bjobs", "-noheader", "-o", lsfFormat, live)
	if out, _, code := run(t, f, "", "bkill", live); out != form("bkill-terminated.aiida-cern.txt", live) || code != 0 {
		t.Errorf("bkill of a running job: %q exit %d", out, code)
	}
}

// TestFluxLaunchInsideSubmit: as on the real instance, flux run inside a
// flux submit job starts a second job in the same instance; with the
// first holding every core the second can never start (a deadlock),
// while inside a flux batch job it runs in the job's own instance.
func TestFluxLaunchInsideSubmit(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvPending+"=0s", EnvFluxCores+"=2")
	ws := t.TempDir()
	script := filepath.Join(ws, "launch.sh")
	os.WriteFile(script, []byte("#!/bin/sh\n#flux: -n 2\nflux run -n 2 true\n"), 0o755)
	out, stderr, code := run(t, f, "", "flux", "submit", "-n", "1", "-c", "2", script)
	if code != 0 {
		t.Fatalf("flux submit: %q exit %d", stderr, code)
	}
	outer := strings.TrimSpace(out)
	// The outer job runs, holding both cores; the inner one waits for them.
	list := until(t, f, `(?m)^true S $`, "flux", "jobs", "-a", "-n", "-o", "{name} {status_abbrev} {returncode}")
	if !strings.Contains(list, "launch.sh R \n") {
		t.Errorf("jobs:\n%s", list)
	}
	run(t, f, "", "flux", "cancel", outer)
	out, _, _ = run(t, f, "", "flux", "batch", script)
	until(t, f, `^`+strings.TrimSpace(out)+` CD 0\n$`, "flux", "jobs", "-a", "-n", "-o", "{id} {status_abbrev} {returncode}", strings.TrimSpace(out))
}
