#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: run the KVM selftests named in a list file, one at a time,
# each under its own timeout; print KTAP and write SUITE.summary.
#   kvm-selftests.sh SUITE LIST [FILTER]
# LIST lines: "<test path under out/build/tests/kvm> <timeout seconds>
# [arguments...]"; '#' starts a comment. FILTER is an extended regex on
# the line.
set -u
suite=$1 list=$2 filter=${3:-.}
bin=$OUT/build/tests/kvm
mapfile -t tests < <(sed 's/#.*//' "$list" | awk 'NF' | grep -E -- "$filter")
if [ ${#tests[@]} = 0 ]; then
	echo "# $suite: no test in $list matches '$filter'"
	echo "0 1 0" >"$suite.summary"
	exit 1
fi
# watchdog TIMEOUT_PID SECONDS PROG: if a test outlives SIGKILL (a task
# stuck in the kernel), describe its tasks in $TMPDIR/hung and kill the
# timeout(1) that waits for it, so that the suite goes on and the VM ends.
watchdog() {
	local t p
	sleep "$2"
	kill -0 "$1" 2>/dev/null || exit 0
	{
		echo "$3 did not exit; its tasks:"
		for p in $(pgrep -f -- "$3"); do
			for t in /proc/"$p"/task/*; do
				echo "task ${t##*/}: $(awk '{ print $3 }' "$t/stat" 2>/dev/null)" \
					"wchan=$(cat "$t/wchan" 2>/dev/null)"
				sed 's/^/  /' "$t/stack" 2>/dev/null
			done
		done
	} >"$TMPDIR/hung.tmp" 2>&1
	mv "$TMPDIR/hung.tmp" "$TMPDIR/hung"
	kill -9 "$1" 2>/dev/null
}

pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
echo "1..${#tests[@]}"
for line in "${tests[@]}"; do
	read -r prog tmo args <<<"$line"
	skip_on=
	if [[ $args == skip-on=* ]]; then
		read -r skip_on args <<<"$args"
		skip_on=${skip_on#skip-on=}
	fi
	name="$prog${args:+ $args}"
	n=$((n + 1))
	echo "# $name"
	if [ -n "$skip_on" ] && grep -qwF -- "$skip_on" /proc/cmdline; then
		echo "ok $n $name # SKIP (fails on the base as well with $skip_on; see $list)"
		skip=$((skip + 1))
		continue
	fi
	tmo=${tmo:-120}
	start=$(date +%s.%N)
	rm -f "$TMPDIR/hung"
	# shellcheck disable=SC2086
	timeout -k 5 "$tmo" "$bin/$prog" $args >"$TMPDIR/out" 2>&1 &
	tpid=$!
	watchdog "$tpid" $((tmo + 30)) "$bin/$prog" &
	wpid=$!
	wait "$tpid"
	rc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
	sed 's/^/# /' "$TMPDIR/out" | tail -40 | cut -c1-300
	if [ -s "$TMPDIR/hung" ]; then
		sed 's/^/# /' "$TMPDIR/hung" | cut -c1-300
		echo "not ok $n $name # HUNG: still running 30s after SIGKILL at ${tmo}s"
		fail=$((fail + 1))
		continue
	fi
	case $rc in
	0) echo "ok $n $name # ${secs}s"; pass=$((pass + 1)) ;;
	4) echo "ok $n $name # SKIP ($(grep -m1 -i skip "$TMPDIR/out" | cut -c1-100)) ${secs}s"; skip=$((skip + 1)) ;;
	124|137) echo "not ok $n $name # TIMEOUT after ${tmo}s"; fail=$((fail + 1)) ;;
	*) echo "not ok $n $name # exit=$rc ${secs}s"; fail=$((fail + 1)) ;;
	esac
done
echo "$pass $fail $skip" >"$suite.summary"
echo "# $suite: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
