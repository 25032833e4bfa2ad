package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/maestro-go/maestro/store"
)

// completeFiles completes file names with one of the extensions.
func completeFiles(exts ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}

// completeStudies completes study directories: the directories under what
// is typed so far that hold a study database, and the others to descend
// into. max bounds how many arguments the command takes (-1: any).
func completeStudies(maxArgs int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, typed string) ([]string, cobra.ShellCompDirective) {
		if maxArgs >= 0 && len(args) >= maxArgs {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		parent, prefix := filepath.Split(typed)
		entries, err := os.ReadDir(filepath.Join(".", parent))
		if err != nil {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
		var out []string
		for _, e := range entries {
			if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) || strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(prefix, ".") {
				continue
			}
			p := parent + e.Name()
			if _, err := os.Stat(store.Path(p)); err == nil {
				out = append(out, p+"\tstudy")
			} else {
				out = append(out, p+"/")
			}
		}
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
}

// completeSteps completes --only with the names of the study given as the
// first argument: its spec steps, then its expanded steps.
func completeSteps(cmd *cobra.Command, args []string, typed string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, err := store.Open(args[0])
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	st.View(func(tx *store.Tx) error {
		steps, err := tx.Steps()
		seen := map[string]bool{}
		for _, pick := range []func(*store.StepInfo) string{
			func(s *store.StepInfo) string { return s.Step },
			func(s *store.StepInfo) string { return s.Name },
		} {
			for i := range steps {
				if n := pick(&steps[i]); !seen[n] && strings.HasPrefix(n, typed) {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
		return err
	})
	return names, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}
