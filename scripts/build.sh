#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the test kernel of one variant, out of tree, with ccache:
#   scripts/build.sh VARIANT [debug|bench|arm64]
# Source: variant/VARIANT of out/kernel, checked out in out/src.
# Output: out/build/VARIANT[-FLAVOUR]/arch/x86/boot/bzImage and the KVM
# selftests' test module out/build/testmod/VARIANT[-FLAVOUR]/*.ko, and for
# the bench flavour on mainline the TTM backup benchmark module in its
# bench/ folder. A flavour adds series/config/FLAVOUR.config: debug
# (KASAN, lockdep, ...) or bench (swap on a loop device, which TTM backup
# needs). The arm64 flavour cross-compiles the variant for QEMU's arm64
# virt machine with series/config/arm64.config alone (base.config is
# x86's): out/build/VARIANT-arm64/arch/arm64/boot/Image.
. "$(dirname "$0")/lib.sh"

v=${1:?usage: build.sh VARIANT [debug|bench|arm64]}
flavour=${2:-}
case $flavour in
'' | debug | bench) ;;
arm64) export KARCH=arm64 KCROSS=aarch64-linux-gnu- ;;
*) die "unknown flavour '$flavour' (debug, bench or arm64)" ;;
esac
image=$(kernel_image "$flavour")
variant_topics "$v" >/dev/null
src=$OUT/src
lock_src
b=$OUT/build/$v${flavour:+-$flavour}
frags="$TOP/series/config/base.config"
# the line's own fragment, if it has one (series/config/LINE.config)
[ ! -f "$TOP/series/config/$LINE.config" ] || frags="$frags $TOP/series/config/$LINE.config"
[ -z "$flavour" ] || frags="$frags $TOP/series/config/$flavour.config"
[ "$flavour" != arm64 ] || frags="$TOP/series/config/arm64.config"
# shellcheck disable=SC2086
sum=$(cat $frags | sha256sum | cut -d' ' -f1)
tree=$(pgit -C "$KTREE" rev-parse "variant/$v^{tree}")

# finished_builds: the line's other finished builds (.tree is written
# after a build succeeds) with this configuration, one directory a line
finished_builds() {
	local o
	for o in "$OUT/build"/*/; do
		o=${o%/}
		[ ! -L "$o" ] && [ "$o" != "$b" ] && [ -f "$o/.tree" ] &&
			[ -f "$o/$image" ] &&
			[ "$(cat "$o/.fragments.sha" 2>/dev/null)" = "$sum" ] && echo "$o"
	done
	return 0
}

# A variant with the same tree and configuration as one built already (a
# line whose topics do not all have patches yet: full is kvm while drm-ttm
# has none) uses that build: a second build of the same sources would
# only cost minutes of ccache lookups.
[ ! -L "$b" ] || rm -f "$b"
[ ! -L "$OUT/build/testmod/${b##*/}" ] || rm -f "$OUT/build/testmod/${b##*/}"
while read -r o; do
	[ "$(cat "$o/.tree")" = "$tree" ] || continue
	rm -rf "$b"
	ln -s "${o##*/}" "$b"
	if [ -d "$OUT/build/testmod/${o##*/}" ]; then
		rm -rf "$OUT/build/testmod/${b##*/}"
		ln -s "${o##*/}" "$OUT/build/testmod/${b##*/}"
	fi
	log "$v${flavour:+ ($flavour)}: the same tree and configuration as ${o##*/}: using its build"
	exit 0
done < <(finished_builds)

"$TOP/scripts/checkout.sh" "$v"
kbuild_env

# A new build directory starts as a copy of another variant's finished
# build with the same configuration, so that make rebuilds only what the
# checkout above changed (a checkout rewrites exactly the files that
# differ, after that build ended, so their objects are older than they
# are) instead of looking every object up in ccache: about a minute less
# per variant. The objtool build records its directory in its .cmd files.
o=$(finished_builds)
o=${o%%$'\n'*}
if [ ! -e "$b" ] && [ -n "$o" ]; then
	log "$v${flavour:+ ($flavour)}: starting from ${o##*/}'s build"
	rm -rf "$b.tmp"
	cp -a "$o" "$b.tmp"
	rm -f "$b.tmp/.tree"
	# (arm64 builds have no objtool: nothing may match)
	{ grep -rlZF --include='*.cmd' "$o/" "$b.tmp" || [ $? = 1 ]; } |
		xargs -0r sed -i "s|$o/|$b/|g"
	mv "$b.tmp" "$b"
fi
mkdir -p "$b"
rm -f "$b/.tree"
if [ ! -f "$b/.config" ] || [ "$(cat "$b/.fragments.sha" 2>/dev/null)" != "$sum" ]; then
	log "$v: configuring (tinyconfig + $(basename -a $frags | tr '\n' ' '))"
	kmake tinyconfig >/dev/null
	# shellcheck disable=SC2086
	(cd "$b" && KCONFIG_CONFIG=.config "$src/scripts/kconfig/merge_config.sh" -m -O "$b" .config $frags >/dev/null)
	kmake olddefconfig >/dev/null
	# Every option a fragment sets must survive: a silently dropped
	# dependency would test something else than we think.
	bad=0
	# shellcheck disable=SC2086
	while IFS= read -r line; do
		opt=${line%%=*}; val=${line#*=}
		if [ "$val" = n ]; then
			grep -qx "# $opt is not set" "$b/.config" || grep -qx "$opt=n" "$b/.config" ||
				! grep -q "^$opt=" "$b/.config" || { log "config: $opt should be n"; bad=1; }
		else
			grep -qx "$opt=$val" "$b/.config" ||
				{ log "config: $line requested, got: $(grep "^$opt=\|# $opt is" "$b/.config" || echo unset)"; bad=1; }
		fi
	done < <(cat $frags | grep -E '^CONFIG_' | awk -F= '{a[$1]=$0} END {for (k in a) print a[k]}')
	[ $bad = 0 ] || die "$v: config fragments not satisfied"
	echo "$sum" >"$b/.fragments.sha"
fi

log "$v${flavour:+ ($flavour)}: building in $b"
start=$(date +%s)
if ! kmake -j"$(nproc)" ${KBUILD_EXTRA:-} "${image##*/}" modules >"$b/build.log" 2>&1; then
	grep -E 'error|Error' "$b/build.log" | head -30 >&2
	die "$v: kernel build failed (log: $b/build.log)"
fi
grep -E 'warning:' "$b/build.log" | head -20 >&2 || true
[ -f "$b/$image" ] || die "$v: no ${image##*/}"

# The selftests topic's test module (lib/test_kvm_pfnmap.c, for
# pfnmap_kinds_test) loads into every variant, the base too, whose tree
# does not have it: build variant/full's source out of tree against this
# kernel, whatever its config says.
mod=lib/test_kvm_pfnmap
m=$OUT/build/testmod/${b##*/}
rm -rf "$m"
if pgit -C "$KTREE" cat-file -e "variant/full:$mod.c" 2>/dev/null; then
	mkdir -p "$m"
	pgit -C "$KTREE" archive variant/full "$mod.c" "${mod}_uapi.h" | tar -x -C "$m" --strip-components=1
	echo 'obj-m := test_kvm_pfnmap.o' >"$m/Kbuild"
	kmake M="$m" modules >"$m/build.log" 2>&1 ||
		{ tail -20 "$m/build.log" >&2; die "$v: test module build failed (log: $m/build.log)"; }
	grep -E 'warning:' "$m/build.log" >&2 || true
fi
# The TTM backup benchmark (scripts/bench/, harness only), for the bench
# flavour of a kernel with ttm_bo_shrink() and the TTM KUnit helpers built
# in (mainline); no other build needs it.
if [ "$flavour" = bench ] && grep -q 'ttm_bo_shrink(' "$src/include/drm/ttm/ttm_bo.h" &&
	grep -qx 'CONFIG_DRM_TTM_KUNIT_TEST=y' "$b/.config"; then
	mkdir -p "$m/bench"
	cp "$TOP/scripts/bench/Kbuild" "$TOP/scripts/bench/ttm_backup_bench.c" "$m/bench/"
	kmake M="$m/bench" modules >"$m/bench/build.log" 2>&1 ||
		{ tail -20 "$m/bench/build.log" >&2; die "$v: benchmark module build failed (log: $m/bench/build.log)"; }
	grep -E 'warning:' "$m/bench/build.log" >&2 || true
fi
echo "$tree" >"$b/.tree"
log "$v${flavour:+ ($flavour)}: built in $(( $(date +%s) - start )) s: $b/$image"
