#!/usr/bin/env bash
# End-to-end check of `maestro status --watch` on a running study: start a
# study of a few sleeping steps (one fails), show it live in a detached
# tmux session of fixed size, read the screen a few times, check that the
# header and the states change, filter, open the failed step's detail,
# show the keys with ?, shrink the terminal to 80x24 and check that every
# line fits, quit with q and check that the view exited cleanly. Then check that
# --watch refuses a dumb terminal and a pipe. Exits non-zero on any failed
# check. Usage: bench/watch-tmux.sh
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null; then
	echo "installing tmux"
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
	$sudo apt-get update -qq && $sudo apt-get install -y -qq tmux >/dev/null || {
		echo "FAIL: tmux is missing and could not be installed" >&2
		exit 1
	}
fi
make -s build || exit 1
bin="$PWD/bin"

work=$(mktemp -d)
session="maestro-watch-$$"
cleanup() {
	tmux kill-session -t "$session" 2>/dev/null
	[ -d "$work/study" ] && "$bin/maestro" cancel -y "$work/study" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

failed=0
pass() { echo "ok   $*"; }
fail() {
	echo "FAIL $*" >&2
	failed=1
}
screen() { tmux capture-pane -p -t "$session" 2>/dev/null; }
# wait_for TEXT SECONDS: wait until the screen shows TEXT (a grep -E regex).
wait_for() {
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt "$deadline" ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.2
	done
	return 1
}

cat >"$work/watch.yaml" <<'EOF'
description:
    name: watch_demo
    description: a few sleeping steps, one of which fails
study:
    - name: nap
      description: sleeps
      run:
          cmd: sleep $(T)
    - name: bad
      description: fails after a while
      run:
          cmd: |
            sleep 2
            echo "first complaint" >&2
            echo "boom: giving up" >&2
            exit 3
    - name: wake
      description: after every nap
      run:
          cmd: sleep 1
          depends: [nap_*]
global.parameters:
    T:
        values: [1, 3, 4]
        label: T.%%
EOF

PATH="$bin:$PATH" "$bin/maestro" run -y -s 1 -o "$work/study" "$work/watch.yaml" >/dev/null || {
	echo "FAIL: the study did not launch" >&2
	exit 1
}
tmux new-session -d -s "$session" -x 120 -y 30 \
	"TERM=xterm-256color PATH='$bin':\$PATH maestro status --watch '$work/study'; echo \$? >'$work/exit'"

if wait_for 'Study watch_demo · RUNNING' 10; then pass "the header shows the running study"; else fail "no running header"; fi
# The first frame can come before the first step has started.
if wait_for 'nap_T\.1 +[0-9]+ +(RUNNING|PENDING|FINISHED)' 10; then
	pass "the table shows the steps"
else
	fail "no step rows: $(screen)"
fi
first=$(screen)
grep -q 'rows 1-5 of 5' <<<"$first" && pass "five rows" || fail "not five rows"

if wait_for 'Study watch_demo · FAILURE' 30; then pass "the header changed to FAILURE"; else fail "the study never showed FAILURE"; fi
last=$(screen)
grep -Eq 'FINISHED 4 · FAILED 1' <<<"$last" && pass "the counts changed" || fail "counts: $(sed -n 3p <<<"$last")"
grep -Eq '^  wake +[0-9]+ +FINISHED' <<<"$last" && pass "a step that started late shows FINISHED" || fail "wake not FINISHED"
[ "$(head -1 <<<"$first")" != "$(head -1 <<<"$last")" ] && pass "the header changed" || fail "the header did not change"

tmux send-keys -t "$session" f f
if wait_for 'state FAILED' 3; then pass "f filters by state"; else fail "no state filter"; fi
if wait_for 'exit code 3 · reason: exit code 3' 3 && screen | grep -q 'boom: giving up'; then
	pass "the failed step's detail shows its exit code and stderr"
else
	fail "no detail pane for the failed step"
fi
tmux send-keys -t "$session" Escape
sleep 0.3 # an escape followed at once by a key reads as alt+key
tmux send-keys -t "$session" / n a p _ Enter
if wait_for 'name "nap_"' 3 && [ "$(screen | grep -Ec '^(  |▸ )nap_T')" = 3 ]; then
	pass "/ filters by name"
else
	fail "the name filter"
fi

# ? shows every key; any key goes back to the table.
tmux send-keys -t "$session" Escape
sleep 0.3
tmux send-keys -t "$session" '?'
if wait_for 'filter by name \(enter keeps it' 3 && screen | grep -q 'any key: back to the table'; then
	pass "? shows the keys"
else
	fail "? did not show the keys"
fi
tmux send-keys -t "$session" j
if wait_for '^  Step Name' 3; then pass "a key goes back to the table"; else fail "no table after the help"; fi

# At 80 columns every line fits and the key line is whole.
tmux resize-window -t "$session" -x 80 -y 24 2>/dev/null || tmux resize-pane -t "$session" -x 80 -y 24
if wait_for '\? help · q quit' 3; then pass "the key line fits 80 columns whole"; else fail "key line at 80: $(screen | tail -1)"; fi
wide=$(screen | awk '{ if (length($0) > 80) n++ } END { print n+0 }')
[ "$wide" = 0 ] && pass "no line wider than 80 columns" || fail "$wide lines wider than 80 columns"

tmux send-keys -t "$session" q
for _ in $(seq 50); do
	[ -s "$work/exit" ] && break
	sleep 0.1
done
if [ "$(cat "$work/exit" 2>/dev/null)" = 0 ]; then pass "q quit with status 0"; else fail "q did not quit cleanly"; fi
sleep 0.2
if tmux has-session -t "$session" 2>/dev/null; then fail "the tmux session is still there"; fi

# Without a terminal --watch says so at once, with a non-zero status.
hint="maestro: --watch needs a terminal; use maestro status or --json"
tmux new-session -d -s "$session" -x 120 -y 30 \
	"TERM=dumb '$bin/maestro' status --watch '$work/study' 2>'$work/dumb.err'; echo \$? >'$work/dumb'"
for _ in $(seq 50); do
	[ -s "$work/dumb" ] && break
	sleep 0.1
done
if [ "$(cat "$work/dumb" 2>/dev/null)" = 1 ] && [ "$(cat "$work/dumb.err")" = "$hint" ]; then
	pass "TERM=dumb: the one-line hint"
else
	fail "TERM=dumb: status $(cat "$work/dumb" 2>/dev/null), stderr $(cat "$work/dumb.err" 2>/dev/null)"
fi
out=$(timeout 5 "$bin/maestro" status --watch "$work/study" 2>&1 >/dev/null)
code=$?
if [ "$code" = 1 ] && [ "$out" = "$hint" ]; then pass "a pipe: the one-line hint"; else fail "a pipe: status $code, $out"; fi

if [ "$failed" = 0 ]; then echo "watch-tmux: all checks passed"; else echo "watch-tmux: some checks FAILED" >&2; fi
exit "$failed"
