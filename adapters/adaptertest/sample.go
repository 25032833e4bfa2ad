package adaptertest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/spec"
	"github.com/maestro-go/maestro/store"
	"github.com/maestro-go/maestro/study"
)

// SampleScripts writes the sample study at specPath as `maestro run --dry`
// does and compares every script ending in ext, the study path written as
// /STUDY, with the files under goldenDir; update rewrites them.
func SampleScripts(t *testing.T, reg adapters.Registry, specPath, goldenDir, ext string, update bool) {
	t.Helper()
	s, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "study")
	st, err := study.New(s, dir, study.Options{Dry: true, Now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Settings: store.Settings{Attempts: 1, RLimit: 1, SleepSecs: 60}, Adapters: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(nil); err != nil {
		t.Fatal(err)
	}
	got := scripts(t, dir, ext, func(data []byte) []byte { return bytes.ReplaceAll(data, []byte(dir), []byte("/STUDY")) })
	if update {
		os.RemoveAll(goldenDir)
		for rel, data := range got {
			path := filepath.Join(goldenDir, rel)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := scripts(t, goldenDir, ext, func(data []byte) []byte { return data })
	if strings.Join(keys(got), "\n") != strings.Join(keys(want), "\n") {
		t.Fatalf("scripts written:\n%s\ngolden:\n%s", strings.Join(keys(got), "\n"), strings.Join(keys(want), "\n"))
	}
	for rel, data := range got {
		if !bytes.Equal(data, want[rel]) {
			t.Errorf("%s differs from the golden file:\n%s\nwant:\n%s", rel, data, want[rel])
		}
	}
}

// scripts reads every file ending in ext under root, by relative path.
func scripts(t *testing.T, root, ext string, norm func([]byte) []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ext) {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		out[rel] = norm(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string][]byte) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}
