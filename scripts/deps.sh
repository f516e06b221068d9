#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the project needs, only those missing.
. "$(dirname "$0")/lib.sh"

pkgs="build-essential bc bison flex cpio kmod xz-utils rsync python3 perl
libelf-dev libssl-dev dwarves ccache git busybox-static
binutils util-linux procps sparse python3-ply python3-git python3-sphinx python3-yaml
libdrm-dev pkg-config
gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu gcc-s390x-linux-gnu
gcc-powerpc64le-linux-gnu gcc-mips64el-linux-gnuabi64 libc6-dev-arm64-cross
${DEPS_EXTRA:-}"

# QEMU 10.0 or later (Documentation/testing.rst, "QEMU 7.2 and 10.0":
# Debian 12's QEMU 7.2 loses a nested guest's XCR0 after a VM exit, and
# the KVM selftests would need a retry for it). Debian 12 has it from
# bookworm-backports, read through a private sources list (lib.sh's
# suite_apt); the QXL device is in the spice module package. A newer
# Debian has it in its own suite. TTMKVM_QEMU_SUITE names the suite.
# qemu-system-arm: the arm64 VMs of make check-full (scripts/vm.sh).
QEMU_MIN=10
qemu_pkgs="qemu-system-x86 qemu-system-arm qemu-system-modules-spice qemu-system-modules-opengl"
qemu_major() {
	local v
	v=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) || { echo 0; return; }
	v=${v#*:}
	echo "${v%%.*}"
}
qemu_suite=
if [ "$(qemu_major)" -lt "$QEMU_MIN" ] ||
   ! dpkg-query -W -f='${Status}\n' qemu-system-modules-spice qemu-system-arm 2>/dev/null |
	awk '$0 != "install ok installed" { bad = 1 } END { exit bad || NR != 2 }'; then
	qemu_suite=${TTMKVM_QEMU_SUITE:-}
	if [ -z "$qemu_suite" ]; then
		# the machine's own suite when it has QEMU >= 10, else its backports
		cand=$(apt-cache policy qemu-system-x86 2>/dev/null | awk '/Candidate:/ { print $2 }')
		cand=${cand#*:}
		if [ -n "$cand" ] && [ "${cand%%.*}" -ge "$QEMU_MIN" ] 2>/dev/null; then
			qemu_suite=-
		else
			qemu_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")-backports
		fi
	fi
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && [ -z "$qemu_suite" ] && exit 0
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || die "missing packages:$missing${qemu_suite:+ $qemu_pkgs (QEMU >= $QEMU_MIN)} (run as root, or install them)"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ] || [ "$qemu_suite" = - ]; then
	[ "$qemu_suite" = - ] && missing="$missing $qemu_pkgs"
	log "installing:$missing"
	apt-get update -qq >&2 || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >"$OUT/apt.log" 2>&1 ||
		{ tail -20 "$OUT/apt.log" >&2; die "apt-get install failed for:$missing"; }
fi
if [ -n "$qemu_suite" ] && [ "$qemu_suite" != - ]; then
	log "installing QEMU >= $QEMU_MIN from Debian's $qemu_suite: $qemu_pkgs"
	# shellcheck disable=SC2086
	suite_apt "$qemu_suite" add apt-get install -y -qq --no-install-recommends \
		-t "$qemu_suite" $qemu_pkgs >>"$OUT/apt.log" 2>&1 ||
		{ tail -20 "$OUT/apt.log" >&2; die "installing QEMU from $qemu_suite failed (TTMKVM_QEMU_SUITE names another suite)"; }
fi
[ "$(qemu_major)" -ge "$QEMU_MIN" ] ||
	die "qemu-system-x86 is $(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || echo missing); the tests need $QEMU_MIN or later"
