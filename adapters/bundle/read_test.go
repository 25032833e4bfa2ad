package bundle

import (
	"testing"

	"github.com/maestro-go/maestro/state"
)

// A step that ended by SIGTERM or SIGKILL in a bundle that ran out of
// walltime was killed by it, even when the runner could not mark it so;
// the same exit in a bundle that ended otherwise is the step's failure.
func TestKilledAtWalltime(t *testing.T) {
	for _, c := range []struct {
		code   int
		bundle state.State
		want   state.State
	}{
		{143, state.TimedOut, state.TimedOut},
		{137, state.TimedOut, state.TimedOut},
		{1, state.TimedOut, state.Failed},
		{0, state.TimedOut, state.Finished},
		{143, state.Failed, state.Failed},
	} {
		s, again := Outcome{Phase: Ended, Code: c.code}.Status(c.bundle)
		if s.State != c.want || again {
			t.Errorf("code %d in a %s bundle: %s (again %v), want %s", c.code, c.bundle, s.State, again, c.want)
		}
	}
}
