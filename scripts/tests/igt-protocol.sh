#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the IGT compatibility layer (igt-tests/lib): builds the dummy
# test igt-tests/selftest/igt_protocol_dummy.c and checks that it speaks
# IGT's test-binary protocol: the IGT-Version header, the Starting/Subtest/
# Dynamic subtest lines and their "(N.NNNs)" times, --list-subtests
# (no fixture runs), --run-subtest with comma lists, '*' and '!',
# --dynamic-subtest, --describe, fixture skips and failures, forked
# children, exit codes 0/77/98/79; and that the layer refuses, as IGT's own
# tree does, a test that includes a uapi header defining _AC before igt.h,
# one without IGT_TEST_DESCRIPTION and the igt_main / igt_fixture spellings
# of IGT before late 2025. Runs on the host in seconds, without a DRM device.
# Exits non-zero if a check fails; ends with "N passed, N failed".
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export IGT_NO_KMSG=1

make -s -C "$top/igt-tests" selftest O="$tmp/build" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log" >&2; echo "igt-protocol: build failed" >&2; exit 1; }
bin=$tmp/build/selftest/igt_protocol_dummy

pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }

# run ARGS...: run the dummy; leaves out, err, rc and res (the protocol
# lines of stdout, times replaced by T)
run() {
	rc=0
	(cd "$tmp" && "$bin" "$@") >"$tmp/out" 2>"$tmp/err" || rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	res=$(grep -E '^(Starting (dynamic )?subtest|(Dynamic s|S)ubtest [^ ]+: )' "$tmp/out" |
		sed -E 's/ \([0-9]+\.[0-9]{3}s\)$/ (T)/' || true)
}

# check NAME WANT_RC [WANT_LINES]: compare rc and the protocol lines
check() {
	local name=$1 want_rc=$2 want=${3-}
	if [ "$rc" != "$want_rc" ]; then
		nok "$name (exit $rc, want $want_rc)"
		sed 's/^/    /' "$tmp/out" "$tmp/err"
	elif [ $# -ge 3 ] && [ "$res" != "$want" ]; then
		nok "$name (protocol lines differ)"
		diff <(echo "$want") <(echo "$res") | sed 's/^/    /' || true
	else
		ok "$name"
	fi
}

expect() { # NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}

all_lines='Starting subtest: pass
Subtest pass: SUCCESS (T)
Starting subtest: skip
Subtest skip: SKIP (T)
Starting subtest: fail
Subtest fail: FAIL (T)
Starting subtest: pass-after-fail
Subtest pass-after-fail: SUCCESS (T)
Starting subtest: dynamic-pass
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SUCCESS (T)
Starting dynamic subtest: dyn-b
Dynamic subtest dyn-b: SKIP (T)
Subtest dynamic-pass: SUCCESS (T)
Starting subtest: dynamic-fail
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SUCCESS (T)
Starting dynamic subtest: dyn-b
Dynamic subtest dyn-b: FAIL (T)
Starting dynamic subtest: dyn-c
Dynamic subtest dyn-c: SUCCESS (T)
Subtest dynamic-fail: FAIL (T)
Starting subtest: dynamic-none
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SKIP (T)
Subtest dynamic-none: SKIP (T)
Starting subtest: fork-pass
Subtest fork-pass: SUCCESS (T)
Starting subtest: fork-fail
Subtest fork-fail: FAIL (T)
Starting subtest: thread-fail
Subtest thread-fail: FAIL (T)
Starting subtest: ioctl-err
Subtest ioctl-err: SUCCESS (T)
Subtest after-fixture-1: SKIP (T)
Subtest after-fixture-2: SKIP (T)'

names='pass
skip
fail
pass-after-fail
dynamic-pass
dynamic-fail
dynamic-none
fork-pass
fork-fail
thread-fail
ioctl-err
after-fixture-1
after-fixture-2'

# --- a whole run
run
check "whole run: every line, a failure does not stop the others, exit 98" 98 "$all_lines"
expect "whole run: the first line is the IGT-Version header" \
	test "$(head -1 "$tmp/out" | grep -c '^IGT-Version: ')" = 1
expect "whole run: every result line has a (N.NNNs) time" \
	test "$(grep -cE '^(Dynamic s|S)ubtest [^ ]+: (SUCCESS|SKIP|FAIL)$' "$tmp/out")" = 0
expect "whole run: the failure is explained on stderr" \
	grep -q 'Failed assertion: 1 + 1 == 3' "$tmp/err"
expect "whole run: skip reasons are on stdout" \
	grep -q '^Test requirement not met in function' "$tmp/out"
expect "whole run: a failed child is reported" \
	grep -q '^child 1 failed with exit status 98' "$tmp/out"

# --- listing touches nothing
rm -f "$tmp/mark"
IGT_DUMMY_MARK=$tmp/mark run --list-subtests
check "--list-subtests: exit 0" 0
expect "--list-subtests: exactly the subtest names, one a line" test "$out" = "$names"
expect "--list-subtests: no fixture ran" test ! -e "$tmp/mark"
run --list-subtests --run-subtest pass
expect "--list-subtests then --run-subtest: still the whole list" test "$out" = "$names"

# --- selection
rm -f "$tmp/mark"
IGT_DUMMY_MARK=$tmp/mark run --run-subtest pass
check "--run-subtest pass: exit 0" 0 'Starting subtest: pass
Subtest pass: SUCCESS (T)'
expect "--run-subtest: fixtures run" test -e "$tmp/mark"
run --run-subtest=skip
check "--run-subtest=skip: exit 77" 77 'Starting subtest: skip
Subtest skip: SKIP (T)'
run --run-subtest fail
check "--run-subtest fail: exit 98" 98 'Starting subtest: fail
Subtest fail: FAIL (T)'
run --run-subtest skip,pass
check "comma list: both run, in the test's order, exit 0" 0 'Starting subtest: pass
Subtest pass: SUCCESS (T)
Starting subtest: skip
Subtest skip: SKIP (T)'
run --run-subtest 'pass*'
check "wildcard pass*: exit 0" 0 'Starting subtest: pass
Subtest pass: SUCCESS (T)
Starting subtest: pass-after-fail
Subtest pass-after-fail: SUCCESS (T)'
run --run-subtest '*,!*fail*,!after-*'
check "'*' with '!' exclusions: exit 0" 0 'Starting subtest: pass
Subtest pass: SUCCESS (T)
Starting subtest: skip
Subtest skip: SKIP (T)
Starting subtest: dynamic-pass
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SUCCESS (T)
Starting dynamic subtest: dyn-b
Dynamic subtest dyn-b: SKIP (T)
Subtest dynamic-pass: SUCCESS (T)
Starting subtest: dynamic-none
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SKIP (T)
Subtest dynamic-none: SKIP (T)
Starting subtest: fork-pass
Subtest fork-pass: SUCCESS (T)
Starting subtest: ioctl-err
Subtest ioctl-err: SUCCESS (T)'
run --run-subtest '*fail*,!pass-after-fail'
check "the last matching entry decides" 98 'Starting subtest: fail
Subtest fail: FAIL (T)
Starting subtest: dynamic-fail
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SUCCESS (T)
Starting dynamic subtest: dyn-b
Dynamic subtest dyn-b: FAIL (T)
Starting dynamic subtest: dyn-c
Dynamic subtest dyn-c: SUCCESS (T)
Subtest dynamic-fail: FAIL (T)
Starting subtest: fork-fail
Subtest fork-fail: FAIL (T)
Starting subtest: thread-fail
Subtest thread-fail: FAIL (T)'
run --run-subtest 'skip,dynamic-none'
check "only skips: exit 77" 77
run --run-subtest nosuch
check "unknown subtest: exit 79" 79 ''
expect "unknown subtest: named on stderr" grep -q 'Unknown subtest: nosuch' "$tmp/err"
run --run-subtest '!pass'
check "an exclusion alone selects nothing: exit 79" 79 ''
run --bogus-option
check "unknown option: exit 79" 79 ''
run --help
check "--help: exit 0" 0 ''

# --- dynamic subtests
run --run-subtest dynamic-fail --dynamic-subtest dyn-a
check "--dynamic-subtest dyn-a: only it runs, exit 0" 0 'Starting subtest: dynamic-fail
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SUCCESS (T)
Subtest dynamic-fail: SUCCESS (T)'
run --run-subtest 'dynamic-*' --dynamic-subtest '*,!dyn-b'
check "--dynamic-subtest with '!': dyn-b left out, exit 0" 0 'Starting subtest: dynamic-pass
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SUCCESS (T)
Subtest dynamic-pass: SUCCESS (T)
Starting subtest: dynamic-fail
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SUCCESS (T)
Starting dynamic subtest: dyn-c
Dynamic subtest dyn-c: SUCCESS (T)
Subtest dynamic-fail: SUCCESS (T)
Starting subtest: dynamic-none
Starting dynamic subtest: dyn-a
Dynamic subtest dyn-a: SKIP (T)
Subtest dynamic-none: SKIP (T)'
run --run-subtest dynamic-pass --dynamic-subtest nosuch
check "no dynamic subtest selected: the subtest skips, exit 77" 77 'Starting subtest: dynamic-pass
Subtest dynamic-pass: SKIP (T)'

# --- fixtures
run --run-subtest 'after-fixture-*'
check "a skip in a fixture skips what follows: exit 77" 77 'Subtest after-fixture-1: SKIP (T)
Subtest after-fixture-2: SKIP (T)'
IGT_DUMMY_FIXTURE=fail run --run-subtest 'after-fixture-*'
check "a failure in a fixture fails what follows: exit 98" 98 'Subtest after-fixture-1: FAIL (T)
Subtest after-fixture-2: FAIL (T)'

# --- --describe: the test's description, then each subtest's (IGT's CI
# lists a test without the first, or a subtest with "NO DOCUMENTATION!")
run --describe
check "--describe: exit 0" 0 ''
expect "--describe: the test description comes first" \
	test "$(head -1 "$tmp/out")" = "Exercise the test-binary protocol of the IGT compatibility layer."
expect "--describe: a SUB line for every subtest" \
	test "$(sed -n 's/^SUB \([^ ]*\) .*igt_protocol_dummy\.c:[0-9]*:$/\1/p' "$tmp/out")" = "$names"
expect "--describe: a described subtest has its description" \
	grep -qx '  Always passes.' "$tmp/out"
run --describe=skip
check "--describe=skip: only that subtest" 0
expect "--describe=skip: one SUB line" test "$(grep -c '^SUB ' "$tmp/out")" = 1
run --help-description
check "--help-description: exit 0" 0
expect "--help-description: the test description" \
	test "$out" = "Exercise the test-binary protocol of the IGT compatibility layer."

# --- what IGT's own tree refuses, the layer refuses: a test that builds,
# and variants of it that must not build, for the reason named
mkdir -p "$tmp/try"
cat >"$tmp/try/good.c" <<'END'
#include "igt.h"

#include <linux/kvm.h>

IGT_TEST_DESCRIPTION("A test that includes uapi headers after igt.h.");

int igt_main()
{
	igt_fixture() {
		igt_require(KVM_API_VERSION == 12);
	}

	igt_describe("Pass.");
	igt_subtest("pass")
		igt_assert(1);
}
END
# try NAME: build $tmp/try/NAME.c as a test; leaves rc, the log in NAME.log
try() {
	rc=0
	LC_ALL=C make -s -C "$top/igt-tests" try O="$tmp/try/build" SRC="$tmp/try/$1.c" \
		>"$tmp/try/$1.log" 2>&1 || rc=$?
}
try good
if [ "$rc" = 0 ]; then
	ok "a test with <linux/kvm.h> after igt.h builds"
else
	nok "a test with <linux/kvm.h> after igt.h does not build"
	sed 's/^/    /' "$tmp/try/good.log"
fi
sed '/igt_describe/d' "$tmp/try/good.c" >"$tmp/try/undescribed.c"
try undescribed
expect "--describe: a subtest without igt_describe says NO DOCUMENTATION!" \
	test "$(cd "$tmp" && "$tmp/try/build/try/undescribed" --describe | grep -c '^  NO DOCUMENTATION!$')" = 1
# refused NAME PATTERN WHAT: NAME.c must not build, with PATTERN in the log
refused() {
	try "$1"
	if [ "$rc" != 0 ] && grep -q -- "$2" "$tmp/try/$1.log"; then
		ok "$3: the build fails ($2)"
	else
		nok "$3: the build does not fail with '$2' (exit $rc)"
		sed 's/^/    /' "$tmp/try/$1.log"
	fi
}
sed '/^#include "igt.h"$/d; s|^#include <linux/kvm.h>$|#include <linux/kvm.h>\n#include "igt.h"|' \
	"$tmp/try/good.c" >"$tmp/try/uapi-first.c"
refused uapi-first '_AC macro already defined' "<linux/kvm.h> before igt.h (IGT's linux_scaffold.h)"
sed '/^IGT_TEST_DESCRIPTION/d' "$tmp/try/good.c" >"$tmp/try/no-description.c"
refused no-description "undefined reference to .__igt_test_description" "no IGT_TEST_DESCRIPTION"
sed 's/^int igt_main()$/igt_main/' "$tmp/try/good.c" >"$tmp/try/old-main.c"
refused old-main 'old-main.c:8:1: error' "igt_main without parentheses (IGT before late 2025)"
sed 's/igt_fixture()/igt_fixture/' "$tmp/try/good.c" >"$tmp/try/old-fixture.c"
refused old-fixture "'igt_fixture' undeclared" "igt_fixture without parentheses (IGT before late 2025)"

# --- the real tests: their testplan doc comments match what they list
# (listing touches no hardware). Needs the tree's uapi headers.
# make check names them (HDR): then missing headers fail, not skip
hdr=${HDR:-$top/out/${LINE:-mainline}/build/tests/usr}
if [ -f "$hdr/include/drm/drm_mode.h" ]; then
	if make -s -C "$top/igt-tests" O="$tmp/tests" HDR="$hdr" >"$tmp/tests.log" 2>&1; then
		ok "igt-tests/tests build with -Wall -Wextra -Werror"
		for src in "$top"/igt-tests/tests/*.c; do
			t=$(basename "$src" .c)
			case $t in *_helper) continue ;; esac
			doc=$(sed -nE 's/^ \* SUBTEST: *([^ ]+) *$/\1/p' "$src" | sort)
			listed=$(cd "$tmp" && "$tmp/tests/$t" --list-subtests | sort)
			if [ -n "$listed" ] && [ "$doc" = "$listed" ]; then
				ok "$t: every subtest has a SUBTEST: doc comment and no other"
			else
				nok "$t: SUBTEST: doc comments and --list-subtests differ"
				diff <(echo "$doc") <(echo "$listed") | sed 's/^/    /' || true
			fi
			# as IGT's CI job list_undocumented_tests.py: the test
			# needs a description (IGT_TEST_DESCRIPTION), every
			# subtest its own (igt_describe)
			desc=$(cd "$tmp" && "$tmp/tests/$t" --describe)
			if [ -n "$(echo "$desc" | head -1)" ] &&
			   ! echo "$desc" | grep -q 'NO DOCUMENTATION!'; then
				ok "$t: --describe documents the test and every subtest"
			else
				nok "$t: undocumented in --describe (IGT's CI would list it)"
				echo "$desc" | grep -B1 'NO DOCUMENTATION!' | sed 's/^/    /' || true
			fi
		done
	else
		nok "igt-tests/tests build"
		sed 's/^/    /' "$tmp/tests.log"
	fi
elif [ -n "${HDR:-}" ]; then
	nok "igt-tests/tests: no uapi headers at HDR=$hdr"
else
	echo "# skipped the checks of igt-tests/tests: no uapi headers at $hdr (make tests first)"
fi

echo "igt-protocol: $pass passed, $fail failed"
[ "$fail" = 0 ]
