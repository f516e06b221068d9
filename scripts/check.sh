#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite (`make check`): harness self-tests, then for each
# variant in CHECK_VARIANTS: build, TTM KUnit, the curated KVM selftests,
# the blob passthrough scenario, the WARN detector; then the maintainers'
# checks of scripts/lint.sh (checkpatch, every prefix builds, cross-arch
# KVM builds, sparse, kernel-doc, Sphinx) and `make series`. Ends with one plain
# line "N passed, N failed, N skipped"; exits non-zero if anything failed.
#
# Environment:
#   CHECK_VARIANTS   variants to test (default: every variant whose topics
#                    all have patches, plus base)
#   CHECK_SUITES     suites per variant (default: check_plan below)
#   CHECK_FULL=1     every suite, every MMU flavour, both parameter settings
#   CHECK_LINT=0     leave out the checks of scripts/lint.sh
#   CHECK_DEBUG=1    add the debug build's run (default with CHECK_FULL=1)
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
"$TOP/scripts/deps.sh"
runs=$OUT/runs
mkdir -p "$runs"

# A make check from nothing leaves about 6.5 GiB under out/ (the tree, five
# kernel builds, the test builds). A disk that fills up halfway breaks a
# build or a git command with an unrelated message, so say it first.
have_kib=$(du -sk "$OUT" | cut -f1)
free_kib=$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')
need_kib=$(( 7 * 1024 * 1024 - have_kib ))
[ "$need_kib" -le "$free_kib" ] ||
	die "make check needs about $(( need_kib / 1024 / 1024 + 1 )) GiB more under $OUT; $(( free_kib / 1024 / 1024 )) GiB are free there"
: >"$runs/summary.txt"
: >"$runs/failures.txt"
fail=0

# check_plan VARIANT: lines of "FLAVOUR UNSAFE SUITE..." to run. make check
# runs what each topic needs within CI's budget; CHECK_FULL=1 (make
# check-full) runs every suite in every MMU flavour and both settings of
# kvm.allow_unsafe_mappings; CHECK_SUITES runs just those suites (TDP MMU,
# parameter off).
check_plan() {
	local fl u
	if [ -n "${CHECK_SUITES:-}" ]; then
		echo "tdp 0 $CHECK_SUITES"
	elif [ "${CHECK_FULL:-0}" = 1 ]; then
		for fl in tdp legacy shadow; do
			for u in 0 1; do
				echo "$fl $u kvm-selftests blob blob-selftests igt"
			done
		done
		echo "tdp 0 kunit warn"
	else
		case $1 in
		base) echo "tdp 0 kunit blob blob-selftests igt warn" ;;
		drm-ttm) echo "tdp 0 kunit blob blob-selftests igt" ;;
		kvm)
			echo "tdp 0 blob blob-selftests igt"
			echo "tdp 1 blob blob-selftests igt"
			echo "legacy 0 blob"
			echo "legacy 1 blob"
			echo "shadow 0 blob"
			echo "shadow 1 blob"
			;;
		full)
			echo "tdp 0 kunit kvm-selftests blob blob-selftests igt warn"
			echo "tdp 1 blob blob-selftests"
			echo "legacy 0 kvm-selftests blob"
			echo "shadow 0 kvm-selftests blob"
			;;
		esac
	fi
}

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
		printf '%-14s %-16s %-14s %s\n' - - "$name" "exit status $rc (its output is above)" \
			>>"$runs/failures.txt"
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
		step igt-protocol "$TOP/scripts/tests/igt-protocol.sh" || true
		step igt-patch "$TOP/scripts/igt-patch.sh" --check || true
		for v in $CHECK_VARIANTS; do
			step "build:$v" "$TOP/scripts/build.sh" "$v" || continue
			while read -r fl u suites; do
				# shellcheck disable=SC2086
				"$TOP/scripts/run.sh" -f "$fl" -u "$u" "$v" $suites || fail=1
			done < <(check_plan "$v")
		done
		# The reliability run: `full` built with series/config/debug.config
		# (KASAN, lockdep, DEBUG_PAGEALLOC), the series' own tests in each
		# setting of the parameter. About 15 minutes of VMs more, plus the
		# debug kernel's build (47 minutes from a cold ccache); make check-full
		# only, or CHECK_DEBUG=1.
		if [ "${CHECK_DEBUG:-${CHECK_FULL:-0}}" = 1 ] && [[ " $CHECK_VARIANTS " == *" full "* ]] &&
			step "build:full-debug" "$TOP/scripts/build.sh" full debug; then
			for u in 0 1; do
				"$TOP/scripts/run.sh" -d -u "$u" full blob blob-selftests igt || fail=1
			done
		fi
	fi
fi

# The maintainers' checks (scripts/lint.sh): each line it prints is a test.
if [ "${CHECK_LINT:-1}" = 1 ] && [ -d "$KTREE/.git" ]; then
	for c in checkpatch prefixes cross sparse kdoc rst; do
		s=$(date +%s)
		"$TOP/scripts/lint.sh" "$c" | tee "$runs/lint-$c.txt" || fail=1
		awk -v c="lint:$c" -v secs=$(( $(date +%s) - s )) '
			{ if ($NF == "ok") p++; else f++ }
			END { printf "%-14s %-16s %-14s %3d passed, %d failed, 0 skipped  (%ss)\n",
				"-", "-", c, p, f + (NR == 0), secs }' "$runs/lint-$c.txt" >>"$runs/summary.txt"
	done
	# and checkpatch must catch a broken patch and name it
	step lint-negative "$TOP/scripts/tests/lint-negative.sh" checkpatch || true
fi

# The postings: they must come out of the tree and apply to the base.
if [ "${CHECK_LINT:-1}" = 1 ] && [ -d "$KTREE/.git" ]; then
	step series "$TOP/scripts/series.sh" || true
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
