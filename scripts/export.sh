#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the topic branches of out/LINE/kernel back into the line's patch
# files (topic_dir in lib.sh: drm-ttm/ on mainline, drm-ttm/6.12/ on 6.12):
#   drm-ttm   = base..topic/drm-ttm
#   kvm       = topic/drm-ttm..topic/kvm
#   selftests = topic/kvm..topic/selftests
# and rewrite series/LINE/series. The format-patch flags are fixed, so exporting
# an unchanged tree changes no file. Refuses a dirty tree.
. "$(dirname "$0")/lib.sh"

g() { pgit -C "$KTREE" "$@"; }
[ -d "$KTREE/.git" ] || die "no expanded tree; run 'make tree' first"
[ -z "$(g status --porcelain --untracked-files=no)" ] ||
	die "$KTREE has uncommitted changes; commit them first"
[ ! -d "$KTREE/.git/rebase-merge" ] && [ ! -d "$KTREE/.git/rebase-apply" ] ||
	die "$KTREE is in the middle of a rebase or am"

prev=base
for t in $TOPICS; do
	g rev-parse -q --verify "refs/heads/topic/$t" >/dev/null || die "no branch topic/$t"
	# A topic without commits of its own simply follows the one below it.
	if g merge-base --is-ancestor "topic/$t" "$prev" &&
	   [ "$(g rev-parse "topic/$t")" != "$(g rev-parse "$prev")" ]; then
		[ "$(g symbolic-ref -q --short HEAD)" != "topic/$t" ] ||
			die "topic/$t has no commits of its own and is checked out; check out another branch"
		g branch -q -f "topic/$t" "$prev"
		log "topic/$t has no commits of its own: moved onto $prev"
	fi
	g merge-base --is-ancestor "$prev" "topic/$t" ||
		die "topic/$t does not build on $prev (the topics must stay stacked in series order)"
	[ -z "$(g rev-list --merges "$prev..topic/$t")" ] || die "topic/$t has merge commits"
	prev=topic/$t
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prev=base
{
	sed -n '1,/^$/p' "$LINEDIR/series"
	for t in $TOPICS; do
		mkdir -p "$tmp/$t"
		g format-patch -q --zero-commit --no-signature --no-numbered --notes \
			--subject-prefix=PATCH --no-cover-letter --stat=80 --no-base \
			-o "$tmp/$t" "$prev..topic/$t"
		echo "[$t]"
		for p in "$tmp/$t"/*.patch; do
			[ -e "$p" ] && echo "$(topic_dir "$t")/${p##*/}"
		done
		echo
		prev=topic/$t
	done
} >"$tmp/series"
sed -i '$ { /^$/d }' "$tmp/series"

changed=0
for t in $TOPICS; do
	d=$(topic_dir "$t")
	mkdir -p "$TOP/$d"
	for p in "$TOP/$d"/*.patch; do
		[ -e "$p" ] || continue
		[ -e "$tmp/$t/${p##*/}" ] || { rm "$p"; log "removed $d/${p##*/}"; changed=1; }
	done
	for p in "$tmp/$t"/*.patch; do
		[ -e "$p" ] || continue
		if ! cmp -s "$p" "$TOP/$d/${p##*/}"; then
			cp "$p" "$TOP/$d/"
			log "wrote $d/${p##*/}"
			changed=1
		fi
	done
	g tag -f "applied/$t" "topic/$t" >/dev/null
done
if ! cmp -s "$tmp/series" "$LINEDIR/series"; then
	cp "$tmp/series" "$LINEDIR/series"
	log "wrote series/$LINE/series"
	changed=1
fi
[ $changed = 1 ] || log "no change: the patch files match the tree"
