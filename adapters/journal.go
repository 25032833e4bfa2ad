package adapters

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal is an executor's record of the jobs it submitted, kept in the
// study's StateDir so that a later conductor has it too: each job's id,
// the submission it was (name and token), when, and where its output
// goes. An executor writes an entry as soon as the scheduler answers, so
// Find can tell the job of a submission whose answer was lost from the
// jobs of the step's earlier submissions (same name, a different token).
// Without a StateDir the journal lives in memory only.
type Journal struct {
	path   string
	mu     sync.Mutex
	loaded bool
	byID   map[string]Entry
}

// Entry is one submitted job.
type Entry struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Token     string    `json:"token"`
	Submitted time.Time `json:"submitted"`
	Output    string    `json:"output,omitempty"` // the job's output file, when the executor reads it
}

// OpenJournal returns the journal called name in dir ("" for none).
func OpenJournal(dir, name string) *Journal {
	j := &Journal{byID: map[string]Entry{}}
	if dir != "" {
		j.path = filepath.Join(dir, name)
	}
	return j
}

// load reads the journal once; a line cut short by a crash is skipped.
func (j *Journal) load() {
	if j.loaded || j.path == "" {
		j.loaded = true
		return
	}
	j.loaded = true
	f, err := os.Open(j.path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.ID != "" {
			j.byID[e.ID] = e
		}
	}
}

// Add records a job. The entry is appended with one write, so entries of
// a conductor killed meanwhile are whole or absent.
func (j *Journal) Add(e Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.load()
	if old, ok := j.byID[e.ID]; ok && old == e {
		return nil
	}
	j.byID[e.ID] = e
	if j.path == "" {
		return nil
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(j.path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get returns the entry of a job id.
func (j *Journal) Get(id string) (Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.load()
	e, ok := j.byID[id]
	return e, ok
}

// Earlier reports whether id is the job of another submission than job's:
// the journal has it under a different token.
func (j *Journal) Earlier(id string, job *Job) bool {
	e, ok := j.Get(id)
	return ok && (e.Name != job.Name || e.Token != job.Token)
}
