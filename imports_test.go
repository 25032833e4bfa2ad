package maestro_test

import (
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/maestro-go/maestro/"

// rule is one package's row of the import table in docs/ARCHITECTURE.md.
type rule struct {
	allowed    []string // "*" allows any package
	exceptions []string // known imports the rule forbids, to be removed
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	exception  = regexp.MustCompile("`([^`]+)`:")
)

// importRules reads the table under "## Who may import whom".
func importRules(doc string) (map[string]rule, error) {
	_, section, ok := strings.Cut(doc, "## Who may import whom\n")
	if !ok {
		return nil, fmt.Errorf(`no "Who may import whom" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rules := map[string]rule{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 3 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue // prose, the header or its rule
		}
		names := func(cell string) []string {
			var out []string
			for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
				out = append(out, m[1])
			}
			return out
		}
		// An exception is a name followed by a colon and why.
		var exceptions []string
		for _, m := range exception.FindAllStringSubmatch(cells[2], -1) {
			exceptions = append(exceptions, m[1])
		}
		for _, pkg := range names(cells[0]) {
			if _, dup := rules[pkg]; dup {
				return nil, fmt.Errorf("%s has two rows", pkg)
			}
			rules[pkg] = rule{allowed: names(cells[1]), exceptions: exceptions}
		}
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("the import table has no rows")
	}
	return rules, nil
}

// checkImports returns every way the packages' imports (package -> the
// packages of ours its non-test files import) break the rules.
func checkImports(rules map[string]rule, imports map[string][]string) []string {
	var bad []string
	for pkg, deps := range imports {
		r, ok := rules[pkg]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s has no row in the import table of docs/ARCHITECTURE.md", pkg))
			continue
		}
		for _, dep := range deps {
			switch {
			case dep == pkg:
			case slices.Contains(r.allowed, "*") && dep != "cli":
			case slices.Contains(r.allowed, dep), slices.Contains(r.exceptions, dep):
			default:
				bad = append(bad, fmt.Sprintf("%s imports %s, which docs/ARCHITECTURE.md does not allow", pkg, dep))
			}
		}
		for _, e := range r.exceptions {
			if !slices.Contains(deps, e) {
				bad = append(bad, fmt.Sprintf("%s no longer imports %s: remove the known exception from docs/ARCHITECTURE.md", pkg, e))
			}
		}
	}
	for pkg := range rules {
		if _, ok := imports[pkg]; !ok {
			bad = append(bad, fmt.Sprintf("docs/ARCHITECTURE.md has a row for %s, which is no package", pkg))
		}
	}
	sort.Strings(bad)
	return bad
}

// treeImports finds every package under the module root and the packages
// of ours its non-test files import.
func treeImports(t *testing.T) map[string][]string {
	t.Helper()
	imports := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if _, none := err.(*build.NoGoError); none || (err == nil && len(p.GoFiles) == 0) {
			return nil
		}
		if err != nil {
			return err
		}
		var ours []string
		for _, imp := range p.Imports {
			if rest, ok := strings.CutPrefix(imp, module); ok {
				ours = append(ours, rest)
			}
		}
		imports[filepath.ToSlash(path)] = ours
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports
}

// TestImportBoundaries holds the tree to the import table of
// docs/ARCHITECTURE.md.
func TestImportBoundaries(t *testing.T) {
	doc, err := os.ReadFile("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := importRules(string(doc))
	if err != nil {
		t.Fatalf("docs/ARCHITECTURE.md: %v", err)
	}
	imports := treeImports(t)
	if len(imports) < 15 {
		t.Fatalf("found only %d packages: %v", len(imports), imports)
	}
	for _, b := range checkImports(rules, imports) {
		t.Error(b)
	}
}

// TestImportBoundariesCatch checks that the check catches what it is for,
// on a table and imports made up here.
func TestImportBoundariesCatch(t *testing.T) {
	rules, err := importRules("# A\n## Who may import whom\n\nprose `x`\n\n" +
		"| package | may import | known exceptions |\n|---|---|---|\n" +
		"| `spec` | — | |\n" +
		"| `conductor` | `store`, `spec-free` | `api`: to go, as `x` says; `tui`: also |\n" +
		"| `cli` | `*` | |\n" +
		"| `cmd/maestro`, `cmd/conductor` | `cli` | |\n" +
		"| `gone` | — | |\n" +
		"## Key decisions\n| `ignored` | `x` | |\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := rules["conductor"]; fmt.Sprint(r.allowed, r.exceptions) != "[store spec-free] [api tui]" || len(rules) != 6 {
		t.Fatalf("rules %v", rules)
	}
	got := checkImports(rules, map[string][]string{
		"spec":          nil,
		"conductor":     {"store", "spec", "dag", "api"},
		"cli":           {"conductor", "spec"},
		"cmd/maestro":   {"cli"},
		"cmd/conductor": {"cli", "tui"},
		"newpkg":        {"spec"},
	})
	want := []string{
		"cmd/conductor imports tui, which docs/ARCHITECTURE.md does not allow",
		"conductor imports dag, which docs/ARCHITECTURE.md does not allow",
		"conductor imports spec, which docs/ARCHITECTURE.md does not allow",
		"conductor no longer imports tui: remove the known exception from docs/ARCHITECTURE.md",
		"docs/ARCHITECTURE.md has a row for gone, which is no package",
		"newpkg has no row in the import table of docs/ARCHITECTURE.md",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := importRules("# no table\n"); err == nil {
		t.Error("a document without the section must be an error")
	}
}
