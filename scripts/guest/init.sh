#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test VM (scripts/vm.sh). The root file system is the host's,
# read-only over 9p; the run's result directory is a writable 9p share
# mounted over the same path, so host and guest see the same files.
# Runs $TTMKVM_RES/cmd, stores its exit status and the kernel log, and
# powers the VM off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# (no mountpoint(1): the arm64 root's busybox has none)
grep -q '^[^ ]* /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
# What udev would add: bash's process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/shm /dev/hugepages
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/tmp /run/home
export TMPDIR=/run/tmp HOME=/run/home

res=${TTMKVM_RES:?}
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results "$res"; then
	echo "ttmkvm-init: cannot mount the result share on $res" >/dev/console
else
	cd "$res" || exit 1
	echo "ttmkvm-init: running $res/cmd" >/dev/console
	bash "$res/cmd" >"$res/output.log" 2>&1 </dev/null
	rc=$?
	dmesg >"$res/dmesg.txt"
	echo "$rc" >"$res/status"
	echo "ttmkvm-init: exit status $rc" >/dev/console
	cd /
	sync
	umount "$res"
fi
# systemd's reboot needs -ff to skip the init system; busybox's takes -f.
if [ -x /bin/busybox ]; then
	/bin/busybox reboot -f
fi
reboot -ff
echo o >/proc/sysrq-trigger
