package slurm

import (
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// State maps a Slurm job state (as squeue %T, sacct State or scontrol
// JobState print it) to a step state (docs/SCHEDULERS.md, Slurm). ok is false
// for a state maestro does not know; the job is then watched as it is.
func State(s string) (st state.State, ok bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "CANCELLED") { // sacct: "CANCELLED by 1000"
		return state.Cancelled, true
	}
	switch strings.TrimSuffix(s, "+") {
	case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "REVOKED", "SPECIAL_EXIT":
		return state.Pending, true
	case "RUNNING", "SIGNALING", "STAGE_OUT":
		return state.Running, true
	case "SUSPENDED", "STOPPED", "PREEMPTED", "RESV_DEL_HOLD":
		return state.Waiting, true // not terminal: keep watching
	case "COMPLETING":
		return state.Finishing, true
	case "COMPLETED":
		return state.Finished, true
	case "FAILED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE":
		return state.Failed, true
	case "TIMEOUT":
		return state.TimedOut, true
	case "NODE_FAIL":
		return state.HWFailure, true
	}
	return "", false
}

// status builds a Status from a state text, a reason and an exit code;
// unknown states are reported as PENDING with the state as reason, so a
// step is never failed for a state maestro has not met. A cancelled job
// that reports exit code 0 did not end on its own: no code is reported.
func status(stateText, reason string, code int, haveCode bool) adapters.Status {
	st, ok := State(stateText)
	if !ok {
		st, reason = state.Pending, "unrecognized Slurm state "+stateText
	}
	out := adapters.Status{State: st}
	if reason != "" && reason != "None" && reason != "(null)" {
		out.Reason = reason
	}
	if haveCode && st.Terminal() && !(st == state.Cancelled && code == 0) {
		out.ExitCode = &code
	}
	return out
}

// exitCode reads Slurm's "exit:signal" (sacct, scontrol); a signal counts
// as 128+signal.
func exitCode(s string) (int, bool) {
	e, sig, found := strings.Cut(strings.TrimSpace(s), ":")
	code, err := strconv.Atoi(e)
	if err != nil {
		return 0, false
	}
	if found {
		if n, err := strconv.Atoi(sig); err == nil && n != 0 && code == 0 {
			return 128 + n, true
		}
	}
	return code, true
}

// waitStatus reads squeue's exit_code, the job's raw wait status.
func waitStatus(s string) (int, bool) {
	ws, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || ws < 0 {
		return 0, false
	}
	if sig := ws & 0x7f; sig != 0 {
		return 128 + sig, true
	}
	return ws >> 8 & 0xff, true
}

// parseSqueue reads `squeue -h -O JobID:0|,State:0|,Reason:0|,exit_code:0`
// output, or with JobArrayID for the first field: array tasks as
// ID_INDEX, and an array's pending tasks in one line as ID_[0-999%4].
func parseSqueue(out string) map[string]adapters.Status {
	res := map[string]adapters.Status{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) < 4 || f[0] == "" {
			continue
		}
		code, ok := waitStatus(f[3])
		st := status(f[1], f[2], code, ok)
		for _, id := range expandTasks(f[0]) {
			res[id] = st
		}
	}
	return res
}

// parseSacct reads `sacct -X -n -P -o JobIDRaw,State,ExitCode` output, or
// with JobID for the first field: array tasks as ID_INDEX, and the tasks
// not yet started in one line as ID_[0-3,5%2].
func parseSacct(out string) map[string]adapters.Status {
	res := map[string]adapters.Status{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) < 3 || f[0] == "" || strings.Contains(f[0], ".") {
			continue
		}
		code, ok := exitCode(f[2])
		for _, id := range expandTasks(f[0]) {
			res[id] = status(f[1], "", code, ok)
		}
	}
	return res
}

// expandTasks reads a job id as Slurm prints it: a job's or a task's as
// they are, and tasks in one line (ID_[0-3,5%2], from squeue without -r
// and sacct, or ID_0-3,5%2 from scontrol's ArrayTaskId) as each task's.
func expandTasks(id string) []string {
	base, tasks, ok := strings.Cut(id, "_")
	if !ok {
		return []string{id}
	}
	tasks = strings.TrimSuffix(strings.TrimPrefix(tasks, "["), "]")
	tasks, _, _ = strings.Cut(tasks, "%")
	var out []string
	for _, r := range strings.Split(tasks, ",") {
		r, step, _ := strings.Cut(r, ":")
		from, to, isRange := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(from)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(to)
		}
		by := 1
		if n, err := strconv.Atoi(step); err == nil && n > 0 {
			by = n
		}
		if err1 != nil || err2 != nil || b < a {
			continue
		}
		for i := a; i <= b; i += by {
			out = append(out, base+"_"+strconv.Itoa(i))
		}
	}
	return out
}

// parseScontrol reads `scontrol show job ID` output: JobId, JobState,
// Reason and ExitCode fields; an array task by ArrayJobId_ArrayTaskId.
func parseScontrol(out string) map[string]adapters.Status {
	res := map[string]adapters.Status{}
	fields := map[string]string{}
	flush := func() {
		ids := []string{fields["JobId"]}
		if a, t := fields["ArrayJobId"], fields["ArrayTaskId"]; a != "" && t != "" {
			ids = expandTasks(a + "_" + t)
		}
		for _, id := range ids {
			if id == "" {
				continue
			}
			code, ok := exitCode(fields["ExitCode"])
			res[id] = status(fields["JobState"], fields["Reason"], code, ok)
		}
		fields = map[string]string{}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		for _, kv := range strings.Fields(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				if k == "JobId" && fields["JobId"] != "" {
					flush()
				}
				if _, seen := fields[k]; !seen {
					fields[k] = v
				}
			}
		}
	}
	flush()
	return res
}

// parseSbatch reads `sbatch --parsable` output: "ID" or "ID;cluster" on
// the last line that is not blank (a site's notices may come first).
func parseSbatch(out string) (string, bool) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id, _, _ := strings.Cut(strings.TrimSpace(lines[len(lines)-1]), ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", false
	}
	return id, true
}
