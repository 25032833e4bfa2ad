package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/rogpeppe/go-internal/testscript"
	bolt "go.etcd.io/bbolt"

	"github.com/maestro-go/maestro/adapters/fakesched"
	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// TestMain lets the test binary stand in for the maestro and conductor
// binaries, and for Flux and LSF (adapters/fakesched), so that scripts
// drive real processes.
func TestMain(m *testing.M) {
	cmds := map[string]func(){
		"maestro":   func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		"conductor": func() { os.Exit(ConductorMain(os.Args[1:], os.Stdout, os.Stderr)) },
	}
	for _, name := range fakesched.Commands() { // fake flux, bsub, bjobs, bkill
		cmds[name] = func() { fakesched.Main() }
	}
	testscript.Main(m, cmds)
}

// TestScripts runs the end-to-end scripts in testdata/script.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "../testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			env.Setenv("SAMPLES", mustAbs("../samples"))
			env.Setenv("COMPAT", mustAbs("../testdata/compat/samples"))
			for _, kv := range os.Environ() { // the Slurm cluster's settings
				if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SLURM_") || strings.HasPrefix(k, "LOCAL_SLURM_") {
					env.Setenv(k, v)
				}
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "slurm" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			return haveSlurm()
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitstudy": cmdWaitStudy,
			"waitstep":  cmdWaitStep,
			"setschema": cmdSetSchema,
			"freeport":  cmdFreePort,
			"http":      cmdHTTP,
			"sse":       cmdSSE,
			"install":   cmdInstall,
			"holdport":  cmdHoldPort,
			"screen":    cmdScreen,
		},
	})
}

// haveSlurm reports whether a Slurm cluster is there; CI, which starts
// one, sets MAESTRO_REQUIRE_SLURM=1 so that its absence fails the tests.
func haveSlurm() (bool, error) {
	_, err := exec.LookPath("sbatch")
	if os.Getenv("SLURM_CONF") != "" && err == nil {
		return true, nil
	}
	if os.Getenv("MAESTRO_REQUIRE_SLURM") == "1" {
		return false, fmt.Errorf("MAESTRO_REQUIRE_SLURM=1 but there is no Slurm cluster (SLURM_CONF, sbatch)")
	}
	return false, nil
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

// waitstudy DIR STATE [SECONDS]: wait until the study is in STATE.
func cmdWaitStudy(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: waitstudy DIR STATE [SECONDS]")
	}
	waitUntil(ts, args, 2, func(st *store.Store) (string, error) {
		var s state.Study
		err := st.View(func(tx *store.Tx) error {
			var err error
			s, err = tx.StudyState()
			return err
		})
		return string(s), err
	})
}

// waitstep DIR STEP STATE [SECONDS]: wait until step STEP is in STATE.
func cmdWaitStep(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: waitstep DIR STEP STATE [SECONDS]")
	}
	step := args[1]
	waitUntil(ts, append([]string{args[0]}, args[2:]...), 2, func(st *store.Store) (string, error) {
		var got string
		err := st.View(func(tx *store.Tx) error {
			steps, err := tx.Steps()
			if err != nil {
				return err
			}
			status, err := tx.Statuses()
			if err != nil {
				return err
			}
			for i := range steps {
				if steps[i].Name == step {
					got = string(status[i].State)
				}
			}
			return nil
		})
		return got, err
	})
}

// waitUntil polls get until it returns args[1] (one of, with |), failing
// after args[timeoutArg] seconds (default 60).
func waitUntil(ts *testscript.TestScript, args []string, timeoutArg int, get func(*store.Store) (string, error)) {
	dir := ts.MkAbs(args[0])
	want := strings.Split(args[1], "|")
	limit := 60 * time.Second
	if len(args) > timeoutArg {
		n, err := strconv.Atoi(args[timeoutArg])
		if err != nil {
			ts.Fatalf("bad timeout %q", args[timeoutArg])
		}
		limit = time.Duration(n) * time.Second
	}
	deadline := time.Now().Add(limit)
	last := ""
	for time.Now().Before(deadline) {
		if st, err := store.Open(dir); err == nil {
			if got, err := get(st); err == nil {
				last = got
				for _, w := range want {
					if got == w {
						return
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("waited %s for %v, last seen %q", limit, want, last)
}

// setschema DIR N: rewrite the study's schema version, as another maestro
// version would have written it.
func cmdSetSchema(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: setschema DIR N")
	}
	db, err := bolt.Open(store.Path(ts.MkAbs(args[0])), 0o644, nil)
	ts.Check(err)
	defer db.Close()
	ts.Check(db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte(args[1])) }))
}

// freeport NAME: set $NAME to a free TCP port on 127.0.0.1.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	l.Close()
}

// holdport NAME: listen on a free port of 127.0.0.1 until the script
// ends, and set $NAME to it: a port that is taken.
func cmdHoldPort(ts *testscript.TestScript, neg bool, args []string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}

// screen FILE COLS ROWS REGEXP: FILE is what a terminal of COLS x ROWS
// showed (escape sequences and carriage returns are dropped): no line is
// wider than COLS, and REGEXP matches one of the first ROWS lines.
func cmdScreen(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: screen FILE COLS ROWS REGEXP")
	}
	cols, err := strconv.Atoi(args[1])
	ts.Check(err)
	rows, err := strconv.Atoi(args[2])
	ts.Check(err)
	re := regexp.MustCompile(args[3])
	text := strings.ReplaceAll(ansi.Strip(ts.ReadFile(args[0])), "\r", "")
	found := false
	for k, l := range strings.Split(text, "\n") {
		if w := ansi.StringWidth(l); w > cols {
			ts.Fatalf("line %d is %d columns wide, more than %d: %q", k+1, w, cols, l)
		}
		found = found || k < rows && re.MatchString(l)
	}
	if !found {
		ts.Fatalf("no match for %q in the first %d lines", args[3], rows)
	}
}

// http GET|POST URL: print the response body; fail unless it is 2xx.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: http GET|POST URL")
	}
	req, err := http.NewRequest(args[0], args[1], nil)
	ts.Check(err)
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	ts.Stdout().Write(body)
	if ok := resp.StatusCode/100 == 2; ok == neg {
		ts.Fatalf("%s %s: %s", args[0], args[1], resp.Status)
	}
}

// sse URL: read server-sent events until the stream's end event and print
// the data of each state event, one per line.
func cmdSSE(ts *testscript.TestScript, neg bool, args []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", args[0], nil)
	ts.Check(err)
	resp, err := http.DefaultClient.Do(req)
	for try := 0; err != nil && try < 50; try++ { // a loaded machine may be slow to listen
		time.Sleep(100 * time.Millisecond)
		resp, err = http.DefaultClient.Do(req)
	}
	ts.Check(err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			if event == "end" {
				return
			}
		case strings.HasPrefix(line, "data: ") && event == "state":
			fmt.Fprintln(ts.Stdout(), strings.TrimPrefix(line, "data: "))
		}
	}
	ts.Fatalf("the stream ended without an end event: %v", sc.Err())
}

// install DIR: put the maestro under test into DIR (a hard link, else a
// copy), so that a script can set up what lies beside it.
func cmdInstall(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: install DIR")
	}
	from, err := exec.LookPath("maestro")
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	to := filepath.Join(dir, "maestro")
	if os.Link(from, to) == nil {
		return
	}
	data, err := os.ReadFile(from)
	ts.Check(err)
	ts.Check(os.WriteFile(to, data, 0o755))
}
