#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite (`make check`): harness self-tests, then for each
# variant in CHECK_VARIANTS: build, TTM KUnit, the curated KVM selftests,
# the blob passthrough scenario, the WARN detector. Ends with one plain
# line "N passed, N failed, N skipped"; exits non-zero if anything failed.
#
# Environment:
#   CHECK_VARIANTS   variants to test (default: every variant whose topics
#                    all have patches, plus base)
#   CHECK_SUITES     suites per variant (default: kunit kvm-selftests blob warn)
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
"$TOP/scripts/deps.sh"
runs=$OUT/runs
mkdir -p "$runs"
: >"$runs/summary.txt"
: >"$runs/failures.txt"
fail=0

step() { # name command...: a step that is not a suite counts as one test
	local name=$1 s rc=0
	shift
	s=$(date +%s)
	"$@" || rc=$?
	if [ $rc = 0 ]; then
		printf '%-14s %-16s %-14s %3d passed, 0 failed, 0 skipped  (%ss)\n' \
			- - "$name" 1 $(( $(date +%s) - s )) >>"$runs/summary.txt"
	else
		printf '%-14s %-16s %-14s %3d passed, 1 failed, 0 skipped  (%ss)\n' \
			- - "$name" 0 $(( $(date +%s) - s )) >>"$runs/summary.txt"
		fail=1
	fi
	return $rc
}

step harness "$TOP/scripts/tests/harness.sh" || true

if ! step tree "$TOP/scripts/tree.sh"; then
	fail=1
else
	if [ -z "${CHECK_VARIANTS:-}" ]; then
		CHECK_VARIANTS=base
		for v in drm-ttm kvm full; do
			ok=1
			for tp in $(variant_topics "$v"); do
				[ -n "$(topic_patches "$tp")" ] || ok=0
			done
			[ $ok = 1 ] && CHECK_VARIANTS="$CHECK_VARIANTS $v"
		done
	fi
	log "variants: $CHECK_VARIANTS"
	if step build-tests "$TOP/scripts/build-tests.sh"; then
		for v in $CHECK_VARIANTS; do
			step "build:$v" "$TOP/scripts/build.sh" "$v" || continue
			# shellcheck disable=SC2086
			"$TOP/scripts/run.sh" "$v" ${CHECK_SUITES:-kunit kvm-selftests blob warn} || fail=1
		done
	fi
fi

echo
echo "==== summary ($(( ($(date +%s) - t0) / 60 )) min; details under out/runs/) ===="
cat "$runs/summary.txt"
if [ -s "$runs/failures.txt" ]; then
	echo "==== failed tests ===="
	cat "$runs/failures.txt"
fi
awk '{ for (i = 1; i <= NF; i++) {
		if ($(i+1) ~ /^passed,/) p += $i
		if ($(i+1) ~ /^failed,/) f += $i
		if ($(i+1) ~ /^skipped/) s += $i } }
	END { printf "%d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0) }' \
	"$runs/summary.txt" || fail=1
exit $fail
