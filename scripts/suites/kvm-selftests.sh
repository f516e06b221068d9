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
pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
echo "1..${#tests[@]}"
for line in "${tests[@]}"; do
	read -r prog tmo args <<<"$line"
	name="$prog${args:+ $args}"
	n=$((n + 1))
	echo "# $name"
	start=$(date +%s.%N)
	# shellcheck disable=SC2086
	timeout -k 5 "${tmo:-120}" "$bin/$prog" $args >"$TMPDIR/out" 2>&1
	rc=$?
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
	sed 's/^/# /' "$TMPDIR/out" | tail -40 | cut -c1-300
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
