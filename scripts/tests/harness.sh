#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-tests of the project's own tooling, on a tiny synthetic base tree
# (seconds, no kernel): the patch-topic workflow (apply, export, re-export
# is a no-op, a broken patch is named, unexported work is protected), the
# kernel-log scanner and the KVM selftests runner's retry rule.
set -euo pipefail
# Each case picks its own line; the caller's (make check LINE=6.12
# exports it) must not reach the copies of the project the cases use.
unset LINE
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
expect() { # description command...: must succeed
	local d=$1; shift
	if "$@" >"$tmp/log" 2>&1; then ok "$d"; else nok "$d"; sed 's/^/    /' "$tmp/log"; fi
}
expect_fail() { # description pattern command...: must fail and print pattern
	local d=$1 pat=$2; shift 2
	if "$@" >"$tmp/log" 2>&1; then
		nok "$d (succeeded)"
	elif grep -q -- "$pat" "$tmp/log"; then
		ok "$d"
	else
		nok "$d (no '$pat' in the output)"; sed 's/^/    /' "$tmp/log"
	fi
}

# --- the kernel-log scanner
printf '[    1.0] Linux version 6.12\n[    2.0] all fine\n[    3.0] rcu: \tRCU lockdep checking is enabled.\n' >"$tmp/clean.log"
expect "check-log: a clean log passes (lockdep's boot lines too)" "$here/scripts/check-log.sh" "$tmp/clean.log"
for splat in 'WARNING: CPU: 1 PID: 9 at mm/foo.c:1 bar+0x1/0x2' \
	     'BUG: KASAN: use-after-free in ttm_pool_free' \
	     'BUG: Bad page state in process x  pfn:1234' \
	     'refcount_t: underflow; use-after-free.' \
	     'WARNING: possible circular locking dependency detected' \
	     'DEBUG_LOCKS_WARN_ON(1)' \
	     'Kernel panic - not syncing: Fatal exception'; do
	printf '[    1.0] ok\n[    2.0] %s\n' "$splat" >"$tmp/bad.log"
	expect_fail "check-log: flags '${splat:0:40}'" "bad.log:2:" \
		"$here/scripts/check-log.sh" "$tmp/bad.log"
done

# an allowlisted WARNING is accepted only from a KUnit test thread
printf 'at .*ttm_device\\.c:[0-9]+ ttm_device_init\\+  # on purpose\n' >"$tmp/allow"
warn() { # comm
	printf '%s\n' '[ 1.0] ------------[ cut here ]------------' \
		'[ 1.1] WARNING: CPU: 0 PID: 44 at drivers/gpu/drm/ttm/ttm_device.c:192 ttm_device_init+0x25/0x12d' \
		"[ 1.2] CPU: 0 UID: 0 PID: 44 Comm: $1 Tainted: G N 6.12.117" \
		'[ 1.3] Call Trace:' '[ 1.4]  ttm_device_init+0x25/0x12d' \
		'[ 1.5] ---[ end trace 0000000000000000 ]---' '[ 1.6] ok 4 ttm_device_init_no_vma_man'
}
warn kunit_try_catch >"$tmp/kunit.log"
expect "check-log: an allowlisted WARNING in a KUnit thread passes" \
	"$here/scripts/check-log.sh" -a "$tmp/allow" "$tmp/kunit.log"
warn modprobe >"$tmp/other.log"
expect_fail "check-log: the same WARNING elsewhere fails" "other.log:2:" \
	"$here/scripts/check-log.sh" -a "$tmp/allow" "$tmp/other.log"
# 7.2's layout of the same WARNING, against the project's own allowlist
warn72() { # comm
	printf '%s\n' '[ 1.0] ------------[ cut here ]------------' \
		"[ 1.1] WARNING: ../../src/drivers/gpu/drm/ttm/ttm_device.c:213 at ttm_device_init+0x19/0x10b, CPU#0: $1/53" \
		"[ 1.2] CPU: 0 UID: 0 PID: 53 Comm: $1 Tainted: G N 7.2.12+ #1" \
		'[ 1.3] Call Trace:' '[ 1.4]  ttm_device_init_no_vma_man+0x9f/0x104' \
		'[ 1.5] ---[ end trace 0000000000000000 ]---' '[ 1.6] ok 4 ttm_device_init_no_vma_man'
}
warn72 kunit_try_catch >"$tmp/kunit72.log"
expect "check-log: 7.2's layout of an allowlisted WARNING in a KUnit thread passes" \
	"$here/scripts/check-log.sh" -a "$here/scripts/suites/kunit-expected-warnings.txt" "$tmp/kunit72.log"
warn72 modprobe >"$tmp/other72.log"
expect_fail "check-log: 7.2's layout of it elsewhere fails" "other72.log:2:" \
	"$here/scripts/check-log.sh" -a "$here/scripts/suites/kunit-expected-warnings.txt" "$tmp/other72.log"
warn kunit_try_catch >"$tmp/kunit612.log"
expect "check-log: 6.12's layout passes with the project's allowlist too" \
	"$here/scripts/check-log.sh" -a "$here/scripts/suites/kunit-expected-warnings.txt" "$tmp/kunit612.log"
{ warn kunit_try_catch; printf '[ 2.0] WARNING: CPU: 1 PID: 7 at mm/gup.c:1 x+0x1/0x2\n'; } >"$tmp/mixed.log"
expect_fail "check-log: an unlisted WARNING after an allowed one fails" "mixed.log:8:" \
	"$here/scripts/check-log.sh" -a "$tmp/allow" "$tmp/mixed.log"

# --- the KVM selftests runner: no retry without known=, and only the
# failure known= names
ks=$tmp/ks
mkdir -p "$ks/build/tests/kvm" "$ks/build/tests/bin"
fake() { # name: fails with FAKE_FAILS[name] lines on its first N calls
	printf '#!/bin/sh
c=$(($(cat %s.n 2>/dev/null || echo 0) + 1)); echo $c >%s.n
[ $c -gt %s ] && exit 0
echo "%s"; exit 1
' \
		"$ks/$1" "$ks/$1" "$2" "$3" >"$ks/build/tests/kvm/$1"
	chmod +x "$ks/build/tests/kvm/$1"
}
ud="==== Test Assertion Failure ====  lib/x86_64/processor.c:567: Unhandled exception '0x6' at guest RIP '0x40301e'"
suite() { # list line: run the runner on it; output in $ks/log
	rm -f "$ks"/*.n
	printf '%s\n' "$1" >"$ks/list"
	(cd "$ks" && OUT=$ks TMPDIR=$ks DEADLINE_RETRY_PAUSE=0 "$here/scripts/suites/kvm-selftests.sh" t "$ks/list") >"$ks/log" 2>&1
}
calls() { [ "$(cat "$ks/$1.n")" = "$2" ]; }
fake ud_once 1 "$ud"
expect_fail "kvm-selftests: a #UD without known= is not run again" "calls=1" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; suite 'ud_once 10'; echo calls=\$(cat '$ks/ud_once.n'); grep -q 'not ok 1' '$ks/log' && exit 1"
expect_fail "kvm-selftests: an unknown known= fails" "unknown option known=typo" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; suite 'ud_once 10 known=typo'; cat '$ks/log'; grep -q 'not ok 1' '$ks/log' && exit 1"
expect_fail "kvm-selftests: known=qemu-xsetbv is gone with QEMU 7.2" "unknown option known=qemu-xsetbv" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; suite 'ud_once 10 known=qemu-xsetbv'; cat '$ks/log'; grep -q 'not ok 1' '$ks/log' && exit 1"
# check-full: left out when KVM_SELFTESTS_ALL=0 (make check), run otherwise
fake plain_ok 0 ""; fake full_ok 0 ""
expect "kvm-selftests: make check leaves out a check-full test; run.sh alone runs it" \
	sh -c "cd '$ks' && printf 'plain_ok 10\nfull_ok 10 check-full\n' >list2 &&
	KVM_SELFTESTS_ALL=0 OUT='$ks' TMPDIR='$ks' '$here/scripts/suites/kvm-selftests.sh' t list2 >log0 2>&1 &&
	grep -qx '1..1' log0 && grep -q '^# 1 tests of list2 are marked check-full' log0 && ! grep -q full_ok log0 &&
	env -u KVM_SELFTESTS_ALL OUT='$ks' TMPDIR='$ks' '$here/scripts/suites/kvm-selftests.sh' t list2 >log1 2>&1 &&
	grep -qx '1..2' log1 && grep -q '^ok 2 full_ok # ' log1"
# a test killed at its limit is a TIMEOUT whatever timeout(1) exits with
# (busybox's: 143); a SIGTERM before the limit is an ordinary failure
printf '#!/bin/sh\nsleep 3\n' >"$ks/build/tests/kvm/slow"
printf '#!/bin/sh\nkill -TERM $$\n' >"$ks/build/tests/kvm/termed"
mkdir -p "$ks/build/tests/kvm/aarch64"
printf '#!/bin/sh\nexit 0\n' >"$ks/build/tests/kvm/aarch64/armed"
chmod +x "$ks/build/tests/kvm/slow" "$ks/build/tests/kvm/termed" "$ks/build/tests/kvm/aarch64/armed"
mkdir -p "$ks/bb"
printf '#!/bin/sh\n# busybox-style: SIGTERM at the limit, the status of the killed test\n[ "$1" = -k ] && shift 2\nt=$1; shift\n"$@" & p=$!\n(sleep "$t"; kill -TERM $p 2>/dev/null) & w=$!\nwait $p; r=$?\nkill $w 2>/dev/null\nexit $r\n' >"$ks/bb/timeout"
chmod +x "$ks/bb/timeout"
expect "kvm-selftests: exit 143 at the time limit is a TIMEOUT; 143 before it is exit=143" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; PATH='$ks/bb':\$PATH; suite 'slow 1'; grep -q '^not ok 1 slow # TIMEOUT after 1s' '$ks/log' || exit 1; suite 'termed 10'; grep -q '^not ok 1 termed # exit=143 ' '$ks/log'"
expect "kvm-selftests: arm64/NAME runs 6.12's aarch64/NAME" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; suite 'arm64/armed 10' && grep -q '^ok 1 arm64/armed # [0-9]*[.][0-9]s' '$ks/log'"
# vm.sh refuses a QEMU older than 10.0, and says what to do
qb=$tmp/qemu72
mkdir -p "$qb/bin" "$qb/k/arch/x86/boot"
touch "$qb/k/arch/x86/boot/bzImage"
printf '#!/bin/sh\necho "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"\n' >"$qb/bin/qemu-system-x86_64"
chmod +x "$qb/bin/qemu-system-x86_64"
expect_fail "vm: QEMU 7.2 is refused, naming scripts/deps.sh" "is 7.2.22 .*the tests need 10.0 or later: run scripts/deps.sh" \
	env PATH="$qb/bin:$PATH" "$here/scripts/vm.sh" -k "$qb/k" -r "$qb/r" -- true
# known=deadline@FILE:LINE retries only the assertion at FILE:LINE
late="==== Test Assertion Failure ====
  x86_64/late.c:182: (ipis_rcvd != last)"
fake late_once 1 "$late"; fake late_always 9 "$late"
expect "kvm-selftests: a missed deadline at the named line is run again and passes" \
	sh -c "$(declare -f suite calls); ks='$ks' here='$here'; suite 'late_once 10 known=deadline@x86_64/late.c:182' && grep -q 'ok 1 late_once .*try 2 of 3; the earlier tries missed the wall-clock deadline' '$ks/log' && calls late_once 2"
expect_fail "kvm-selftests: three missed deadlines fail" "not ok 1 late_always # exit=1 .*try 3 of 3" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; suite 'late_always 10 known=deadline@x86_64/late.c:182'; cat '$ks/log'; grep -q 'not ok' '$ks/log' && exit 1"
expect_fail "kvm-selftests: an assertion at another line is not run again" "calls=1" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; suite 'late_once 10 known=deadline@x86_64/late.c:18'; echo calls=\$(cat '$ks/late_once.n'); grep -q 'not ok 1' '$ks/log' && exit 1"
expect_fail "kvm-selftests: known=deadline@ needs FILE.c:LINE" "unknown option known=deadline@late" \
	sh -c "$(declare -f suite); ks='$ks' here='$here'; suite 'late_once 10 known=deadline@late'; cat '$ks/log'; grep -q 'not ok 1' '$ks/log' && exit 1"

# --- the patch-topic workflow on a synthetic project
p=$tmp/proj
mkdir -p "$p/series/mainline" "$p/drm-ttm" "$p/kvm" "$p/selftests"
cp -r "$here/scripts" "$p/"
cp "$here/series/identity" "$p/series/"
cp "$here/series/mainline/base.conf" "$p/series/mainline/"
printf '# header\n\n[drm-ttm]\n\n[kvm]\n\n[selftests]\n' >"$p/series/mainline/series"
(
	. "$p/scripts/lib.sh"
	mkdir -p "$PRISTINE/mm"
	printf 'obj-y := a.o\n' >"$PRISTINE/Makefile"
	printf 'int a;\nint b;\nint c;\n' >"$PRISTINE/mm/a.c"
	touch "$PRISTINE/.complete"
)
export TTMKVM_CACHE=$tmp/cache
kt=$p/out/mainline/kernel
kg() { git -C "$kt" -c user.name=t -c user.email=t@example.invalid "$@"; }

expect "tree: expands an empty series" "$p/scripts/tree.sh"
expect "export: an empty series exports nothing" \
	sh -c "'$p/scripts/export.sh' && [ -z \"\$(ls '$p/drm-ttm')\" ]"

kg checkout -q topic/drm-ttm
sed -i 's/int b;/int b = 1;/' "$kt/mm/a.c"
kg commit -q -am "drm/ttm: initialise b" -m "Because."
kg notes add -m "For reviewers: below the line." HEAD
kg branch -f topic/kvm HEAD
kg branch -f topic/selftests HEAD
expect_fail "tree: refuses to drop unexported commits" "not exported" "$p/scripts/tree.sh"
expect "export: writes the new patch" \
	sh -c "'$p/scripts/export.sh' && ls '$p'/drm-ttm/0001-drm-ttm-initialise-b.patch && grep -qx drm-ttm/0001-drm-ttm-initialise-b.patch '$p/series/mainline/series'"
expect "export: the commit's note is below the --- line" \
	sh -c "sed -n '/^---\$/,/^diff/p' '$p'/drm-ttm/0001-*.patch | grep -qx '    For reviewers: below the line.'"
sum1=$(cat "$p"/series/mainline/series "$p"/*/*.patch | sha256sum)
expect "tree: re-applies the exported patch" "$p/scripts/tree.sh"
expect "export: re-export of an unchanged tree changes no file (notes kept)" \
	sh -c "'$p/scripts/export.sh' 2>&1 | grep -q 'no change' && [ \"\$(cat '$p'/series/mainline/series '$p'/*/*.patch | sha256sum)\" = '$sum1' ]"
expect "tree: variant kvm does not contain the drm-ttm patch" \
	sh -c "git -C '$kt' show variant/kvm:mm/a.c | grep -qx 'int b;'"
expect "tree: variant full contains it" \
	sh -c "git -C '$kt' show variant/full:mm/a.c | grep -qx 'int b = 1;'"

# a copied or moved checkout (out/ with it) still checks out: out/src is
# reconnected to the copy's out/kernel, with the old path gone
expect "checkout: out/src of variant full" "$p/scripts/checkout.sh" full
cp -a "$p" "$tmp/moved" && mv "$p" "$tmp/gone"
expect "checkout: out/ moved, the old path gone: out/src is repaired" \
	sh -c "'$tmp/moved/scripts/checkout.sh' kvm && grep -qx 'int b;' '$tmp/moved/out/mainline/src/mm/a.c' &&
	       grep -q '^gitdir: $tmp/moved/out/mainline/kernel/' '$tmp/moved/out/mainline/src/.git'"
mv "$tmp/gone" "$p" && rm -rf "$tmp/moved"

# a patch that does not apply stops the run and is named
sed -e 's/int b = 1;/int b = 2;/' -e 's/^-int b;/-int x;/' \
	"$p/drm-ttm/0001-drm-ttm-initialise-b.patch" >"$p/kvm/0001-KVM-broken.patch"
printf '# header\n\n[drm-ttm]\ndrm-ttm/0001-drm-ttm-initialise-b.patch\n\n[kvm]\nkvm/0001-KVM-broken.patch\n\n[selftests]\n' >"$p/series/mainline/series"
expect_fail "tree: a broken patch stops the run and is named" \
	"patch does not apply: kvm/0001-KVM-broken.patch" "$p/scripts/tree.sh"
rm "$p/kvm/0001-KVM-broken.patch"
expect_fail "tree: a listed patch that is missing is named" \
	"lists kvm/0001-KVM-broken.patch" "$p/scripts/tree.sh"

# --- the second line: its own base, tree and series; its patch files in
# a subfolder named after it
mkdir -p "$p/series/6.12"
cp "$here/series/6.12/base.conf" "$p/series/6.12/"
printf '# header\n\n[drm-ttm]\n\n[kvm]\n\n[selftests]\n' >"$p/series/6.12/series"
synth_base() { # LINE: a tiny pristine tree for the line's pinned base
	(
		LINE=$1
		. "$p/scripts/lib.sh"
		mkdir -p "$PRISTINE/mm"
		printf 'obj-y := a.o\n' >"$PRISTINE/Makefile"
		printf 'int a;\nint b;\nint c;\n' >"$PRISTINE/mm/a.c"
		touch "$PRISTINE/.complete"
	)
}
synth_base 6.12
kt6=$p/out/6.12/kernel
printf '# header\n\n[drm-ttm]\ndrm-ttm/0001-drm-ttm-initialise-b.patch\n\n[kvm]\n\n[selftests]\n' >"$p/series/mainline/series"
expect_fail "lib: an unknown LINE is named" "unknown LINE=7.0" env LINE=7.0 "$p/scripts/tree.sh"
expect "tree: LINE=6.12 expands a tree of its own" env LINE=6.12 "$p/scripts/tree.sh"
git -C "$kt6" -c user.name=t -c user.email=t@example.invalid checkout -q topic/drm-ttm
sed -i 's/int c;/int c = 3;/' "$kt6/mm/a.c"
git -C "$kt6" -c user.name=t -c user.email=t@example.invalid commit -q -am "drm/ttm: initialise c" -m "Because."
git -C "$kt6" branch -f topic/kvm HEAD
git -C "$kt6" branch -f topic/selftests HEAD
expect "export: LINE=6.12 writes drm-ttm/6.12/ and series/6.12/series, not mainline's" \
	sh -c "LINE=6.12 '$p/scripts/export.sh' && ls '$p'/drm-ttm/6.12/0001-drm-ttm-initialise-c.patch &&
	       grep -qx drm-ttm/6.12/0001-drm-ttm-initialise-c.patch '$p/series/6.12/series' &&
	       ! grep -q initialise-c '$p/series/mainline/series' && ! ls '$p'/drm-ttm/*initialise-c*"
expect "tree: the mainline tree does not get the 6.12 patch" \
	sh -c "'$p/scripts/tree.sh' && git -C '$kt' show variant/full:mm/a.c | grep -qx 'int c;'"
# a moved pin: the tree of the old base starts anew on the new one
sed -i 's/^BASE_DEB_VERSION=.*/BASE_DEB_VERSION=6.12.999-1/' "$p/series/6.12/base.conf"
synth_base 6.12
expect "tree: a moved pin starts the line's tree anew, patches applied" \
	sh -c "LINE=6.12 '$p/scripts/tree.sh' >'$tmp/pin.log' 2>&1 && grep -q 'starting it anew' '$tmp/pin.log' &&
	       [ \"\$(cat '$kt6/.git/ttmkvm-base')\" = 6.12.999-1 ] &&
	       git -C '$kt6' show variant/full:mm/a.c | grep -qx 'int c = 3;'"

# --- make check: a line's run that ends before its first step (here the
# disk check) is a failure in the summary, and an earlier run's results
# do not stand for it
mkdir -p "$p/out/mainline/runs"
printf '%-14s %-16s %-14s %3d passed, 0 failed, 0 skipped\n' - - stale 5 >"$p/out/mainline/runs/summary.txt"
expect "check: a line's run that stops early fails and is named in the summary" \
	sh -c "! env -u CHECK_LINE_RUN -u CHECK_FIRST_LINE -u CHECK_VARIANTS -u CHECK_SUITES -u OUT -u OUT_ROOT \
	       CHECK_LINES=mainline CHECK_NEED_GIB=1000000 '$p/scripts/check.sh' >'$tmp/chk.log' 2>&1 &&
	       grep -q '^mainline .* line-run .* needs about' '$tmp/chk.log' &&
	       grep -qx '0 passed, 1 failed, 0 skipped' '$tmp/chk.log'"

echo "# harness: $pass passed, $fail failed"
[ $fail = 0 ]
