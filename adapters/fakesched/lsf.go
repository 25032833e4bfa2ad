package fakesched

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The LSF fake: bsub (the script on stdin), bjobs -o, bkill. Messages,
// formats and exit codes follow IBM Spectrum LSF 10.1 with its default
// LSB_BJOBS_CONSISTENT_EXIT_CODE=N.

var lsfProfile = profile{
	// bkill: SIGINT and SIGTERM so the job can clean up, then SIGKILL.
	cancel: []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL},
	// The run limit: SIGUSR2, then SIGKILL ("Exited with exit code 140").
	limit:  []syscall.Signal{syscall.SIGUSR2, syscall.SIGKILL},
	report: lsfReport,
	env: func(j *job) []string {
		return []string{"LSB_JOBID=" + strconv.FormatUint(j.ID, 10), "LSB_JOBNAME=" + j.Name}
	},
}

const (
	// lsfDown is what the fake says when told to fail: an answer recorded
	// from bsub and bjobs (testdata/lsf/observed), which means "try again".
	lsfDown = "Request from non-LSF host rejected"
	// lsfWait is what a command waiting for mbatchd prints (recorded).
	lsfWait     = "Cannot connect to LSF. Please wait ..."
	lsfExitCode = 255
)

// lsfTrouble plays an injected failure of op; ok is false when there is
// none.
func lsfTrouble(op string) (code int, ok bool) {
	switch injected(op) {
	case "hang":
		fmt.Fprintln(os.Stderr, lsfWait)
		return hang(), true
	case "fail":
		fmt.Fprintln(os.Stderr, lsfDown)
		return lsfExitCode, true
	}
	return 0, false
}

var bsubOptions = options{
	values: []string{"-cwd", "-J", "-o", "-oo", "-e", "-eo", "-W", "-q", "-G", "-nnodes", "-U", "-n", "-P", "-R"},
	flags:  []string{"-x", "-K", "-B", "-N", "-r"},
}

var bsubSentinel = regexp.MustCompile(`^#BSUB\b`)

// bsub submits the script read from stdin: its #BSUB lines, then the
// command line's options, which win.
func bsub(args []string) int {
	if code, ok := lsfTrouble("submit"); ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, format+"\n", a...)
		return lsfExitCode
	}
	cmdline := map[string]string{}
	operands, err := bsubOptions.parse(args, cmdline, true, false)
	if err != nil {
		return fail("bsub: %v. Job not submitted.", err)
	}
	if len(operands) > 0 {
		return fail("fake bsub: give the job script on stdin, not a command (%s)", operands[0])
	}
	script, err := io.ReadAll(os.Stdin)
	if err != nil || strings.TrimSpace(string(script)) == "" {
		return fail("No command is specified. Job not submitted.")
	}
	lines, err := directives(string(script), bsubSentinel, false)
	if err != nil {
		return fail("bsub: %v. Job not submitted.", err)
	}
	opts := map[string]string{}
	for _, words := range lines { // "#BSUB -W " (no walltime) is taken as no limit
		if _, err := bsubOptions.parse(words, opts, false, true); err != nil {
			return fail("bsub: %v. Job not submitted.", err)
		}
	}
	for k, v := range cmdline {
		opts[k] = v
	}
	limit, err := runLimit(opts["-W"])
	if err != nil {
		return fail("%s: Bad RUNLIMIT specification. Job not submitted.", opts["-W"])
	}
	dir := opts["-cwd"]
	if dir == "" {
		dir, _ = os.Getwd()
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = os.TempDir() // LSF runs a job whose directory is missing in /tmp
	}
	s, err := openStore()
	if err != nil {
		return fail("fake bsub: %v", err)
	}
	seq, err := s.nextSeq()
	if err != nil {
		return fail("fake bsub: %v", err)
	}
	first, err := strconv.ParseUint(os.Getenv(EnvFirstID), 10, 64)
	if err != nil || first == 0 {
		first = 100000000
	}
	j := &job{ID: first + seq - 1, Sched: "lsf", Name: opts["-J"], Queue: opts["-q"], Dir: dir, Limit: scaled(limit)}
	if j.Name == "" {
		j.Name = "STDIN"
	}
	output := func(name string) string {
		p := strings.NewReplacer("%J", strconv.FormatUint(j.ID, 10), "%I", "0").Replace(opts[name])
		return resolve(dir, p)
	}
	j.Stdout, j.Stderr = output("-o"), output("-e") // -o without -e: stderr goes with stdout
	if err := s.submit(j, script); err != nil {
		return fail("fake bsub: %v", err)
	}
	if injected("submit") == "lose" {
		return 0 // the job is taken, the answer empty (recorded: bsub-empty.ert.stdout)
	}
	if j.Queue == "" {
		fmt.Printf("Job <%d> is submitted to default queue <normal>.\n", j.ID)
	} else {
		fmt.Printf("Job <%d> is submitted to queue <%s>.\n", j.ID, j.Queue)
	}
	return 0
}

// runLimit reads bsub -W [HH:]MM; empty is no limit.
func runLimit(w string) (time.Duration, error) {
	if w == "" {
		return 0, nil
	}
	h, m, found := strings.Cut(w, ":")
	if !found {
		h, m = "0", w
	}
	hours, err1 := strconv.Atoi(h)
	mins, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hours < 0 || mins < 0 {
		return 0, fmt.Errorf("bad run limit %q", w)
	}
	return time.Duration(hours)*time.Hour + time.Duration(mins)*time.Minute, nil
}

// lsfStat is the STAT bjobs shows.
func lsfStat(j *job) string {
	switch {
	case j.Phase == pending:
		return "PEND"
	case j.Phase != ended:
		return "RUN"
	case j.End == exited && j.Exit != nil && *j.Exit == 0:
		return "DONE"
	}
	return "EXIT"
}

// lsfFields are the bjobs -o fields the fake knows, by name and alias.
var lsfFields = map[string]func(j *job) string{
	"jobid": func(j *job) string { return strconv.FormatUint(j.ID, 10) },
	"stat":  lsfStat,
	"exit_code": func(j *job) string {
		if lsfStat(j) != "EXIT" || j.Exit == nil {
			return "-"
		}
		return strconv.Itoa(*j.Exit)
	},
	"exit_reason": func(j *job) string {
		switch j.End {
		case timedOut:
			return "TERM_RUNLIMIT: job killed after reaching LSF run time limit"
		case cancelled:
			return "TERM_OWNER: job killed by owner"
		}
		return "-"
	},
	"job_name": func(j *job) string { return j.Name },
	"queue": func(j *job) string {
		if j.Queue == "" {
			return "normal"
		}
		return j.Queue
	},
	"user":        func(j *job) string { return j.User },
	"submit_time": func(j *job) string { return j.Submitted.Format("Jan _2 15:04") },
}

var lsfAlias = map[string]string{"id": "jobid", "name": "job_name"}

// bjobsColumn is one field of a -o format: "name[:[-]width]".
type bjobsColumn struct {
	field string
	width int
	right bool
}

// bjobsFormat reads a -o format: fields and an optional delimiter='c'.
func bjobsFormat(f string) ([]bjobsColumn, string, error) {
	delim := " "
	if i := strings.Index(f, "delimiter="); i >= 0 {
		d := strings.Trim(strings.TrimSpace(f[i+len("delimiter="):]), `'"`)
		delim, f = d, f[:i]
	}
	var cols []bjobsColumn
	for _, spec := range strings.Fields(f) {
		parts := strings.Split(spec, ":")
		c := bjobsColumn{field: strings.ToLower(parts[0])}
		if a, ok := lsfAlias[c.field]; ok {
			c.field = a
		}
		if _, ok := lsfFields[c.field]; !ok {
			return nil, "", fmt.Errorf("%s: Illegal field name", parts[0])
		}
		if len(parts) > 1 && parts[1] != "" {
			w := strings.TrimPrefix(parts[1], "-")
			n, err := strconv.Atoi(w)
			if err != nil || n <= 0 {
				return nil, "", fmt.Errorf("%s: Illegal output width", spec)
			}
			c.width, c.right = n, w != parts[1]
		}
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil, "", fmt.Errorf("no field in the output format")
	}
	return cols, delim, nil
}

// cell cuts a value to the column's width (bjobs truncates the ending
// characters) and pads it when columns are not delimited.
func (c bjobsColumn) cell(v string, pad bool) string {
	if c.width == 0 {
		return v
	}
	if len(v) > c.width {
		v = v[:c.width]
	}
	if !pad {
		return v
	}
	if c.right {
		return fmt.Sprintf("%*s", c.width, v)
	}
	return fmt.Sprintf("%-*s", c.width, v)
}

var bjobsOptions = options{values: []string{"-o", "-u", "-q", "-J"}, flags: []string{"-a", "-noheader", "-w", "-d", "-p", "-r", "-A"}}

// bjobs lists the jobs named (any state), or the unfinished ones (all
// with -a), in the -o format.
func bjobs(args []string) int {
	if code, ok := lsfTrouble("query"); ok {
		return code
	}
	opts := map[string]string{}
	ids, err := bjobsOptions.parse(args, opts, false, false)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bjobs: %v\n", err)
		return lsfExitCode
	}
	format := opts["-o"]
	if format == "" {
		format = "jobid:7 user:7 stat:5 queue:10 job_name:10"
	}
	cols, delim, err := bjobsFormat(format)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return lsfExitCode
	}
	s, err := openStore()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake bjobs:", err)
		return lsfExitCode
	}
	var list []*job
	if len(ids) == 0 {
		for _, j := range s.all("lsf") {
			if (opts["-a"] != "" || j.Phase != ended) && (opts["-J"] == "" || opts["-J"] == j.Name) {
				list = append(list, j)
			}
		}
		switch {
		case len(list) == 0 && opts["-J"] != "":
			fmt.Fprintf(os.Stderr, "Job <%s> is not found\n", opts["-J"])
			return lsfExitCode
		case len(list) == 0:
			fmt.Fprintln(os.Stderr, "No unfinished job found")
		}
	}
	unknown := 0
	for _, a := range ids {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: Illegal job ID.\n", a)
			unknown++
			continue
		}
		j, ok := s.load("lsf", n)
		if !ok || hidden(j) {
			fmt.Fprintf(os.Stderr, "Job <%s> is not found\n", a)
			unknown++
			continue
		}
		list = append(list, j)
	}
	pad := delim == " "
	row := func(value func(bjobsColumn) string) {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = c.cell(value(c), pad)
		}
		fmt.Println(strings.Join(cells, delim))
	}
	if opts["-noheader"] == "" && len(list) > 0 {
		row(func(c bjobsColumn) string { return strings.ToUpper(c.field) })
	}
	for _, j := range list {
		row(func(c bjobsColumn) string { return lsfFields[c.field](j) })
	}
	if unknown > 0 { // as EBI's and Equinor's LSF, when some ids are unknown
		return lsfExitCode
	}
	return 0
}

// hidden reports whether a job is too new for bjobs to list it
// (FAKESCHED_HIDDEN after bsub took it).
func hidden(j *job) bool { return time.Since(j.Submitted) < duration(EnvHidden, 0) }

// lsfReport is the job report LSF appends to a job's output file when it
// ends, in the words of the recorded one (jobreport-runlimit.dtu.txt).
func lsfReport(j *job) string {
	outcome, end := "Successfully completed.", "Done"
	if lsfStat(j) == "EXIT" {
		end, outcome = "Exited", fmt.Sprintf("Exited with exit code %d.", *j.Exit)
		if r := lsfFields["exit_reason"](j); r != "-" {
			outcome = r + ".\n" + outcome
		}
	}
	return fmt.Sprintf(`
------------------------------------------------------------
Sender: LSF System <lsfadmin@fakesched>
Subject: Job %d: <%s> in cluster <fakesched> %s

Job <%s> was submitted from host <fakesched> by user <%s> in cluster <fakesched> at %s
Started at %s
Terminated at %s

%s

The output (if any) is above this job summary.
`, j.ID, j.Name, end, j.Name, j.User, j.Submitted.Format(time.ANSIC), j.Started.Format(time.ANSIC), j.Ended.Format(time.ANSIC), outcome)
}

// bkill cancels jobs: a pending one ends at once, a running one is sent
// SIGINT, SIGTERM and SIGKILL; both end EXIT with TERM_OWNER.
func bkill(args []string) int {
	if code, ok := lsfTrouble("cancel"); ok {
		return code
	}
	opts := map[string]string{}
	ids, err := (&options{flags: []string{"-r"}, values: []string{"-s"}}).parse(args, opts, false, false)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bkill: %v\n", err)
		return lsfExitCode
	}
	if len(ids) == 0 {
		fmt.Fprintln(os.Stderr, "bkill: a job ID is required")
		return lsfExitCode
	}
	s, err := openStore()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake bkill:", err)
		return lsfExitCode
	}
	code := 0
	for _, a := range ids {
		n, err := strconv.ParseUint(a, 10, 64)
		j, ok := s.load("lsf", n)
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "%s: Illegal job ID.\n", a)
			code = lsfExitCode
		case !ok:
			fmt.Fprintf(os.Stderr, "Job <%s>: No matching job found\n", a)
			code = lsfExitCode
		case j.Phase == ended:
			fmt.Fprintf(os.Stderr, "Job <%s>: Job has already finished\n", a)
			code = lsfExitCode
		default:
			s.requestCancel(n)
			fmt.Printf("Job <%s> is being terminated\n", a)
		}
	}
	return code
}
