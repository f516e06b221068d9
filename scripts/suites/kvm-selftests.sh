#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: run the KVM selftests named in a list file, one at a time,
# each under its own timeout; print KTAP and write SUITE.summary.
#   kvm-selftests.sh SUITE LIST [FILTER]
# LIST lines: "<test path under out/build/tests/kvm> <timeout seconds>
# [check-full] [skip-on=PARAM] [known=deadline@FILE:LINE]
# [arguments...]"; '#' starts a
# comment (LIST's header explains the options). FILTER is an extended
# regex on the line.
set -u
suite=$1 list=$2 filter=${3:-.}
# KVM_TESTS: where the test binaries are (run.sh: the arm64 build's own)
bin=${KVM_TESTS:-$OUT/build/tests/kvm}
# shellcheck source=tasks.sh
. "$(dirname "$0")/tasks.sh"
mapfile -t tests < <(sed 's/#.*//' "$list" | awk 'NF' | grep -E -- "$filter")
# check-full: the test runs only when KVM_SELFTESTS_ALL=1 (make check-full,
# or run.sh alone); make check leaves it out, and says how many
if [ "${KVM_SELFTESTS_ALL:-1}" != 1 ]; then
	all=${#tests[@]}
	mapfile -t tests < <(printf '%s\n' "${tests[@]}" | awk 'NF && !/^[^ ]+ +[0-9]+ ([^ ]+ )*check-full( |$)/')
	echo "# $((all - ${#tests[@]})) tests of $list are marked check-full and left out (make check-full runs them)"
fi
if [ ${#tests[@]} = 0 ]; then
	echo "# $suite: no test in $list matches '$filter'"
	echo "0 1 0" >"$suite.summary"
	exit 1
fi
# watchdog TIMEOUT_PID SECONDS PROG: if a test outlives SIGKILL (a task
# stuck in the kernel), describe its tasks in $TMPDIR/hung and kill the
# timeout(1) that waits for it, so that the suite goes on and the VM ends.
watchdog() {
	local p
	sleep "$2"
	kill -0 "$1" 2>/dev/null || exit 0
	{
		echo "$3 did not exit; its tasks:"
		for p in $(pgrep -f -- "$3"); do
			task_dump "$p" ""
		done
	} >"$TMPDIR/hung.tmp" 2>&1
	mv "$TMPDIR/hung.tmp" "$TMPDIR/hung"
	kill -9 "$1" 2>/dev/null
}

# run_once PROG TIMEOUT ARGS: run one test; set rc and secs, output in
# $TMPDIR/out, and $TMPDIR/hung if it outlived SIGKILL.
# secs and the timeout verdict come from bash's own clock: the arm64
# root's busybox date has no %N, and its timeout(1) exits 143, not 124,
# when it stops a test.
run_once() {
	local start tpid wpid us
	start=${EPOCHREALTIME/[.,]/}
	rm -f "$TMPDIR/hung"
	# shellcheck disable=SC2086
	timeout -k 5 "$2" "$bin/$1" $3 >"$TMPDIR/out" 2>&1 &
	tpid=$!
	watchdog "$tpid" $(($2 + 30)) "$bin/$1" &
	wpid=$!
	wait "$tpid"
	rc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	us=$((${EPOCHREALTIME/[.,]/} - start))
	secs=$((us / 1000000)).$((us / 100000 % 10))
	# stopped at its timeout, whichever timeout(1) stopped it
	timed_out=0
	if [ "$rc" = 124 ] || [ "$rc" = 137 ] ||
		{ [ "$rc" = 143 ] && [ "$us" -ge $(($2 * 1000000)) ]; }; then
		timed_out=1
	fi
}

# retryable: whether the failed try in $TMPDIR/out is the one failure
# that $known allows to run again (LIST's header); sets why. For
# known=deadline@FILE:LINE that is the assertion at FILE:LINE.
retryable() {
	case $known in
	deadline@*)
		why="missed the wall-clock deadline at ${known#deadline@} (the list says why that is not a KVM fault)"
		grep -qF -- " ${known#deadline@}: " "$TMPDIR/out"
		;;
	*) return 1 ;;
	esac
}

pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
echo "1..${#tests[@]}"
for line in "${tests[@]}"; do
	read -r prog tmo args <<<"$line"
	skip_on='' known=''
	while :; do
		case $args in
		check-full | check-full\ *) read -r _ args <<<"$args" ;;
		skip-on=*) read -r skip_on args <<<"$args"; skip_on=${skip_on#skip-on=} ;;
		known=*) read -r known args <<<"$args"; known=${known#known=} ;;
		*) break ;;
		esac
	done
	name="$prog${args:+ $args}"
	n=$((n + 1))
	echo "# $name"
	if [ -n "$skip_on" ] && grep -qwF -- "$skip_on" /proc/cmdline; then
		echo "ok $n $name # SKIP (fails on the base as well with $skip_on; see $list)"
		skip=$((skip + 1))
		continue
	fi
	case $known in
	'') ;;
	deadline@?*.c:[1-9]*) ;;
	*) echo "not ok $n $name # unknown option known=$known in $list"; fail=$((fail + 1)); continue ;;
	esac
	tmo=${tmo:-120}
	# the lists name arm64's directory as 7.2 does; 6.12 calls it aarch64
	if [ "${prog#arm64/}" != "$prog" ] && [ ! -e "$bin/$prog" ] &&
		[ -e "$bin/aarch64/${prog#arm64/}" ]; then
		prog=aarch64/${prog#arm64/}
	fi
	try=1 note=
	run_once "$prog" "$tmo" "$args"
	while [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ $timed_out = 0 ] &&
		[ ! -s "$TMPDIR/hung" ] &&
		[ $try -lt 3 ] && retryable; do
		sed 's/^/# /' "$TMPDIR/out" | tail -10 | cut -c1-300
		echo "# try $try of 3 $why; running it again"
		# Misses come in spells (three in a row once, in one CI run):
		# let a slow spell of the emulated machine pass first.
		case $known in
		deadline@*) sleep "${DEADLINE_RETRY_PAUSE:-10}" ;;
		esac
		try=$((try + 1))
		note=" (try $try of 3; the earlier tries ${why%% (*})"
		run_once "$prog" "$tmo" "$args"
	done
	sed 's/^/# /' "$TMPDIR/out" | tail -40 | cut -c1-300
	if [ -s "$TMPDIR/hung" ]; then
		sed 's/^/# /' "$TMPDIR/hung" | cut -c1-300
		echo "not ok $n $name # HUNG: still running 30s after SIGKILL at ${tmo}s"
		fail=$((fail + 1))
		continue
	fi
	[ $timed_out = 0 ] || rc=124
	case $rc in
	0) echo "ok $n $name # ${secs}s$note"; pass=$((pass + 1)) ;;
	4) echo "ok $n $name # SKIP ($(grep -m1 -i skip "$TMPDIR/out" | cut -c1-100)) ${secs}s"; skip=$((skip + 1)) ;;
	124|137) echo "not ok $n $name # TIMEOUT after ${tmo}s"; fail=$((fail + 1)) ;;
	*) echo "not ok $n $name # exit=$rc ${secs}s$note"; fail=$((fail + 1)) ;;
	esac
done
echo "$pass $fail $skip" >"$suite.summary"
echo "# $suite: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
