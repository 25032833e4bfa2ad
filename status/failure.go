package status

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/maestro-go/maestro/store"
)

// ErrFile returns the stderr file a step's job wrote, or "" when there is
// none: <name>.<jobid>.err (LSF's %J) or <name>.err in its workspace.
func ErrFile(dir string, info *store.StepInfo, st *store.StepStatus) string {
	ws := filepath.Join(dir, info.Workspace)
	for _, name := range []string{info.JobName + "." + st.JobID + ".err", info.JobName + ".err"} {
		p := filepath.Join(ws, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// Tail returns the last n lines of a file, reading at most its last 64 KiB.
func Tail(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		f.Seek(-window, io.SeekEnd)
	}
	data, _ := io.ReadAll(f)
	data = bytes.TrimRight(data, "\n")
	if len(data) == 0 {
		return nil
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
