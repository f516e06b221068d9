#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The posting for the IGT list (`make igt-patch`): one "[PATCH i-g-t]"
# patch per test in igt-tests/tests/, each adding the test file and its
# entry in IGT's tests/meson.build, plus a cover letter from
# igt-tests/cover.txt. Written to igt-tests/patches/ (committed: it is the
# deliverable for the IGT list; the compatibility layer is not part of it).
#   igt-patch.sh [--check]
# --check writes to a temporary directory and fails if igt-tests/patches/
# differs (make check runs it), so the committed patches always match the
# tests.
#
# IGT's tree is not available here. The meson hunk's context is the start
# of IGT's tests/meson.build ("test_progs = [", 'core_auth', ...), where the
# new names go in alphabetical order; it applies to IGT master with git am.
. "$(dirname "$0")/lib.sh"

check=0
[ "${1:-}" = --check ] && check=1
src=$TOP/igt-tests
dest=$src/patches
[ $check = 1 ] && dest=$(mktemp -d)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ $check = 0 ] || rm -rf "$dest"' EXIT

# A fixed date keeps the output reproducible (git send-email sets the
# mail's own date when it sends).
export GIT_AUTHOR_DATE=2026-11-26T00:00:00+00:00 GIT_COMMITTER_DATE=2026-11-26T00:00:00+00:00

r=$tmp/igt
mkdir -p "$r/tests"
# the first lines of IGT's tests/meson.build, as the context of the hunk
# and of its extra_sources map (the file has more lines in between; git am
# finds each hunk by its context)
printf "test_progs = [\n\t'core_auth',\n\t'core_debugfs',\n\t'core_getclient',\n\t'core_getstats',\n\t'core_getversion',\n" \
	>"$r/tests/meson.build"
printf "\n# Extra sources used on core and Intel drivers\nextra_sources = {\n\t'core_hotunplug': [ 'core_hotunplug.c' ],\n\t'dumb_buffer': ['dumb_buffer.c' ],\n\t'testdisplay': [ 'testdisplay_hotplug.c' ],\n" \
	>>"$r/tests/meson.build"
pgit -C "$r" init -q
pgit -C "$r" add -A
pgit -C "$r" commit -q -m "IGT's tests/meson.build (its first lines)"
pgit -C "$r" tag upstream

n=0
for f in "$src"/tests/*.c; do
	name=$(basename "$f" .c)
	case $name in *_helper) continue ;; esac
	n=$((n + 1))
	cp "$f" "$r/tests/$name.c"
	# insert the name into test_progs, sorted, before the first 'core_'
	awk -v new="$name" '
		/^test_progs = \[$/ { inlist = 1; print; next }
		inlist && !done && $0 ~ /^\t'\''/ {
			cur = $0; gsub(/[\t'\'',]/, "", cur)
			if (new < cur) { printf "\t'\''%s'\'',\n", new; done = 1 }
		}
		{ print }' "$r/tests/meson.build" >"$tmp/m"
	mv "$tmp/m" "$r/tests/meson.build"
	# a shared helper source (tests/<x>_helper.c, included by the test as
	# "<x>_helper.h") comes with the first test that uses it, and every
	# user gets an extra_sources entry
	extra=
	for h in $(sed -n 's/^#include "\([a-z0-9_]*_helper\)\.h"$/\1/p' "$f"); do
		[ -f "$src/tests/$h.c" ] || continue
		cp "$src/tests/$h.c" "$src/tests/$h.h" "$r/tests/"
		extra="$extra '$h.c',"
	done
	if [ -n "$extra" ]; then
		awk -v new="$name" -v srcs="${extra%,}" '
			/^extra_sources = \{$/ { print; printf "\t'\''%s'\'': [%s ],\n", new, srcs; next }
			{ print }' "$r/tests/meson.build" >"$tmp/m"
		mv "$tmp/m" "$r/tests/meson.build"
	fi
	# the subject and body come from the test's doc comment
	title=$(sed -n 's/^ \* TEST: *//p' "$f" | head -1)
	desc=$(awk '/^ \* Description:/ && !d { sub(/^ \* Description: */, ""); print; d = 1; m = 1; next }
		    m && /^ \*\t/ { sub(/^ \*\t/, ""); print; next }
		    m { exit }' "$f")
	subs=$(sed -n 's/^ \* SUBTEST: */  /p' "$f")
	pgit -C "$r" add -A
	pgit -C "$r" commit -q -F - <<-EOF
	tests/$name: Add $title test

	$(echo "$desc" | fmt -w 72)

	Subtests:
	$subs

	The test uses only dumb buffers, so it runs on any KMS driver; it was
	run on bochs (a TTM driver) in QEMU on Linux 6.12 with and without the
	TTM and KVM series this test belongs to.

	Signed-off-by: $PROJECT_NAME <$PROJECT_EMAIL>
	EOF
done
[ $n -gt 0 ] || die "no tests in $src/tests"

mkdir -p "$dest"
rm -f "$dest"/*.patch
pgit -C "$r" format-patch -q -o "$dest" --cover-letter --numbered \
	--subject-prefix="PATCH i-g-t" --no-signature upstream..HEAD
c=$(ls "$dest"/0000-cover-letter.patch)
subject=$(sed -n '1s/^Subject: //p' "$src/cover.txt")
fill_cover "$c" "$src/cover.txt" "$subject"
# format-patch's first line names a commit of the throwaway repository;
# blank it so that the output does not change from run to run
sed -i '1s/^From [0-9a-f]\{40\} /From 0000000000000000000000000000000000000000 /' "$dest"/*.patch

if [ $check = 1 ]; then
	if ! diff -r "$src/patches" "$dest" >"$tmp/diff" 2>&1; then
		head -20 "$tmp/diff" >&2
		die "igt-tests/patches/ is out of date: run make igt-patch and commit it"
	fi
	log "igt-tests/patches/ matches the tests ($n patches)"
else
	log "wrote $n patches and a cover letter to $dest"
fi
