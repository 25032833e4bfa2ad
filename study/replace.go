package study

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/maestro-go/maestro/dag"
	"github.com/maestro-go/maestro/store"
)

// CheckReplace says whether the study directory may be replaced by a new
// study (after the user agreed): only a directory that holds a study this
// tool wrote, or an empty one, may be. A file, a directory of anything
// else, the current directory or one above it, and a directory that holds
// one of the inputs (the spec, the pgen file) are refused, whatever the
// answer to the prompt.
func (st *Study) CheckReplace(inputs ...string) error {
	fi, err := os.Lstat(st.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	refuse := func(why string) error {
		return fmt.Errorf("the output path %s %s; refusing to replace it (choose another -o)", st.Dir, why)
	}
	if !fi.IsDir() {
		return refuse("exists and is not a directory")
	}
	if cwd, err := os.Getwd(); err == nil && dag.Within(st.Dir, cwd) {
		return refuse("is the current directory or holds it")
	}
	for _, in := range inputs {
		if abs, err := filepath.Abs(in); in != "" && err == nil && dag.Within(st.Dir, abs) {
			return refuse("holds " + in + ", an input of this run")
		}
	}
	if db, err := os.Lstat(store.Path(st.Dir)); err == nil && db.Mode().IsRegular() {
		return nil
	}
	if entries, err := os.ReadDir(st.Dir); err == nil && len(entries) == 0 {
		return nil
	}
	return refuse("holds no study written by maestro (no " + store.File + ")")
}

// Remove deletes the study directory that CheckReplace allowed.
func (st *Study) Remove(inputs ...string) error {
	if err := st.CheckReplace(inputs...); err != nil {
		return err
	}
	if err := os.RemoveAll(st.Dir); err != nil {
		return fmt.Errorf("cannot remove the old output path: %w", err)
	}
	return nil
}

// LockParent serialises the maestro runs that write into the directory
// holding dir, from the check of what is there until the new study's
// conductor holds it: two runs with the same -o never both replace and
// launch. Where the file system cannot lock a directory (some NFS), it
// locks nothing.
func LockParent(dir string) (unlock func(), err error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", parent, err)
	}
	f, err := os.Open(parent)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return func() {}, nil
	}
	return func() { f.Close() }, nil
}
