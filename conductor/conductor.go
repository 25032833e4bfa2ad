// Package conductor drives a written study to its end (docs/ARCHITECTURE.md):
// it submits ready steps through the scheduler adapters, watches them, reacts
// to their end states, obeys cancel and update requests, and records every
// state change in the study's database.
package conductor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// Options configure one conductor run.
type Options struct {
	Dir       string
	SleepSecs int       // overrides the study's sleep setting when > 0
	Out       io.Writer // log lines also go here (the detached conductor's <name>.txt)
	Debug     bool
	// Adapters are the schedulers the study's batch.type may name
	// (adapters/all.Registry: every one); tests hand the conductor an
	// executor with an adapter of their own.
	Adapters adapters.Registry
	// Env is the environment of scheduler commands (adapters.Config.Env);
	// nil is this process's.
	Env func() []string
	// Tunables are the conductor's timings and bounds.
	Tunables Tunables
	// StopLocal makes an interrupt (the end of Run's context) stop the
	// study's local steps and record them to run again, as `maestro run
	// -fg` wants of Ctrl-C; without it they run on, for the next conductor
	// to adopt. Scheduled jobs are left alone either way.
	StopLocal bool
	// Started, when set, is called once the conductor holds the study's
	// lock.
	Started func()
	// Attach, when set, starts what serves beside the conductor (cli's
	// HTTP API) once the conductor holds the lock and has opened its log:
	// wake makes the conductor take queued requests at once, logf writes
	// to its log. The conductor tells it of recorded events and closes it
	// when it stops.
	Attach func(dir string, wake func(), logf func(format string, args ...any)) (Attachment, error)
	// DB wraps the study database the conductor writes (tests inject
	// failing writes with it); nil uses it as it is.
	DB func(Database) Database
}

// Attachment is what Options.Attach started.
type Attachment interface {
	Changed() // new events are recorded
	Close()
}

// Database is what the conductor needs of the study's store.
type Database interface {
	View(fn func(*store.Tx) error) error
	Update(fn func(*store.Tx) error) error
}

// Tunables are the conductor's timings and bounds. A zero field takes its
// default (see DefaultTunables); tests shorten them.
type Tunables struct {
	// RequestCheck is how often the conductor looks for cancel and update
	// requests when no signal told it of one.
	RequestCheck time.Duration
	// CommandLimit bounds one scheduler command.
	CommandLimit time.Duration
	// MaxHWRetries bounds resubmissions after a node failure.
	MaxHWRetries int
	// MissLimit is how many polls in a row may miss a job before it is
	// reported NOTFOUND.
	MissLimit int
	// CSVInterval is the least time between rewrites of status.csv; a
	// study so large that writing it takes long waits 20 times as long.
	CSVInterval time.Duration
	// FlushInterval is how long changes to local steps may wait to be
	// written, so that a burst of short steps costs one transaction.
	FlushInterval time.Duration
	// SleepUnit is what one unit of the study's sleep setting lasts.
	SleepUnit time.Duration
	// SubmitSlice bounds one pass of submissions, so that a long queue of
	// scheduler submissions is recorded, and requests are heard, as it
	// goes.
	SubmitSlice time.Duration
	// MarkAhead bounds how many scheduled steps are marked Submitting at
	// once (one transaction), and so how many a recovery may have to find.
	MarkAhead int
	// MaxBackoff bounds the wait between scheduler queries after failures.
	MaxBackoff time.Duration
	// WriteGiveUp is how long writes to the study database may fail, with
	// no job in flight, before the conductor stops.
	WriteGiveUp time.Duration
	// BundleParallel is how many of its steps a bundle (maestro run
	// --bundle) runs at a time, and so how many steps' resources it asks
	// for; 0: all of them.
	BundleParallel int
	// BundleLead, BundleGrace and BundleMaxWalltime are a bundle's
	// bundle.Options (0: the package's defaults; no cap): how long before
	// its walltime the scheduler warns it, how long a step it stops has
	// between TERM and KILL, and the cap on its walltime (a partition's
	// limit).
	BundleLead, BundleGrace, BundleMaxWalltime time.Duration
}

// DefaultTunables are the conductor's timings and bounds in production.
func DefaultTunables() Tunables {
	return Tunables{RequestCheck: time.Second, CommandLimit: 30 * time.Second, MaxHWRetries: 3, MissLimit: 3,
		CSVInterval: time.Second, FlushInterval: 20 * time.Millisecond, SleepUnit: time.Second,
		SubmitSlice: 2 * time.Second, MarkAhead: 128, MaxBackoff: 10 * time.Minute, WriteGiveUp: time.Minute}
}

// withDefaults fills the zero fields of t from DefaultTunables.
func (t Tunables) withDefaults() Tunables {
	d := DefaultTunables()
	fill := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&t.RequestCheck, d.RequestCheck)
	fill(&t.CommandLimit, d.CommandLimit)
	fill(&t.CSVInterval, d.CSVInterval)
	fill(&t.FlushInterval, d.FlushInterval)
	fill(&t.SleepUnit, d.SleepUnit)
	fill(&t.SubmitSlice, d.SubmitSlice)
	fill(&t.MaxBackoff, d.MaxBackoff)
	fill(&t.WriteGiveUp, d.WriteGiveUp)
	if t.MaxHWRetries <= 0 {
		t.MaxHWRetries = d.MaxHWRetries
	}
	if t.MissLimit <= 0 {
		t.MissLimit = d.MissLimit
	}
	if t.MarkAhead <= 0 {
		t.MarkAhead = d.MarkAhead
	}
	return t
}

// ErrRunning is returned when another conductor drives the study.
var ErrRunning = errors.New("another conductor is driving this study")

// Run drives the study in opt.Dir until it ends and returns its end state.
func Run(ctx context.Context, opt Options) (state.Study, error) {
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return "", err
	}
	st, err := open(dir)
	if err != nil {
		return "", err
	}
	unlock, err := Lock(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	if opt.Started != nil {
		opt.Started()
	}
	e, err := newEngine(dir, st, opt)
	if err != nil {
		return "", err
	}
	defer e.closeLog()
	if opt.Attach != nil {
		if e.rec.attached, err = opt.Attach(dir, func() { poke(e.requests) }, e.logf); err != nil {
			return "", err
		}
		defer e.rec.attached.Close()
	}
	return e.run(ctx)
}

// poke wakes whoever waits on ch, without blocking.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func open(dir string) (*store.Store, error) {
	st, err := store.Open(dir)
	if errors.Is(err, store.ErrNoStudy) {
		return nil, fmt.Errorf("%s holds no study (no %s)", dir, store.File)
	}
	return st, err
}

// Lock takes the study's conductor lock, held for as long as the conductor
// runs; a second conductor gets a clear refusal.
func Lock(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "meta", "conductor.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if pid := Running(dir); pid > 0 {
			return nil, fmt.Errorf("%w (pid %d); refusing to start a second one for %s", ErrRunning, pid, dir)
		}
		return nil, fmt.Errorf("%w; refusing to start a second one for %s", ErrRunning, dir)
	}
	return func() { f.Close() }, nil
}

// Running returns the pid of the conductor driving the study in dir, or 0.
func Running(dir string) int {
	f, err := os.Open(filepath.Join(dir, "meta", "conductor.lock"))
	if err != nil {
		return 0
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return 0
	}
	st, err := store.Open(dir)
	if err != nil {
		return -1
	}
	pid := -1
	st.View(func(tx *store.Tx) error {
		if c, err := tx.Conductor(); err == nil && c.PID > 0 {
			pid = c.PID
		}
		return nil
	})
	return pid
}

// engine is one conductor: it feeds the steps' state machine what the
// executors report, submits what the machine makes ready, and records what
// changed.
type engine struct {
	dir     string
	st      Database
	info    *store.StudyInfo
	m       *machine
	rec     *recorder
	sched   *scheduler // its executor is nil for a local study
	local   adapters.Executor
	writer  adapters.ScriptWriter // the scheduler's, for bundles' scripts; nil for a local study
	records adapters.Records      // what jobs' scripts recorded of their end
	misses  []uint8               // polls in a row that missed a step's job

	stored       func(*store.StepInfo) *adapters.Script // a step with the study's batch block (adapters.StoredScript)
	keys         map[int32]string                       // bundle.Key of steps, as asked
	unbundled    map[int32]bool                         // steps whose bundle could not be written or was refused
	bundleMisses map[string]uint8                       // polls in a row that missed a bundle job
	wake         chan struct{}                          // a local step ended
	requests     chan struct{}                          // a request was queued in this process
	log          *log.Logger
	logFile      *os.File

	cancelling      bool
	t               Tunables
	adapters        adapters.Registry
	env             func() []string
	stopOnInterrupt bool
}

// newEngine loads the study and opens its executors: the whole engine of
// a conductor.
func newEngine(dir string, st *store.Store, opt Options) (*engine, error) {
	e, err := load(dir, st, opt)
	if err != nil {
		return nil, err
	}
	if err := e.openExecutors(); err != nil {
		e.closeLog()
		return nil, err
	}
	return e, nil
}

// load reads the study into a machine, with a recorder to write it and the
// study's log open; no executor is open yet (see openExecutors), so that
// Reset and Apply open only what they need.
func load(dir string, st *store.Store, opt Options) (*engine, error) {
	e := &engine{dir: dir, st: st, wake: make(chan struct{}, 1), requests: make(chan struct{}, 1),
		t: opt.Tunables.withDefaults(), adapters: opt.Adapters, env: opt.Env, stopOnInterrupt: opt.StopLocal}
	if opt.DB != nil {
		e.st = opt.DB(st)
	}
	var (
		steps    []store.StepInfo
		status   []store.StepStatus
		settings store.Settings
		study    state.Study
	)
	err := st.View(func(tx *store.Tx) error {
		var err error
		if e.info, err = tx.Info(); err != nil {
			return err
		}
		if settings, err = tx.Settings(); err != nil {
			return err
		}
		if study, err = tx.StudyState(); err != nil {
			return err
		}
		if steps, err = tx.Steps(); err != nil {
			return err
		}
		status, err = tx.Statuses()
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(steps) != len(status) {
		return nil, fmt.Errorf("the study database in %s is damaged: %d steps but %d statuses", dir, len(steps), len(status))
	}
	if e.info.Dry {
		return nil, fmt.Errorf("%s was written with --dry; there is nothing to run", dir)
	}
	if opt.SleepSecs > 0 {
		settings.SleepSecs = opt.SleepSecs
	}
	if e.info.BatchType == "local" {
		// With no scheduler, steps that ask for nodes or procs run locally
		// like the rest.
		for i := range steps {
			steps[i].Scheduled = false
		}
	}
	e.m = newMachine(steps, status, settings, study, e.t.MaxHWRetries)
	e.rec = &recorder{db: e.st, dir: dir, t: e.t, logf: e.logf}
	e.misses = make([]uint8, len(steps))
	e.keys, e.unbundled, e.bundleMisses = map[int32]string{}, map[int32]bool{}, map[string]uint8{}
	batch := adapters.SpecBatch(&e.info.Batch)
	e.stored = func(si *store.StepInfo) *adapters.Script { return adapters.StoredScript(si, batch) }
	if err := e.openLog(opt.Out); err != nil {
		return nil, err
	}
	if opt.Debug {
		e.m.debugf = func(format string, args ...any) { e.log.Printf("debug: "+format, args...) }
	}
	e.records = adapters.Records{Dir: filepath.Join(dir, "meta", "jobs")}
	e.sched = newScheduler(nil, e.t, e.sleep, e.logf)
	return e, nil
}

func (e *engine) openLog(out io.Writer) error {
	f, err := os.OpenFile(filepath.Join(e.dir, "logs", e.info.Stem+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	e.logFile = f
	var w io.Writer = f
	if out != nil {
		w = io.MultiWriter(f, out)
	}
	e.log = log.New(w, "", log.LstdFlags)
	return nil
}

func (e *engine) closeLog() {
	if e.logFile != nil {
		e.logFile.Close()
	}
}

func (e *engine) logf(format string, args ...any) { e.log.Printf(format, args...) }

func (e *engine) openExecutors() error {
	la, err := e.adapters.Get("local")
	if err != nil {
		return err
	}
	if e.local, err = la.Open(e.config()); err != nil {
		return err
	}
	for _, s := range e.m.steps {
		if s.Scheduled {
			return e.openSched()
		}
	}
	return nil
}

// openSched opens the executor of the study's scheduler.
func (e *engine) openSched() error {
	a, err := e.adapters.Get(e.info.BatchType)
	if err != nil {
		return err
	}
	if e.sched.ex, err = a.Open(e.config()); err != nil {
		return err
	}
	e.writer = a
	return nil
}

func (e *engine) config() adapters.Config {
	return adapters.Config{Batch: adapters.SpecBatch(&e.info.Batch), Notify: func() { poke(e.wake) }, Logf: e.logf,
		StateDir: e.records.Dir, Env: e.env}
}

// localCap is how many local steps may run at once.
func (e *engine) localCap() int {
	if e.m.settings.Throttle > 0 {
		return e.m.settings.Throttle
	}
	return runtime.NumCPU()
}

func (e *engine) sleep() time.Duration {
	s := e.m.settings.SleepSecs
	if s <= 0 {
		s = 1
	}
	return time.Duration(s) * e.t.SleepUnit
}
