package adapters

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// exitTrap is sourced by bash before a step's script runs (through
// BASH_ENV), on this machine or on a compute node: it records the script's
// process id, then its exit status, each with the submission's token and
// the scheduler's job id (empty for a local step), in the study's state
// directory. So a conductor that restarts after a crash finds a local step
// it started but did not record, and learns how a job it did not see end
// ended, even after the scheduler forgot it, at the cost of no extra
// process. Nested bash scripts get the user's own BASH_ENV back. A bash
// wrapper around a scheduler command also reads it, but records no job id,
// so its record is never taken for a job's. The task of a job array
// records the task's own id, which its driver script (see ArrayDriver)
// passes in MAESTRO_JOB_ID (unexported here, so the step's own commands
// do not inherit it).
const exitTrap = `# Written by maestro: tells the conductor about this step's process.
if [ -n "${MAESTRO_BASH_ENV:-}" ]; then export BASH_ENV="$MAESTRO_BASH_ENV"; . "$MAESTRO_BASH_ENV"; else unset BASH_ENV; fi
export -n MAESTRO_JOB_ID
printf '%s %s\n' "$$" "$MAESTRO_TOKEN" > "$MAESTRO_RC.pid"
trap 'printf "%s %s %s\n" "$?" "$MAESTRO_TOKEN" "${MAESTRO_JOB_ID:-${SLURM_JOB_ID:-${LSB_JOBID:-${FLUX_JOB_ID:-}}}}" > "$MAESTRO_RC"' EXIT
`

// Records are the exit statuses jobs recorded in a state directory.
type Records struct {
	Dir string // "" when nothing is recorded
}

// Path is where the exit status of the job named name is recorded; "" when
// nothing is.
func (r Records) Path(name string) string {
	if r.Dir == "" {
		return ""
	}
	return filepath.Join(r.Dir, name+".rc")
}

// Exit returns the exit status the script of job j recorded in the
// submission that became job id ("" for a local step: any job id).
func (r Records) Exit(j *Job, id string) (int, bool) {
	path := r.Path(j.Name)
	if path == "" {
		return 0, false
	}
	return ReadRecord(path, j.Token, id)
}

// Recorder has the jobs' bash scripts record how they ended (see
// exitTrap) in a state directory.
type Recorder struct {
	Records
	env []string
}

// NewRecorder writes the exit trap into dir and returns the recorder; with
// dir "" nothing is recorded.
func NewRecorder(dir string) (*Recorder, error) {
	r := &Recorder{Records: Records{Dir: dir}}
	if dir == "" {
		return r, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Jobs source the trap as they start, maybe while another conductor
	// opens its executors: it is replaced whole, and only when it differs.
	trap := filepath.Join(dir, "exit-trap.bash")
	if old, err := os.ReadFile(trap); err != nil || string(old) != exitTrap {
		if err := writeWhole(trap, []byte(exitTrap), 0o644); err != nil {
			return nil, err
		}
	}
	r.env = []string{"BASH_ENV=" + trap, "MAESTRO_BASH_ENV=" + os.Getenv("BASH_ENV")}
	return r, nil
}

// Env is what a job's environment needs for its script to record: the
// variables bash reads, and where and with which token to record.
func (r *Recorder) Env(j *Job) []string {
	if r.Dir == "" {
		return nil
	}
	return append(r.env[:len(r.env):len(r.env)], "MAESTRO_RC="+r.Path(j.Name), "MAESTRO_TOKEN="+j.Token)
}

// ReadRecord reads "number token [jobid]" from path, when the token is the
// one given and, unless id is "", the job id too.
func ReadRecord(path, token, id string) (int, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(data))
	if len(f) < 2 || len(f) > 3 || f[1] != token {
		return 0, false
	}
	if id != "" && (len(f) < 3 || f[2] != id) {
		return 0, false
	}
	n, err := strconv.Atoi(f[0])
	return n, err == nil
}
