#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch the line's pinned linux-source package (series/LINE/base.conf),
# verify it and unpack a read-only pristine copy of the tree under
# out/LINE/pristine/.
#
# Overrides (environment):
#   TTMKVM_BASE_DEB=/path/file.deb  use this .deb instead of downloading
#                                   (it must still match the pinned sha256)
#   TTMKVM_BASE_UNPINNED=1          accept whatever version of the package
#                                   apt serves; checksums are not enforced
#                                   and the result is NOT the pinned base
#   TTMKVM_APT_MIRROR=URI           the Debian archive for BASE_APT_SUITE
#                                   (default: the machine's own, else
#                                   http://deb.debian.org/debian)
. "$(dirname "$0")/lib.sh"

[ -f "$PRISTINE/.complete" ] && exit 0

mkdir -p "$CACHE"
deb=$CACHE/${BASE_PKG}_${BASE_DEB_VERSION}_all.deb
unpinned=${TTMKVM_BASE_UNPINNED:-0}

if [ -n "${TTMKVM_BASE_DEB:-}" ]; then
	cp "$TTMKVM_BASE_DEB" "$deb.tmp" && mv "$deb.tmp" "$deb"
elif [ ! -f "$deb" ]; then
	log "downloading $BASE_PKG=$BASE_DEB_VERSION"
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
	if [ "$unpinned" = 1 ]; then
		(cd "$tmp" && base_apt apt-get download "$BASE_PKG") >&2 ||
			die "apt-get download $BASE_PKG failed"
	elif ! (cd "$tmp" && base_apt apt-get download "$BASE_PKG=$BASE_DEB_VERSION") >&2; then
		(cd "$tmp" && base_apt apt-get update -qq) >&2 || true
		(cd "$tmp" && base_apt apt-get download "$BASE_PKG=$BASE_DEB_VERSION") >&2 || {
			rm -rf "$tmp"
			served=$(base_apt apt-cache policy "$BASE_PKG" 2>/dev/null | sed -n 's/^ *Candidate: //p')
			die "$BASE_PKG $BASE_DEB_VERSION (upstream $BASE_UPSTREAM plus Debian's patches, line $LINE) is no longer served by apt${BASE_APT_SUITE:+ (suite $BASE_APT_SUITE)}; it serves: ${served:-nothing}.
  Move the pin to what is served:  make pin LINE=$LINE   (then run make check again)
  Provide the .deb yourself:       TTMKVM_BASE_DEB=/path/to/${BASE_PKG}_${BASE_DEB_VERSION}_all.deb
  or accept an unpinned base:      TTMKVM_BASE_UNPINNED=1 (results then do not describe the pinned base)"
		}
	fi
	mv "$tmp"/*.deb "$deb"
	rm -rf "$tmp"
fi

check_sha() { # file expected what
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	if [ "$got" != "$2" ]; then
		if [ "$unpinned" = 1 ]; then
			log "WARNING: $3 sha256 $got differs from the pinned $2 (TTMKVM_BASE_UNPINNED=1)"
		else
			rm -f "$1"
			die "$3: sha256 $got, expected $2 (file removed; see series/$LINE/base.conf)"
		fi
	fi
}
check_sha "$deb" "$BASE_DEB_SHA256" "$(basename "$deb")"

log "unpacking into $PRISTINE"
rm -rf "$OUT/pristine.tmp"
mkdir -p "$OUT/pristine.tmp/deb"
dpkg-deb -x "$deb" "$OUT/pristine.tmp/deb"
tarball=$OUT/pristine.tmp/deb/$BASE_TARBALL
check_sha "$tarball" "$BASE_TARBALL_SHA256" "$BASE_TARBALL"
tar -xJf "$tarball" -C "$OUT/pristine.tmp"
rm -rf "$OUT/pristine.tmp/deb"
top=$(find "$OUT/pristine.tmp" -mindepth 1 -maxdepth 1 -type d)
[ -f "$top/Makefile" ] || die "unexpected tarball layout"
mkdir -p "$OUT/pristine"
rm -rf "$PRISTINE"
mv "$top" "$PRISTINE"
rmdir "$OUT/pristine.tmp"
chmod -R a-w "$PRISTINE"
chmod u+w "$PRISTINE"
touch "$PRISTINE/.complete"
chmod u-w "$PRISTINE"
log "pristine base ready: $(make -s -C "$PRISTINE" kernelversion 2>/dev/null || echo '?')"
