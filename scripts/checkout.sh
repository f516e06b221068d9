#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Point the build work tree out/src at one variant:  checkout.sh VARIANT
#
# All variants share this one source path, so ccache serves every file a
# variant does not change from the other variants' builds, and a checkout
# only rewrites the files that differ, so each out/build/<variant> rebuilds
# incrementally. Callers hold $OUT/src.lock (lock_src in lib.sh).
. "$(dirname "$0")/lib.sh"

v=${1:?usage: checkout.sh VARIANT}
variant_topics "$v" >/dev/null
pgit -C "$KTREE" rev-parse -q --verify "refs/heads/variant/$v" >/dev/null ||
	die "no variant/$v in $KTREE; run scripts/tree.sh (make tree)"
d=$OUT/src
# A copied or moved out/ (a CI that copies the checkout with it, say) still
# points at the old path: its work tree's .git file names the old
# out/kernel/.git. Reconnect the two, or start the work tree again.
if [ -f "$d/.git" ]; then
	have=$(sed -n 's/^gitdir: //p' "$d/.git")
	want=$(cd "$KTREE/.git" && pwd -P)/worktrees/
	if [[ $have != "$want"* ]]; then
		log "out/src belongs to ${have%/.git/*}, not to $KTREE (out/ was moved); repairing it"
		pgit -C "$KTREE" worktree repair "$d" >&2 && [[ $(sed -n 's/^gitdir: //p' "$d/.git") == "$want"* ]] ||
			{ log "repair failed; checking out a new out/src"; rm -rf "$d"; }
	fi
fi
if [ ! -e "$d/.git" ]; then
	rm -rf "$d"
	pgit -C "$KTREE" worktree prune
	# (a parallel checkout: tree.sh configures out/kernel for it)
	pgit -C "$KTREE" worktree add -q --detach "$d" "variant/$v"
else
	[ -z "$(pgit -C "$d" status --porcelain --untracked-files=no)" ] ||
		die "$d was edited; edit out/kernel instead (discard with: git -C $d checkout -f .)"
	pgit -C "$d" checkout -q --detach "variant/$v"
fi
