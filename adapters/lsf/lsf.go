package lsf

// Adapter is the LSF scheduler adapter.
type Adapter struct{}

// New returns the LSF adapter.
func New() *Adapter { return &Adapter{} }

// Name implements adapters.Adapter.
func (*Adapter) Name() string { return "lsf" }
