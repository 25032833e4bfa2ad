package lsf

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

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
// ("-" when empty). UNKWN (mbatchd lost contact with the job's host) and
// ZOMBI (killed while its host was unreachable) are not ends yet: like
// any state maestro does not know, they are reported as PENDING with the
// state as reason, and the job stays watched until LSF settles it.
func status(stat, exit, reason string) adapters.Status {
	if reason == "-" {
		reason = ""
	}
	st, ok := State(stat)
	switch {
	case !ok && (stat == "UNKWN" || stat == "ZOMBI"):
		return adapters.Status{State: state.Pending, Reason: "LSF state " + stat}
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
		f := strings.SplitN(strings.TrimSpace(line), "|", 4)
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

var submitted = regexp.MustCompile(`Job <(\d+)> is submitted to`)

// parseBsub reads the job id from what bsub prints: "Job <123> is
// submitted to queue <normal>." (or "to default queue <normal>.").
func parseBsub(out string) (string, error) {
	m := submitted.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("bsub printed no job id: %q", strings.TrimSpace(out))
	}
	return m[1], nil
}

var (
	// notFound is bjobs' answer for an id it does not know (on stderr;
	// it exits 255 when it knows none of them).
	notFound = regexp.MustCompile(`^Job <\d+> is not found\.?$`)
	// alreadyEnded is bkill refusing an id that ended or never was.
	alreadyEnded = regexp.MustCompile(`^Job <\d+>: (Job has already finished|No matching job found)\.?$`)
)

// only reports whether stderr holds at least one line and only lines that
// match re.
func only(stderr string, re *regexp.Regexp) bool {
	seen := false
	for _, line := range strings.Split(stderr, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if !re.MatchString(line) {
			return false
		}
		seen = true
	}
	return seen
}
