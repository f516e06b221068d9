#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: the selftests topic's DRM buffer tests, with the expectation
# of the kernel variant under test (SPEC section 3):
#   blob-selftests.sh SUITE MODE
# MODE compound: drm_blob_test must pass (every page maps: full variant);
#      plain:    drm_blob_test -p plain must pass (TTM tails are not
#                refcounted; KVM refuses them with KVM_EXIT_MEMORY_FAULT,
#                or maps them all with kvm.allow_unsafe_mappings=1);
#      6.12:     KVM without the kvm topic: drm_blob_test (which asserts the
#                series' behaviour) must fail exactly as 6.12 does: per
#                buffer, only the TTM block heads map and every other page
#                fails with EFAULT and no KVM_EXIT_MEMORY_FAULT.
# drm_blob_bad_input_test must pass everywhere. One case per buffer size
# and per bad-input case.
set -u
suite=$1 mode=$2
bin=$OUT/build/tests/kvm/x86_64
pass=0 fail=0 skip=0

# TTM block heads of a buffer of $1 pages: blocks of order min(10, fls - 1)
heads() {
	local n=$1 h=0 o
	while [ "$n" -gt 0 ]; do
		o=0
		while [ $((1 << (o + 1))) -le "$n" ] && [ $o -lt 10 ]; do o=$((o + 1)); done
		n=$((n - (1 << o)))
		h=$((h + 1))
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

args=()
[ "$mode" = plain ] && args=(-p plain)
echo "# drm_blob_test ${args[*]} (mode $mode)"
"$bin/drm_blob_test" "${args[@]}" >"$TMPDIR/blob.out" 2>&1
rc=$?
cat "$TMPDIR/blob.out"
if [ "$rc" = 4 ]; then
	skip=$((skip + 1))
elif [ "$mode" != 6.12 ]; then
	count "$TMPDIR/blob.out"
	[ "$rc" = 0 ] || [ "$(grep -c '^not ok ' "$TMPDIR/blob.out")" -gt 0 ] || fail=$((fail + 1))
else
	# every buffer: heads mapped, the rest refused, no memory fault exit
	while IFS= read -r line; do
		# "# 64 KiB BO: 1 of 16 pages mapped (expected 16), 0 memory faults"
		read -r m n mf < <(echo "$line" |
			sed -E 's/.*: ([0-9]+) of ([0-9]+) pages mapped .*, ([0-9]+) memory faults.*/\1 \2 \3/')
		h=$(heads "$n")
		if [ "$m" = "$h" ] && [ "$mf" = 0 ] && grep -q "exit_reason 0" "$TMPDIR/blob.out"; then
			echo "# as on 6.12: $line"
			pass=$((pass + 1))
		else
			echo "MISMATCH (expected $h mapped, the rest refused without memory fault exits): $line"
			fail=$((fail + 1))
		fi
	done < <(grep -E '^# .* BO: [0-9]+ of [0-9]+ pages mapped' "$TMPDIR/blob.out")
	[ $((pass + fail)) -gt 0 ] || { echo "MISMATCH: no per-buffer summary"; fail=1; }
fi

echo "# drm_blob_bad_input_test"
"$bin/drm_blob_bad_input_test" >"$TMPDIR/bad.out" 2>&1
rc=$?
cat "$TMPDIR/bad.out"
if [ "$rc" = 4 ]; then
	skip=$((skip + 1))
else
	count "$TMPDIR/bad.out"
	[ "$rc" = 0 ] || [ "$(grep -c '^not ok ' "$TMPDIR/bad.out")" -gt 0 ] || fail=$((fail + 1))
fi

echo "$pass $fail $skip" >"$suite.summary"
echo "# $suite ($mode): $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
