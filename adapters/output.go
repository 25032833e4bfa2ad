package adapters

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeepOutput moves what an earlier run of a job left in its workspace,
// <name>.out and <name>.err, aside to <name>.out.N and <name>.err.N, N
// the first number neither name has (1 for the first run), so that the
// next run does not overwrite them. Executors whose output names are
// fixed (local, Slurm, Flux) call it before each submission; a first
// submission finds nothing to move.
func KeepOutput(workspace, name string) error {
	base := filepath.Join(workspace, name)
	var have []string
	for _, ext := range []string{".out", ".err"} {
		if _, err := os.Lstat(base + ext); err == nil {
			have = append(have, ext)
		}
	}
	if len(have) == 0 {
		return nil
	}
	for n := 1; ; n++ {
		suffix := fmt.Sprintf(".%d", n)
		if taken(base+".out"+suffix) || taken(base+".err"+suffix) {
			continue
		}
		for _, ext := range have {
			if err := os.Rename(base+ext, base+ext+suffix); err != nil {
				return fmt.Errorf("keeping the previous run's output: %w", err)
			}
		}
		return nil
	}
}

func taken(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
