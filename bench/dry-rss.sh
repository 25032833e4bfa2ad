#!/usr/bin/env bash
# Peak memory (max RSS) and wall time of `maestro run --dry` on a study of
# one step over N values (default 100,000) plus a funnel, on tmpfs.
# Usage: bench/dry-rss.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
make -s build
work=$(mktemp -d "${TMPDIR_BENCH:-/dev/shm}/maestro-rss-XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/fan.yaml" "$n" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("description: {name: fan, description: one step over many values}\n")
    f.write("study:\n")
    f.write("  - {name: sim, description: sim, run: {cmd: echo $(X)}}\n")
    f.write("  - {name: collect, description: funnel, run: {cmd: ls $(sim.workspace), depends: [sim_*]}}\n")
    f.write("global.parameters:\n  X:\n    label: X.%%\n    values: [" + ", ".join(map(str, range(n))) + "]\n")
PY
python3 - "$PWD/bin/maestro" "$work" <<'PY'
import resource, subprocess, sys, time
maestro, work = sys.argv[1], sys.argv[2]
start = time.time()
subprocess.run([maestro, "run", "--dry", "-o", work + "/study", work + "/fan.yaml"], check=True, stdout=subprocess.DEVNULL)
wall = time.time() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"maestro run --dry: {wall:.2f} s, max RSS {rss:.0f} MiB")
PY
