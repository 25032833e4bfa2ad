package bundle

// runner is the body of a bundle's job script, after the shebang and the
// scheduler's header; the first three lines set dir, parallel and grace.
// It needs nothing but bash 4.3 (for wait -n) and mv on the compute node.
//
// Every step is started in a process group of its own (set -m) with its
// output in its own files; the child writes <name>.start before it
// becomes the step's script, so a step without that file never ran. When
// a step ends, the runner writes <name>.end and then the step's exit
// record in the Recorder's format, each through a temporary file and mv
// so that the conductor never reads half of one. A step with a walltime
// of its own (the table's last field, in seconds; 0 for none) is watched:
// past it, <name>.over is written, the step gets TERM, KILL after the
// grace, and its end is recorded as overran unless it exited 0. The
// bundle's walltime's signal (Slurm's USR1 warning ahead of it, Flux's
// ALRM and LSF's USR2 at it) or TERM, INT, HUP (a cancel, or a kill
// without warning) stop the runner: no step starts any more, the running
// ones get TERM at once and KILL after the grace, and their ends are
// recorded as timeout (the walltime's signals) or stopped; then it exits
// 1. It exits 0 once every step ended, whatever their codes, and 2 when
// it cannot run at all.
const runner = `if [ "${BASH_VERSINFO[0]}" -lt 4 ] || { [ "${BASH_VERSINFO[0]}" -eq 4 ] && [ "${BASH_VERSINFO[1]}" -lt 3 ]; }; then
  echo "maestro bundle: needs bash 4.3 or later, not $BASH_VERSION" >&2
  exit 2
fi
set -m
jobid=${SLURM_JOB_ID:-${LSB_JOBID:-${FLUX_JOB_ID:-}}}
host=${HOSTNAME:-$(hostname)}
names=() tokens=() scripts=() workspaces=() outs=() errs=() rcs=() limits=()
while IFS=$'\t' read -r n t s w o e r l; do
  names+=("$n") tokens+=("$t") scripts+=("$s") workspaces+=("$w") outs+=("$o") errs+=("$e") rcs+=("$r") limits+=("$l")
done < "$dir/steps.tsv" || { echo "maestro bundle: cannot read $dir/steps.tsv" >&2; exit 2; }
declare -A step_of=() cut=() dog=()
stop=
halt() {
  [ -n "$stop" ] && return
  stop=$1
  local pid
  for pid in "${!step_of[@]}"; do
    cut[$pid]=1
    kill -TERM -- "-$pid" 2>/dev/null
  done
}
trap 'halt timeout' USR1 ALRM USR2
trap 'halt stopped' TERM INT HUP
put() { printf '%s\n' "$2" > "$1.tmp" && mv -f "$1.tmp" "$1"; }
start() {
  local i=$1
  (
    unset MAESTRO_RC MAESTRO_TOKEN
    printf -v now '%(%s)T' -1
    printf '%s %s %s %s %s\n' "$now" "$host" "$BASHPID" "${tokens[i]}" "$jobid" > "$dir/${names[i]}.start"
    cd "${workspaces[i]}" && exec "${scripts[i]}"
  ) > "${outs[i]}" 2> "${errs[i]}" < /dev/null &
  local pid=$!
  step_of[$pid]=$i
  [ -n "$stop" ] && cut[$pid]=1 && kill -TERM -- "-$pid" 2>/dev/null
  if [ "${limits[i]}" -gt 0 ]; then
    (
      sleep "${limits[i]}"
      [ ! -e "$dir/${names[i]}.end" ] && kill -0 $$ 2>/dev/null || exit 0
      : > "$dir/${names[i]}.over"
      kill -TERM -- "-$pid" 2>/dev/null
      sleep "$grace"
      [ ! -e "$dir/${names[i]}.end" ] && kill -KILL -- "-$pid" 2>/dev/null
    ) > /dev/null 2>&1 < /dev/null &
    dog[$pid]=$!
  fi
}
ended() {
  local pid=$1 code=$2 i=${step_of[$1]} how=exit now
  if [ -n "${cut[$pid]:-}" ] || { [ -n "$stop" ] && [ "$code" -gt 128 ]; }; then how=$stop
  elif [ "$code" -ne 0 ] && [ -e "$dir/${names[i]}.over" ]; then how=overran; fi
  [ -n "${dog[$pid]:-}" ] && kill -- "-${dog[$pid]}" 2>/dev/null
  unset "step_of[$pid]" "cut[$pid]" "dog[$pid]"
  printf -v now '%(%s)T' -1
  put "$dir/${names[i]}.end" "$now $code ${tokens[i]} $jobid $how"
  put "${rcs[i]}" "$code ${tokens[i]} $jobid"
}
reap() {
  local pid
  for pid in "${!step_of[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      ended "$pid" "$?"
    fi
  done
}
next=0
while :; do
  while [ -z "$stop" ] && [ "${#step_of[@]}" -lt "$parallel" ] && [ "$next" -lt "${#names[@]}" ]; do
    start "$next"
    next=$((next + 1))
  done
  [ -n "$stop" ] || [ "${#step_of[@]}" -eq 0 ] && break
  wait -n
  reap
done
[ -z "$stop" ] && exit 0
sleep "$grace" &
timer=$!
while [ "${#step_of[@]}" -gt 0 ] && kill -0 "$timer" 2>/dev/null; do
  wait -n
  reap
done
for pid in "${!step_of[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
for pid in "${!step_of[@]}"; do
  wait "$pid"
  ended "$pid" "$?"
done
kill "$timer" 2>/dev/null
exit 1
`
