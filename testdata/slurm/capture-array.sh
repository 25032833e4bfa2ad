#!/usr/bin/env bash
# Captures real output of the Slurm commands the adapter parses for job
# arrays, from the local cluster: a 6-task array (task 2 exits 3, task 3
# exits 137, task 4 is cancelled while it runs) and a held 4-task array
# whose tasks have not started (one line for all of them), and a held
# 1,000-task array; queries by the arrays' ids (squeue without -r: the
# pending tasks of an array in one line).
# Usage: testdata/slurm/capture-array.sh   (takes about 20 s)
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/a.sh" <<'SCRIPT'
#!/bin/sh
case "$SLURM_ARRAY_TASK_ID" in 2) exit 3 ;; 3) exit 137 ;; 4) sleep 300 ;; esac
SCRIPT
arr=$(sbatch --parsable -D "$work" -J capture_array -o /dev/null -e /dev/null --array=0-5%3 "$work/a.sh")
held=$(sbatch --parsable -D "$work" -J capture_held -o /dev/null -e /dev/null --hold --array=0-3%2 "$work/a.sh")
wide=$(sbatch --parsable -D "$work" -J capture_wide -o /dev/null -e /dev/null --hold --array=0-999%4 "$work/a.sh")
while [ "$(squeue -h -r -o %T -j "${arr}_4")" != RUNNING ]; do sleep 1; done
capture() { # file, command...
  local file=$1; shift
  { echo "# $*"; "$@" 2>&1 || echo "# exit status $?"; } > "$file"
}
capture array-squeue-running.txt squeue -h -t all -O 'JobArrayID:0|,State:0|,Reason:0|,exit_code:0' -j "$arr,$held,$wide"
scancel "${arr}_4"
while squeue -h -r -o %T -j "$arr" | grep -q -v -E 'COMPLETED|FAILED|CANCELLED'; do sleep 1; done
sleep 5 # let sacct catch up
ids="${arr}_0,${arr}_2,${arr}_3,${arr}_4,${held}_1"
capture array-squeue.txt squeue -h -r -t all -O 'JobArrayID:0|,State:0|,Reason:0|,exit_code:0' -j "$ids"
capture array-sacct.txt sacct -X -n -P -o JobID,State,ExitCode -j "$arr,$held"
capture array-squeue-base.txt squeue -h -t all -O 'JobArrayID:0|,State:0|,Reason:0|,exit_code:0' -j "$arr,$held,$wide"
capture array-sacct-base.txt sacct -X -n -P -o JobID,State,ExitCode -j "$arr,$held,$wide"
capture array-scontrol-base.txt scontrol show job "$wide"
capture array-scontrol.txt scontrol show job "${arr}_3"
capture array-scontrol-held.txt scontrol show job "${held}_1"
capture array-find.txt squeue -h -r -t all -o '%i|%j|%Z|%V' --name=capture_array,capture_held
capture array-config.txt scontrol show config
scancel "$held" "$wide" || true
echo "captured arrays $arr, $held and $wide (held)" >&2
