#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Move a line's pinned base (series/LINE/base.conf) to the version of its
# linux-source package that apt serves now, or to VERSION:
#   LINE=mainline scripts/pin-base.sh [VERSION]        (make pin)
# Downloads the package, records its sha256, the tarball's sha256 and the
# upstream release the tree says it is. It changes base.conf only: the
# patches must then be applied and tested again on the new base
# (make check LINE=...), and a moved pin is committed with that result.
. "$(dirname "$0")/lib.sh"

want=${1:-}
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/pin.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
base_apt apt-get update -qq >&2 || die "apt-get update failed"
if [ -z "$want" ]; then
	want=$(base_apt apt-cache policy "$BASE_PKG" | sed -n 's/^ *Candidate: //p') ||
		die "apt-cache policy $BASE_PKG failed"
	[ -n "$want" ] && [ "$want" != "(none)" ] ||
		die "apt serves no $BASE_PKG${BASE_APT_SUITE:+ in $BASE_APT_SUITE}"
fi
if [ "$want" = "$BASE_DEB_VERSION" ]; then
	log "line $LINE is pinned to $BASE_PKG $want already, which apt serves"
	exit 0
fi
log "downloading $BASE_PKG=$want"
(cd "$tmp" && base_apt apt-get download "$BASE_PKG=$want") >&2 ||
	die "apt-get download $BASE_PKG=$want failed"
deb=$(ls "$tmp"/*.deb)
deb_sha=$(sha256sum "$deb" | cut -d' ' -f1)
dpkg-deb -x "$deb" "$tmp/x"
tarball=$tmp/x/$BASE_TARBALL
[ -f "$tarball" ] || die "the package has no $BASE_TARBALL; fix BASE_TARBALL by hand"
tar_sha=$(sha256sum "$tarball" | cut -d' ' -f1)
# the upstream release: VERSION, PATCHLEVEL and SUBLEVEL of the top Makefile
upstream=v$(tar -xJOf "$tarball" --wildcards '*/Makefile' --exclude='*/*/*' |
	awk -F' = ' '$1 == "VERSION" && !v { v = $2 } $1 == "PATCHLEVEL" && !p { p = $2 }
		     $1 == "SUBLEVEL" && !s { s = $2 } END { print v "." p "." s }')
cp "$deb" "$CACHE/${BASE_PKG}_${want}_all.deb"

conf=$LINEDIR/base.conf
sed -i -e "s|^BASE_DEB_VERSION=.*|BASE_DEB_VERSION=$want|" \
	-e "s|^BASE_DEB_SHA256=.*|BASE_DEB_SHA256=$deb_sha|" \
	-e "s|^BASE_TARBALL_SHA256=.*|BASE_TARBALL_SHA256=$tar_sha|" \
	-e "s|^BASE_UPSTREAM=.*|BASE_UPSTREAM=$upstream|" "$conf"
log "series/$LINE/base.conf: $BASE_PKG $BASE_DEB_VERSION -> $want ($upstream)"
log "next: make check LINE=$LINE (the expanded tree out/$LINE/ is rebuilt from the new base), then commit base.conf with the result"
