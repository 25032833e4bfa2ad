package bundle

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
)

// Phase is where one step of a bundle is, as its files say.
type Phase int

// Phases.
const (
	NotStarted Phase = iota // no <name>.start: the step's script never ran
	Started                 // <name>.start but no end recorded (yet)
	Ended                   // it ended on its own, with Code
	TimedOut                // the runner stopped it at the walltime's warning
	Stopped                 // the runner stopped it on TERM, INT or HUP
	Overran                 // the runner stopped it at its own walltime
)

var phaseNames = [...]string{"not started", "started", "ended", "timed out", "stopped", "overran"}

func (p Phase) String() string { return phaseNames[p] }

// Outcome is what a bundle's files say of one of its steps.
type Outcome struct {
	Phase      Phase
	Start, End time.Time // zero when not recorded
	Host       string    // where it ran
	PID        int       // the process id of its script
	Code       int       // its exit status, once it ended or was stopped
}

// Dir is the directory of the bundle named name in a state directory.
func Dir(stateDir, name string) string { return filepath.Join(stateDir, "bundles", name) }

// Read reads the outcome of job j (its name and token) from the bundle
// directory dir; with id not "", only records of that job id count. A
// start file that cannot be read whole (being written) still says the
// step started; an end record that cannot is not there yet.
func Read(dir string, j *adapters.Job, id string) Outcome {
	var o Outcome
	data, err := os.ReadFile(filepath.Join(dir, j.Name+".start"))
	if err != nil {
		return o
	}
	// time host pid token [jobid]
	f := strings.Fields(string(data))
	if len(f) >= 4 && (f[3] != j.Token || id != "" && len(f) == 5 && f[4] != id) {
		return o // an earlier submission's
	}
	o.Phase = Started
	if len(f) >= 4 {
		o.Start = unix(f[0])
		o.Host = f[1]
		o.PID, _ = strconv.Atoi(f[2])
	}
	data, err = os.ReadFile(filepath.Join(dir, j.Name+".end"))
	if err != nil {
		return o
	}
	// time code token [jobid] how
	f = strings.Fields(string(data))
	if len(f) < 4 || len(f) > 5 || f[2] != j.Token || id != "" && len(f) == 5 && f[3] != id {
		return o
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return o
	}
	switch f[len(f)-1] {
	case "exit":
		o.Phase = Ended
	case "timeout":
		o.Phase = TimedOut
	case "stopped":
		o.Phase = Stopped
	case "overran":
		o.Phase = Overran
	default:
		return o
	}
	o.End, o.Code = unix(f[0]), code
	return o
}

// Read reads the outcome of one of the bundle's steps (see Read).
func (b *Bundle) Read(j *adapters.Job, id string) Outcome { return Read(b.Dir, j, id) }

func unix(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// Status is the state of the step the outcome means, given the state of
// the bundle's job (as its scheduler reports it). again is true for a
// step that never started in a bundle that ended: it goes back to the
// ready queue, no attempt spent. A started step of an ended bundle with
// no end recorded (the runner itself was killed) ends as the bundle did:
// TIMEDOUT, CANCELLED or HWFAILURE, else FAILED. A step stopped on TERM
// is TIMEDOUT when the bundle timed out, else CANCELLED, and waits for the
// bundle's own end to tell. A step stopped at its own walltime is
// TIMEDOUT.
func (o Outcome) Status(bundle state.State) (s adapters.Status, again bool) {
	ended := bundle.Terminal()
	switch o.Phase {
	case NotStarted:
		if ended {
			return adapters.Status{State: state.Pending, Reason: "its bundle ended before it started"}, true
		}
		return adapters.Status{State: state.Pending, Reason: "waiting in its bundle"}, false
	case Started:
		if !ended {
			return adapters.Status{State: state.Running}, false
		}
		s = adapters.Status{State: state.Failed, Reason: "its bundle ended (" + string(bundle) + ") with no end recorded for it"}
		switch bundle {
		case state.TimedOut, state.Cancelled, state.HWFailure:
			s.State = bundle
		}
		return s, false
	case Ended:
		if bundle == state.TimedOut && (o.Code == 128+15 || o.Code == 128+9) {
			// Killed by the scheduler at the walltime before the runner
			// could mark it (Slurm signals every process of the job at once).
			return adapters.Status{State: state.TimedOut, ExitCode: &o.Code, Reason: "killed at its bundle's walltime"}, false
		}
		s = adapters.Status{State: state.Finished, ExitCode: &o.Code}
		if o.Code != 0 {
			s.State = state.Failed
		}
		return s, false
	case TimedOut:
		return adapters.Status{State: state.TimedOut, ExitCode: &o.Code, Reason: "stopped at its bundle's walltime"}, false
	case Overran:
		return adapters.Status{State: state.TimedOut, ExitCode: &o.Code, Reason: "stopped at its own walltime in its bundle"}, false
	}
	if !ended {
		return adapters.Status{State: state.Running, Reason: "stopped; its bundle is ending"}, false
	}
	s = adapters.Status{State: state.Cancelled, ExitCode: &o.Code, Reason: "its bundle was stopped (" + string(bundle) + ")"}
	switch bundle {
	case state.TimedOut, state.HWFailure:
		s.State = bundle
	}
	return s, false
}
