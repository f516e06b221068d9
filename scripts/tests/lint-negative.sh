#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The maintainers' checks must fail on a broken patch and name it. On a
# copy of the project (patches, series, scripts) under a temporary
# directory, with the expanded tree of out/LINE/:
#   checkpatch   a patch of LINE with an indentation error in C code
#                (code_patch below): lint.sh checkpatch fails and names
#                that patch, and passes another patch of the series
#                checked with it (seconds; make check runs this on the
#                first line)
#   build        (6.12 line) a kvm patch in the middle of the series with a syntax
#                error: lint.sh prefixes fails and names that commit and
#                only that one (a tree of its own and a build, minutes)
#   tests/lint-negative.sh [checkpatch] [build]
. "$(dirname "$0")/../lib.sh"

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(checkpatch)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=$tmp/proj
mkdir -p "$p"
cp -r "$TOP/scripts" "$TOP/series" "$TOP/drm-ttm" "$TOP/kvm" "$TOP/selftests" "$p/"
rc=0

# sabotage FILE SED-EXPRESSION: edit one added line of a patch
sabotage() {
	cp "$1" "$1.orig"
	sed -i "$2" "$1"
	! cmp -s "$1" "$1.orig" || die "sabotage of ${1##*/} changed nothing"
	rm "$1.orig"
}

# code_patch: the line's first patch in series order (after the first, if
# there is more than one) whose first added tab-indented line is C code,
# so that checkpatch must object when its tab becomes spaces. The mainline
# line starts with a documentation patch, and its drm-ttm topic has none.
code_patch() {
	local all f
	mapfile -t all < <(grep -v '^[[#]' "$TOP/series/$LINE/series" | grep .)
	[ ${#all[@]} -gt 1 ] && all=("${all[@]:1}" "${all[0]}")
	for f in "${all[@]}"; do
		awk '/^\+\+\+ / { c = ($2 ~ /\.[ch]$/) }
		     /^\+\t[a-z]/ { exit !c }
		     END { if (NR == 0) exit 1 }' "$TOP/$f" 2>/dev/null || continue
		grep -q '^+	[a-z]' "$TOP/$f" && { echo "$f"; return 0; }
	done
	return 1
}

# expect CASE LOG PATTERN: the run failed, its only failure names PATTERN
expect() {
	local bad
	bad=$(grep -v ' ok$' "$2" || true)
	if [ -z "$bad" ]; then
		echo "not ok - $1: the broken patch passed"; rc=1
	elif [ "$(echo "$bad" | wc -l)" != 1 ] || ! echo "$bad" | grep -q -- "$3"; then
		echo "not ok - $1: expected one failure naming '$3', got:"
		sed 's/^/    /' <<<"$bad"; rc=1
	else
		echo "ok - $1: $bad"
	fi
}

for c in "${cases[@]}"; do
	case $c in
	checkpatch)
		f=$(code_patch) ||
			die "no patch of line $LINE adds a tab-indented line of C first"
		# an added line indented with spaces instead of a tab
		sabotage "$p/$f" '0,/^+\t[a-z]/s/^+\t\([a-z]\)/+        \1/'
		# the broken patch and its neighbour in the series, which must
		# still pass: two checkpatch runs, not the whole series again
		# (make check's lint:checkpatch has just passed them all)
		nb=$(grep -v '^[[#]' "$TOP/series/$LINE/series" | grep . | grep -vxF "$f" | head -n 1)
		LINT_PATCHES="$f $nb" LINT_RUNS=$tmp OUT=$OUT "$p/scripts/lint.sh" checkpatch >"$tmp/cp.log" 2>&1 || true
		# lint.sh cuts long names: the patch number names it
		n=${f##*/}
		expect checkpatch "$tmp/cp.log" "${f%/*}/${n%%-*}-"
		[ "$(grep -c ' ok$' "$tmp/cp.log")" = 1 ] ||
			{ echo "not ok - checkpatch: ${nb##*/}, not broken, was not checked and passed"; rc=1; }
		cp "$TOP/$f" "$p/$f"
		;;
	build)
		f=$(ls "$p/$(topic_dir kvm)"/0007-*.patch)
		# drop the semicolon of one added statement
		sabotage "$f" 's/^+\t\tkvm_mmu_prepare_memory_fault_exit(vcpu, fault);$/+\t\tkvm_mmu_prepare_memory_fault_exit(vcpu, fault)/'
		o=$tmp/out
		mkdir -p "$o/pristine"
		ln -s "$PRISTINE" "$o/pristine/"
		OUT=$o "$p/scripts/tree.sh" >"$tmp/tree.log" 2>&1 ||
			{ cat "$tmp/tree.log"; die "tree.sh failed on the sabotaged copy"; }
		LINT_RUNS=$tmp OUT=$o "$p/scripts/lint.sh" prefixes >"$tmp/pf.log" 2>&1 || true
		cat "$tmp/pf.log"
		expect build "$tmp/pf.log" "KVM: Add kvm.allow_unsafe_mappings.*build failed"
		;;
	*) die "unknown case '$c' (checkpatch, build)" ;;
	esac
done
exit $rc
