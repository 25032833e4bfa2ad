package cli

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileValues are parameter values built to escape: blanks, quotes,
// shell syntax, parent directories, line breaks, control characters and
// characters outside ASCII.
var hostileValues = []string{
	"with space", `quo"te'd`, "semi;colon && touch ../../pwned", "$(touch ../../pwned2)", "`id`",
	"../../escape", "..", ".", "/abs/path", "line1\nline2", "tab\there", "nul\x00byte", "ÿ-é-☃", `back\slash`,
}

func hostileSpec(batch string) string {
	var vals []string
	for _, v := range hostileValues {
		q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "\x00", `\0`).Replace(v)
		vals = append(vals, `"`+q+`"`)
	}
	return `description: {name: "hostile name; rm -rf /", description: "values that try to escape"}
` + batch + `
study:
  - name: echo
    description: "writes $(P) to a file in its workspace; \"quoted\" description"
    run:
      cmd: |
        cat > value.txt <<'MAESTRO_VALUE'
        $(P)
        MAESTRO_VALUE
      procs: 1
global.parameters:
  P:
    values: [` + strings.Join(vals, ", ") + `]
    label: P.%%
`
}

// TestHostileValues runs a study whose parameter values try to break out:
// every file it writes stays inside the study directory, every workspace
// is inside it, and each step got its value intact.
func TestHostileValues(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	specPath := filepath.Join(root, "hostile.yaml")
	if err := os.WriteFile(specPath, []byte(hostileSpec("")), 0o644); err != nil {
		t.Fatal(err)
	}
	study := filepath.Join(root, "study")
	var out strings.Builder
	if code := Main([]string{"run", "-fg", "-y", "-o", study, specPath}, strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	values := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root || path == specPath {
			return nil
		}
		if path != study && !strings.HasPrefix(path, study+"/") {
			t.Errorf("written outside the study directory: %s", path)
		}
		if d.Name() == "value.txt" {
			data, _ := os.ReadFile(path)
			values[strings.TrimSuffix(string(data), "\n")] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range hostileValues {
		want := strings.ReplaceAll(v, "\x00", "") // bash drops NUL bytes
		if !values[want] {
			t.Errorf("no step wrote the value %q", want)
		}
	}
	for _, p := range []string{"/abs", filepath.Join(root, "..", "pwned"), filepath.Join(root, "..", "pwned2")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
	if code := Main([]string{"status", "--layout", "legacy", study}, strings.NewReader(""), &out, io.Discard); code != 0 {
		t.Fatalf("status exit %d", code)
	}
	if strings.Contains(out.String(), "line1\nline2") {
		t.Error("status printed a value's line break")
	}
}

// TestHostileHeaders writes the same study for Slurm: no value may add or
// break a scheduler directive.
func TestHostileHeaders(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	specPath := filepath.Join(root, "hostile.yaml")
	os.WriteFile(specPath, []byte(hostileSpec("batch: {type: slurm, host: h, bank: b, queue: q}")), 0o644)
	study := filepath.Join(root, "study")
	if code := Main([]string{"run", "--dry", "-o", study, specPath}, strings.NewReader(""), io.Discard, os.Stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	scripts := 0
	filepath.WalkDir(study, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".slurm.sh") {
			return err
		}
		scripts++
		data, _ := os.ReadFile(path)
		header, _, _ := strings.Cut(string(data), "\n\n")
		lines := strings.Split(header, "\n")
		if len(lines) != 8 { // shebang and 7 directives
			t.Errorf("%s: %d header lines:\n%s", path, len(lines), header)
		}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "#SBATCH --") || strings.Count(l, `"`)%2 != 0 {
				t.Errorf("%s: broken directive %q", path, l)
			}
		}
		return nil
	})
	if scripts != len(hostileValues) {
		t.Errorf("%d scripts, want %d", scripts, len(hostileValues))
	}
}
