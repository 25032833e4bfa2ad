package slurm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/maestro-go/maestro/adapters/adaptertest"
	"github.com/maestro-go/maestro/state"
)

// What Slurm printed of array tasks (testdata/slurm/capture-array.sh):
// each task by its own id, with its own state and exit code; the tasks of
// a held array that have not started on one sacct line.
func TestParseArrays(t *testing.T) {
	adaptertest.CheckStatuses(t, parseSqueue(captured(t, "array-squeue.txt")), map[string]adaptertest.Want{
		"2768_0": {State: state.Finished, Code: 0},
		"2768_2": {State: state.Failed, Code: 3, Reason: "NonZeroExitCode"},
		"2768_3": {State: state.Failed, Code: 137, Reason: "NonZeroExitCode"},
		"2768_4": {State: state.Cancelled, Code: 143},
		"2769_1": {State: state.Pending, Code: -1, Reason: "JobHeldUser"},
	})
	adaptertest.CheckStatuses(t, parseSacct(captured(t, "array-sacct.txt")), map[string]adaptertest.Want{
		"2768_0": {State: state.Finished, Code: 0},
		"2768_1": {State: state.Finished, Code: 0},
		"2768_2": {State: state.Failed, Code: 3},
		"2768_3": {State: state.Failed, Code: 9}, // sacct's low bits; the script's record says 137
		"2768_4": {State: state.Cancelled, Code: -1},
		"2768_5": {State: state.Finished, Code: 0},
		"2769_0": {State: state.Pending, Code: -1},
		"2769_1": {State: state.Pending, Code: -1},
		"2769_2": {State: state.Pending, Code: -1},
		"2769_3": {State: state.Pending, Code: -1},
	})
	adaptertest.CheckStatuses(t, parseScontrol(captured(t, "array-scontrol.txt")), map[string]adaptertest.Want{
		"2768_3": {State: state.Failed, Code: 137, Reason: "NonZeroExitCode"},
	})
	adaptertest.CheckStatuses(t, parseScontrol(captured(t, "array-scontrol-held.txt")), map[string]adaptertest.Want{
		"2769_1": {State: state.Pending, Code: -1, Reason: "JobHeldUser"},
	})
	if n := parseMaxArraySize(captured(t, "array-config.txt")); n != 1001 {
		t.Errorf("MaxArraySize %d, want 1001", n)
	}
	if n := parseMaxArraySize("garbage"); n != defaultMaxArray {
		t.Errorf("MaxArraySize of garbage %d, want the default", n)
	}
}

func TestExpandTasks(t *testing.T) {
	for in, want := range map[string]string{
		"12":                 "[12]",
		"12_3":               "[12_3]",
		"12_[0-3,5%2]":       "[12_0 12_1 12_2 12_3 12_5]",
		"12_0-2%4":           "[12_0 12_1 12_2]",
		"12_[1-7:3]":         "[12_1 12_4 12_7]",
		"12_[x]":             "[]",
		"2769_[0-3%2]":       "[2769_0 2769_1 2769_2 2769_3]",
		"12_[5-3]":           "[]",
		"12_[0-1,garbage]":   "[12_0 12_1]",
		"12_[0-1,3-garbage]": "[12_0 12_1]",
	} {
		if got := fmt.Sprint(expandTasks(in)); got != want {
			t.Errorf("expandTasks(%q) = %s, want %s", in, got, want)
		}
	}
}

// The lines every task of an array shares are the script's #SBATCH lines
// but its name, comment and output files; the output files come from the
// header (the last of each), and what an array task cannot take is an
// error.
func TestSplitHeader(t *testing.T) {
	script := "#!/bin/bash\n#SBATCH --nodes=1\n#SBATCH --partition=debug\n#SBATCH --job-name=\"s1\"\n#SBATCH --output=\"s1.out\"\n" +
		"#SBATCH --error=\"s1.err\"\n#SBATCH --comment \"a step\"\n# a comment\n#SBATCH -o s1.log\n\n#SBATCH --time=5\necho hi\n#SBATCH --qos=late\n"
	shared, out, errf, err := splitHeader(script)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(shared, "\n"); got != "#SBATCH --nodes=1\n#SBATCH --partition=debug\n#SBATCH --time=5" {
		t.Errorf("shared lines:\n%s", got)
	}
	if out != "s1.log" || errf != "s1.err" {
		t.Errorf("output %q, error %q", out, errf)
	}
	if _, out, errf, _ := splitHeader("#!/bin/sh\n#SBATCH --output=one\necho\n"); out != "one" || errf != "one" {
		t.Errorf("without --error: output %q, error %q", out, errf)
	}
	for _, bad := range []string{"#!/bin/sh\necho\n", "#!/bin/sh\n#SBATCH --output=x-%j.out\n", "#!/bin/sh\n#SBATCH --output=x\n#SBATCH --array=1-3\n"} {
		if _, _, _, err := splitHeader(bad); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}
