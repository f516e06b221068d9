#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: the IGT tests of igt-tests/ (built by scripts/build-tests.sh
# into out/build/tests/igt), each run as an IGT runner would, checked
# against the variant's expectation:
#   igt.sh SUITE EXPECT_FILE
# EXPECT_FILE lines: "<binary> <subtest> <SUCCESS|FAIL|SKIP>"; a subtest
# not listed must succeed. A predicted FAIL that happens counts as a pass
# (the "fails on base" evidence, checked on every run); any other result
# than the predicted one fails, a SKIP included. One case per subtest.
set -u
suite=$1 expect=$2
bin=$OUT/build/tests/igt
pass=0 fail=0 skip=0
for src in "$TOP"/igt-tests/tests/*.c; do
	name=$(basename "$src" .c)
	case $name in *_helper) continue ;; esac # shared sources, not tests
	echo "# $name"
	if [ ! -x "$bin/$name" ]; then
		echo "not ok - $name: not built ($bin/$name)"
		fail=$((fail + 1))
		continue
	fi
	start=$(date +%s)
	timeout -k 10 900 "$bin/$name" >"$TMPDIR/igt.out" 2>&1
	rc=$?
	sed 's/^/# /' "$TMPDIR/igt.out"
	n=0
	while read -r sub res; do
		n=$((n + 1))
		want=$(awk -v b="$name" -v s="$sub" '$1 == b && $2 == s { print $3 }' "$expect")
		want=${want:-SUCCESS}
		case $res:$want in
		SUCCESS:SUCCESS|SKIP:SKIP)
			echo "ok - $name/$sub: $res"; pass=$((pass + 1)) ;;
		FAIL:FAIL)
			echo "ok - $name/$sub: FAIL, as predicted for this kernel"; pass=$((pass + 1)) ;;
		*)
			echo "not ok - $name/$sub: $res, expected $want"; fail=$((fail + 1)) ;;
		esac
	done < <(sed -n -E 's/^Subtest ([A-Za-z0-9_-]+): ([A-Z]+) .*/\1 \2/p' "$TMPDIR/igt.out")
	if [ $n = 0 ]; then
		echo "not ok - $name: no subtest result (exit $rc)"
		fail=$((fail + 1))
	fi
	echo "# $name: exit $rc, $(( $(date +%s) - start ))s"
done
echo "$pass $fail $skip" >"$suite.summary"
echo "# $suite: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
