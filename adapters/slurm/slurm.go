package slurm

// Adapter is the Slurm scheduler adapter.
type Adapter struct{}

// New returns the Slurm adapter.
func New() *Adapter { return &Adapter{} }

// Name implements adapters.Adapter.
func (*Adapter) Name() string { return "slurm" }
