package fakesched

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	fluxid "github.com/maestro-go/maestro/adapters/flux"
)

func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}

// run runs a fake command as the adapters do and returns what it printed
// and its exit status.
func run(t *testing.T, f *Fake, stdin, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(f.Bin, name), args...)
	cmd.Dir = t.TempDir() // a job's output goes to the submitting directory, as with flux
	cmd.Env = f.Environ()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out.String(), errb.String(), code
}

// until runs a command until its output matches re, and returns it.
func until(t *testing.T, f *Fake, re string, name string, args ...string) string {
	t.Helper()
	want := regexp.MustCompile(re)
	var out string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out, _, _ = run(t, f, "", name, args...); want.MatchString(out) {
			return out
		}
	}
	t.Fatalf("%s %v never printed %s; last:\n%s", name, args, re, out)
	return ""
}

var submittedLSF = regexp.MustCompile(`^Job <(\d+)> is submitted to (default )?queue <(\w+)>\.\n$`)

func submitLSF(t *testing.T, f *Fake, script string, args ...string) string {
	t.Helper()
	out, stderr, code := run(t, f, script, "bsub", args...)
	m := submittedLSF.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("bsub: exit %d, %q %q", code, out, stderr)
	}
	return m[1]
}

const lsfFormat = "jobid stat exit_code exit_reason delimiter='|'"

func TestLSFLifecycle(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvPending+"=1s")
	ws := t.TempDir()
	id := submitLSF(t, f, "#!/bin/bash\n#BSUB -J life\n#BSUB -W \n#BSUB -o life.%J.out\n\necho hello\necho oops >&2\nexit 3\n", "-cwd", ws)
	if id != "100000000" {
		t.Errorf("first id %s, want 100000000 (nine digits)", id)
	}
	out, _, _ := run(t, f, "", "bjobs", "-a", "-noheader", "-o", lsfFormat, id)
	if out != id+"|PEND|-|-\n" {
		t.Errorf("just submitted: %q", out)
	}
	until(t, f, `^`+id+`\|EXIT\|3\|-\n$`, "bjobs", "-a", "-noheader", "-o", lsfFormat, id)
	data, err := os.ReadFile(filepath.Join(ws, "life."+id+".out"))
	if err != nil || !strings.HasPrefix(string(data), "hello\noops\n\n------") ||
		!strings.Contains(string(data), "\nSubject: Job "+id+": <life> in cluster <fakesched> Exited\n") || !strings.Contains(string(data), "\nExited with exit code 3.\n") {
		t.Errorf("output file and job report: %q %v", data, err)
	}
	ok := submitLSF(t, f, "#!/bin/bash\ntrue\n", "-cwd", ws, "-q", "pdebug")
	until(t, f, `^`+ok+`\|DONE\|-\|-\n$`, "bjobs", "-noheader", "-o", lsfFormat, ok)
	out, _, _ = run(t, f, "", "bjobs", "-o", "id:-12 stat queue", ok)
	if want := "       JOBID STAT QUEUE\n   " + ok + " DONE pdebug\n"; out != want {
		t.Errorf("header and widths:\n%q\nwant\n%q", out, want)
	}
}

// TestBjobsWidth reproduces the Python tool's bug: with "jobid:7" bjobs
// cuts longer ids, which then never match.
func TestBjobsWidth(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvFirstID+"=12345678901")
	id := submitLSF(t, f, "#!/bin/bash\ntrue\n")
	if id != "12345678901" {
		t.Fatalf("id %s", id)
	}
	out, _, _ := run(t, f, "", "bjobs", "-a", "-noheader", "-o", "jobid:7 stat:5 delimiter='|'", id)
	if !strings.HasPrefix(out, "1234567|") {
		t.Errorf("jobid:7 = %q, want the id cut to 7 characters", out)
	}
	out, _, _ = run(t, f, "", "bjobs", "-a", "-noheader", "-o", lsfFormat, id)
	if !strings.HasPrefix(out, id+"|") {
		t.Errorf("jobid = %q, want the whole id", out)
	}
}

func TestBjobsUnknown(t *testing.T) {
	t.Parallel()
	f := Start(t)
	out, stderr, code := run(t, f, "", "bjobs", "-a", "-noheader", "-o", lsfFormat, "987654321", "5")
	if out != "" || stderr != "Job <987654321> is not found\nJob <5> is not found\n" || code != 255 {
		t.Errorf("none known: %q %q exit %d", out, stderr, code)
	}
	id := submitLSF(t, f, "#!/bin/bash\ntrue\n")
	out, stderr, code = run(t, f, "", "bjobs", "-a", "-noheader", "-o", lsfFormat, id, "5")
	if !strings.HasPrefix(out, id+"|") || stderr != "Job <5> is not found\n" || code != 255 {
		t.Errorf("one known: %q %q exit %d", out, stderr, code)
	}
}

func TestLSFRunLimitAndKill(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvTimeScale+"=0.02", EnvGrace+"=200ms")
	long := submitLSF(t, f, "#!/bin/bash\n#BSUB -W 0:01\nsleep 30\n")
	killed := submitLSF(t, f, "#!/bin/bash\n#BSUB -W 10\nsleep 30\n")
	until(t, f, `\|RUN\|`, "bjobs", "-noheader", "-o", lsfFormat, killed)
	out, _, code := run(t, f, "", "bkill", killed)
	if out != "Job <"+killed+"> is being terminated\n" || code != 0 {
		t.Errorf("bkill: %q exit %d", out, code)
	}
	// bash dies of the SIGINT that killed its child: 128+2.
	until(t, f, `^`+killed+`\|EXIT\|130\|TERM_OWNER: job killed by owner\n$`, "bjobs", "-noheader", "-o", lsfFormat, killed)
	// The run limit sends SIGUSR2: 128+12, as on a real cluster.
	until(t, f, `^`+long+`\|EXIT\|140\|TERM_RUNLIMIT: job killed after reaching LSF run time limit\n$`,
		"bjobs", "-noheader", "-o", lsfFormat, long)
	_, stderr, code := run(t, f, "", "bkill", killed, "77")
	if stderr != "Job <"+killed+">: Job has already finished\nJob <77>: No matching job found\n" || code != 255 {
		t.Errorf("bkill of ended jobs: %q exit %d", stderr, code)
	}
	pend := Start(t, EnvPending+"=10s")
	id := submitLSF(t, pend, "#!/bin/bash\ntrue\n")
	run(t, pend, "", "bkill", id)
	until(t, pend, `^`+id+`\|EXIT\|-\|TERM_OWNER: job killed by owner\n$`, "bjobs", "-noheader", "-o", lsfFormat, id)
}

func TestBsubErrors(t *testing.T) {
	t.Parallel()
	f := Start(t)
	if _, stderr, code := run(t, f, "", "bsub"); stderr != "No command is specified. Job not submitted.\n" || code != 255 {
		t.Errorf("empty script: %q exit %d", stderr, code)
	}
	if _, stderr, code := run(t, f, "#!/bin/bash\n#BSUB -W ten\ntrue\n", "bsub"); !strings.Contains(stderr, "Bad RUNLIMIT") || code != 255 {
		t.Errorf("bad -W: %q exit %d", stderr, code)
	}
}

var fluxID = regexp.MustCompile(`^ƒ[1-9A-HJ-NP-Za-km-z]+\n$`)

func submitFlux(t *testing.T, f *Fake, ws, script string, args ...string) string {
	t.Helper()
	path := filepath.Join(ws, "job.flux.sh")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := run(t, f, "", "flux", append(append([]string{"batch"}, args...), path)...)
	if code != 0 || !fluxID.MatchString(out) {
		t.Fatalf("flux batch: exit %d, %q %q", code, out, stderr)
	}
	return strings.TrimSpace(out)
}

const fluxFormat = "{id.f58} {status_abbrev} {returncode}"

func TestFluxLifecycle(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvPending+"=1s")
	ws := t.TempDir()
	id := submitFlux(t, f, ws, "#!/bin/bash\n# flux: -n 1 --job-name=life # a comment\n\necho hello\necho oops >&2\nexit 3\n", "--cwd="+ws)
	out, _, _ := run(t, f, "", "flux", "jobs", "-n", "-o", fluxFormat, id)
	if out != id+" S \n" {
		t.Errorf("just submitted: %q", out)
	}
	until(t, f, `^`+id+` F 3\n$`, "flux", "jobs", "-n", "-o", fluxFormat, id)
	data, err := os.ReadFile(filepath.Join(ws, "flux-"+id+".out"))
	if err != nil || string(data) != "hello\noops\n" {
		t.Errorf("output file: %q %v", data, err)
	}
	out, _, _ = run(t, f, "", "flux", "jobs", "-o", "{name:<6.6}|{id.f58:>12}|{status:^11}", id)
	if want := "NAME  |       JOBID|  STATUS   \nlife  |" + strings.Repeat(" ", 12-len([]rune(id))) + id + "|  FAILED   \n"; out != want {
		t.Errorf("header and widths:\n%q\nwant\n%q", out, want)
	}
	ok := submitFlux(t, f, ws, "#!/bin/sh\n#flux: -N 1\n#flux: --output=ok.out\ntrue\n", "--cwd", ws)
	num := until(t, f, ` CD 0\n$`, "flux", "jobs", "-a", "-n", "-o", "{id} {status_abbrev} {returncode}", ok)
	if _, err := os.Stat(filepath.Join(ws, "ok.out")); err != nil {
		t.Error(err)
	}
	// Decimal ids in, decimal ids out; -a with ids draws flux's warning.
	_, stderr, _ := run(t, f, "", "flux", "jobs", "-a", "-n", "-o", "{id}", strings.Fields(num)[0])
	if stderr != "flux-jobs: WARNING: Filtering options ignored with jobid list\n" {
		t.Errorf("warning: %q", stderr)
	}
}

func TestFluxLimitAndCancel(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvGrace+"=200ms")
	ws := t.TempDir()
	long := submitFlux(t, f, ws, "#!/bin/bash\n#flux: -n 1\n#flux: -t 0.5s\nsleep 30\n", "--cwd", ws)
	killed := submitFlux(t, f, ws, "#!/bin/bash\n#flux: -n 1\nsleep 30\n", "--cwd", ws)
	until(t, f, ` R \n$`, "flux", "jobs", "-n", "-o", fluxFormat, killed)
	if out, stderr, code := run(t, f, "", "flux", "cancel", killed); out != "" || stderr != "" || code != 0 {
		t.Errorf("cancel: %q %q exit %d", out, stderr, code)
	}
	until(t, f, `^`+killed+` CA 143\n$`, "flux", "jobs", "-n", "-o", fluxFormat, killed)
	until(t, f, `^`+long+` TO 142\n$`, "flux", "jobs", "-n", "-o", fluxFormat, long)
	_, stderr, code := run(t, f, "", "flux", "cancel", killed, "999999")
	if stderr != "flux-cancel: ERROR: "+killed+": job is inactive\nflux-cancel: ERROR: ƒ68GN: unknown job id\n" || code != 1 {
		t.Errorf("cancel of ended jobs: %q exit %d", stderr, code)
	}
	pend := Start(t, EnvPending+"=10s")
	id := submitFlux(t, pend, ws, "#!/bin/bash\n#flux: -n 1\ntrue\n", "--cwd", ws)
	run(t, pend, "", "flux", "cancel", id)
	until(t, pend, `^`+id+` CA -128\n$`, "flux", "jobs", "-n", "-o", fluxFormat, id)
}

func TestFluxErrors(t *testing.T) {
	t.Parallel()
	f := Start(t)
	ws := t.TempDir()
	for script, want := range map[string]string{
		"echo no shebang\n":                       "flux-batch: ERROR: batch does not appear to start with '#!'\n",
		"#!/bin/sh\ntrue\n":                       "flux-batch: ERROR: Number of slots to allocate must be specified\n",
		"#!/bin/sh\n#flux: -n 1\n#flux: -t ten\n": "flux-batch: ERROR: invalid Flux standard duration 'ten'\n",
	} {
		path := filepath.Join(ws, "bad.sh")
		os.WriteFile(path, []byte(script), 0o755)
		if _, stderr, code := run(t, f, "", "flux", "batch", path); stderr != want || code != 1 {
			t.Errorf("%q: %q exit %d", script, stderr, code)
		}
	}
	out, stderr, code := run(t, f, "", "flux", "jobs", "-n", "-o", fluxFormat, "ƒ68GN", "fNope")
	if out != "" || stderr != "JobID ƒ68GN unknown\nJobID fNope unknown\n" || code != 1 {
		t.Errorf("unknown ids: %q %q exit %d", out, stderr, code)
	}
	if _, stderr, code := run(t, f, "", "flux", "jobs", "-o", "{bogus}"); !strings.Contains(stderr, "Unknown format field: bogus") || code != 1 {
		t.Errorf("bad format: %q exit %d", stderr, code)
	}
	if _, stderr, code := run(t, f, "", "flux", "jobs", "x-y"); !strings.Contains(stderr, "invalid JobID value: 'x-y'") || code != 2 {
		t.Errorf("bad id: %q exit %d", stderr, code)
	}
	f.Set(EnvFluxURI, "local:///tmp/fake-broker")
	if _, stderr, code := run(t, f, "", "flux", "jobs"); stderr != "flux-jobs: ERROR: Unable to connect to Flux: broker socket /run/flux/local was not found\n" || code != 1 {
		t.Errorf("wrong FLUX_URI: %q exit %d", stderr, code)
	}
	f.Set("FLUX_URI", "local:///tmp/fake-broker")
	if _, stderr, code := run(t, f, "", "flux", "jobs"); stderr != "" || code != 0 {
		t.Errorf("right FLUX_URI: %q exit %d", stderr, code)
	}
}

func TestInjection(t *testing.T) {
	t.Parallel()
	f := Start(t)
	f.Set(EnvFail, "query,cancel")
	if _, stderr, code := run(t, f, "", "bjobs", "1"); stderr != lsfDown+"\n" || code != 255 {
		t.Errorf("bjobs: %q exit %d", stderr, code)
	}
	if _, stderr, code := run(t, f, "", "flux", "cancel", "1"); !strings.Contains(stderr, "Unable to connect to Flux") || code != 1 {
		t.Errorf("flux cancel: %q exit %d", stderr, code)
	}
	if _, stderr, code := run(t, f, "#!/bin/bash\ntrue\n", "bsub"); stderr != "" || code != 0 {
		t.Errorf("bsub is not failing: %q exit %d", stderr, code)
	}
	f.Set(EnvFail, "")
	if err := os.WriteFile(filepath.Join(f.Dir, "fail"), []byte("submit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, f, "#!/bin/bash\ntrue\n", "bsub"); stderr != lsfDown+"\n" || code != 255 {
		t.Errorf("bsub failing by file: %q exit %d", stderr, code)
	}
	f.Set(EnvHang, "query")
	for _, cmd := range [][]string{{"bjobs", "1"}, {"flux", "jobs", "1"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		c := exec.CommandContext(ctx, filepath.Join(f.Bin, cmd[0]), cmd[1:]...)
		c.Env = f.Environ()
		start := time.Now()
		err := c.Run()
		cancel()
		if ctx.Err() == nil || err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("%v returned (%v) instead of hanging", cmd, err)
		}
	}
}

func TestPyFormat(t *testing.T) {
	t.Parallel()
	value := func(f string) (string, bool) {
		v, ok := map[string]string{"a": "abc", "e": "", "u": "ƒ68GN"}[f]
		return v, ok
	}
	for tmpl, want := range map[string]string{
		"{a} {e}|":       "abc |",
		"{a:>5}|{a:<5}|": "  abc|abc  |",
		"{a:^7}|{a:.2}":  "  abc  |ab",
		"{e:h}{a!s:*>4}": "-*abc",
		"{{a}} {u:>6}":   "{a}  ƒ68GN",
	} {
		if got, err := pyFormat(tmpl, value); err != nil || got != want {
			t.Errorf("pyFormat(%q) = %q, %v; want %q", tmpl, got, err, want)
		}
	}
	for _, bad := range []string{"{x}", "{a", "{a:%}"} {
		if got, err := pyFormat(bad, value); err == nil {
			t.Errorf("pyFormat(%q) = %q, want an error", bad, got)
		}
	}
}

func TestDirectives(t *testing.T) {
	t.Parallel()
	script := "#!/bin/bash\n#flux: -N 1 --job-name='a b' # comment\n\n# flux: --output=\"x y.out\"\n#other\n#FLUX: -q q\necho hi\n#flux: -n 9\n"
	got, err := directives(script, fluxSentinel, true)
	want := [][]string{{"-N", "1", "--job-name=a b"}, {"--output=x y.out"}, {"-q", "q"}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("flux directives %q, %v; want %q", got, err, want)
	}
	got, _ = directives("#!/bin/bash\n#BSUB -J j\n#BSUB -W \n#BSUBX -q no\n\ntrue\n#BSUB -q late\n", bsubSentinel, false)
	if fmt.Sprint(got) != "[[-J j] [-W]]" {
		t.Errorf("bsub directives %q", got)
	}
}

// flux submit --cc=IDSET: a job of its own for each index, in order, its
// id printed on a line of its own, FLUX_JOB_CC set to the index and {cc}
// replaced in the options and the command; the copies compete for cores
// like any jobs; a refused copy is reported after its label and the
// others still go; flux batch and flux run have no --cc. flux jobs
// --since lists what was active that long ago or since.
func TestFluxCC(t *testing.T) {
	t.Parallel()
	f := Start(t, EnvFluxCores+"=2", EnvQueues+"=debug")
	ws := t.TempDir()
	script := filepath.Join(ws, "cc.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$FLUX_JOB_CC $1\" > out.$FLUX_JOB_CC\nsleep 0.3\n"), 0o755)
	out, stderr, code := run(t, f, "", "flux", "submit", "--cc=0-2,5", "--cwd="+ws, "--job-name=cc-{cc}", "-n", "1", script, "arg{cc}")
	ids := strings.Fields(out)
	if code != 0 || stderr != "" || len(ids) != 4 {
		t.Fatalf("flux submit --cc: exit %d, %q %q", code, out, stderr)
	}
	listed := until(t, f, `CD\n.* CD\n.* CD\n.* CD\n$`, "flux", "jobs", "-a", "-n", "-o", "{name} {status_abbrev}", ids[0], ids[1], ids[2], ids[3])
	if !strings.HasPrefix(listed, "cc-0 CD\ncc-1 CD\ncc-2 CD\ncc-5 CD\n") {
		t.Errorf("names and states in id order:\n%s", listed)
	}
	for _, cc := range []string{"0", "1", "2", "5"} {
		if data, _ := os.ReadFile(filepath.Join(ws, "out."+cc)); string(data) != cc+" arg"+cc+"\n" {
			t.Errorf("copy %s wrote %q", cc, data)
		}
	}
	// Two cores: no more than two of the four copies ran at once.
	var runs [][2]time.Time
	s := &store{dir: f.Dir}
	for _, id := range ids {
		n, _ := fluxid.ParseID(id)
		j, _ := s.load("flux", n)
		runs = append(runs, [2]time.Time{j.Started, j.Ended})
	}
	for _, r := range runs {
		at := 0
		for _, o := range runs {
			if !o[0].After(r[0]) && o[1].After(r[0]) {
				at++
			}
		}
		if at > 2 {
			t.Errorf("%d copies ran at once on 2 cores: %v", at, runs)
		}
	}
	out, stderr, code = run(t, f, "", "flux", "submit", "--cc=0-1", "-q", "nope", script)
	if out != "" || stderr != "cc=0: [Errno 1] Invalid queue 'nope' specified\ncc=1: [Errno 1] Invalid queue 'nope' specified\n" || code != 1 {
		t.Errorf("refused copies: %q %q exit %d", out, stderr, code)
	}
	for _, sub := range []string{"batch", "run"} {
		if _, stderr, code := run(t, f, "", "flux", sub, "--cc=0-1", "-n", "1", script); !strings.Contains(stderr, "unrecognized arguments: --cc=0-1") || code != 2 {
			t.Errorf("flux %s --cc: %q exit %d", sub, stderr, code)
		}
	}
	since, _, _ := run(t, f, "", "flux", "jobs", "-n", "--since=-1h", "-o", "{name}")
	if since != "cc-0\ncc-1\ncc-2\ncc-5\n" {
		t.Errorf("flux jobs --since=-1h: %q", since)
	}
	if last, _, _ := run(t, f, "", "flux", "jobs", "-a", "-n", "-c", "1", "-o", "{name}"); last != "cc-5\n" {
		t.Errorf("flux jobs -c 1: %q", last)
	}
}
