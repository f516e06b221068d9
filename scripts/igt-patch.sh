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
# IGT's tree is not available here (nothing of it is committed), so the
# tests/meson.build hunks are made against a stand-in: the lines of IGT's
# file that the hunks touch or show as context, at the line numbers they have
# in IGT master as of IGT_MESON_COMMIT, the rest of it blank. The hunks'
# positions, context and function line are then IGT's; only their index
# lines name the stand-in's blobs (cover.txt says so). The new names go into
# test_progs and extra_sources in alphabetical order.
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
# IGT's tests/meson.build at IGT_MESON_COMMIT: lines 1-8 (the start of
# test_progs) and 371-380 (the end of the nouveau block, from whose "endif"
# git takes the hunk's function line, and the start of extra_sources)
IGT_MESON_COMMIT=5aeea13f553d	# 2025-11-20, "tests/intel/kms_joiner: Check DSC slices ..."
{
	printf "test_progs = [\n"
	printf "\t'%s',\n" core_auth core_debugfs core_getclient core_getstats \
		core_getversion core_hotunplug core_setmaster
	for i in $(seq 9 370); do echo; done
	printf "\ttest_deps += libdrm_nouveau\nendif\n\n"
	printf "# Extra sources used on core and Intel drivers\nextra_sources = {\n"
	printf "\t'core_hotunplug': [ 'core_hotunplug.c' ],\n"
	printf "\t'dumb_buffer': ['dumb_buffer.c' ],\n"
	printf "\t'testdisplay': [ 'testdisplay_hotplug.c' ],\n"
	printf "\t'kms_color':  [ 'kms_color_helper.c' ],\n"
	printf "\t'kms_chamelium_audio': [ join_paths ('chamelium', 'kms_chamelium_helper.c') ],\n"
} >"$r/tests/meson.build"
[ "$(sed -n '/^extra_sources = {$/=' "$r/tests/meson.build")" = 375 ] ||
	die "the meson.build stand-in does not have extra_sources at line 375"
pgit -C "$r" init -q
pgit -C "$r" add -A
pgit -C "$r" commit -q -m "IGT's tests/meson.build at $IGT_MESON_COMMIT (the lines the hunks show)"
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
		/^\]$/ { inlist = 0 }
		inlist && !done && $0 ~ /^\t'\''/ {
			cur = $0; gsub(/[\t'\'',]/, "", cur)
			if (new < cur) { printf "\t'\''%s'\'',\n", new; done = 1 }
		}
		{ print }' "$r/tests/meson.build" >"$tmp/m"
	mv "$tmp/m" "$r/tests/meson.build"
	# a shared helper source (tests/<x>_helper.c, included by the test as
	# "<x>_helper.h") comes with the first test that uses it, and every
	# user gets an extra_sources entry, before the first entry whose name
	# sorts after it (IGT's map is not sorted as a whole; the new entries
	# are, and come before 'core_hotunplug')
	extra=
	for h in $(sed -n 's/^#include "\([a-z0-9_]*_helper\)\.h"$/\1/p' "$f"); do
		[ -f "$src/tests/$h.c" ] || continue
		cp "$src/tests/$h.c" "$src/tests/$h.h" "$r/tests/"
		extra="$extra '$h.c',"
	done
	if [ -n "$extra" ]; then
		awk -v new="$name" -v srcs="${extra%,}" '
			/^extra_sources = \{$/ { inmap = 1; print; next }
			inmap && !done && /^\t'\''/ {
				cur = $0; sub(/^\t'\''/, "", cur); sub(/'\''.*/, "", cur)
				if (new < cur) { printf "\t'\''%s'\'': [%s ],\n", new, srcs; done = 1 }
			}
			{ print }' "$r/tests/meson.build" >"$tmp/m"
		mv "$tmp/m" "$r/tests/meson.build"
	fi
	# the subject and body come from the test's doc comment
	title=$(sed -n 's/^ \* TEST: *//p' "$f" | head -1)
	desc=$(awk '/^ \* Description:/ && !d { sub(/^ \* Description: */, ""); print; d = 1; m = 1; next }
		    m && /^ \*\t/ { sub(/^ \*\t+/, ""); print; next }
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
