#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The mail-ready postings of one line (`make series LINE=...`), one per
# line of series/LINE/postings:
#   out/LINE/series/<name>-v<N>/v<N>-0000-cover-letter.patch, v<N>-0001-...
# Each posting is the variant branch of out/kernel that holds its topics,
# on the pinned base, numbered "[PATCH vN nn/mm]", with the patches' notes
# below "---", To: (maintainers) and Cc: (reviewers, lists) from the
# tree's scripts/get_maintainer.pl, and a cover letter made from
# series/LINE/covers/<name>.txt with a shortlog, a diffstat and b4's trailers
# (base-commit, change-id). Afterwards each posting is applied with git am
# to a fresh checkout of the base and must give exactly its variant's tree.
#
# BASE_COMMIT overrides the base-commit trailer (default: the upstream
# release the Debian base carries, series/LINE/base.conf). The mail is written
# under out/ only: it is never committed, and it carries the placeholder
# identity, which a human submitter replaces before sending
# (series/README.rst).
. "$(dirname "$0")/lib.sh"

[ -d "$KTREE/.git" ] || die "no expanded tree; run 'make tree' first"
base_commit=${BASE_COMMIT:-$BASE_UPSTREAM}
rc=0

# get_maintainer FILE WHAT: one address a line; WHAT is "--m --no-r --no-l"
# (To:) or "--no-m --r --l" (Cc:).
get_maintainer() {
	# shellcheck disable=SC2086
	(cd "$KTREE" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--norolestats $2 "$1")
}

# add_headers FILE TO CC: put To: and Cc: below the patch's Date: header
add_headers() {
	awk -v to="$2" -v cc="$3" '
		!done && /^Date: / {
			print
			if (to != "") print "To: " to
			if (cc != "") print "Cc: " cc
			done = 1
			next
		}
		{ print }' "$1" >"$1.tmp"
	mv "$1.tmp" "$1"
}

# am_tree DIR PATCH...: apply the patches as git am would, to an index of
# the base; the resulting tree's id goes to DIR/am.tree
am_tree() {
	local d=$1 p
	shift
	export GIT_INDEX_FILE=$d/.am-index
	pgit -C "$KTREE" read-tree base
	for p in "$@"; do
		pgit -C "$KTREE" mailinfo "$d/.am-msg" "$d/.am-patch" <"$p" >/dev/null &&
		pgit -C "$KTREE" apply --cached "$d/.am-patch" ||
			{ echo "does not apply: ${p##*/}"; unset GIT_INDEX_FILE; return 1; }
	done
	pgit -C "$KTREE" write-tree >"$d/am.tree"
	unset GIT_INDEX_FILE
	rm -f "$d/.am-index" "$d/.am-msg" "$d/.am-patch"
}

# uniq_addrs: the addresses on stdin, one a line, each once (an address
# listed under two spellings of a name counts once), in order
uniq_addrs() {
	awk 'NF { k = $0; if (match(k, /<[^>]*>/)) k = substr(k, RSTART, RLENGTH)
		  if (!seen[tolower(k)]++) print }'
}

# fold: addresses, one a line, as a folded header value
fold() { sed '$!s/$/,/' | sed '1!s/^/    /'; }

while read -r name ver change variant prefix; do
	pgit -C "$KTREE" rev-parse -q --verify "refs/heads/variant/$variant" >/dev/null ||
		die "no variant/$variant in $KTREE (make tree)"
	d=$OUT/series/$name-v$ver
	rm -rf "$d"
	if [ -z "$(pgit -C "$KTREE" rev-list -1 "base..variant/$variant")" ]; then
		log "$name ($LINE): variant/$variant has no patches yet; no posting"
		continue
	fi
	cover=$LINEDIR/covers/$name.txt
	[ -f "$cover" ] || die "no cover letter source $cover"
	mkdir -p "$d"
	pgit -C "$KTREE" format-patch -q -o "$d" --cover-letter --numbered \
		--subject-prefix="${prefix:-PATCH}" \
		--reroll-count="$ver" --notes --no-signature "base..variant/$variant"
	mapfile -t patches < <(ls "$d"/v"$ver"-0*.patch | grep -v -- '-0000-cover-letter')
	[ ${#patches[@]} -gt 0 ] || die "$name: no patches in base..variant/$variant"

	# the cover letter: our subject and text, git's shortlog and diffstat,
	# then b4's trailers
	c=$d/v$ver-0000-cover-letter.patch
	subject=$(sed -n '1s/^Subject: \[PATCH[^]]*\] //p' "$cover")
	[ -n "$subject" ] || die "$cover: the first line must be 'Subject: [PATCH ...] ...'"
	fill_cover "$c" "$cover" "$subject"
	printf -- '---\nbase-commit: %s\nchange-id: %s\n' "$base_commit" "$change" >>"$c"

	# To: and Cc: per patch; the cover letter goes to all of them. One
	# get_maintainer.pl per CPU (each reads MAINTAINERS, a second or so).
	for i in "${!patches[@]}"; do
		for w in to cc; do
			{
				if [ $w = to ]; then roles="--m --no-r --no-l"; else roles="--no-m --r --l"; fi
				get_maintainer "${patches[$i]}" "$roles" >"$d/.$w.$i" ||
					echo "${patches[$i]##*/}" >>"$d/.failed"
			} &
			wait_for_cpu
		done
	done
	wait
	[ ! -e "$d/.failed" ] || die "get_maintainer.pl failed on $(sort -u "$d/.failed" | paste -sd' ')"
	all_to= all_cc=
	for i in "${!patches[@]}"; do
		p=${patches[$i]}
		to=$(cat "$d/.to.$i")
		cc=$(cat "$d/.cc.$i")
		rm -f "$d/.to.$i" "$d/.cc.$i"
		all_to+=$to$'\n'
		all_cc+=$cc$'\n'
		nto=$(echo "$to" | uniq_addrs | wc -l)
		add_headers "$p" "$(echo "$to" | uniq_addrs | fold)" \
			"$( (echo "$to"; echo "$cc") | uniq_addrs | tail -n +$((nto + 1)) | fold)"
	done
	nto=$(echo "$all_to" | uniq_addrs | wc -l)
	add_headers "$c" "$(echo "$all_to" | uniq_addrs | fold)" \
		"$( (echo "$all_to"; echo "$all_cc") | uniq_addrs | tail -n +$((nto + 1)) | fold)"

	# a reader's git am onto a fresh base must give the variant's tree:
	# git am's two steps (mailinfo, apply) on an index of the base, which
	# spares checking out a kernel tree
	if am_tree "$d" "${patches[@]}" >"$d/am.log" 2>&1 &&
	   [ "$(cat "$d/am.tree")" = "$(pgit -C "$KTREE" rev-parse "variant/$variant^{tree}")" ]; then
		log "$name v$ver: ${#patches[@]} patches + cover letter in $d; they apply to the base and give variant/$variant"
	else
		log "$name v$ver: applying the posting to the base failed or gave another tree than variant/$variant:"
		tail -5 "$d/am.log" >&2
		rc=1
	fi
done < <(sed 's/#.*//' "$LINEDIR/postings" | awk NF)
exit $rc
