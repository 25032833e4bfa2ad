package fakesched

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	fluxid "github.com/maestro-go/maestro/adapters/flux"
)

// The Flux fake: flux submit, flux batch, flux run, flux jobs -o, flux
// cancel. Messages, formats and exit codes follow the recordings of real
// flux-core 0.88.0 in testdata/flux/captured: {id} prints F58, flux jobs
// prints "JobID X unknown" (the id as given) for an unknown id and exits 1
// only when it knows none. The instance has FAKESCHED_FLUX_CORES cores on
// one node, no GPUs, and the queues of FAKESCHED_FLUX_QUEUES. A flux batch
// job gets an instance of its own (a state directory of its own, sized by
// its allocation, named by FLUX_URI in its environment); inside a flux
// submit job, which is not an instance, flux run starts a job in the
// enclosing instance, as the real one does.

var fluxProfile = profile{
	// flux cancel: SIGTERM, then SIGKILL (CA 143).
	cancel: []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL},
	// The time limit: SIGALRM, then SIGKILL (TO 142).
	limit:   []syscall.Signal{syscall.SIGALRM, syscall.SIGKILL},
	cleanup: 50 * time.Millisecond, // state C (CLEANUP) before the result
	env: func(j *job) []string {
		env := []string{"FLUX_JOB_ID=" + fluxid.F58(j.ID)}
		if j.CC != "" {
			env = append(env, "FLUX_JOB_CC="+j.CC)
		}
		if j.Instance != "" {
			env = append(env, EnvDir+"="+j.Instance, "FLUX_URI=local://"+j.Instance+"/local", EnvFluxURI+"=")
		}
		return env
	},
}

// fluxIDBase makes the fake's ids as long as real ones (a FLUID holds a
// millisecond timestamp above 24 bits of sequence).
const fluxIDBase = 5_000_000

// flux runs a flux subcommand: batch, jobs or cancel.
func flux(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: flux [OPTIONS] COMMAND ARGS")
		return 1
	}
	sub, ops := args[0], map[string]string{"batch": "submit", "submit": "submit", "run": "submit", "jobs": "query", "cancel": "cancel"}
	op, ok := ops[sub]
	if !ok {
		fmt.Fprintf(os.Stderr, "flux: '%s' is not a command the fake knows (batch, submit, run, jobs, cancel)\n", sub)
		return 1
	}
	prog := "flux-" + sub
	if sub != "jobs" { // flux jobs reads its options first
		if code, down := fluxDown(prog, op); down {
			return code
		}
	}
	switch sub {
	case "batch", "submit":
		return fluxBatch(prog, args[1:], sub == "batch")
	case "run":
		return fluxRun(prog, args[1:])
	case "jobs":
		return fluxJobs(prog, args[1:])
	}
	return fluxCancel(prog, args[1:])
}

// fluxDown plays an injected failure of op, or a FLUX_URI that names no
// broker; down is false when the broker answers.
func fluxDown(prog, op string) (code int, down bool) {
	switch injected(op) {
	case "hang":
		return hang(), true // an RPC to a broker that never answers
	case "fail":
		return fluxUnreachable(prog), true
	}
	if want := os.Getenv(EnvFluxURI); want != "" && os.Getenv("FLUX_URI") != want {
		return fluxUnreachable(prog), true
	}
	return 0, false
}

// fluxUnreachable is a command that finds no broker at FLUX_URI.
func fluxUnreachable(prog string) int {
	socket := "/run/flux/local"
	if uri := os.Getenv("FLUX_URI"); strings.HasPrefix(uri, "local://") {
		socket = strings.TrimPrefix(uri, "local://")
	}
	fmt.Fprintf(os.Stderr, "%s: ERROR: Unable to connect to Flux: broker socket %s was not found\n", prog, socket)
	return 1
}

// fluxUsages are the usage lines flux-core 0.88.0 prints.
var fluxUsages = map[string]string{
	"flux-jobs": `usage: flux-jobs [-h] [-a] [-A] [-c N] [-f STATE|RESULT] [--since WHEN] [-n]
                 [-u [USERNAME|UID]] [--name JOB-NAME] [-q QUEUE,...]
                 [-i HOSTS|RANKS] [-o FORMAT] [--sort KEY,...] [-w [N]]
                 [--json] [--color [WHEN]] [-R] [-L N] [--recurse-all]
                 [--threads N] [--stats] [--stats-only]
                 [JOBID ...]`,
	"flux-cancel": "usage: flux cancel [OPTIONS] [JOBID...]",
}

// fluxUsage is an argparse error: exit status 2.
func fluxUsage(prog string, format string, a ...any) int {
	usage, ok := fluxUsages[prog]
	if !ok {
		usage = "usage: " + prog + " [OPTIONS...]"
	}
	fmt.Fprintf(os.Stderr, "%s\n%s: error: %s\n", usage, prog, fmt.Sprintf(format, a...))
	return 2
}

func fluxError(prog string, format string, a ...any) int {
	fmt.Fprintf(os.Stderr, "%s: ERROR: %s\n", prog, fmt.Sprintf(format, a...))
	return 1
}

var batchOptions = options{
	values: []string{"-N", "-n", "-c", "-g", "-t", "-q", "-B", "--job-name", "--output", "--error", "--cwd",
		"--urgency", "-o", "-S", "--flags", "--dependency", "--env", "--begin-time", "--signal", "--requires", "--cc"},
	flags: []string{"--exclusive", "--wrap", "-v"},
	alias: map[string]string{"--nodes": "-N", "--nslots": "-n", "--cores-per-slot": "-c", "--gpus-per-slot": "-g",
		"--time-limit": "-t", "--queue": "-q", "--bank": "-B", "--setopt": "-o", "--setattr": "-S", "--verbose": "-v"},
}

// fluxSentinel starts a submission directive (RFC 36): "#flux:", "# flux:".
var fluxSentinel = regexp.MustCompile(`^#+\s*(flux|FLUX):`)

// fluxBatch submits a script, printing the job id: for flux batch, its
// #flux: directives, then the command line's options, which win; for flux
// submit (which reads no directives), the command line's options only.
// flux submit --cc=IDSET submits a copy for each index of the set, in
// order, each a job of its own with FLUX_JOB_CC set to its index and
// {cc} in its options and command replaced by it, and prints their ids
// one a line as it submits them; a copy the instance refuses is reported
// on stderr after "cc=INDEX: ", and the others are still submitted.
func fluxBatch(prog string, args []string, batch bool) int {
	cmdline := map[string]string{}
	operands, err := batchOptions.parse(args, cmdline, true, false)
	if err != nil {
		return fluxUsage(prog, "%v", err)
	}
	copies := []string{""}
	if cc, ok := cmdline["--cc"]; ok {
		delete(cmdline, "--cc")
		if batch { // an option of flux submit and bulksubmit only
			return fluxUsage(prog, "unrecognized arguments: --cc=%s", cc)
		}
		if copies, err = idset(cc); err != nil {
			return fluxUsage(prog, "argument --cc: %v", err)
		}
	}
	code := 0
	for _, cc := range copies {
		opts, args := replaceCC(cmdline, operands, cc)
		c, refused := fluxSubmit(prog, opts, args, batch, cc)
		switch {
		case c != 0 && !refused:
			return c
		case c != 0:
			code = c
		}
	}
	return code
}

// replaceCC returns the options and operands of copy cc of a submission,
// {cc} replaced by its index; with cc "" (no --cc) they are as given.
func replaceCC(opts map[string]string, operands []string, cc string) (map[string]string, []string) {
	if cc == "" {
		return opts, operands
	}
	r := strings.NewReplacer("{cc}", cc)
	copied := make(map[string]string, len(opts))
	for k, v := range opts {
		copied[k] = r.Replace(v)
	}
	args := make([]string, len(operands))
	for i, v := range operands {
		args[i] = r.Replace(v)
	}
	return copied, args
}

// idset reads an RFC 22 idset: "0-19", "1,3,5-7".
func idset(s string) ([]string, error) {
	var ids []string
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a {
			return nil, fmt.Errorf("invalid idset '%s'", s)
		}
		for i := a; i <= b; i++ {
			ids = append(ids, strconv.Itoa(i))
		}
	}
	return ids, nil
}

// fluxSubmit submits one job (copy cc of a flux submit --cc, or "") and
// prints its id; refused is true when the instance refused the job
// itself (the command goes on with the next copy).
func fluxSubmit(prog string, cmdline map[string]string, operands []string, batch bool, cc string) (code int, refused bool) {
	var script []byte
	var err error
	name := "batch"
	if len(operands) == 0 {
		script, err = io.ReadAll(os.Stdin)
	} else {
		name = filepath.Base(operands[0])
		if script, err = os.ReadFile(operands[0]); err != nil {
			return fluxError(prog, "[Errno 2] No such file or directory: '%s'", operands[0]), false
		}
	}
	if err != nil || !strings.HasPrefix(string(script), "#!") {
		return fluxError(prog, "batch does not appear to start with '#!'"), false
	}
	lines, err := directives(string(script), fluxSentinel, true)
	if err != nil {
		return fluxError(prog, "%v", err), false
	}
	if !batch {
		lines = nil
	}
	opts := map[string]string{}
	for _, words := range lines {
		if _, err := batchOptions.parse(words, opts, false, false); err != nil {
			return fluxError(prog, "submission directive: %v", err), false
		}
	}
	for k, v := range cmdline {
		opts[k] = v
	}
	if batch && opts["-N"] == "" && opts["-n"] == "" {
		return fluxError(prog, "Number of slots to allocate must be specified"), false
	}
	s, err := openStore()
	if err != nil {
		return fluxError(prog, "fake: %v", err), false
	}
	label := ""
	if cc != "" {
		label = "cc=" + cc + ": "
	}
	j, code := fluxJob(prog, s, opts, batch, label)
	if j == nil {
		return code, true
	}
	if n := opts["--job-name"]; n != "" {
		name = n
	}
	j.Name, j.CC = name, cc
	if len(operands) > 1 {
		j.Args = operands[1:]
	}
	if batch {
		j.Tasks, j.Instance = 1, filepath.Join(s.dir, "instances", strconv.FormatUint(j.ID, 10))
		if err := os.MkdirAll(j.Instance, 0o755); err != nil {
			return fluxError(prog, "fake: %v", err), false
		}
		if err := os.WriteFile(filepath.Join(j.Instance, "cores"), []byte(strconv.Itoa(j.Cores)), 0o644); err != nil {
			return fluxError(prog, "fake: %v", err), false
		}
	}
	output := func(template string) string {
		return resolve(j.Dir, strings.NewReplacer("{{id}}", fluxid.F58(j.ID), "{{jobid}}", fluxid.F58(j.ID), "{{name}}", name).Replace(template))
	}
	j.Stdout = output("flux-{{id}}.out")
	if o := opts["--output"]; o != "" {
		j.Stdout = output(o)
	}
	if e := opts["--error"]; e != "" { // else stderr goes with stdout
		j.Stderr = output(e)
	}
	if err := s.submit(j, script); err != nil {
		return fluxError(prog, "fake: %v", err), false
	}
	fmt.Println(fluxid.F58(j.ID))
	return 0, false
}

// fluxJob checks the options of a submission and makes its job (nil, with
// the command's exit status, when flux refuses them): the queue, the
// resources, the time limit and the working directory.
func fluxJob(prog string, s *store, opts map[string]string, batch bool, label string) (*job, int) {
	if q := opts["-q"]; q != "" {
		queues := strings.FieldsFunc(os.Getenv(EnvQueues), func(r rune) bool { return r == ',' || r == ' ' })
		known := false
		for _, k := range queues {
			known = known || k == q
		}
		switch {
		case known:
		case len(queues) == 0 && batch:
			return nil, fluxError(prog, "'%s' is not a valid queue", q)
		case len(queues) == 0:
			fmt.Fprintf(os.Stderr, "%s[Errno 22] '%s' is not a valid queue\n", label, q)
			return nil, 1
		case batch:
			return nil, fluxError(prog, "Invalid queue '%s' specified", q)
		default:
			fmt.Fprintf(os.Stderr, "%s[Errno 1] Invalid queue '%s' specified\n", label, q)
			return nil, 1
		}
	}
	if opts["--exclusive"] != "" && opts["-N"] == "" {
		return nil, fluxError(prog, "exclusive can only be set with a node count")
	}
	count := func(o string, def int) (int, bool) {
		if opts[o] == "" {
			return def, true
		}
		n, err := strconv.Atoi(opts[o])
		return n, err == nil && n >= 0
	}
	tasks, ok1 := count("-n", 1)
	perTask, ok2 := count("-c", 1)
	nodes, ok3 := count("-N", 0)
	gpus, ok4 := count("-g", 0)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, fluxUsage(prog, "invalid resource count")
	}
	cores := tasks * perTask
	if nodes > 0 && (opts["-n"] == "" || opts["--exclusive"] != "") {
		cores = nodes * instanceCores(s.dir) // whole nodes
	}
	limit, err := fsd(opts["-t"])
	if err != nil {
		return nil, fluxError(prog, "%v", err)
	}
	dir := opts["--cwd"]
	if dir == "" {
		dir, _ = os.Getwd()
	}
	seq, err := s.nextSeq()
	if err != nil {
		return nil, fluxError(prog, "fake: %v", err)
	}
	return &job{ID: (fluxIDBase + seq) << 24, Sched: "flux", Queue: opts["-q"], Dir: dir, Limit: scaled(limit),
		Cores: cores, GPUs: gpus, Tasks: tasks}, 0
}

// fluxRun runs a command as a job of the instance in FLUX_URI and waits
// for it: its output is the job's, its exit status the job's; a signal
// cancels the job.
func fluxRun(prog string, args []string) int {
	opts := map[string]string{}
	operands, err := batchOptions.parse(args, opts, true, false)
	if err != nil {
		return fluxUsage(prog, "%v", err)
	}
	if cc, ok := opts["--cc"]; ok { // an option of flux submit and bulksubmit only
		return fluxUsage(prog, "unrecognized arguments: --cc=%s", cc)
	}
	if len(operands) == 0 {
		return fluxUsage(prog, "the following arguments are required: command")
	}
	s, err := openStore()
	if err != nil {
		return fluxError(prog, "fake: %v", err)
	}
	j, code := fluxJob(prog, s, opts, false, "")
	if j == nil {
		return code
	}
	j.Name = filepath.Base(operands[0])
	j.Stdout, j.Stderr = s.path(j.ID, ".out"), s.path(j.ID, ".err")
	quoted := make([]string, len(operands))
	for i, a := range operands {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGALRM)
	if err := s.submit(j, []byte("#!/bin/sh\n"+strings.Join(quoted, " ")+"\n")); err != nil {
		return fluxError(prog, "fake: %v", err)
	}
	for {
		select {
		case <-stop:
			s.requestCancel(j.ID)
		case <-time.After(poll):
		}
		if cur, ok := s.load("flux", j.ID); ok && cur.Phase == ended {
			j = cur
			break
		}
	}
	for _, c := range []struct {
		path string
		w    io.Writer
	}{{j.Stdout, os.Stdout}, {j.Stderr, os.Stderr}} {
		if f, err := os.Open(c.path); err == nil {
			io.Copy(c.w, f)
			f.Close()
		}
	}
	switch {
	case j.Exit == nil:
		return fluxError("flux-job", "job %s was canceled", fluxid.F58(j.ID))
	case *j.Exit != 0:
		fmt.Fprintf(os.Stderr, "flux-job: task(s) exited with exit code %d\n", *j.Exit)
	}
	return *j.Exit
}

var fsdPattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)([smhd]?)$`)

// fsd reads a time limit: Flux standard duration, a bare number being
// minutes (flux batch -t); "" is no limit.
func fsd(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	m := fsdPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid Flux standard duration '%s'", s)
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	unit := map[string]time.Duration{"": time.Minute, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	return time.Duration(f * float64(unit)), nil
}

// fluxStatus is a job's status, and its abbreviation ({status_abbrev}).
func fluxStatus(j *job) (string, string) {
	switch {
	case j.Phase == pending:
		return "SCHED", "S"
	case j.Phase == running:
		return "RUN", "R"
	case j.Phase == cleanup:
		return "CLEANUP", "C"
	case j.End == timedOut:
		return "TIMEOUT", "TO"
	case j.End == cancelled:
		return "CANCELED", "CA"
	case j.Exit != nil && *j.Exit == 0:
		return "COMPLETED", "CD"
	}
	return "FAILED", "F"
}

// fluxFields are the flux jobs -o fields the fake knows.
var fluxFields = map[string]func(j *job) string{
	"id":            func(j *job) string { return fluxid.F58(j.ID) },
	"id.dec":        func(j *job) string { return strconv.FormatUint(j.ID, 10) },
	"id.f58":        func(j *job) string { return fluxid.F58(j.ID) },
	"id.hex":        func(j *job) string { return fmt.Sprintf("0x%x", j.ID) },
	"status":        func(j *job) string { s, _ := fluxStatus(j); return s },
	"status_abbrev": func(j *job) string { _, a := fluxStatus(j); return a },
	"state": func(j *job) string {
		if j.Phase == ended {
			return "INACTIVE"
		}
		s, _ := fluxStatus(j)
		return s
	},
	"result": func(j *job) string {
		if j.Phase != ended {
			return ""
		}
		s, _ := fluxStatus(j)
		return s
	},
	"returncode": func(j *job) string {
		switch {
		case j.Phase != ended:
			return ""
		case j.Exit == nil:
			return "-128" // cancelled before it ran
		}
		return strconv.Itoa(*j.Exit)
	},
	"name":     func(j *job) string { return j.Name },
	"t_submit": func(j *job) string { return strconv.FormatFloat(float64(j.Submitted.UnixNano())/1e9, 'f', 6, 64) },
	"queue":    func(j *job) string { return j.Queue },
	"username": func(j *job) string { return j.User },
}

var fluxHeadings = map[string]string{"id": "JOBID", "id.dec": "JOBID", "id.f58": "JOBID", "id.hex": "JOBID",
	"status_abbrev": "ST", "returncode": "RC", "username": "USER"}

var jobsOptions = options{
	values: []string{"-o", "-u", "-f", "-c", "--since", "--name", "--queue"},
	flags:  []string{"-a", "-A", "-n"},
	alias: map[string]string{"--format": "-o", "--user": "-u", "--filter": "-f", "--count": "-c",
		"--no-header": "-n", "--suppress-header": "-n"},
}

// fluxJobs lists the jobs named, or the user's active ones (all with -a).
func fluxJobs(prog string, args []string) int {
	opts := map[string]string{}
	operands, err := jobsOptions.parse(args, opts, false, false)
	if err != nil {
		return fluxUsage(prog, "%v", err)
	}
	ids := make([]uint64, len(operands))
	for i, a := range operands {
		if ids[i], err = fluxid.ParseID(a); err != nil {
			return fluxUsage(prog, "argument JOBID: invalid JobID value: '%s'", a)
		}
	}
	format := opts["-o"]
	if format == "" {
		format = "{id.f58:>12} {username:<8.8} {name:<10.10} {status_abbrev:>2.2}"
	}
	known := func(f string) (string, bool) { _, ok := fluxFields[f]; return "", ok }
	if _, err := pyFormat(format, known); err != nil {
		return fluxError(prog, "Error in user format: %v", err)
	}
	// --since=-FSD: the jobs active that long ago or since (the only form
	// of WHEN the fake reads); it implies -a.
	var since time.Duration
	if w := opts["--since"]; w != "" {
		ago, ok := strings.CutPrefix(w, "-")
		if since, err = fsd(ago); !ok || err != nil || since == 0 {
			return fluxError(prog, "--since: invalid time '%s' (the fake reads -FSD only)", w)
		}
	}
	count := 1000 // flux jobs -c: the newest 1000 by default
	if c := opts["-c"]; c != "" {
		if count, err = strconv.Atoi(c); err != nil || count < 1 { // what flux makes of 0 was not recorded
			return fluxUsage(prog, "argument -c/--count: invalid int value: '%s' (the fake reads N > 0 only)", c)
		}
	}
	filtered := opts["-a"] != "" || opts["-A"] != "" || opts["-u"] != "" || opts["-f"] != "" || opts["-c"] != ""
	if len(ids) > 0 && filtered {
		fmt.Fprintf(os.Stderr, "%s: WARNING: Filtering options ignored with jobid list\n", prog)
	}
	if code, down := fluxDown(prog, "query"); down {
		return code
	}
	s, err := openStore()
	if err != nil {
		return fluxError(prog, "fake: %v", err)
	}
	var list []*job
	if len(ids) == 0 {
		all := opts["-a"] != "" || opts["-A"] != "" || since != 0
		for _, j := range s.all("flux") {
			if (all || j.Phase != ended) && (since == 0 || j.Phase != ended || time.Since(j.Ended) <= since) &&
				(opts["--name"] == "" || opts["--name"] == j.Name) {
				list = append(list, j)
			}
		}
		if len(list) > count { // the newest count
			list = list[len(list)-count:]
		}
	}
	for i, id := range ids {
		j, ok := s.load("flux", id)
		if !ok {
			fmt.Fprintf(os.Stderr, "JobID %s unknown\n", operands[i])
			continue
		}
		list = append(list, j)
	}
	if len(ids) > 0 && len(list) == 0 {
		return 1
	}
	if opts["-n"] == "" {
		line, _ := pyFormat(format, func(f string) (string, bool) {
			if h, ok := fluxHeadings[f]; ok {
				return h, true
			}
			return strings.ToUpper(f), true
		})
		fmt.Println(line)
	}
	for _, j := range list {
		line, _ := pyFormat(format, func(f string) (string, bool) { return fluxFields[f](j), true })
		fmt.Println(line)
	}
	return 0
}

var cancelOptions = options{
	values: []string{"-m", "-u", "-S"},
	flags:  []string{"--all", "-n", "-q"},
	alias:  map[string]string{"--message": "-m", "--user": "-u", "--states": "-S", "--dry-run": "-n", "--quiet": "-q"},
}

// fluxCancel cancels jobs: a pending one ends at once, a running one is
// sent SIGTERM then SIGKILL; both end CANCELED.
func fluxCancel(prog string, args []string) int {
	opts := map[string]string{}
	operands, err := cancelOptions.parse(args, opts, false, false)
	if err != nil {
		return fluxUsage(prog, "%v", err)
	}
	if len(operands) == 0 {
		return fluxError(prog, "No target jobs were provided")
	}
	ids := make([]uint64, len(operands))
	for i, a := range operands {
		if ids[i], err = fluxid.ParseID(a); err != nil {
			return fluxUsage(prog, "argument JOBID...: invalid JobID value: '%s'", a)
		}
	}
	s, err := openStore()
	if err != nil {
		return fluxError(prog, "fake: %v", err)
	}
	code := 0
	for _, id := range ids {
		j, ok := s.load("flux", id)
		switch {
		case !ok:
			code = fluxError(prog, "%s: unknown job id", fluxid.F58(id))
		case j.Phase == ended:
			code = fluxError(prog, "%s: job is inactive", fluxid.F58(id))
		default:
			s.requestCancel(id)
		}
	}
	return code
}

var specPattern = regexp.MustCompile(`^(?:(.)?([<>^]))?([0-9]+)?(?:\.([0-9]+))?(h)?$`)

// pyFormat fills a Python str.format template ("{id.f58:>12} {name}"), as
// flux jobs -o does, with value(field): fill, alignment, width, precision
// and flux's "h" (an empty value as "-"). It fails on an unknown field.
func pyFormat(tmpl string, value func(field string) (string, bool)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(tmpl) && tmpl[i+1] == c:
			b.WriteByte(c)
			i++
			continue
		case c != '{':
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(tmpl[i:], '}')
		if end < 0 {
			return "", errors.New("Single '{' encountered in format string")
		}
		field := tmpl[i+1 : i+end]
		i += end
		name, spec, _ := strings.Cut(field, ":")
		name, _, _ = strings.Cut(name, "!")
		v, ok := value(name)
		if !ok {
			return "", fmt.Errorf("Unknown format field: %s", name)
		}
		m := specPattern.FindStringSubmatch(spec)
		if m == nil {
			return "", fmt.Errorf("Invalid format specifier '%s'", spec)
		}
		if m[5] == "h" && (v == "" || v == "0s" || v == "0.0" || v == "0:00:00") {
			v = "-"
		}
		if p, err := strconv.Atoi(m[4]); err == nil && utf8.RuneCountInString(v) > p {
			v = string([]rune(v)[:p])
		}
		if w, err := strconv.Atoi(m[3]); err == nil && utf8.RuneCountInString(v) < w {
			fill := m[1]
			if fill == "" {
				fill = " "
			}
			pad := w - utf8.RuneCountInString(v)
			switch m[2] {
			case ">":
				v = strings.Repeat(fill, pad) + v
			case "^":
				v = strings.Repeat(fill, pad/2) + v + strings.Repeat(fill, pad-pad/2)
			default:
				v += strings.Repeat(fill, pad)
			}
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
