#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the project needs, only those missing.
. "$(dirname "$0")/lib.sh"

pkgs="build-essential bc bison flex cpio kmod xz-utils rsync python3 perl
libelf-dev libssl-dev dwarves ccache git qemu-system-x86 busybox-static
binutils util-linux procps sparse python3-ply python3-git python3-sphinx python3-yaml
libdrm-dev pkg-config
gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu gcc-s390x-linux-gnu
gcc-powerpc64le-linux-gnu gcc-mips64el-linux-gnuabi64 ${DEPS_EXTRA:-}"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root, or install them)"
log "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || die "apt-get update failed"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >"$OUT/apt.log" 2>&1 ||
	{ tail -20 "$OUT/apt.log" >&2; die "apt-get install failed for:$missing"; }
