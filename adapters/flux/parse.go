package flux

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// f58Digits is the base58 alphabet of Flux's F58 job ids (RFC 19).
const f58Digits = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// f58Prefix starts an F58 id; flux writes f58ASCII instead in a locale
// without multibyte characters.
const (
	f58Prefix = "ƒ"
	f58ASCII  = "f"
)

// F58 writes a job id the way flux prints it by default.
func F58(id uint64) string {
	var rev []byte
	for {
		rev = append(rev, f58Digits[id%58])
		id /= 58
		if id == 0 {
			break
		}
	}
	b := []byte(f58Prefix)
	for i := len(rev) - 1; i >= 0; i-- {
		b = append(b, rev[i])
	}
	return string(b)
}

// ParseID reads a job id in any form flux prints or accepts: F58
// ("ƒ4WQz4mcP", or "f4WQz4mcP" in an ASCII locale), decimal, or 0x hex.
func ParseID(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "0x") {
		if n, err := strconv.ParseUint(t[2:], 16, 64); err == nil {
			return n, nil
		}
	} else if n, err := strconv.ParseUint(t, 10, 64); err == nil {
		return n, nil
	}
	body, ok := strings.CutPrefix(t, f58Prefix)
	if !ok {
		body, ok = strings.CutPrefix(t, f58ASCII)
	}
	if ok && body != "" && len(body) <= 12 {
		var n uint64
		for _, c := range []byte(body) {
			d := strings.IndexByte(f58Digits, c)
			if d < 0 || n > (^uint64(0)-uint64(d))/58 {
				n, ok = 0, false
				break
			}
			n = n*58 + uint64(d)
		}
		if ok {
			return n, nil
		}
	}
	return 0, fmt.Errorf("'%s' is not a Flux job id", s)
}

// State maps a Flux status abbreviation (flux jobs {status_abbrev}) to a step
// state (docs/SCHEDULERS.md, Flux). ok is false for one maestro does not
// know.
func State(abbrev string) (st state.State, ok bool) {
	switch abbrev {
	case "N", "D", "P", "S": // NEW, DEPEND, PRIORITY, SCHED
		return state.Pending, true
	case "R":
		return state.Running, true
	case "C": // CLEANUP: the job has ended, its resources are being released
		return state.Finishing, true
	case "CD":
		return state.Finished, true
	case "F":
		return state.Failed, true
	case "CA":
		return state.Cancelled, true
	case "TO":
		return state.TimedOut, true
	}
	return "", false
}

// status builds a Status from a status abbreviation and a return code
// text; an unknown status is reported as PENDING with a reason, so a step
// is never failed for a status maestro has not met.
func status(abbrev, rc string) adapters.Status {
	st, ok := State(abbrev)
	if !ok {
		return adapters.Status{State: state.Pending, Reason: "unrecognized Flux job status " + abbrev}
	}
	out := adapters.Status{State: st}
	if code, ok := returnCode(rc); ok && st.Terminal() {
		out.ExitCode = &code
	}
	return out
}

// returnCode reads flux's {returncode}: the exit code (128+n when the
// script was killed by signal n: 143 cancelled, 142 SIGALRM at the time
// limit); the negative signal number when the job shell itself was killed
// (-9: read as 137); -128 for a job cancelled before it ran (no exit
// code); empty while the job is active.
func returnCode(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil || n == -128:
		return 0, false
	case n < 0:
		return 128 - n, true
	}
	return n, true
}

// jobsFormat is the output format of the query. flux prints {id} in F58
// ("ƒ23tRWGP", "f23tRWGP" in the C locale) whatever form the ids were
// given in; the parser reads every form, so jobs are matched by number.
const jobsFormat = "{id} {status_abbrev} {returncode}"

// parseJobs reads `flux jobs -n -o '{id} {status_abbrev} {returncode}'`
// output. Lines that are not job lines (flux prints unknown ids on
// stderr, but a merged capture may hold them) are skipped.
func parseJobs(out string) map[uint64]adapters.Status {
	res := map[uint64]adapters.Status{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 {
			continue
		}
		id, err := ParseID(f[0])
		if err != nil {
			continue
		}
		rc := ""
		if len(f) == 3 {
			rc = f[2]
		}
		res[id] = status(f[1], rc)
	}
	return res
}

// parseSubmit reads what `flux submit` and `flux batch` print: the job id
// on a line of its own (F58 by default, decimal from older versions).
func parseSubmit(sub, out string) (string, error) {
	lines := strings.Fields(out)
	if len(lines) != 1 {
		return "", fmt.Errorf("flux %s printed no job id: %q", sub, strings.TrimSpace(out))
	}
	if _, err := ParseID(lines[0]); err != nil {
		return "", fmt.Errorf("flux %s printed no job id: %q", sub, lines[0])
	}
	return lines[0], nil
}

var (
	// unknownJob is what `flux jobs` prints on stderr for an id it does
	// not know; it exits 1 when it knows none of them.
	unknownJob = regexp.MustCompile(`^JobID \S+ unknown$`)
	// ignoredFilters is its warning that -a means nothing with ids.
	ignoredFilters = regexp.MustCompile(`^flux-jobs: WARNING: `)
	// endedJob is `flux cancel` refusing an id that ended or never was.
	endedJob = regexp.MustCompile(`^flux-cancel: ERROR: \S+: (unknown job id|job is inactive)$`)
)
