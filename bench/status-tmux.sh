#!/usr/bin/env bash
# End-to-end check of `maestro status` on a real 80x24 terminal: run a
# 40-step study, show its status in a detached tmux session of 80 columns
# (with the default pager, less), and check the first screen: no line
# wider than 80 characters, and the summary line is there without paging.
# Exits non-zero on any failed check. Usage: bench/status-tmux.sh
set -uo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "FAIL: tmux is missing" >&2; exit 1; }
make -s build || exit 1
bin="$PWD/bin"
work=$(mktemp -d)
session="maestro-status-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -rf "$work"' EXIT

failed=0
pass() { echo "ok   $*"; }
fail() {
	echo "FAIL $*" >&2
	failed=1
}
screen() { tmux capture-pane -p -t "$session" 2>/dev/null; }

values=$(seq -s, 1 39)
cat >"$work/forty.yaml" <<EOF2
description: {name: forty, description: forty steps}
global.parameters:
    N: {values: [$values], label: N.%%}
study:
    - {name: setup, description: s, run: {cmd: echo s}}
    - {name: simulate, description: sim, run: {cmd: echo \$(N), depends: [setup]}}
EOF2
PATH="$bin:$PATH" "$bin/maestro" run -fg -y -s 1 -o "$work/study" "$work/forty.yaml" >/dev/null || {
	echo "FAIL: the study did not run" >&2
	exit 1
}
tmux new-session -d -s "$session" -x 80 -y 24 \
	"env -u PAGER -u LESS TERM=xterm-256color '$bin/maestro' status '$work/study'; echo done >'$work/exit'; sleep 30"
for _ in $(seq 50); do
	screen | grep -q 'Study FINISHED: 40 steps' && break
	sleep 0.1
done
first=$(screen)
echo "$first"
grep -q '^Study FINISHED: 40 steps (FINISHED 40)' <<<"$first" && pass "the summary is on the first screen" || fail "no summary on the first screen"
grep -q 'simulate_N.1 ' <<<"$first" && pass "the table shows steps" || fail "no step rows"
wide=$(awk '{ if (length($0) > 80) n++ } END { print n+0 }' <<<"$first")
[ "$wide" = 0 ] && pass "no line longer than 80 characters" || fail "$wide lines longer than 80 characters"
[ ! -s "$work/exit" ] && pass "40 steps do not fit 24 lines: the pager holds them" || fail "no pager for 40 steps"
tmux send-keys -t "$session" q
for _ in $(seq 50); do
	[ -s "$work/exit" ] && break
	sleep 0.1
done
[ -s "$work/exit" ] && pass "q leaves the pager" || fail "the pager did not end on q"
grep -q 'Study FINISHED: 40 steps' <<<"$(screen)" && pass "the text stays on the screen after the pager" || fail "the screen was cleared"

if [ "$failed" = 0 ]; then echo "status-tmux: all checks passed"; else echo "status-tmux: some checks FAILED" >&2; fi
exit "$failed"
