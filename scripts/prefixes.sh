#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every prefix of a topic must build and boot (bisectability):
#   scripts/prefixes.sh [TOPIC...]        (default: every topic with patches)
# For each commit of each topic, in series order: build the test kernel
# (tinyconfig + base.config, KVM_WERROR=y), rebuild the C files the commit
# touches with W=1 and fail on any warning in them, run checkpatch
# --strict on the commit, and boot it (no display, clean kernel log).
# The topics are applied on top of each other as in series/series, so a
# kvm prefix includes all of drm-ttm.
. "$(dirname "$0")/lib.sh"

[ -d "$KTREE/.git" ] || die "no expanded tree; run 'make tree' first"
topics=("$@")
if [ ${#topics[@]} = 0 ]; then
	for t in $TOPICS; do
		[ -n "$(topic_patches "$t")" ] && topics+=("$t")
	done
fi

src=$OUT/src
b=$OUT/build/prefix
lock_src
"$TOP/scripts/checkout.sh" base
[ -f "$OUT/build/base/.config" ] || die "build base first (make build VARIANT=base)"
mkdir -p "$b"
cp "$OUT/build/base/.config" "$b/.config"
kbuild_env

fail=0 n=0
for t in "${topics[@]}"; do
	prev=base
	for x in $TOPICS; do
		[ "$x" = "$t" ] && break
		prev=topic/$x
	done
	for c in $(pgit -C "$KTREE" rev-list --reverse "$prev..topic/$t"); do
		n=$((n + 1))
		subj=$(pgit -C "$KTREE" log -1 --format=%s "$c")
		pgit -C "$src" checkout -q --detach "$c"
		r=ok
		if ! kmake olddefconfig >/dev/null 2>&1 ||
		   ! kmake -j"$(nproc)" bzImage >"$b/build.log" 2>&1; then
			r="build failed: $(grep -m1 -E 'error' "$b/build.log")"
		else
			objs=
			for o in $(pgit -C "$KTREE" diff --name-only "$c^" "$c" -- '*.c' |
				   sed 's/\.c$/.o/'); do
				[ ! -f "$b/$o" ] || objs="$objs $o"
			done
			if [ -n "$objs" ]; then
				for o in $objs; do rm -f "$b/$o"; done
				# shellcheck disable=SC2086
				kmake W=1 $objs >"$b/w1.log" 2>&1 || true
				if grep -q 'warning:' "$b/w1.log"; then
					r="W=1: $(grep -m1 'warning:' "$b/w1.log")"
				fi
			fi
			cp=$(cd "$KTREE" && pgit format-patch --stdout -1 "$c" |
				./scripts/checkpatch.pl --strict -q - 2>&1 | tail -4 || true)
			[ -z "$cp" ] || r="checkpatch: $(first_line "$cp")"
			if [ "$r" = ok ] && ! "$TOP/scripts/vm.sh" -k "$b" -N -t 180 \
				-r "$OUT/runs/prefix/$t-$n" -- true >/dev/null 2>&1; then
				r="boot failed: see $OUT/runs/prefix/$t-$n"
			fi
		fi
		[ "$r" = ok ] || fail=1
		printf '%-10s %2d %-60.60s %s\n' "$t" "$n" "$subj" "$r"
	done
done
pgit -C "$src" checkout -q --detach base
exit $fail
