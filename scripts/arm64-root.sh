#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The root file system of the arm64 test VMs (scripts/vm.sh with an arm64
# build): the x86 guests boot on the host's own root over 9p, whose
# programs an arm64 guest cannot run. This one holds Debian's static
# arm64 busybox and bash, and /init, which installs busybox's applets on
# a tmpfs, mounts the project at its host path (read-only 9p, so that
# every $TOP and $OUT path means the same in the guest) and hands over to
# scripts/guest/init.sh as on x86.
#   arm64-root.sh     prints the directory: out/LINE/build/arm64-root
# (it holds the mount point of the project's path, so it is the
# checkout's own). The two packages come from the machine's Debian suite
# (arm64 package lists in a private apt directory, lib.sh's suite_apt)
# and are kept in $CACHE/arm64-debs.
. "$(dirname "$0")/lib.sh"

init_script() {
	cat <<'EOF'
#!/bin/busybox sh
# PID 1 of an arm64 test VM (scripts/arm64-root.sh writes this file)
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t tmpfs -o mode=0755 tmpfs /usr/bin
/bin/busybox --install -s /usr/bin
export PATH=/usr/bin:/bin
top=
for a in $(cat /proc/cmdline); do
	case $a in TTMKVM_TOP=*) top=${a#TTMKVM_TOP=} ;; esac
done
if [ -z "$top" ] || ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro project "$top"; then
	echo "ttmkvm-init: cannot mount the project share on '$top'" >/dev/console
	reboot -f
fi
exec /bin/bash "$top/scripts/guest/init.sh"
EOF
}

suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
root=$OUT/build/arm64-root
if [ -x "$root/bin/bash" ] && [ -x "$root/bin/busybox" ] && [ -d "$root$TOP" ] &&
   cmp -s "$root/init" <(init_script); then
	echo "$root"
	exit 0
fi

debs=$CACHE/arm64-debs
if ! ls "$debs"/busybox-static_*.deb "$debs"/bash-static_*.deb >/dev/null 2>&1; then
	log "fetching Debian's arm64 busybox-static and bash-static ($suite)"
	mkdir -p "$debs"
	(cd "$debs" && SUITE_APT_ARCH=arm64 suite_apt "$suite" only apt-get download -q busybox-static bash-static) >&2 ||
		die "apt-get download of the arm64 busybox-static and bash-static ($suite) failed"
fi
mkdir -p "$OUT/build"
tmp=$(mktemp -d "$OUT/build/arm64-root.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r/bin" "$r/usr/bin" "$r/sbin" "$r/usr/sbin" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/tmp" "$r$TOP"
for d in "$debs"/busybox-static_*.deb "$debs"/bash-static_*.deb; do
	dpkg-deb -x "$d" "$tmp/x"
done
cp "$tmp/x/bin/busybox" "$r/bin/busybox"
cp "$tmp/x/bin/bash-static" "$r/bin/bash"
ln -s bash "$r/bin/sh"
init_script >"$r/init"
chmod 755 "$r/init" "$r/bin/busybox" "$r/bin/bash"
for f in busybox bash; do
	# ELF class 64, machine 183 (EM_AARCH64); Debian builds both static
	[ "$(od -An -tx1 -j4 -N1 "$r/bin/$f" | tr -d ' ')$(od -An -tu2 -j18 -N2 "$r/bin/$f" | tr -d ' ')" = 02183 ] ||
		die "$f of the arm64 packages is not an arm64 program"
done
rm -rf "$root"
mv "$r" "$root"
echo "$root"
