#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the userspace tests once, from the `full` variant's tree (it has
# the selftests topic), so that the same binaries run against every kernel
# variant and can show their failures on `base`:
#   out/build/tests/usr        uapi headers of that tree
#   out/build/tests/kvm        KVM selftests
#   out/build/tests/bin        the blob scenario VMM and other helpers
#   out/build/tests/igt        the IGT tests of igt-tests/
# build-tests.sh arm64 builds the KVM selftests alone for the arm64 VMs
# (scripts/build.sh VARIANT arm64), static (their root has no C library):
#   out/build/tests-arm64/usr, out/build/tests-arm64/kvm
. "$(dirname "$0")/lib.sh"

t=$OUT/build/tests
lock_src
"$TOP/scripts/checkout.sh" full
src=$OUT/src
# ccache with paths relative to out/, as for the kernels: another clone's
# objects are hits
kbuild_env
start=$(date +%s)

# uapi_headers ARCH DIR: make headers_install of variant/full into DIR,
# or a copy of the one kept in the download cache for the same tree and
# ARCH (half a minute of make saved; $CACHE outlives a fresh clone on the
# same machine, and the key is the tree's git id, so any change in the
# tree makes the headers anew). One entry a line and architecture.
uapi_headers() {
	local arch=$1 dst=$2 key c
	key=$(pgit -C "$KTREE" rev-parse "variant/full^{tree}")
	c=$CACHE/uapi/$LINE-$arch
	rm -rf "$dst"
	if [ "$(cat "$c/tree" 2>/dev/null)" = "$key" ] && [ -d "$c/usr/include" ]; then
		cp -a "$c/usr" "$dst"
		return
	fi
	make -s -j"$(nproc)" -C "$src" O="$t/hdr" ARCH="$arch" headers_install INSTALL_HDR_PATH="$dst" \
		>"$t/headers.log" 2>&1 || { tail -20 "$t/headers.log" >&2; die "$arch headers_install failed"; }
	# keeping them is optional: a cache that cannot be written only
	# costs the next run the make
	rm -rf "$c.tmp" 2>/dev/null || true
	if mkdir -p "$c.tmp" 2>/dev/null && cp -a "$dst" "$c.tmp/usr" &&
		echo "$key" >"$c.tmp/tree"; then
		rm -rf "$c" && mv "$c.tmp" "$c"
	else
		rm -rf "$c.tmp" 2>/dev/null || true
	fi
}

if [ "${1:-}" = arm64 ]; then
	t=$OUT/build/tests-arm64
	mkdir -p "$t"
	uapi_headers arm64 "$t/usr"
	if ! make -C "$src/tools/testing/selftests/kvm" -j"$(nproc)" OUTPUT="$t/kvm" ARCH=arm64 \
		CROSS_COMPILE=aarch64-linux-gnu- CC="ccache aarch64-linux-gnu-gcc -static" \
		KHDR_INCLUDES="-isystem $t/usr/include" >"$t/kvm.log" 2>&1; then
		grep -E 'error|Error' "$t/kvm.log" | head -30 >&2
		die "arm64 KVM selftests build failed (log: $t/kvm.log)"
	fi
	log "arm64 tests built in $(( $(date +%s) - start )) s: $t"
	exit 0
fi
mkdir -p "$t/bin"

uapi_headers x86 "$t/usr"

if ! make -C "$src/tools/testing/selftests/kvm" -j"$(nproc)" OUTPUT="$t/kvm" \
	KHDR_INCLUDES="-isystem $t/usr/include" CC="ccache gcc" >"$t/kvm.log" 2>&1; then
	grep -E 'error|Error' "$t/kvm.log" | head -30 >&2
	die "KVM selftests build failed (log: $t/kvm.log)"
fi

make -s -C "$TOP/scripts/vmm" HDR="$t/usr" OUT="$t/bin" >"$t/vmm.log" 2>&1 ||
	{ cat "$t/vmm.log" >&2; die "test VMM tools (scripts/vmm) build failed"; }

make -s -C "$TOP/igt-tests" HDR="$t/usr" O="$t/igt" >"$t/igt.log" 2>&1 ||
	{ cat "$t/igt.log" >&2; die "IGT tests (igt-tests/) build failed"; }
log "tests built in $(( $(date +%s) - start )) s: $t"
