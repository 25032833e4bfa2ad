package lsf

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// bjobsFormat is the -o format of the query. No field has a width, so
// bjobs prints each value whole: job ids of any length (the Python tool's
// "jobid:7" cut 8-digit ids, which then never matched).
const bjobsFormat = "jobid stat exit_code exit_reason delimiter='|'"

// State maps an LSF job state (bjobs STAT) to a step state
// (docs/SCHEDULERS.md, LSF). EXIT needs the exit reason; see exitState. ok
// is false for a state maestro does not know.
func State(stat string) (st state.State, ok bool) {
	switch stat {
	case "PEND":
		return state.Pending, true
	case "RUN":
		return state.Running, true
	case "WAIT", "PROV":
		return state.Waiting, true
	case "PSUSP", "USUSP", "SSUSP":
		return state.Waiting, true // suspended: not an end, keep watching
	case "DONE":
		return state.Finished, true
	case "EXIT":
		return state.Failed, true
	}
	return "", false
}

// exitState refines EXIT by the termination reason bjobs gives in
// exit_reason ("TERM_RUNLIMIT: job killed after reaching LSF run time
// limit"): the run limit is a timeout, a kill by the job's owner (bkill,
// also bkill -r) a cancellation; every other EXIT is a failure.
func exitState(reason string) state.State {
	switch term, _, _ := strings.Cut(reason, ":"); strings.TrimSpace(term) {
	case "TERM_RUNLIMIT":
		return state.TimedOut
	case "TERM_OWNER", "TERM_FORCE_OWNER":
		return state.Cancelled
	}
	return state.Failed
}

// status builds a Status from bjobs' stat, exit_code and exit_reason
// ("-" when empty). UNKWN (mbatchd lost contact with the job's host; it
// can last for days) is read as running, so a running step never falls
// back to pending; ZOMBI (killed while its host was unreachable) never
// recovers: a failure. Any other state maestro does not know is reported
// as PENDING with the state as reason, and the job stays watched.
func status(stat, exit, reason string) adapters.Status {
	if reason == "-" {
		reason = ""
	}
	st, ok := State(stat)
	switch {
	case stat == "UNKWN":
		return adapters.Status{State: state.Running, Reason: "LSF state UNKWN: mbatchd lost contact with the job's host"}
	case stat == "ZOMBI":
		return adapters.Status{State: state.Failed, Reason: "LSF state ZOMBI: the job was killed while its host was unreachable"}
	case !ok:
		return adapters.Status{State: state.Pending, Reason: "unrecognized LSF state " + stat}
	case stat == "EXIT":
		st = exitState(reason)
	}
	out := adapters.Status{State: st, Reason: reason}
	if code, err := strconv.Atoi(exit); err == nil && st.Terminal() {
		out.ExitCode = &code
	} else if stat == "DONE" {
		zero := 0 // DONE is a zero exit; bjobs prints "-"
		out.ExitCode = &zero
	}
	return out
}

// parseBjobs reads `bjobs -noheader -o "jobid stat exit_code exit_reason
// delimiter='|'"` output. Other lines ("Job <N> is not found" when stderr
// is merged) are skipped.
func parseBjobs(out string) map[string]adapters.Status {
	res := map[string]adapters.Status{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 4 {
			continue
		}
		id := strings.TrimSpace(f[0])
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			continue
		}
		res[id] = status(strings.TrimSpace(f[1]), strings.TrimSpace(f[2]), strings.TrimSpace(f[3]))
	}
	return res
}

var submitted = regexp.MustCompile(`Job <(\d+)> is submitted\b`)

// parseBsub reads the job id from what bsub prints: "Job <123> is
// submitted to queue <normal>." (or "to default queue <normal>.", or just
// "Job <123> is submitted"), after whatever lines the site or a busy
// mbatchd print first.
func parseBsub(out string) (string, error) {
	m := submitted.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("bsub printed no job id: %q", strings.TrimSpace(out))
	}
	return m[1], nil
}

// findFormat is the -o format of Find's bjobs -J.
const findFormat = "jobid job_name submit_time delimiter='|'"

// parseFind reads `bjobs -noheader -o "jobid job_name submit_time
// delimiter='|'"` output: the id and submission time of each job called
// name. bjobs gives the time as "Feb  2 07:47" (" L" after it when it is
// the time of the submission host), without a year: the latest not after
// now.
func parseFind(out, name string, now time.Time) map[string]time.Time {
	res := map[string]time.Time{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 3 || f[1] != name {
			continue
		}
		if _, err := strconv.ParseUint(f[0], 10, 64); err != nil {
			continue
		}
		t, err := time.ParseInLocation("Jan _2 15:04", strings.TrimSuffix(strings.TrimSpace(f[2]), " L"), now.Location())
		if err != nil {
			continue
		}
		t = t.AddDate(now.Year(), 0, 0)
		if t.After(now.Add(24 * time.Hour)) {
			t = t.AddDate(-1, 0, 0)
		}
		res[f[0]] = t
	}
	return res
}

// outputFile is where LSF writes the output of job id: the script's
// #BSUB -o (or -oo) file, %J its id, relative to the workspace; "" without
// one.
func outputFile(script, workspace, id string) string {
	out := ""
	for _, line := range strings.Split(script, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "#BSUB" && (f[1] == "-o" || f[1] == "-oo") {
			out = f[2]
		}
	}
	if out == "" {
		return ""
	}
	out = strings.NewReplacer("%J", id, "%I", "0").Replace(out)
	if !filepath.IsAbs(out) {
		out = filepath.Join(workspace, out)
	}
	return out
}

var (
	// noJob is bjobs -J's answer when no job has the name.
	noJob = regexp.MustCompile(`^(Job <.*> is not found|No (matching|unfinished) job found)\.?$`)
	// notFound is bjobs' answer for an id it does not know (on stderr;
	// it exits 255 when it knows none of them).
	notFound = regexp.MustCompile(`^Job <\d+> is not found\.?$`)
	// alreadyEnded is bkill refusing an id that ended or never was.
	alreadyEnded = regexp.MustCompile(`^Job <\d+>: (Job has already finished|No matching job found)\.?$`)
)

// busy are the notices of an mbatchd slow to answer, printed next to real
// answers (bjobs merges them into its output; OpenLava's library prints
// them on stderr while it retries).
var busy = regexp.MustCompile(`^(LSF is processing your request|Cannot connect to LSF)\. Please wait \.\.\.$|still trying$`)

// unavailable are LSF's answers that mean "try again": a request from a
// host LSF did not take for one of its own (seen from bsub and bjobs,
// transient), and the busy notices when nothing else came.
var unavailable = regexp.MustCompile(`Request from non-LSF host rejected|Please wait \.\.\.|still trying`)

// transient reports whether a command's output holds an answer that means
// the request did not get through, and only such lines.
func transient(text string) bool { return adapters.OnlyLines(text, unavailable, busy) }

var (
	reportSubject = regexp.MustCompile(`(?m)^Subject: Job (\d+): `)
	reportTerm    = regexp.MustCompile(`(?m)^(TERM_[A-Z_]+: .*?)\.?$`)
	reportExit    = regexp.MustCompile(`(?m)^Exited with exit code (\d+)\.`)
)

// parseReport reads how job id ended from the job report LSF appends to
// its output file ("Subject: Job 9603712: <name> in cluster <c> Exited",
// then "Successfully completed." or "TERM_RUNLIMIT: ..." and "Exited with
// exit code 140."); ok is false when the file holds no whole report of
// that job.
func parseReport(text, id string) (adapters.Status, bool) {
	var report string
	for _, loc := range reportSubject.FindAllStringSubmatchIndex(text, -1) {
		if text[loc[2]:loc[3]] == id {
			report = text[loc[0]:]
		}
	}
	if report == "" {
		return adapters.Status{}, false
	}
	if strings.Contains(report, "\nSuccessfully completed.") {
		zero := 0
		return adapters.Status{State: state.Finished, ExitCode: &zero}, true
	}
	m := reportExit.FindStringSubmatch(report)
	if m == nil {
		return adapters.Status{}, false
	}
	code, _ := strconv.Atoi(m[1])
	reason := ""
	if t := reportTerm.FindStringSubmatch(report); t != nil {
		reason = t[1]
	}
	return adapters.Status{State: exitState(reason), ExitCode: &code, Reason: reason}, true
}
