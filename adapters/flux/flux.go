package flux

// Adapter is the Flux scheduler adapter.
type Adapter struct{}

// New returns the Flux adapter.
func New() *Adapter { return &Adapter{} }

// Name implements adapters.Adapter.
func (*Adapter) Name() string { return "flux" }
