#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test kernel under QEMU (TCG, -cpu max: nested SVM) and run one
# command inside; the VM always ends by itself.
#
#   vm.sh [-k KERNEL_BUILD_DIR] [-a "kernel params"] [-t SECONDS] [-N]
#         [-w ALLOWLIST] -r RESULT_DIR -- CMD...
#
# -N leaves out the bochs display (no DRM device in the guest); -w names
# WARNINGs that KUnit tests provoke on purpose (scripts/check-log.sh).
# CMD runs as root in the guest, in RESULT_DIR, which is a writable share
# (the rest of the host's root is read-only). Afterwards RESULT_DIR holds
# output.log (CMD's output), console.log, dmesg.txt and status.
# Exit status: CMD's status if the kernel log is clean; 3 if the guest did
# not finish (timeout, panic, hang); 2 if the kernel log shows a warning,
# BUG, oops, KASAN report, bad page, refcount error or lockdep splat (the
# lines are printed). 4 is KSFT_SKIP, as CMD said.
. "$(dirname "$0")/lib.sh"

kb=$OUT/build/base
params=
tmo=600
res=
allow=
display="-device $(ttm_display)"
while getopts "k:a:t:r:w:N" o; do
	case $o in
	k) kb=$OPTARG ;;
	a) params="$params $OPTARG" ;;
	t) tmo=$OPTARG ;;
	r) res=$OPTARG ;;
	w) allow=$OPTARG ;;
	N) display= ;;
	*) die "usage: vm.sh [-k BUILD] [-a PARAMS] [-t SECONDS] -r RESULT_DIR -- CMD..." ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
[ -n "$res" ] && [ $# -gt 0 ] || die "usage: vm.sh [-k BUILD] [-a PARAMS] [-t SECONDS] -r RESULT_DIR -- CMD..."
# An arm64 build (scripts/build.sh VARIANT arm64) boots on QEMU's virt
# machine with EL2, on the root of scripts/arm64-root.sh.
arch=x86_64
img=$kb/$(kernel_image)
if [ -f "$kb/$(kernel_image arm64)" ]; then
	arch=aarch64
	img=$kb/$(kernel_image arm64)
fi
[ -f "$img" ] || die "no kernel at $img (make build)"
qemu=qemu-system-$arch
command -v $qemu >/dev/null || die "$qemu missing; run scripts/deps.sh"
# QEMU 7.2's nested SVM loses a guest's XCR0 (Documentation/testing.rst,
# "QEMU 7.2 and 10.0"), which the KVM selftests no longer retry
qv=$($qemu --version | sed -n '1s/^QEMU emulator version \([0-9]*\)\..*/\1/p')
[ "${qv:-0}" -ge 10 ] || [ -n "${TTMKVM_ANY_QEMU:-}" ] ||
	die "$qemu is $($qemu --version | head -1 | sed 's/^QEMU emulator version //'); the tests need 10.0 or later: run scripts/deps.sh (it installs QEMU 10 from bookworm-backports on Debian 12), or set TTMKVM_ANY_QEMU=1 to use it anyway"

rm -rf "$res"
mkdir -p "$res"
res=$(cd "$res" && pwd)
{
	echo "set -u"
	echo "export TOP=$(printf %q "$TOP") OUT=$(printf %q "$OUT")"
	printf '%q ' "$@"
	echo
} >"$res/cmd"

start=$(date +%s.%N)
# -no-reboot turns the guest's reboot (and a panic, with panic=-1) into
# QEMU's exit. A guest still running after $tmo seconds is described from
# the host through QEMU's monitor (scripts/vm-hangdump.py: where each vCPU
# is, in kernel symbols; a guest whose kernel is stuck cannot tell) and
# then stopped; timeout(1) is the backstop. The monitor socket lives in
# /tmp, as a unix socket path must be short.
qrc=0 timed_out=0
mon=$(mktemp -u /tmp/ttmkvm-mon.XXXXXX)
if [ $arch = x86_64 ]; then
	machine=(-cpu max -vga none)
	root=/ init=$TOP/scripts/guest/init.sh console=ttyS0
else
	# EL2 for KVM; pauth-impdef: QEMU's cheap pointer authentication
	# (the architected one is slow under TCG)
	machine=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
		 -fsdev "local,id=top,path=$TOP,security_model=none,readonly=on,multidevs=remap"
		 -device virtio-9p-pci,fsdev=top,mount_tag=project)
	root=$("$TOP/scripts/arm64-root.sh") init=/init console=ttyAMA0
	# aarch64 QEMU has no QXL: bochs-display (TTM on 6.12 only)
	[ -z "$display" ] || display="-device bochs-display"
	params="$params TTMKVM_TOP=$TOP"
fi
timeout -k 10 "$((tmo + 60))" $qemu \
	-accel tcg "${machine[@]}" -smp 2 -m 3G -nodefaults -no-reboot \
	-display none -monitor "unix:$mon,server,nowait" \
	$display \
	-serial "file:$res/console.log" \
	-fsdev "local,id=root,path=$root,security_model=none,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev "local,id=res,path=$res,security_model=none,multidevs=remap" \
	-device virtio-9p-pci,fsdev=res,mount_tag=results \
	-kernel "$img" \
	-append "console=$console root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000 ro init=$init panic=-1 loglevel=7 TTMKVM_RES=$res$params" \
	</dev/null >"$res/qemu.log" 2>&1 &
qpid=$!
deadline=$(($(date +%s) + tmo))
while kill -0 "$qpid" 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do
	sleep 0.2
done
if kill -0 "$qpid" 2>/dev/null; then
	timed_out=1
	"$TOP/scripts/vm-hangdump.py" "$mon" "$kb/System.map" >"$res/hang.txt" 2>&1 || true
	kill "$qpid" 2>/dev/null
fi
wait "$qpid" || qrc=$?
rm -f "$mon"
secs=$(echo "$(date +%s.%N) - $start" | bc)
printf '%.1f\n' "$secs" >"$res/seconds"

rc=0
if [ ! -f "$res/status" ]; then
	if [ $timed_out = 1 ] || [ $qrc = 124 ] || [ $qrc = 137 ]; then
		log "VM timed out after ${tmo}s ($res); where its vCPUs were:"
		sed 's/^/  /' "$res/hang.txt" >&2 2>/dev/null || true
	else
		log "VM ended without a result (qemu status $qrc; $res/console.log):"
		tail -5 "$res/console.log" >&2
	fi
	rc=3
else
	rc=$(cat "$res/status")
fi
if ! "$TOP/scripts/check-log.sh" ${allow:+-a "$allow"} "$res/console.log" "$res/dmesg.txt" >"$res/splats.txt"; then
	log "kernel log not clean:"
	sed 's/^/  /' "$res/splats.txt" >&2
	[ $rc = 3 ] || rc=2
fi
exit "$rc"
