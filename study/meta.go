package study

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// writeMeta writes batch.info and meta/: the environment, the parameters
// and the workspace of every step, as plain, readable YAML.
func (st *Study) writeMeta(environ []string) error {
	b := &st.Spec.Batch
	batch := [][2]string{{"type", b.Type}, {"shell", b.Shell}, {"host", b.Host}, {"bank", b.Bank},
		{"queue", b.Queue}, {"nodes", b.Nodes}, {"procs", b.Procs}, {"gpus", b.GPUs},
		{"reservation", b.Reservation}, {"qos", b.QOS}, {"version", b.Version}, {"flux_uri", b.FluxURI}}
	extra := make([]string, 0, len(b.Extra))
	for k := range b.Extra {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	for _, k := range extra {
		batch = append(batch, [2]string{k, b.Extra[k]})
	}
	err := writeYAML(filepath.Join(st.Dir, "batch.info"), func(w *bufio.Writer) {
		for _, kv := range batch {
			if kv[1] != "" {
				w.WriteString(kv[0] + ": " + yamlText(kv[1]) + "\n")
			}
		}
		if st.Spec.BatchGroup.Array {
			w.WriteString("array: true\n")
		}
		if st.Spec.BatchGroup.Bundle > 0 {
			w.WriteString("bundle: " + strconv.Itoa(st.Spec.BatchGroup.Bundle) + "\n")
		}
		if len(b.Args) > 0 {
			w.WriteString("args:\n")
			for _, a := range b.Args {
				w.WriteString("  " + yamlText(a.Key) + ": " + yamlText(a.Value) + "\n")
			}
		}
	})
	if err != nil {
		return err
	}
	env := append([]string(nil), environ...)
	sort.Strings(env)
	err = writeYAML(filepath.Join(st.Dir, "meta", "environment.yaml"), func(w *bufio.Writer) {
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			w.WriteString(yamlText(k) + ": " + yamlText(v) + "\n")
		}
	})
	if err != nil {
		return err
	}
	err = writeYAML(filepath.Join(st.Dir, "meta", "parameters.yaml"), func(w *bufio.Writer) {
		for _, p := range st.Spec.Params {
			w.WriteString(yamlText(p.Name) + ":\n")
			if p.Labels == nil {
				w.WriteString("  label: " + yamlText(p.Label) + "\n")
			}
			w.WriteString("  values:\n")
			for i, v := range p.Values {
				w.WriteString("  - " + yamlText(v))
				if p.Labels != nil {
					w.WriteString("  # label " + yamlText(p.Labels[i]))
				}
				w.WriteByte('\n')
			}
		}
	})
	if err != nil {
		return err
	}
	return writeYAML(filepath.Join(st.Dir, "meta", "metadata.yaml"), func(w *bufio.Writer) {
		w.WriteString("study: " + yamlText(st.Spec.Name) + "\n")
		w.WriteString("directory: " + yamlText(st.Dir) + "\n")
		w.WriteString("spec: " + yamlText(st.Spec.Path) + "\n")
		w.WriteString("created: " + st.Opt.Now.Format("2006-01-02T15:04:05Z07:00") + "\n")
		w.WriteString("hash_workspaces: " + strconv.FormatBool(st.Opt.HashWS) + "\n")
		w.WriteString("workspaces:\n")
		last := ""
		for _, n := range st.Graph.Nodes {
			if n.StepName != last {
				last = n.StepName
				w.WriteString("  " + yamlText(n.StepName) + ":\n")
			}
			w.WriteString("    " + yamlText(n.Name) + ": " + yamlText(n.Dir) + "\n")
		}
	})
}

func writeYAML(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// plainYAML reports whether s is [A-Za-z/_][A-Za-z0-9_./()\-+ ]* (a loop:
// meta/ holds a line per value and per step, a million of them).
func plainYAML(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '/' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || strings.IndexByte("./()-+ ", c) >= 0)) {
			return false
		}
	}
	return s != ""
}

// yamlText writes s plain where YAML reads it back as the same string, and
// double-quoted otherwise.
func yamlText(s string) string {
	if plainYAML(s) && !strings.HasSuffix(s, " ") {
		switch strings.ToLower(s) {
		case "yes", "no", "true", "false", "on", "off", "null", "y", "n":
		default:
			return s
		}
	}
	return strconv.Quote(s)
}
