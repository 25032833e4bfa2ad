// Package store keeps a study's state in a bbolt database in the study
// directory, so that the conductor, status, cancel and update share one
// consistent view.
//
// Layout of meta/maestro.db (schema 1):
//
//	meta      "schema"   -> decimal schema version
//	          "study"    -> JSON StudyInfo (written once, at launch)
//	          "settings" -> JSON Settings (throttle, rlimit, attempts, sleep)
//	          "state"    -> study state (state.Study)
//	          "conductor"-> JSON Conductor (pid, host, start) of the running conductor
//	steps     uint32 BE node index -> JSON StepInfo (static, written at launch)
//	status    uint32 BE node index -> JSON StepStatus (rewritten on every change)
//	requests  uint64 BE sequence   -> JSON Request (cancel and update asks)
//	events    uint64 BE sequence   -> JSON Event (every state change)
//
// The records are this package's own types, with explicit JSON names:
// what other packages call their fields does not change the format. The
// records of schema 1 (Batch and KV) carry Go field names, as the first
// version wrote them.
//
// A new schema increments SchemaVersion and adds migrations[old], which
// rewrites a database of schema old into old+1 in one transaction; Open
// runs every step from a database's version up to SchemaVersion, so old
// studies keep opening. testdata/schema1 is a database of schema 1 that
// every later version must open (schema_test.go); a new schema adds its
// own fixture, written by the last version before the next change.
//
// Nobody keeps the database open: bbolt locks the file for as long as it is
// open, so every reader and writer opens it for one transaction and closes
// it again. Transactions are short, and everyone queues for the lock at
// meta/maestro.db.gate (see turn), so the conductor never waits for more
// than the transactions ahead of it, however many `maestro status` loops
// run, and a reader never sees a torn state.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/maestro-go/maestro/state"
)

// SchemaVersion is the layout this package reads and writes.
const SchemaVersion = 1

// File is the database's path relative to the study directory.
const File = "meta/maestro.db"

// DefaultLockTimeout is Store.LockTimeout's default.
const DefaultLockTimeout = 10 * time.Second

var (
	bucketMeta     = []byte("meta")
	bucketSteps    = []byte("steps")
	bucketStatus   = []byte("status")
	bucketRequests = []byte("requests")
	bucketEvents   = []byte("events")
	allBuckets     = [][]byte{bucketMeta, bucketSteps, bucketStatus, bucketRequests, bucketEvents}
)

// StudyInfo describes a study; it never changes after launch.
type StudyInfo struct {
	Name       string    `json:"name"`
	Stem       string    `json:"stem"` // the name as file names use it: <stem>.txt, logs/<stem>.log
	Dir        string    `json:"dir"`
	Spec       string    `json:"spec"` // the spec copy inside the study directory
	BatchType  string    `json:"batch_type"`
	Batch      Batch     `json:"batch"`
	Created    time.Time `json:"created"`
	Dry        bool      `json:"dry,omitempty"`
	ScriptsDir string    `json:"scripts_dir,omitempty"` // --usetmp: where scripts live
}

// Batch is the study's batch block (spec.Batch as launched). Its JSON
// names are those of schema 1: never rename them.
type Batch struct {
	Type        string            `json:"Type"`
	Shell       string            `json:"Shell"`
	Host        string            `json:"Host"`
	Bank        string            `json:"Bank"`
	Queue       string            `json:"Queue"`
	Nodes       string            `json:"Nodes"`
	Procs       string            `json:"Procs"`
	GPUs        string            `json:"GPUs"`
	Reservation string            `json:"Reservation"`
	QOS         string            `json:"QOS"`
	Version     string            `json:"Version"`
	FluxURI     string            `json:"FluxURI"`
	Args        []KV              `json:"Args"`  // batch.args in file order
	Extra       map[string]string `json:"Extra"` // keys other tools put in the batch block
}

// KV is one key and its value: a batch arg or a step's parameter.
type KV struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Settings are the conductor's knobs; `maestro update` changes them.
type Settings struct {
	Attempts  int `json:"attempts"`
	RLimit    int `json:"rlimit"`
	Throttle  int `json:"throttle"`
	SleepSecs int `json:"sleep"`
	// Array submits the expansions of a step that are ready together as
	// job arrays, where the scheduler has them (maestro run --array).
	Array bool `json:"array,omitempty"`
	// Bundle runs up to this many ready scheduled steps that ask for the
	// same resources in one scheduler job (maestro run --bundle K); 0 or 1:
	// one job per step.
	Bundle int `json:"bundle,omitempty"`
}

// Conductor identifies the conductor process driving the study.
type Conductor struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// StepInfo is the static description of one expanded step. Array and
// Bundle are the spec's choice for a scheduled step (run.array or
// run.bundle, else batch.array or batch.bundle; docs/SPEC.md): its
// expansions go in job arrays, or Bundle of them to one job (0: no
// bundle). maestro run --array or --bundle (Settings) override them.
type StepInfo struct {
	Name      string  `json:"name"`
	Step      string  `json:"step"`
	Workspace string  `json:"workspace"` // relative to the study directory
	Script    string  `json:"script"`
	Restart   string  `json:"restart,omitempty"`
	Scheduled bool    `json:"scheduled,omitempty"`
	JobName   string  `json:"job_name"`
	Walltime  string  `json:"walltime,omitempty"`
	Nested    bool    `json:"nested,omitempty"` // Flux: flux batch rather than flux submit
	Array     bool    `json:"array,omitempty"`  // the step asks for job arrays (see below)
	Bundle    int     `json:"bundle,omitempty"` // the step asks for bundles of this many steps (see below)
	Params    []KV    `json:"params,omitempty"`
	Parents   []int32 `json:"parents,omitempty"`
	// Resources are the scheduler resources of a step that may be bundled
	// or arrayed (its run keys, by their spec names, those set only), so
	// that the conductor can group steps, write a bundle's header and
	// tell an array's headers alike (adapters.ResourceKey).
	Resources []KV `json:"resources,omitempty"`
}

// StepStatus is the changing state of one expanded step.
type StepStatus struct {
	State     state.State `json:"state"`
	JobID     string      `json:"job_id,omitempty"`
	Submitted time.Time   `json:"submitted,omitzero"`
	Started   time.Time   `json:"started,omitzero"`
	Ended     time.Time   `json:"ended,omitzero"`
	Restarts  int         `json:"restarts,omitempty"`
	Attempts  int         `json:"attempts,omitempty"`
	HWRetries int         `json:"hw_retries,omitempty"`
	ExitCode  *int        `json:"exit_code,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	// Submitting marks a step about to be submitted: written before the
	// submission, so that a conductor that died in between finds the job
	// (by Token for local steps, by name for scheduler jobs) instead of
	// submitting it twice. Token counts the step's submissions.
	Submitting bool      `json:"submitting,omitempty"`
	Token      int       `json:"token,omitempty"`
	MarkedAt   time.Time `json:"marked_at,omitzero"`
	// Bundle is the job name of the bundle the step is submitted in
	// (maestro run --bundle), recorded with its mark: a conductor that
	// died submitting it looks for that job.
	Bundle string `json:"bundle,omitempty"`
}

// Store is a study's database. It holds no open file between calls.
type Store struct {
	path string
	// LockTimeout bounds how long a transaction waits for another
	// process's before giving up with a clear message; 0 is
	// DefaultLockTimeout.
	LockTimeout time.Duration
}

// Path returns the database file of the study in dir.
func Path(dir string) string { return filepath.Join(dir, File) }

// ErrNoStudy is returned for a directory that holds no study.
var ErrNoStudy = errors.New("no study here")

// Migration rewrites a database of one schema into the next, inside the
// transaction it is given.
type Migration func(*Tx) error

// migrations[v] upgrades schema v to v+1. Schema 1 is the first: none yet.
var migrations = map[int]Migration{}

// Open checks that dir holds a study database this version can read,
// upgrading one of an older schema first.
func Open(dir string) (*Store, error) { return open(dir, SchemaVersion, migrations) }

// open opens a database for schema want, running migrations from its own
// schema up.
func open(dir string, want int, migrations map[int]Migration) (*Store, error) {
	s := &Store{path: Path(dir)}
	if _, err := os.Stat(s.path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNoStudy
		}
		return nil, err
	}
	var version string
	err := s.View(func(tx *Tx) error {
		b := tx.tx.Bucket(bucketMeta)
		if b == nil {
			return fmt.Errorf("the study database %s has no meta bucket", s.path)
		}
		version = string(b.Get([]byte("schema")))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if version == strconv.Itoa(want) {
		return s, nil
	}
	v, err := strconv.Atoi(version)
	if err != nil || v < 1 || v > want || !migratable(v, want, migrations) {
		return nil, fmt.Errorf("the study in %s was written with state schema %q; this maestro reads schema %d (use the maestro version that launched it)", dir, version, want)
	}
	if err := s.migrate(want, migrations); err != nil {
		return nil, fmt.Errorf("cannot upgrade the study database %s from schema %d to %d: %v", s.path, v, want, err)
	}
	return s, nil
}

// migratable reports whether migrations lead from schema v to want.
func migratable(v, want int, migrations map[int]Migration) bool {
	for ; v < want; v++ {
		if migrations[v] == nil {
			return false
		}
	}
	return true
}

// migrate upgrades the database to schema want in one transaction, so a
// failed step leaves it as it was. It reads the version again under the
// write lock: another process may have upgraded it meanwhile.
func (s *Store) migrate(want int, migrations map[int]Migration) error {
	return s.update(func(tx *Tx) error {
		meta, err := tx.bucket(bucketMeta)
		if err != nil {
			return err
		}
		v, err := strconv.Atoi(string(meta.Get([]byte("schema"))))
		if err != nil {
			return err
		}
		for ; v < want; v++ {
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("schema %d to %d: %w", v, v+1, err)
			}
			if err := meta.Put([]byte("schema"), []byte(strconv.Itoa(v+1))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Create writes a new database for a study.
func Create(dir string, info *StudyInfo, settings Settings, steps []StepInfo, status []StepStatus, st state.Study) (*Store, error) {
	d, err := Prepare(dir, info, settings, st, len(steps), func(i int, si *StepInfo, ss *StepStatus) {
		*si, *ss = steps[i], status[i]
	})
	if err != nil {
		return nil, err
	}
	return d.Publish()
}

// Draft is a study database written beside its place (File + ".new"),
// where no reader looks: Publish moves it into place, Discard removes it.
type Draft struct {
	tmp, path string
}

// draftBatch is how many steps go into one transaction of Prepare: the
// transaction keeps every record it writes in memory until it commits.
const draftBatch = 5_000

// Prepare writes the database of a new study with n steps, which record
// fills in one at a time (into zeroed records), as a Draft. It writes the
// steps in transactions of draftBatch each, so that its memory does not
// grow with the study, and syncs the file once, at the end.
func Prepare(dir string, info *StudyInfo, settings Settings, st state.Study, n int, record func(i int, info *StepInfo, status *StepStatus)) (*Draft, error) {
	d := &Draft{tmp: Path(dir) + ".new", path: Path(dir)}
	if _, err := os.Stat(d.path); err == nil {
		return nil, fmt.Errorf("%s already holds a study database", dir)
	}
	os.Remove(d.tmp) // left by a launch that died
	if gate, err := os.OpenFile(d.path+".gate", os.O_RDWR|os.O_CREATE, 0o644); err == nil {
		gate.Close() // the study's gate (see turn) is there from the start
	}
	db, err := bolt.Open(d.tmp, 0o644, &bolt.Options{NoSync: true, InitialMmapSize: 64<<10 + 1024*(n+1)})
	if err != nil {
		return nil, fmt.Errorf("cannot create the study database %s: %v", d.tmp, err)
	}
	err = db.Update(func(btx *bolt.Tx) error {
		tx := &Tx{tx: btx}
		for _, b := range allBuckets {
			if _, err := btx.CreateBucket(b); err != nil {
				return err
			}
		}
		meta := btx.Bucket(bucketMeta)
		if err := meta.Put([]byte("schema"), []byte(strconv.Itoa(SchemaVersion))); err != nil {
			return err
		}
		if err := putJSON(meta, []byte("study"), info); err != nil {
			return err
		}
		if err := tx.SetSettings(settings); err != nil {
			return err
		}
		return tx.SetStudyState(st)
	})
	var (
		enc recordEncoder
		si  StepInfo
		ss  StepStatus
	)
	for lo := 0; lo < n && err == nil; lo += draftBatch {
		err = db.Update(func(btx *bolt.Tx) error {
			sb, stb := btx.Bucket(bucketSteps), btx.Bucket(bucketStatus)
			sb.FillPercent, stb.FillPercent = 1, 1 // keys only ever grow: pack pages full
			enc.reset()
			for i := lo; i < min(n, lo+draftBatch); i++ {
				si, ss = StepInfo{}, StepStatus{}
				record(i, &si, &ss)
				k := enc.key(i)
				if err := sb.Put(k, enc.keep(appendStepJSON(enc.buf[:0], &si))); err != nil {
					return err
				}
				v, err := encodeStatus(enc.buf[:0], &ss)
				if err != nil {
					return err
				}
				if err := stb.Put(k, enc.keep(v)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil {
		err = db.Sync()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(d.tmp)
		return nil, fmt.Errorf("cannot write the study database %s: %v", d.tmp, err)
	}
	return d, nil
}

// Publish moves the database into place: from now on the directory holds
// a study.
func (d *Draft) Publish() (*Store, error) {
	if err := os.Rename(d.tmp, d.path); err != nil {
		os.Remove(d.tmp)
		return nil, err
	}
	return &Store{path: d.path}, nil
}

// Discard removes the draft.
func (d *Draft) Discard() { os.Remove(d.tmp) }

// recordEncoder encodes the records of one transaction into chunks of
// memory that live as long as the transaction: bbolt keeps the keys and
// values it is given, uncopied, until it commits, and holds none of them
// after, so the next transaction reuses the chunks.
type recordEncoder struct {
	buf    []byte   // where each record is encoded before it is kept
	chunks [][]byte // every chunk; the current one is chunks[cur]
	cur    int
}

// reset makes every chunk free again, for a new transaction.
func (e *recordEncoder) reset() {
	for i := range e.chunks {
		e.chunks[i] = e.chunks[i][:0]
	}
	e.cur = 0
}

// take returns n bytes of the current chunk, moving on to the next (made
// if need be) when it is full.
func (e *recordEncoder) take(n int) []byte {
	for e.cur < len(e.chunks) && cap(e.chunks[e.cur])-len(e.chunks[e.cur]) < n {
		e.cur++
	}
	if e.cur == len(e.chunks) {
		e.chunks = append(e.chunks, make([]byte, 0, max(n, 1<<20)))
	}
	c := e.chunks[e.cur]
	lo := len(c)
	e.chunks[e.cur] = c[:lo+n]
	return c[lo : lo+n : lo+n]
}

func (e *recordEncoder) key(i int) []byte {
	k := e.take(4)
	binary.BigEndian.PutUint32(k, uint32(i))
	return k
}

// keep copies data (the encoder's buffer) into the chunk.
func (e *recordEncoder) keep(data []byte) []byte {
	e.buf = data[:0]
	out := e.take(len(data))
	copy(out, data)
	return out
}

// encodeStatus appends st to b as json.Marshal writes it, or fails as
// json.Marshal does.
func encodeStatus(b []byte, st *StepStatus) ([]byte, error) {
	if !statusEncodable(st) {
		data, err := json.Marshal(st)
		return append(b, data...), err
	}
	return appendStatusJSON(b, st), nil
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	db, err := s.open(true)
	if err != nil {
		return err
	}
	defer db.Close()
	return guard(s.path, func() error { return db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) }) })
}

// Update runs fn in a read-write transaction.
func (s *Store) Update(fn func(*Tx) error) error {
	if _, err := os.Stat(s.path); err != nil {
		return fmt.Errorf("study database %s: %w", s.path, err)
	}
	return s.update(fn)
}

func (s *Store) update(fn func(*Tx) error) error {
	db, err := s.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	return guard(s.path, func() error { return db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) }) })
}

func (s *Store) open(readOnly bool) (*bolt.DB, error) {
	var db *bolt.DB
	timeout := s.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	deadline := time.Now().Add(timeout)
	leave := s.turn(readOnly, deadline)
	err := guard(s.path, func() error {
		var err error
		wait := max(time.Until(deadline), 100*time.Millisecond)
		db, err = bolt.Open(s.path, 0o644, &bolt.Options{Timeout: wait, ReadOnly: readOnly})
		return err
	})
	leave()
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("the study database %s stayed locked for %s by another process", s.path, timeout)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch),
		err != nil && strings.Contains(err.Error(), "file size too small"):
		return nil, fmt.Errorf("the study database %s is corrupt (%v); nothing was changed", s.path, err)
	case err != nil:
		return nil, fmt.Errorf("cannot open the study database %s: %v", s.path, err)
	}
	return db, nil
}

// guard turns a panic inside bbolt (it panics on some corrupt pages) into
// an error, so a damaged file yields one line and never a stack trace.
func guard(path string, fn func() error) (err error) {
	// A file truncated under the map faults (SIGBUS) when read: make that
	// a panic of this goroutine, recovered below, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the study database %s is corrupt (%v); nothing was changed", path, r)
		}
	}()
	return fn()
}

func key32(i int) []byte {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], uint32(i))
	return k[:]
}

func key64(i uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], i)
	return k[:]
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
