package slurm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maestro-go/maestro/adapters"
	"github.com/maestro-go/maestro/adapters/slurm"
	"github.com/maestro-go/maestro/spec"
)

// Exit codes of 128 and more, and deaths by signal, come back from a
// query as the script ended, on the real cluster (sacct would say 9 for
// 137 and 127 for 255).
func TestHighExitCodes(t *testing.T) {
	requireSlurm(t)
	dir := t.TempDir()
	ex, err := slurm.New().Open(adapters.Config{Batch: &spec.Batch{Type: "slurm"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for name, body := range map[string]string{"exit137": "exit 137", "exit255": "exit 255", "killed": "kill -9 $$", "exit3": "exit 3"} {
		script := filepath.Join(dir, name+".sh")
		if err := os.WriteFile(script, []byte("#!/bin/bash\n#SBATCH -J "+name+"\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		id, err := ex.Submit(context.Background(), &adapters.Job{Name: name, Script: script, Workspace: dir, Token: "1"})
		if err != nil {
			t.Fatal(err)
		}
		want[id] = map[string]int{"exit137": 137, "exit255": 255, "killed": 137, "exit3": 3}[name]
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := ex.Query(context.Background(), ids)
		ended := err == nil
		for _, id := range ids {
			ended = ended && res[id].State.Terminal()
		}
		if ended {
			for id, code := range want {
				if c := res[id].ExitCode; c == nil || *c != code {
					t.Errorf("job %s: exit code %v, want %d", id, c, code)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs did not end: %+v, %v", res, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
