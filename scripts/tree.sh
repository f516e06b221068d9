#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Expand the patch topics into a throwaway git tree (out/kernel). The builds
# use a separate work tree of it, out/src (scripts/checkout.sh).
#
# out/kernel:
#   tag base                 the pristine Debian tree, one commit
#   branch topic/<t>         stacked topic branches in series order: edit these
#   tag applied/<t>          where topic/<t> was when last applied/exported
#   branch variant/<v>       what each kernel variant is built from
#
# Refuses to touch a tree that has uncommitted changes, or topic branches
# holding commits that `make export` has not written out (FORCE=1 overrides).
. "$(dirname "$0")/lib.sh"

FORCE=${FORCE:-0}

g() { pgit -C "$KTREE" "$@"; }

# safe_to_drop: the tree holds no work that is not in the patch files
safe_to_drop() {
	[ "$FORCE" != 1 ] || return 0
	[ -z "$(g status --porcelain --untracked-files=no)" ] ||
		die "$KTREE has uncommitted changes; commit (and make export) or discard them, or FORCE=1"
	for t in $TOPICS; do
		if g rev-parse -q --verify "refs/heads/topic/$t" >/dev/null &&
		   [ "$(g rev-parse "topic/$t")" != "$(g rev-parse -q --verify "refs/tags/applied/$t" || echo none)" ]; then
			die "topic/$t has commits that are not exported; run 'make export' first, or FORCE=1 to drop them"
		fi
	done
}

# A tree of another base (the pin moved: scripts/pin-base.sh) starts anew.
if [ -f "$KTREE/.git/ttmkvm-base" ] && [ "$(cat "$KTREE/.git/ttmkvm-base")" != "$BASE_DEB_VERSION" ]; then
	safe_to_drop
	log "$KTREE holds base $(cat "$KTREE/.git/ttmkvm-base"); the pin is $BASE_DEB_VERSION: starting it anew"
	rm -rf "$OUT/src" "$KTREE"
fi

# Fixed dates make the base commit and every applied commit reproducible.
export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"

# The base commit, kept as a git repository of its own in the download
# cache ($CACHE, which outlives a fresh clone on the same machine): a tree
# made anew clones it (objects hard-linked) and checks it out, instead of
# unpacking the tarball and hashing the whole kernel again, about 40 s
# saved a line. Its name holds the pinned version and the tarball's
# sha256, so a moved pin never finds another base's repository; it is
# made only from a pristine tree whose checksums fetch-base.sh verified,
# and the fixed dates make it the same commit a tree made from the
# tarball gets.
base_repo=$CACHE/base/$BASE_PKG-$BASE_DEB_VERSION-${BASE_TARBALL_SHA256:0:16}.git
# configure_tree: the tree's git settings, right after it is made (the
# first checkout and the first commit need them) and on every run
configure_tree() {
	# For commits made by hand in the tree: the placeholder identity,
	# and rebases that carry the stacked topic branches along.
	g config user.name "$PROJECT_NAME"
	g config user.email "$PROJECT_EMAIL"
	g config rebase.updateRefs true
	g config notes.rewriteRef refs/notes/commits
	# No automatic gc: with the base's 80,000 loose objects, its commit
	# started a repack of the whole kernel in the background, minutes of
	# CPU taken from the builds and VMs of make check (the objects stay
	# loose; git gc by hand packs them).
	g config gc.auto 0
	g config maintenance.auto false
	# Parallel checkouts, here and in the work tree out/src
	# (checkout.sh): the 80,000 files in about 17 s, not 24.
	g config checkout.workers "$(nproc)"
	g config checkout.thresholdForParallelism 1000
}

if [ ! -f "$KTREE/.git/ttmkvm-base" ]; then
	rm -rf "$KTREE"
	if [ -f "$base_repo/ttmkvm-complete" ]; then
		log "creating $KTREE from the cached base $base_repo"
		pgit clone -q --no-checkout "$base_repo" "$KTREE"
		configure_tree
		g remote remove origin
		g checkout -q -f -B work base
	else
		"$TOP/scripts/fetch-base.sh"
		log "creating $KTREE from the pristine tree (takes a minute)"
		mkdir -p "$KTREE"
		cp -a "$PRISTINE/." "$KTREE/"
		rm -f "$KTREE/.complete"
		chmod -R u+w "$KTREE"
		g init -q -b work
		configure_tree
		g add -A -f .
		g commit -q -m "base: Debian $BASE_PKG $BASE_DEB_VERSION ($BASE_UPSTREAM)"
		g tag base
		# into the cache for the next tree (hard links, a second)
		mkdir -p "$CACHE/base"
		rm -rf "$base_repo.tmp"
		if pgit clone -q --bare "$KTREE" "$base_repo.tmp" 2>/dev/null; then
			touch "$base_repo.tmp/ttmkvm-complete"
			rm -rf "$base_repo"
			mv "$base_repo.tmp" "$base_repo"
		else
			rm -rf "$base_repo.tmp"
			log "could not keep the base in $base_repo; the next tree unpacks the tarball again"
		fi
	fi
	echo "$BASE_DEB_VERSION" >"$KTREE/.git/ttmkvm-base"
fi
unset GIT_COMMITTER_DATE
# a tree made by an older tree.sh gets today's settings too
configure_tree

safe_to_drop

g am --abort >/dev/null 2>&1 || true

# apply_topics START BRANCH TOPIC... : git am every patch of the topics on
# top of START and point BRANCH at the result.
apply_topics() {
	local start=$1 branch=$2; shift 2
	local t p n c before files=()
	g checkout -q -f -B "$branch" "$start"
	for t in "$@"; do
		files=()
		for p in $(topic_patches "$t"); do
			[ -f "$TOP/$p" ] || die "series/$LINE/series lists $p, which does not exist"
			files+=("$TOP/$p")
		done
		n=${#files[@]}
		before=$(g rev-parse HEAD)
		# one git am for the topic (a run per patch refreshes the
		# index of the whole tree each time); a patch that does not
		# apply is the one after the last commit it made
		if [ "$n" -gt 0 ] && ! g am -q --committer-date-is-author-date --no-3way "${files[@]}" >"$OUT/am.log" 2>&1; then
			sed 's/^/  /' "$OUT/am.log" >&2
			c=$(g rev-list --count "$before..HEAD")
			p=${files[$c]}
			g am --abort >/dev/null 2>&1 || true
			die "patch does not apply: ${p#"$TOP"/} (topic $t, on $branch)"
		fi
		# each commit's notes from its patch file, in order
		c=0
		for p in $(g rev-list --reverse "$before..HEAD"); do
			patch_notes "${files[$c]}" >"$OUT/notes.txt"
			[ ! -s "$OUT/notes.txt" ] || g notes add -f -F "$OUT/notes.txt" "$p" 2>/dev/null
			c=$((c + 1))
		done
		log "$branch: topic $t: $n patches applied"
		if [ "${TAG_TOPICS:-0}" = 1 ]; then
			g branch -q -f "topic/$t" HEAD
			g tag -f "applied/$t" HEAD >/dev/null
		fi
	done
}

# Every patch file in a topic directory must be listed, and vice versa.
for t in $TOPICS; do
	d=$(topic_dir "$t")
	for p in "$TOP/$d"/*.patch; do
		[ -e "$p" ] || continue
		grep -qxF "$d/${p##*/}" <(topic_patches "$t") ||
			die "$d/${p##*/} is not listed in series/$LINE/series"
	done
done

# The series in order: stacked topic branches, tagged at each topic's end.
TAG_TOPICS=1 apply_topics base series $TOPICS
# The variants: each topic also applies to the base alone.
g branch -q -f variant/base base
for v in drm-ttm kvm; do
	# shellcheck disable=SC2046
	apply_topics base "variant/$v" $(variant_topics "$v")
done
g branch -q -f variant/full series
g checkout -q topic/selftests
g branch -q -D series

log "tree ready: $KTREE (edit the topic/* branches); builds use out/src (scripts/checkout.sh)"
