#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The maintainers' checks must fail on a broken patch and name it. On a
# copy of the project (patches, series, scripts) under a temporary
# directory, with the expanded tree of out/LINE/ (the sabotaged lines are
# those of the 6.12 line's patches):
#   checkpatch   a patch with an indentation error: lint.sh checkpatch
#                fails and names that patch and only that one (seconds;
#                make check runs this)
#   build        a kvm patch in the middle of the series with a syntax
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
		d=$(topic_dir drm-ttm)
		f=$(ls "$p/$d"/0002-*.patch)
		# an added line indented with spaces instead of a tab
		sabotage "$f" '0,/^+\t[a-z]/s/^+\t\([a-z]\)/+        \1/'
		LINT_RUNS=$tmp OUT=$OUT "$p/scripts/lint.sh" checkpatch >"$tmp/cp.log" 2>&1 || true
		expect checkpatch "$tmp/cp.log" "$d/0002-"
		cp "$TOP/$d"/0002-*.patch "$p/$d/"
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
