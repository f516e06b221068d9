#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite (`make check`): harness self-tests, then for each
# line in CHECK_LINES (mainline, 6.12) and each variant in CHECK_VARIANTS:
# build, TTM KUnit, the curated KVM selftests, the blob passthrough
# scenario, the WARN detector; then the maintainers' checks of
# scripts/lint.sh (checkpatch, kernel-doc, Sphinx; with CHECK_FULL=1 also
# every prefix builds, cross-arch KVM builds and sparse) and `make series`
# of the line. Ends with one
# plain line "N passed, N failed, N skipped" over both lines; exits
# non-zero if anything failed.
#
# Environment:
#   CHECK_LINES      lines to test (default: both; `make check LINE=...`
#                    sets one)
#   CHECK_VARIANTS   variants to test (default: every variant whose topics
#                    all have patches, plus base, plus full)
#   CHECK_SUITES     suites per variant (default: check_plan below)
#   CHECK_FULL=1     every suite, every MMU flavour, both parameter settings
#   CHECK_LINT=0     leave out the checks of scripts/lint.sh
#   CHECK_DEBUG=1    add the debug build's run (default with CHECK_FULL=1)
#   CHECK_NEED_GIB   the space a line's run needs under out/LINE/ (8)
. "$(dirname "$0")/lib.sh"

# The top run: the checks that do not depend on a line once, then each
# line in a run of its own (out/LINE/runs/), then one summary of all.
if [ -z "${CHECK_LINE_RUN:-}" ]; then
	t0=$(date +%s)
	"$TOP/scripts/deps.sh"
	runs=$OUT_ROOT/runs
	mkdir -p "$runs"
	: >"$runs/summary.txt"
	: >"$runs/failures.txt"
	fail=0
	lines=${CHECK_LINES:-$LINES}
	first=1
	for l in $lines; do
		# A copy of the line run's stderr names the reason when the run
		# ends before a step could record it (a full disk, a broken
		# library), which must not leave the summary all green.
		set +e
		{ CHECK_LINE_RUN=1 CHECK_FIRST_LINE=$first LINE=$l "$0" 2>&1 1>&3 3>&- |
			tee "$runs/$l.stderr" >&2; } 3>&1
		rc=${PIPESTATUS[0]}
		set -e
		first=0
		[ $rc = 0 ] || fail=1
		for f in summary failures; do
			[ -f "$OUT_ROOT/$l/runs/$f.txt" ] || continue
			sed "s/^/$(printf '%-9s' "$l") /" "$OUT_ROOT/$l/runs/$f.txt" >>"$runs/$f.txt"
		done
		if [ $rc != 0 ] && ! grep -q ' [1-9][0-9]* failed,' "$OUT_ROOT/$l/runs/summary.txt" 2>/dev/null; then
			why=$(grep -a 'error: ' "$runs/$l.stderr" | tail -n 1)
			printf '%-9s %-14s %-16s %-14s %3d passed, 1 failed, 0 skipped\n' \
				"$l" - - line-run 0 >>"$runs/summary.txt"
			printf '%-9s %-14s %-16s %-14s %s\n' "$l" - - line-run \
				"exit status $rc outside any step: ${why:-see the output above}" >>"$runs/failures.txt"
		fi
	done
	echo
	echo "==== summary ($(( ($(date +%s) - t0) / 60 )) min; details under out/LINE/runs/) ===="
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
fi

t0=$(date +%s)
runs=$OUT/runs
mkdir -p "$runs"
# an earlier run's results must not stand for this one's
: >"$runs/summary.txt"
: >"$runs/failures.txt"

# A line's check from nothing leaves about 7 GiB under out/LINE/ (the
# tree, the kernel builds, the test builds). A disk that fills up halfway
# breaks a build or a git command with an unrelated message, so say it
# first.
mkdir -p "$OUT"
have_kib=$(du -sk "$OUT" | cut -f1)
free_kib=$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')
need_kib=$(( ${CHECK_NEED_GIB:-8} * 1024 * 1024 - have_kib ))
[ "$need_kib" -le "$free_kib" ] ||
	die "make check needs about $(( need_kib / 1024 / 1024 + 1 )) GiB more under $OUT; $(( free_kib / 1024 / 1024 )) GiB are free there"
fail=0

# check_plan VARIANT: lines of "FLAVOUR UNSAFE SUITE..." to run. make check
# runs what each topic needs within CI's budget; CHECK_FULL=1 (make
# check-full) runs every suite in every MMU flavour and both settings of
# kvm.allow_unsafe_mappings; CHECK_SUITES runs just those suites (TDP MMU,
# parameter off). blob-selftests runs the selftests topic's tests, so a
# line without that topic leaves it out.
check_plan() {
	plan "$1" | if [ -n "$(topic_patches selftests)" ]; then cat; else
		sed 's/ blob-selftests//'; fi
}
plan() {
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
	elif [ "$LINE" = mainline ]; then
		# 7.2 maps every page at stage 2 in every variant (SPEC section
		# 5): the base runs the upstream suites with 7.2's expectations.
		# A topic variant runs the blob scenario (its SPEC row), kvm the
		# pin row too (blob-selftests with the parameter off and on);
		# full runs everything with the parameter off. make check-full
		# runs the rest: the curated KVM selftests on the base (they
		# test 7.2 alone), and full with the parameter on, which on 7.2
		# changes only pins, and with compound TTM pages not even those
		# (kvm's parameter-on row is the one where it acts).
		case $1 in
		base) echo "tdp 0 kunit blob blob-selftests igt warn" ;;
		drm-ttm) echo "tdp 0 kunit blob" ;;
		kvm) echo "tdp 0 blob blob-selftests"
		     echo "tdp 1 blob blob-selftests" ;;
		full) echo "tdp 0 kunit kvm-selftests blob blob-selftests igt warn" ;;
		esac
	else
		# make check keeps within CI's time (README, "Time"): the kvm
		# variant runs its SPEC rows (blob, in each MMU flavour) and
		# the selftests topic's tests, full runs everything in the TDP
		# MMU. make check-full adds the drm-ttm variant (chosen with
		# the variants below), IGT on the topic variants, full's blob
		# scenario in the other two flavours (kvm's runs them in make
		# check: the drm-ttm topic does not touch KVM's MMU), the blob
		# suites with the parameter on in every flavour, and the KVM
		# selftests with kvm.tdp_mmu=0 and shadow paging.
		case $1 in
		base) echo "tdp 0 kunit blob blob-selftests igt warn" ;;
		drm-ttm) echo "tdp 0 kunit blob blob-selftests" ;;
		kvm)
			echo "tdp 0 blob blob-selftests"
			echo "tdp 1 blob"
			echo "legacy 0 blob"
			echo "shadow 0 blob"
			;;
		full)
			echo "tdp 0 kunit kvm-selftests blob blob-selftests igt warn"
			echo "tdp 1 blob blob-selftests"
			;;
		esac
	fi
}

# variant_plan VARIANT: check_plan, less what an earlier variant of
# CHECK_VARIANTS with the same tree runs already (a line whose topics do
# not all have patches yet: full is base while no topic has any, and kvm
# while drm-ttm has none): the same kernel with the same settings would
# only repeat that variant's results. What the variant adds (another
# parameter setting, a suite the other does not run) still runs on it.
variant_plan() {
	local fl u suites s b left same= w tree
	tree=$(pgit -C "$KTREE" rev-parse "variant/$1^{tree}")
	for w in $CHECK_VARIANTS; do
		[ "$w" != "$1" ] || break
		if [ "$(pgit -C "$KTREE" rev-parse "variant/$w^{tree}")" = "$tree" ]; then
			same=$w
			break
		fi
	done
	if [ -z "$same" ]; then
		check_plan "$1"
		return
	fi
	while read -r fl u suites; do
		b=$(check_plan "$same" | awk -v f="$fl" -v u="$u" '$1 == f && $2 == u { $1 = $2 = ""; print }')
		left=
		for s in $suites; do
			[[ " $b " == *" $s "* ]] || left+=" $s"
		done
		[ "$left" = " $suites" ] ||
			log "$LINE $1: the same tree as $same; $same's $fl-unsafe$u results stand for:$(
				for s in $suites; do [[ " $left " == *" $s "* ]] || printf ' %s' "$s"; done)"
		echo "$fl $u$left"
	done < <(check_plan "$1")
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

# make check runs the curated KVM selftests that reach what the series
# changes (memory, nested SVM); those marked check-full in the lists wait
# for make check-full
export KVM_SELFTESTS_ALL=${CHECK_FULL:-0}

# the harness's own tests and the IGT posting do not depend on the line
first=${CHECK_FIRST_LINE:-1}
[ "$first" = 0 ] || step harness "$TOP/scripts/tests/harness.sh" || true

if ! step tree "$TOP/scripts/tree.sh"; then
	fail=1
else
	# base, full, and each topic variant whose topics all have patches;
	# make check leaves 6.12's drm-ttm variant to make check-full: its
	# patches and KUnit cases run in full, only its own SPEC row (the
	# TTM topic under 6.12's unchanged KVM) waits
	if [ -z "${CHECK_VARIANTS:-}" ]; then
		CHECK_VARIANTS=base
		topic_variants="drm-ttm kvm"
		[ "$LINE" != 6.12 ] || [ "${CHECK_FULL:-0}" = 1 ] || topic_variants=kvm
		for v in $topic_variants; do
			ok=1
			for tp in $(variant_topics "$v"); do
				[ -n "$(topic_patches "$tp")" ] || ok=0
			done
			[ $ok = 1 ] && CHECK_VARIANTS="$CHECK_VARIANTS $v"
		done
		CHECK_VARIANTS="$CHECK_VARIANTS full"
	fi
	log "line $LINE, variants: $CHECK_VARIANTS"
	if step build-tests "$TOP/scripts/build-tests.sh"; then
		if [ "$first" = 1 ]; then
			step igt-protocol env HDR="$OUT/build/tests/usr" "$TOP/scripts/tests/igt-protocol.sh" || true
			step igt-patch "$TOP/scripts/igt-patch.sh" --check || true
		fi
		for v in $CHECK_VARIANTS; do
			step "build:$v" "$TOP/scripts/build.sh" "$v" || continue
			while read -r fl u suites; do
				[ -n "$suites" ] || continue
				# shellcheck disable=SC2086
				"$TOP/scripts/run.sh" -f "$fl" -u "$u" "$v" $suites || fail=1
			done < <(variant_plan "$v")
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
		# arm64 at run time: base and full built for QEMU's arm64 virt
		# machine with EL2 (scripts/arm64.sh); make check-full only, or
		# CHECK_ARM64=1 (a first arm64 build from a cold ccache takes
		# as long as the first x86 one)
		if [ "${CHECK_ARM64:-${CHECK_FULL:-0}}" = 1 ] && step build-tests:arm64 "$TOP/scripts/build-tests.sh" arm64; then
			for v in base full; do
				[[ " $CHECK_VARIANTS " == *" $v "* ]] || continue
				step "build:$v-arm64" "$TOP/scripts/build.sh" "$v" arm64 || continue
				suites="kunit kvm-selftests warn"
				[ "$LINE" != 6.12 ] || suites="$suites blob-selftests"
				# shellcheck disable=SC2086
				"$TOP/scripts/run.sh" -A "$v" $suites || fail=1
			done
		fi
	fi
fi

# The maintainers' checks (scripts/lint.sh): each line it prints is a test.
# A line without patches has nothing to check or post.
patches=
for tp in $TOPICS; do patches+=$(topic_patches "$tp"); done
if [ "${CHECK_LINT:-1}" = 1 ] && [ -d "$KTREE/.git" ] && [ -z "$patches" ]; then
	log "line $LINE has no patches yet: no lint, no postings"
elif [ "${CHECK_LINT:-1}" = 1 ] && [ -d "$KTREE/.git" ]; then
	# every prefix's build (5 minutes a line with a warm ccache), sparse
	# (2) and the cross-arch KVM builds (7 from a cold ccache) do not fit
	# CI's time (README, "Time"): make check-full and make lint run them
	checks="checkpatch kdoc rst"
	[ "${CHECK_FULL:-0}" != 1 ] || checks="checkpatch prefixes cross sparse kdoc rst"
	for c in $checks; do
		s=$(date +%s)
		"$TOP/scripts/lint.sh" "$c" | tee "$runs/lint-$c.txt" || fail=1
		awk -v c="lint:$c" -v secs=$(( $(date +%s) - s )) '
			{ if ($NF == "ok") p++; else f++ }
			END { printf "%-14s %-16s %-14s %3d passed, %d failed, 0 skipped  (%ss)\n",
				"-", "-", c, p, f + (NR == 0), secs }' "$runs/lint-$c.txt" >>"$runs/summary.txt"
	done
	# and checkpatch must catch a broken patch and name it: the same
	# lint.sh for both lines, so the first line of the run checks it
	# (make check-full on each)
	if [ "$first" = 1 ] || [ "${CHECK_FULL:-0}" = 1 ]; then
		step lint-negative "$TOP/scripts/tests/lint-negative.sh" checkpatch || true
	fi
fi

# The postings: they must come out of the tree and apply to the base.
if [ "${CHECK_LINT:-1}" = 1 ] && [ -d "$KTREE/.git" ] && [ -n "$patches" ]; then
	step series "$TOP/scripts/series.sh" || true
fi

log "line $LINE: $(( ($(date +%s) - t0) / 60 )) min"
exit $fail
