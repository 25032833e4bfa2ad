package study

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/dag"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/status"
	"github.com/maestro-go/maestro/store"
)

// Write creates the study directory with every workspace, script, the meta
// files and the state database. On failure it removes everything it made:
// there is never a half-written study.
func (st *Study) Write(environ []string) (err error) {
	if err := os.MkdirAll(filepath.Dir(st.Dir), 0o755); err != nil {
		return fmt.Errorf("cannot create the study directory: %w", err)
	}
	if err := os.Mkdir(st.Dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the study directory: %w", err)
	}
	var made []string // made outside the study directory
	defer func() {
		if err != nil {
			os.RemoveAll(st.Dir)
			for _, p := range made {
				os.RemoveAll(p)
			}
		}
	}()
	if err := st.cloneDeps(&made); err != nil {
		return err
	}
	root := st.Dir
	if st.Opt.UseTmp {
		if root, err = os.MkdirTemp("", "maestro-"+dag.SafeName(st.Spec.Name)+"-"); err != nil {
			return err
		}
		made = append(made, root)
	}
	for _, d := range []string{"logs", "meta"} {
		if err := os.Mkdir(filepath.Join(st.Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := st.copyInputs(); err != nil {
		return err
	}
	// The meta files and the state database (as a draft, put in place
	// last) are written alongside the scripts.
	type drafted struct {
		d   *store.Draft
		err error
	}
	drafts := make(chan drafted, 1)
	go func() {
		err := st.writeMeta(environ)
		var d *store.Draft
		if err == nil {
			d, err = st.prepareState(root)
		}
		drafts <- drafted{d, err}
	}()
	err = st.writeScripts(root)
	r := <-drafts
	if err == nil {
		err = r.err
	}
	if err != nil {
		return err
	}
	_, err = r.d.Publish()
	return err
}

// cloneDeps clones each git dependency and checks out its tag, branch or
// hash; any failure aborts the launch.
func (st *Study) cloneDeps(made *[]string) error {
	for _, d := range st.Spec.GitDeps {
		dest := st.deps[d.Name]
		if _, err := os.Stat(dest); err == nil {
			return fmt.Errorf("%s: git dependency '%s': %s already exists", d.Pos, d.Name, dest)
		}
		if !dag.Within(st.Dir, dest) {
			*made = append(*made, dest)
		}
		if err := git("", "clone", "--quiet", d.URL, dest); err != nil {
			return fmt.Errorf("%s: git dependency '%s': %w", d.Pos, d.Name, err)
		}
		for _, ref := range []string{d.Tag, d.Branch, d.Hash} {
			if ref == "" {
				continue
			}
			if err := git(dest, "-c", "advice.detachedHead=false", "checkout", "--quiet", ref); err != nil {
				return fmt.Errorf("%s: git dependency '%s': %w", d.Pos, d.Name, err)
			}
		}
	}
	return nil
}

func git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("git %s failed: %s", args[0], msg)
	}
	return nil
}

// copyInputs copies the spec (and the pgen file) into the study.
func (st *Study) copyInputs() error {
	for _, src := range []string{st.Spec.Path, st.Opt.Pgen} {
		if src == "" {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(st.Dir, filepath.Base(src)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// scriptPath returns where node n's script is written under root.
func (st *Study) scriptPath(root string, n *dag.Node, restart bool) string {
	return root + "/" + n.Dir + "/" + st.scriptName(n, restart)
}

// scriptName is the file name of node n's script.
func (st *Study) scriptName(n *dag.Node, restart bool) string {
	ext := st.adapter.Extension()
	if restart {
		ext = ".restart" + ext
	}
	return n.Script + ext
}

// writeScripts creates every workspace and writes every script, in
// parallel: on a filesystem, file creation is the whole cost of a study.
func (st *Study) writeScripts(root string) error {
	var trees []*tree // the study, and the scripts' tree with --usetmp
	defer func() {
		for _, t := range trees {
			t.close()
		}
	}()
	for _, base := range st.bases(root) {
		t, err := openTree(base)
		if err != nil {
			return err
		}
		trees = append(trees, t)
	}
	for _, n := range st.Graph.Nodes {
		top, _, nested := strings.Cut(n.Dir, "/")
		if _, made := trees[0].tops[top]; nested && !made {
			for _, t := range trees {
				if err := t.mkTop(top); err != nil {
					return err
				}
			}
		}
	}
	total := len(st.Graph.Nodes)
	var (
		done     atomic.Int64
		progress sync.Mutex
		shown    int
	)
	return forEach(total, func(i int) error {
		if err := st.writeNode(trees, i); err != nil {
			return err
		}
		if n := int(done.Add(1)); st.Opt.Progress != nil && (n%256 == 0 || n == total) {
			progress.Lock()
			if n > shown {
				shown = n
				st.Opt.Progress(n, total)
			}
			progress.Unlock()
		}
		return nil
	})
}

// tree is a folder that workspaces are made in, held open with each of
// its top folders, so that every workspace and script is made by a path of
// two components from there instead of one walked from the root.
type tree struct {
	path string
	fd   int
	tops map[string]int // top folder -> its descriptor
}

func openTree(path string) (*tree, error) {
	fd, err := openDir(path)
	if err != nil {
		return nil, err
	}
	return &tree{path: path, fd: fd, tops: map[string]int{}}, nil
}

func openDir(path string) (int, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// mkTop creates the top folder top and holds it open.
func (t *tree) mkTop(top string) error {
	if err := os.Mkdir(t.path+"/"+top, 0o755); err != nil {
		return err
	}
	fd, err := openDir(t.path + "/" + top)
	if err != nil {
		return err
	}
	t.tops[top] = fd
	return nil
}

// at returns the descriptor dir (a path relative to the tree) is made
// from, and its path from there.
func (t *tree) at(dir string) (int, string) {
	if top, rest, nested := strings.Cut(dir, "/"); nested {
		if fd, ok := t.tops[top]; ok {
			return fd, rest
		}
	}
	return t.fd, dir
}

func (t *tree) close() {
	syscall.Close(t.fd)
	for _, fd := range t.tops {
		syscall.Close(fd)
	}
}

// forEach runs fn(0) to fn(n-1) on as many workers as there are
// processors (at most 8). It returns the error of the lowest index that
// failed, every lower index having run, so that which error a study
// reports does not depend on timing.
func forEach(n int, fn func(i int) error) error {
	var (
		next     atomic.Int64
		failedAt atomic.Int64 // the lowest index that failed, n if none
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	failedAt.Store(int64(n))
	work := func() {
		defer wg.Done()
		for {
			i := next.Add(1) - 1
			if i >= failedAt.Load() {
				return
			}
			if err := fn(int(i)); err != nil {
				mu.Lock()
				if i < failedAt.Load() {
					failedAt.Store(i)
					firstErr = err
				}
				mu.Unlock()
				return
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go work()
	}
	wg.Wait()
	return firstErr
}

// bases are the trees that get every workspace folder: the study, and the
// scripts' temporary directory with --usetmp.
func (st *Study) bases(root string) []string {
	if root == st.Dir {
		return []string{st.Dir}
	}
	return []string{st.Dir, root}
}

func (st *Study) writeNode(trees []*tree, i int) error {
	n := st.Graph.Nodes[i]
	for _, t := range trees {
		fd, rel := t.at(n.Dir)
		if err := syscall.Mkdirat(fd, rel, 0o755); err != nil {
			return &os.PathError{Op: "mkdir", Path: t.path + "/" + n.Dir, Err: err}
		}
	}
	scripts := trees[len(trees)-1]
	fd, rel := scripts.at(n.Dir)
	step := st.step(n)
	defer st.putStep(step)
	return st.renderNode(i, step, func(restart bool, script []byte) error {
		name := st.scriptName(n, restart)
		if op, err := createScript(fd, rel+"/"+name, script); err != nil {
			return &os.PathError{Op: op, Path: scripts.path + "/" + n.Dir + "/" + name, Err: err}
		}
		return nil
	})
}

// createScript writes a new executable file, rel from the folder dirfd,
// with three system calls; the os package would also register each file
// with the poller, which doubles the cost of a study of small files. It
// never overwrites. On failure it says which call failed.
func createScript(dirfd int, rel string, data []byte) (op string, err error) {
	fd, err := syscall.Openat(dirfd, rel, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o755)
	if err != nil {
		return "create", err
	}
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			return "write", err
		}
		data = data[n:]
	}
	if err := syscall.Close(fd); err != nil {
		return "close", err
	}
	return "", nil
}

// groups returns, by name, the steps whose expansions go in job arrays or
// in bundles of more than one (Spec.Group); most studies have none.
func (st *Study) groups() map[string]spec.Grouping {
	groups := map[string]spec.Grouping{}
	for _, step := range st.Spec.Steps {
		if g := st.Spec.Group(step); g.Array || g.Bundle > 1 {
			groups[step.Name] = g
		}
	}
	return groups
}

// prepareState writes the state database as a draft, and status.csv in
// the same pass:
// the database goes into place last, since a directory without one is not
// a study, so an interrupted write never looks like one. Both are written
// one step at a time, without holding every record.
func (st *Study) prepareState(root string) (*store.Draft, error) {
	pos := make([]int32, len(st.Graph.Nodes)) // node index -> table position
	for p, i := range st.order {
		pos[i] = int32(p)
	}
	initial, studyState := state.Initialized, state.StudyInitialized
	if st.Opt.Dry {
		initial, studyState = state.DryRun, state.StudyDryRun
	}
	groups := st.groups()
	record := func(p int, info *store.StepInfo, stat *store.StepStatus) {
		i := st.order[p]
		n := st.Graph.Nodes[i]
		info.Name, info.Step, info.Workspace = n.Name, n.StepName, n.Dir
		r := &st.scripts[i]
		info.Script = st.scriptPath(root, n, false)
		if r.restart {
			info.Restart = st.scriptPath(root, n, true)
		}
		info.Scheduled, info.Walltime, info.Nested, info.Resources = r.scheduled, r.walltime, r.nested, r.resources
		if g, ok := groups[n.StepName]; ok && r.scheduled {
			info.Array, info.Bundle = g.Array, g.Bundle
		}
		info.JobName = st.jobName(n)
		info.Params = adapters.StoreKVs(n.Params)
		if len(n.Parents) > 0 {
			info.Parents = make([]int32, len(n.Parents))
			for k, par := range n.Parents {
				info.Parents[k] = pos[par]
			}
		}
		stat.State = initial
		if st.Opt.Dry {
			stat.Ended = st.Opt.Now
		}
	}
	info := &store.StudyInfo{Name: st.Spec.Name, Stem: Stem(st.Spec.Name), Dir: st.Dir, Spec: filepath.Join(st.Dir, filepath.Base(st.Spec.Path)),
		BatchType: st.Spec.Batch.Type, Batch: adapters.StoreBatch(&st.Spec.Batch), Created: st.Opt.Now, Dry: st.Opt.Dry}
	if root != st.Dir {
		info.ScriptsDir = root
	}
	csv, err := status.CreateCSV(filepath.Join(st.Dir, "status.csv"))
	if err != nil {
		return nil, err
	}
	d, err := store.Prepare(st.Dir, info, st.Opt.Settings, studyState, len(st.order), func(p int, info *store.StepInfo, stat *store.StepStatus) {
		record(p, info, stat)
		csv.Add(status.MakeRow(info, stat, st.Opt.Now))
	})
	if err != nil {
		csv.Discard()
		return nil, err
	}
	if err := csv.Close(); err != nil {
		d.Discard()
		return nil, err
	}
	return d, nil
}
