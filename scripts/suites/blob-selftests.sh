#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: the selftests topic's DRM buffer and page kind tests, with
# the expectation of the kernel variant under test (SPEC section 2 and 3):
#   blob-selftests.sh SUITE MODE [BUILD]
# MODE compound: drm_blob_test must pass (every page maps: full variant);
#      plain:    drm_blob_test -p plain must pass (TTM tails are not
#                refcounted; KVM refuses them with KVM_EXIT_MEMORY_FAULT,
#                or maps them all with kvm.allow_unsafe_mappings=1);
#      6.12:     KVM without the kvm topic: drm_blob_test (which asserts the
#                series' behaviour) must fail exactly as 6.12 does: per
#                buffer, only the TTM block heads map (with the drm-ttm
#                topic, the whole first 2 MiB of blocks of order >= 9 too:
#                see heads below) and every other page fails with EFAULT
#                and no KVM_EXIT_MEMORY_FAULT.
# drm_blob_bad_input_test must pass everywhere. drm_blob_invalidate_test
# (a buffer pinned for scanout, unpinned, destroyed, its memslot re-added)
# and drm_blob_churn_test (no guest write reaches another buffer while the
# host replaces buffers; TTM's counters and free memory come back) must pass
# everywhere with the pages the variant's KVM maps: all of them in mode
# compound, "-p plain" otherwise. In mode 6.12, drm_blob_invalidate_test
# without -p must also fail as 6.12 does: EFAULT, exit_reason 0, at the
# first block tail. One case per buffer size, per bad-input case, per
# invalidation step and per churn check.
# drm_blob_huge_test (2 MiB mappings of buffers): with both topics it must
# pass, KVM's 2 MiB entries over a 64 MiB memslot included; with the
# drm-ttm topic alone (TTM pages compound) its host side, -H, must pass;
# without it, -H must fail exactly as 6.12 does: an unaligned address when
# an unaligned gap of the buffer's size is the hint, and PTE tables for
# the 8 MiB and the 4 MiB buffers.
# The churn lasts CHURN_SECONDS here (the test's default is 60 s) to keep
# the suite short: about 25 s for both new tests under QEMU TCG.
# pfnmap_kinds_test (with test_kvm_pfnmap.ko of out/build/testmod/BUILD)
# must pass with the kvm topic (modes compound and plain); in mode 6.12 it
# must fail exactly on the tail pages: compound and non-compound ones on
# the fault path and in the gfn_to_pfn cache (kvmclock), compound ones on
# the VMRUN path, and a compound tail whose folio is frozen at once
# instead of after the folio is unfrozen. One case per kind and path, and
# the frozen folio. Without the test module (build.sh builds it for every
# kernel) the suite fails.
# TTM is what ttm_pages (scripts/lib.sh) says of the variant: compound with
# the drm-ttm topic, plain without.
#
# The mainline line (7.2) has modes of its own: its KVM maps every
# VM_PFNMAP page at stage 2 without a reference, whatever TTM does, so
# there is one expectation for every page on every variant; what differs
# is the pin of a nested VMCB12 in a DRM buffer (drm_blob_pin_test, SPEC
# section 5), and whether KVM reports a refused pin:
#      mainline:      the kvm topic: drm_blob_pin_test -s (the vCPU stat
#                     pfnmap_pin_refused and the log line must be there),
#                     on a page that is not refcounted (the second page of
#                     a 16-page buffer, a tail of TTM's order-4 block; with
#                     compound TTM pages it is refcounted, too) and on a
#                     refcounted one (a one-page buffer), which the kvm
#                     topic's last patch pins with a reference: L2 runs
#                     whatever the parameter says, and nothing is refused;
#      mainline-base: 7.2's KVM without it: drm_blob_pin_test checks the
#                     exit alone and must say that the stat is missing,
#                     and with -s it must fail exactly on the stat (and
#                     the log line when a pin is refused).
# Both: drm_blob_test, drm_blob_bad_input_test, drm_blob_invalidate_test
# and drm_blob_churn_test must pass. The pin of a page that is not
# refcounted (mainline-base: any page) must be refused with
# kvm.allow_unsafe_mappings=0 and allowed with =1 (from the kernel command
# line), and drm_blob_pin_test given the other expectation must fail its
# vmrun case. With the parameter on only drm_blob_test and the pin tests
# run: on 7.2 the parameter changes nothing but pins.
#
# On arm64 (run.sh -A, 6.12 line: bochs is TTM there) only drm_blob_test
# runs, with its mode's expectation: the other tests are x86's (nested
# SVM, the x86 test module).
set -u
suite=$1 mode=$2 build=${3:-} ttm=${4:-plain}
# the tests of every architecture, and those of this one
top=$OUT/build/tests/kvm bin=$top/x86_64
[ -d "$bin" ] || bin=$top/x86
if [ "$(uname -m)" = aarch64 ]; then
	top=$OUT/build/tests-arm64/kvm bin=$top/aarch64
fi
# shellcheck source=tasks.sh
. "$(dirname "$0")/tasks.sh"
pass=0 fail=0 skip=0
CHURN_SECONDS=15

# The pages of a buffer of $1 pages that 6.12's KVM maps: the TTM block
# heads (blocks of order min(10, fls - 1)); with the drm-ttm topic (TTM
# pages compound, and its 2 MiB mappings), the whole first 2 MiB of each
# block of order >= 9, which KVM maps through the host's PMD after
# refcounting the block head.
heads() {
	local n=$1 h=0 o
	while [ "$n" -gt 0 ]; do
		o=0
		while [ $((1 << (o + 1))) -le "$n" ] && [ $o -lt 10 ]; do o=$((o + 1)); done
		n=$((n - (1 << o)))
		if [ "$ttm" = compound ] && [ $o -ge 9 ]; then
			h=$((h + 512))
		else
			h=$((h + 1))
		fi
	done
	echo $h
}

# count RESULT_FILE: add the KTAP leaves of a test that must pass
count() {
	local p f s
	p=$(grep -c '^ok [0-9]* [^#]*$' "$1")
	s=$(grep -c '^ok [0-9]* .*# SKIP' "$1")
	f=$(grep -c '^not ok ' "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# hung PID: where the tasks of a test that did not finish are, twice, 5 s
# apart, with the KVM statistics of its VMs: whether its vCPUs still exit
# and fault or run without exits
hung() {
	local f v pass
	for pass in 1 2; do
		echo "# hang dump $pass:"
		task_dump "$1" "#  "
		# every nonzero counter of its VMs (vCPU counters summed)
		for f in /sys/kernel/debug/kvm/"$1"-*/*; do
			[ -f "$f" ] || continue
			v=$(cat "$f" 2>/dev/null) || continue
			case $v in '' | 0) continue ;; esac
			echo "#  ${f#/sys/kernel/debug/kvm/} $v"
		done | paste -sd' ' | sed '/^$/d' | fold -w 250 | sed 's/^/# /'
		[ $pass = 2 ] || sleep 5
	done
	kvm_trace
}

# run NAME ARGS...: run a test, its output in $TMPDIR/NAME.out and shown;
# sets rc to its exit status. A test still running after TEST_TIMEOUT
# seconds is described (hung) and killed, so that the suite reports it
# instead of the VM timing out.
TEST_TIMEOUT=300
run() {
	local t=$1 tpid s=0 p
	shift
	echo "# $t $*"
	p=$bin/$t
	[ -x "$p" ] || p=$top/$t
	"$p" "$@" >"$TMPDIR/$t.out" 2>&1 &
	tpid=$!
	while kill -0 "$tpid" 2>/dev/null && [ $s -lt $TEST_TIMEOUT ]; do
		sleep 1
		s=$((s + 1))
	done
	if kill -0 "$tpid" 2>/dev/null; then
		cat "$TMPDIR/$t.out"
		echo "# $t did not finish in $TEST_TIMEOUT s:"
		hung "$tpid"
		{ kill -9 "$tpid"; wait "$tpid"; } 2>/dev/null
		echo "not ok - $t: did not finish in $TEST_TIMEOUT s (killed)"
		rc=1
		echo "not ok - $t: did not finish in $TEST_TIMEOUT s (killed)" >>"$TMPDIR/$t.out"
		return
	fi
	wait "$tpid"
	rc=$?
	cat "$TMPDIR/$t.out"
}

# must_pass_out NAME: the test that run NAME ran must pass all its KTAP
# cases; 4 is KSFT_SKIP; a failure without a "not ok" line (an
# assertion) counts as one failure.
# Each failure it counts is named on a line "FAIL NAME: ..." (make check's
# list of failed tests shows these and the MISMATCH lines; the tests' own
# "not ok" lines may be expected failures).
must_pass_out() {
	local out=$TMPDIR/$1.out
	if [ "$rc" = 4 ]; then
		skip=$((skip + 1))
		return
	fi
	count "$out"
	grep '^not ok ' "$out" | sed "s/^/FAIL $1: /"
	if [ "$rc" != 0 ] && ! grep -q '^not ok ' "$out"; then
		fail=$((fail + 1))
		echo "FAIL $1: exit status $rc: $(awk '/Test Assertion Failure/ { a = 1 }
			a && NF { l = $0 } END { sub(/^ +/, "", l); print l }' "$out")"
	fi
}

# must_pass NAME ARGS...: run a test whose KTAP cases must all pass
must_pass() {
	run "$@"
	must_pass_out "$1"
}

# failed_as PATTERN OK MISMATCH: the last run (status $rc, output in $out)
# must have failed with a line matching PATTERN; counts a skip on status 4
failed_as() {
	if [ "$rc" = 4 ]; then
		skip=$((skip + 1))
	elif [ "$rc" != 0 ] && grep -q "$1" "$out"; then
		echo "# $2"
		pass=$((pass + 1))
	else
		echo "MISMATCH: $3"
		fail=$((fail + 1))
	fi
}

# churn ARGS...: drm_blob_churn_test ARGS with the guest kernel's KVM
# events recorded, and its retries (below)
churn() {
	local try why
	for try in 1 2 3; do
		record_kvm on
		run drm_blob_churn_test -d "$CHURN_SECONDS" "$@"
		[ "$rc" = 0 ] || record_kvm print
		why=$([ "$rc" = 0 ] || qemu_svm_fault)
		record_kvm off
		if [ -z "$why" ] || [ $try = 3 ]; then
			break
		fi
		echo "# retry: drm_blob_churn_test try $try failed with a QEMU nested SVM fault ($why); trying again"
	done
	must_pass_out drm_blob_churn_test
}

# The churn test's failures that are QEMU 7.2's nested SVM emulation, not
# the kernel (Documentation/testing.rst, "Faults of QEMU's nested SVM"): a
# vCPU that runs the L1 host's code (its RIP in the upper half) and a vCPU
# shut down while the CPU delivered a reserved-bit #PF on an instruction
# fetch (exit_int_info 0x80000b0e, error code 0x18). A try that fails with
# one of them, and only then, runs again, at most 3 tries.
# qemu_svm_fault: which of the two the last try shows, if any
qemu_svm_fault() {
	local out=$TMPDIR/drm_blob_churn_test.out
	if grep -q 'did not stop within .* in the upper half, not guest code' "$out"; then
		echo "vCPU runs the L1 host's code"
	elif grep -q 'unexpected exit SHUTDOWN' "$out" &&
		record_kvm has 'kvm_exit: vcpu [0-9]+ reason shutdown .* intr_info 0x80000b0e error_code 0x00000018'; then
		echo "triple fault on a reserved-bit #PF the guest's page tables cannot cause"
	fi
}

# mainline MODE: the mainline line's expectations (see the top)
mainline() {
	local unsafe=0 pin=refused wrong=mapped out got where=
	grep -qw 'kvm.allow_unsafe_mappings=1' /proc/cmdline && unsafe=1
	[ $unsafe = 1 ] && pin=mapped wrong=refused
	if [ "$1" = mainline ]; then
		# the second page of a 16-page buffer: refcounted only if TTM's
		# pages are compound
		where="-n 16 -i 1"
		[ "$ttm" = compound ] && pin=mapped wrong=refused
	fi
	echo "# mode $1, kvm.allow_unsafe_mappings=$unsafe, TTM pages $ttm: every page maps, the VMCB12 pin is $pin${where:+ ($where)}"

	must_pass drm_blob_test
	if [ $unsafe = 0 ]; then
		must_pass drm_blob_bad_input_test
		must_pass drm_blob_invalidate_test
		churn
	else
		echo "# the parameter changes nothing but pins on 7.2: the other buffer tests ran with it off"
	fi

	out=$TMPDIR/drm_blob_pin_test.out
	if [ "$1" = mainline ]; then
		# shellcheck disable=SC2086
		must_pass drm_blob_pin_test $where -e "$pin" -s
		# a refcounted page: pinned with a reference, never refused
		must_pass drm_blob_pin_test -n 1 -i 0 -e mapped -s
	else
		# the exit alone, and the test says that the stat is missing
		run drm_blob_pin_test -e "$pin"
		must_pass_out drm_blob_pin_test
		if [ "$rc" != 4 ] && ! grep -q '^ok 2 # SKIP pfnmap_pin_refused: no such vCPU stat' "$out"; then
			echo "FAIL drm_blob_pin_test: expected it to skip the stat case on a KVM without pfnmap_pin_refused"
			fail=$((fail + 1))
		fi
		# -s: the stat (and, for a refused pin, the log line) must fail
		echo "# drm_blob_pin_test -s (expected to fail: no pfnmap_pin_refused without the kvm topic)"
		run drm_blob_pin_test -e "$pin" -s
		got=$(grep -E '^(not )?ok [0-9]' "$out" | sed 's/ # SKIP.*/ # SKIP/' | cut -d: -f1 | paste -sd,)
		if [ "$rc" = 4 ]; then
			skip=$((skip + 1))
		elif [ "$got" = "ok 1 vmrun,not ok 2 pfnmap_pin_refused,$([ $unsafe = 1 ] && echo 'ok 3 # SKIP' || echo 'not ok 3 log_line')" ]; then
			echo "# as expected without the kvm topic: $got"
			pass=$((pass + 1))
		else
			echo "MISMATCH: drm_blob_pin_test -s (status $rc): $got"
			fail=$((fail + 1))
		fi
	fi
	# the wrong expectation must fail the vmrun case
	echo "# drm_blob_pin_test${where:+ $where} -e $wrong (expected to fail: the pin is $pin)"
	# shellcheck disable=SC2086
	run drm_blob_pin_test $where -e "$wrong"
	failed_as "^not ok 1 vmrun: VMCB12 $wrong" "as expected: not ok 1 vmrun: VMCB12 $wrong" \
		"drm_blob_pin_test -e $wrong (status $rc) expected to fail its vmrun case"

	echo "$pass $fail $skip" >"$suite.summary"
	echo "# $suite ($1): $pass passed, $fail failed, $skip skipped"
	[ $fail = 0 ]
	exit
}
case $mode in mainline*) mainline "$mode" ;; esac

args=()
[ "$mode" = plain ] && args=(-p plain)
echo "# mode $mode"
run drm_blob_test "${args[@]}"
if [ "$rc" = 4 ] || [ "$mode" != 6.12 ]; then
	must_pass_out drm_blob_test
else
	# every buffer: heads mapped, the rest refused, no memory fault exit
	while IFS= read -r line; do
		# "# 64 KiB BO: 1 of 16 pages mapped (expected 16), 0 memory faults"
		read -r m n mf < <(echo "$line" |
			sed -E 's/.*: ([0-9]+) of ([0-9]+) pages mapped .*, ([0-9]+) memory faults.*/\1 \2 \3/')
		h=$(heads "$n")
		if [ "$m" = "$h" ] && [ "$mf" = 0 ] && { [ "$m" = "$n" ] || grep -q "exit_reason 0" "$TMPDIR/drm_blob_test.out"; }; then
			echo "# as on 6.12: $line"
			pass=$((pass + 1))
		else
			echo "MISMATCH (expected $h mapped as on 6.12 with TTM pages $ttm, the rest refused without memory fault exits): $line"
			fail=$((fail + 1))
		fi
	done < <(grep -E '^# .* BO: [0-9]+ of [0-9]+ pages mapped' "$TMPDIR/drm_blob_test.out")
	[ $((pass + fail)) -gt 0 ] || { echo "MISMATCH: no per-buffer summary"; fail=1; }
fi

if [ "$(uname -m)" = aarch64 ]; then
	echo "$pass $fail $skip" >"$suite.summary"
	echo "# $suite ($mode, arm64: drm_blob_test only): $pass passed, $fail failed, $skip skipped"
	[ $fail = 0 ]
	exit
fi

# pfnmap_kinds_test on 6.12: 8 pages per kind, 1-3 and 5-7 are tails; the
# tails of both kinds of blocks fail on the fault path and in the
# gfn_to_pfn cache (kvmclock), compound tails on VMRUN too, and the access
# to a tail of a frozen compound folio fails at once instead of waiting.
# 6.12 has no kvm.allow_unsafe_mappings: the dirty-log case skips.
kinds_612() {
	local i
	for i in 1 2 3 5 6 7; do
		echo "# noncompound page $i (a non-refcounted tail page of a non-compound block): KVM_RUN failed with Bad address, exit_reason 0 (expected EFAULT with KVM_EXIT_MEMORY_FAULT)"
	done
	echo "not ok 1 noncompound: guest fault"
	echo "ok 2 noncompound: VMRUN (kvm_vcpu_map)"
	for i in 1 2 3 5 6 7; do
		echo "# noncompound page $i (a non-refcounted tail page of a non-compound block): kvmclock not written: version 0, tsc_to_system_mul 0 (expected KVM's gfn_to_pfn cache to map the page)"
	done
	echo "not ok 3 noncompound: kvmclock (gfn_to_pfn cache)"
	for i in 1 2 3 5 6 7; do
		echo "# compound page $i (a tail page of a compound folio): KVM_RUN failed with Bad address, exit_reason 0 (expected the page to map)"
	done
	echo "not ok 4 compound: guest fault"
	for i in 1 2 3 5 6 7; do
		echo "# compound page $i (a tail page of a compound folio): VMRUN got exception vector 13 (expected L2 to run and exit with VMMCALL)"
	done
	echo "not ok 5 compound: VMRUN (kvm_vcpu_map)"
	for i in 1 2 3 5 6 7; do
		echo "# compound page $i (a tail page of a compound folio): kvmclock not written: version 0, tsc_to_system_mul 0 (expected KVM's gfn_to_pfn cache to map the page)"
	done
	echo "not ok 6 compound: kvmclock (gfn_to_pfn cache)"
	echo "ok 7 order0: guest fault"
	echo "ok 8 order0: VMRUN (kvm_vcpu_map)"
	echo "ok 9 order0: kvmclock (gfn_to_pfn cache)"
	echo "ok 10 reserved: guest fault"
	echo "ok 11 reserved: VMRUN (kvm_vcpu_map)"
	echo "ok 12 reserved: kvmclock (gfn_to_pfn cache)"
	echo "# compound page 1 (a tail page of a compound folio): KVM_RUN failed with Bad address, exit_reason 0, while the folio was frozen (expected KVM to retry the fault until the folio is unfrozen)"
	echo "not ok 13 compound, frozen folio: guest fault waits"
	echo "ok 14 # SKIP noncompound: dirty logging and zap leave the pages alone: needs kvm.allow_unsafe_mappings=1 and TDP"
}

echo "# pfnmap_kinds_test (mode $mode)"
# build.sh builds the module for every kernel: missing, it is a failure,
# not the test's skip.
ko=$OUT/build/testmod/$build/test_kvm_pfnmap.ko
if [ -z "$build" ] || ! insmod "$ko"; then
	echo "MISMATCH: test module $ko missing or not loadable"
	rc=1
	: >"$TMPDIR/pfnmap_kinds_test.out"
else
	run pfnmap_kinds_test
fi
if [ ! -s "$TMPDIR/pfnmap_kinds_test.out" ]; then
	echo "FAIL pfnmap_kinds_test: no output (status $rc)"
	fail=$((fail + 1))
elif [ "$rc" = 4 ] || [ "$mode" != 6.12 ]; then
	must_pass_out pfnmap_kinds_test
elif diff <(kinds_612) <(grep -E '^(not )?ok [0-9]|^# [a-z0-9]+ page [0-9]+ ' "$TMPDIR/pfnmap_kinds_test.out") >"$TMPDIR/kinds.diff"; then
	echo "# as on 6.12: pfnmap_kinds_test fails exactly on the tail pages"
	pass=$((pass + 13))
	skip=$((skip + 1))
else
	sed 's/^/MISMATCH (expected the 6.12 failures): /' "$TMPDIR/kinds.diff"
	fail=$((fail + 1))
fi

must_pass drm_blob_bad_input_test

pages=(-p plain)
[ "$mode" = compound ] && pages=()
must_pass drm_blob_invalidate_test "${pages[@]}"
# The churn test runs with the guest kernel's KVM events recorded; a
# failure prints the record's end, and two faults of QEMU's nested SVM are
# retried (churn, above).
churn "${pages[@]}"

# drm_blob_huge_test -H on 6.12's TTM: the cases that must fail
huge_612='8 MiB BO mapped at .*2 MiB aligned$
8 MiB BO mapped without PTE tables$
4 MiB BO: PMDs in system memory, 4 KiB PTEs after the pin into VRAM$'
if [ "$mode" = compound ]; then
	must_pass drm_blob_huge_test
elif [ "$ttm" = compound ]; then
	must_pass drm_blob_huge_test -H
else
	echo "# drm_blob_huge_test -H (expected to fail as on 6.12)"
	run drm_blob_huge_test -H
	out=$TMPDIR/drm_blob_huge_test.out
	got=$(sed -n 's/^not ok [0-9]* //p' "$out")
	if [ "$rc" = 4 ]; then
		skip=$((skip + 1))
	elif [ "$(echo "$got" | wc -l)" = 3 ] &&
	     (while IFS= read -r re; do echo "$got" | grep -q -- "$re" || exit 1; done <<<"$huge_612") &&
	     [ "$(grep -c '^ok [0-9]' "$out")" = 9 ]; then
		echo "# as on 6.12: no 2 MiB mappings (unaligned address, PTE tables)"
		pass=$((pass + 12))
	else
		echo "MISMATCH: drm_blob_huge_test -H (status $rc) expected 9 cases to pass and these to fail:"
		echo "$huge_612" | sed 's/^/MISMATCH:   /'
		fail=$((fail + 1))
	fi
fi

if [ "$mode" = 6.12 ]; then
	# every page of the buffer: 6.12 refuses the first block tail
	echo "# drm_blob_invalidate_test (expected to fail as on 6.12)"
	run drm_blob_invalidate_test
	out=$TMPDIR/drm_blob_invalidate_test.out
	failed_as 'first access: KVM_RUN failed with Bad address, exit_reason 0,' \
		"as on 6.12: block tails refused with EFAULT, exit_reason 0" \
		"drm_blob_invalidate_test (status $rc) expected to fail at the first access with EFAULT, exit_reason 0"
fi

echo "$pass $fail $skip" >"$suite.summary"
echo "# $suite ($mode): $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
