package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/status"
)

const drySpec = `description:
    name: tiny
    description: two steps over two values
study:
    - name: hello
      description: says hello
      run:
          cmd: echo "hello $(NAME)"
    - name: bye
      description: after every hello
      run:
          cmd: echo bye
          depends: [hello_*]
global.parameters:
    NAME:
        values: [Ann, Bob]
        label: NAME.%%
`

// dryRun makes a --dry study of drySpec in a new directory.
func dryRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	specPath := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(specPath, []byte(drySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	study := filepath.Join(dir, "study")
	var errOut bytes.Buffer
	if code := Main([]string{"run", "--dry", "-o", study, specPath}, strings.NewReader(""), &bytes.Buffer{}, &errOut); code != 0 {
		t.Fatalf("run --dry: exit %d: %s", code, errOut.String())
	}
	return study
}

func runMaestro(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestStatusJSONLines checks one document per study, one per line, in
// the order the directories were given.
func TestStatusJSONLines(t *testing.T) {
	t.Parallel()
	a, b := dryRun(t), dryRun(t)
	code, out, errOut := runMaestro("status", "--json", a, b)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	for k, dir := range []string{a, b} {
		var doc status.Document
		if err := json.Unmarshal([]byte(lines[k]), &doc); err != nil {
			t.Fatalf("line %d: %v", k+1, err)
		}
		if doc.Schema != 1 || doc.Study != "tiny" || doc.Path != dir || doc.State != "DRYRUN" || doc.Total != 3 ||
			doc.Counts["DRYRUN"] != 3 || len(doc.Counts) != 1 || time.Since(doc.Created) > time.Hour {
			t.Errorf("line %d: %+v", k+1, doc)
		}
		if len(doc.Steps) != 3 {
			t.Fatalf("line %d: %d steps", k+1, len(doc.Steps))
		}
		s := doc.Steps[0]
		if s.Name != "hello_NAME.Ann" || s.Workspace != "hello/NAME.Ann" || s.State != "DRYRUN" || s.JobID != nil ||
			len(s.Params) != 1 || s.Params[0].Name != "NAME" || s.Params[0].Value != "Ann" {
			t.Errorf("line %d, first step: %+v", k+1, s)
		}
		if doc.Steps[2].Name != "bye" || len(doc.Steps[2].Params) != 0 {
			t.Errorf("line %d, last step: %+v", k+1, doc.Steps[2])
		}
	}
}

// TestStatusJSONRelativeDir prints the absolute path of a relative one.
func TestStatusJSONRelativeDir(t *testing.T) {
	study := dryRun(t)
	t.Chdir(filepath.Dir(study))
	code, out, _ := runMaestro("status", "--json", "study")
	var doc status.Document
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Path != study {
		t.Errorf("exit %d, path %q, want %q", code, doc.Path, study)
	}
}

// TestStatusJSONMissing reports a directory without a study on stderr and
// still prints the others.
func TestStatusJSONMissing(t *testing.T) {
	t.Parallel()
	study := dryRun(t)
	empty := t.TempDir()
	code, out, errOut := runMaestro("status", "--json", filepath.Join(empty, "nope"), study, empty)
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, `"study":"tiny"`) {
		t.Errorf("stdout:\n%s", out)
	}
	want := "maestro: No status to report -- " + filepath.Join(empty, "nope") + " is not a study directory\n" +
		"maestro: No status to report -- " + empty + " holds no study\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
}

// TestStatusWatchNeedsTerminal: without a terminal --watch stops at once
// with one line, and a non-zero status.
func TestStatusWatchNeedsTerminal(t *testing.T) {
	study := dryRun(t)
	for _, term := range []string{"xterm-256color", "dumb"} {
		t.Setenv("TERM", term)
		code, out, errOut := runMaestro("status", "--watch", study)
		if code != ExitError || out != "" || errOut != "maestro: --watch needs a terminal; use maestro status or --json\n" {
			t.Errorf("TERM=%s: exit %d, stdout %q, stderr %q", term, code, out, errOut)
		}
	}
	// Plain status needs no terminal.
	if code, out, _ := runMaestro("status", "--disable-pager", study); code != 0 || !strings.Contains(out, "hello_NAME.Bob") {
		t.Errorf("status without a terminal: exit %d:\n%s", code, out)
	}
}

// TestStatusWatchUsage: wrong arguments exit 2, naming what is wrong
// above the usage.
func TestStatusWatchUsage(t *testing.T) {
	t.Parallel()
	study := dryRun(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--watch"}, "maestro: --watch shows one study: give one study directory\n"},
		{[]string{"status", "--watch", study, study}, "maestro: --watch shows one study: give one study directory\n"},
		{[]string{"status", "--watch", "--json", study}, "maestro: --watch and --json do not go together; --json prints once\n"},
		{[]string{"status", "--json"}, "maestro: status needs at least one study directory\n"},
	} {
		code, out, errOut := runMaestro(c.args...)
		if code != ExitUsage || out != "" || !strings.HasPrefix(errOut, c.want+"usage: maestro status [flags] DIR...\n") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q, want %q", c.args, code, out, errOut, c.want)
		}
	}
}
