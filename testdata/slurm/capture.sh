#!/usr/bin/env bash
# Captures real output of the Slurm commands the adapter parses, from the
# local cluster (../shared/slurm/start-local-slurm.sh, with accounting).
# Each file starts with a comment line naming the command that produced it.
# Usage: testdata/slurm/capture.sh   (takes about 90 s: one job times out)
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
submit() { # name, sbatch options..., then the script body on stdin
  local name=$1; shift
  cat > "$work/$name.sh"
  sbatch --parsable -D "$work" -J "$name" "$@" "$work/$name.sh"
}
ok=$(printf '#!/bin/bash\necho ok\n' | submit ok)
fail=$(printf '#!/bin/bash\nexit 3\n' | submit fail)
timeout=$(printf '#!/bin/bash\nsleep 300\n' | submit timeout --time=1)
cancel_run=$(printf '#!/bin/bash\nsleep 300\n' | submit cancel_run)
held=$(printf '#!/bin/bash\necho held\n' | submit held --hold)
running=$(printf '#!/bin/bash\nsleep 200\n' | submit running)
code137=$(printf '#!/bin/bash\nexit 137\n' | submit code137)
code255=$(printf '#!/bin/bash\nexit 255\n' | submit code255)
sigkill=$(printf '#!/bin/bash\nkill -9 $$\n' | submit sigkill)
sleep 5
scancel "$cancel_run"
echo "waiting for job $timeout to time out" >&2
while [ "$(squeue -h -o %T -t all -j "$timeout")" != TIMEOUT ]; do sleep 5; done
sleep 5 # let sacct catch up
ids="$ok,$fail,$timeout,$cancel_run,$held,$running,$code137,$code255,$sigkill,987654321"
capture() { # file, command...
  local file=$1; shift
  { echo "# $*"; "$@" 2>&1 || echo "# exit status $?"; } > "$file"
}
fmt='JobID:0|,State:0|,Reason:0|,exit_code:0'
capture squeue.txt squeue -h -t all -O "$fmt" -j "$ids"
capture squeue-unknown.txt squeue -h -t all -O "$fmt" -j 987654321
capture sacct.txt sacct -X -n -P -o JobIDRaw,State,ExitCode -j "$ids"
for j in fail timeout cancel_run held code137 code255 sigkill; do
  capture "scontrol-$j.txt" scontrol show job "${!j}"
done
capture scontrol-unknown.txt scontrol show job 987654321
printf '#!/bin/bash\necho x\n' > "$work/sb.sh"
capture sbatch.txt sbatch --parsable -D "$work" "$work/sb.sh"
scancel "$held" "$running" || true
echo "captured jobs ok=$ok fail=$fail timeout=$timeout cancelled=$cancel_run held=$held running=$running code137=$code137 code255=$code255 sigkill=$sigkill" >&2
