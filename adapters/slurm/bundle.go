package slurm

import (
	"fmt"
	"time"
)

// WalltimeSignal implements bundle.Signaller: Slurm sends USR1 to the
// batch shell only (B:), lead before the time limit (up to a minute
// earlier: Slurm checks limits about twice a minute).
func (*Adapter) WalltimeSignal(lead time.Duration) string {
	return fmt.Sprintf("#SBATCH --signal=B:USR1@%d", int(lead/time.Second))
}
