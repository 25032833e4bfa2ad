// Package state names the states of steps and studies; docs/SCHEDULERS.md
// maps each scheduler's states to them.
package state

// State is the state of one step.
type State string

// Step states.
const (
	Initialized State = "INITIALIZED"
	Pending     State = "PENDING"
	Waiting     State = "WAITING"
	Queued      State = "QUEUED"
	Running     State = "RUNNING"
	Finishing   State = "FINISHING"
	Finished    State = "FINISHED"
	Failed      State = "FAILED"
	Incomplete  State = "INCOMPLETE"
	HWFailure   State = "HWFAILURE"
	TimedOut    State = "TIMEDOUT"
	Unknown     State = "UNKNOWN"
	Cancelled   State = "CANCELLED"
	NotFound    State = "NOTFOUND"
	DryRun      State = "DRYRUN"
)

// All lists every step state in the order summaries print them.
var All = []State{Initialized, Pending, Waiting, Queued, Running, Finishing, Finished,
	Failed, Incomplete, HWFailure, TimedOut, Unknown, Cancelled, NotFound, DryRun}

// Terminal reports whether a step in state s will not change again on its
// own (a restart or resubmission is the conductor's decision).
func (s State) Terminal() bool {
	switch s {
	case Finished, Failed, Cancelled, TimedOut, DryRun, Incomplete, Unknown, NotFound, HWFailure:
		return true
	}
	return false
}

// InFlight reports whether a step in state s holds a job the scheduler
// (or the local adapter) is working on.
func (s State) InFlight() bool {
	switch s {
	case Pending, Waiting, Queued, Running, Finishing:
		return true
	}
	return false
}

// Study is the state of a whole study.
type Study string

// Study states.
const (
	StudyInitialized Study = "INITIALIZED"
	StudyRunning     Study = "RUNNING"
	StudyFinished    Study = "FINISHED"
	StudyFailure     Study = "FAILURE"
	StudyCancelled   Study = "CANCELLED"
	StudyDryRun      Study = "DRYRUN"
)

// Ended reports whether a study in state s has reached its end.
func (s Study) Ended() bool {
	return s == StudyFinished || s == StudyFailure || s == StudyCancelled
}
