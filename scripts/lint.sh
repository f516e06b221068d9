#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The checks maintainers run before they merge (`make lint`; make check
# runs it too):
#   lint.sh [CHECK...]      (default: every check, in this order)
#
#   checkpatch  checkpatch.pl --strict on every patch file. An exception is
#               a line "checkpatch: ignore TYPE[,TYPE...]: reason" in the
#               patch's notes below its "---".
#   prefixes    every commit of the series, in series order, builds what it
#               touches: x86_64, W=1, with the base config (which sets
#               CONFIG_KVM_WERROR=y) plus
#               series/config/lint.config (amdgpu). It builds the objects of
#               the touched C files and, for a touched header, the
#               directories that use it (prefix_targets below). A warning
#               that the base tree does not have fails the commit. Commits
#               that touch the KVM selftests build them, warnings fatal.
#   cross       the tip of the kvm topic builds KVM for arm64, riscv64,
#               s390x, powerpc64le and mips64el (Debian cross compilers;
#               the architecture's defconfig with KVM on), without a
#               warning in KVM's sources; where that defconfig builds TTM
#               (arm64, riscv64), also drivers/gpu/drm/ttm/ and
#               drm_gem.o, the drm-ttm topic's files (the 2 MiB mapping
#               code has a path for architectures without PMD pfnmaps).
#   sparse      sparse (C=2) on the directories the series' C files are
#               in (arch/x86/kvm/, drivers/gpu/drm/ttm/, amdgpu_ttm.o) at
#               the series' tip: no warning that base does not have.
#   kdoc        scripts/kernel-doc -Wall on the C files and headers the
#               series touches: no warning that base does not have.
#   rst         the kernel's Sphinx build (htmldocs) of each Documentation/
#               directory whose .rst files the series touches: no warning
#               that base does not have; and docutils parses the
#               project's own .rst files without a warning.
#
# LINT_PATCHES="topic/NNNN-a.patch ..." limits checkpatch to those patch
# files of the series (scripts/tests/lint-negative.sh).
#
# Prints one line per item; failures also go to out/runs/failures.txt
# (make check prints them above its last line; LINT_RUNS names another
# directory for it). Exit status 1 if a check failed.
. "$(dirname "$0")/lib.sh"

[ -d "$KTREE/.git" ] || die "no expanded tree; run 'make tree' first"
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(checkpatch prefixes cross sparse kdoc rst)
runs=${LINT_RUNS:-$OUT/runs}
mkdir -p "$runs"
rc=0

report() { # CHECK ITEM RESULT: print a line; a result other than ok fails
	local line
	line=$(printf '%-10s %-56.56s %s' "$1" "$2" "$3")
	echo "$line"
	if [ "$3" != ok ]; then
		rc=1
		printf '%-14s %-16s %-14s %s\n' - - "lint:$1" "$2: $3" |
			cut -c1-240 >>"$runs/failures.txt"
	fi
}

# The commits of the series in order, from the stacked topic branches.
series_commits() {
	local prev=base t
	for t in $TOPICS; do
		pgit -C "$KTREE" rev-parse -q --verify "refs/heads/topic/$t" >/dev/null || continue
		pgit -C "$KTREE" rev-list --reverse "$prev..topic/$t"
		prev=topic/$t
	done
}

check_checkpatch() {
	local t p i ign out first tmp pats=()
	for t in $TOPICS; do
		for p in $(topic_patches "$t"); do
			# LINT_PATCHES: only these of the series
			[ -z "${LINT_PATCHES:-}" ] || [[ " $LINT_PATCHES " == *" $p "* ]] || continue
			pats+=("$p")
		done
	done
	# one checkpatch.pl per CPU (each is single-threaded perl); the
	# results are reported in series order
	tmp=$(mktemp -d)
	for i in "${!pats[@]}"; do
		p=${pats[$i]}
		ign=$(patch_notes "$TOP/$p" |
		      sed -n 's/^checkpatch: ignore \([A-Z_,]*\):.*/\1/p' | paste -sd,)
		# Debian's python3 (spdxcheck.py needs python3-ply and
		# python3-git; a python3 earlier in PATH may lack them)
		(cd "$KTREE" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --quiet \
			--no-summary --show-types ${ign:+--ignore "$ign"} "$TOP/$p" >"$tmp/$i" 2>&1 || true) &
		wait_for_cpu
	done
	wait
	for i in "${!pats[@]}"; do
		p=${pats[$i]}
		out=$(cat "$tmp/$i")
		if [ -z "$out" ]; then
			report checkpatch "$p" ok
		else
			# the first finding, else the first line (here-strings:
			# an early-exiting grep in a pipe fails it by SIGPIPE
			# under pipefail, and "||" then ran a second command)
			first=$(grep -m1 -E '^(ERROR|WARNING|CHECK)' <<<"$out" || true)
			report checkpatch "$p" "${first:-$(first_line "$out")}"
		fi
	done
	rm -rf "$tmp"
}

# prefix_targets FILE...: what to build for a commit that touches FILEs:
# the directory of the KVM or TTM sources (the TTM KUnit tests are in it),
# amdgpu's one touched object (the driver is too big to build per commit),
# and for other files the object or the directory.
prefix_targets() {
	local f
	for f in "$@"; do
		case $f in
		tools/*|Documentation/*) ;;
		virt/kvm/*|include/linux/kvm*|arch/x86/kvm/*|arch/x86/include/asm/kvm*)
			echo "arch/x86/kvm/" ;;
		drivers/gpu/drm/ttm/*) echo "drivers/gpu/drm/ttm/" ;;
		include/drm/ttm/*)
			echo "drivers/gpu/drm/ttm/"
			echo "drivers/gpu/drm/amd/amdgpu/amdgpu_ttm.o" ;;
		include/drm/*.h)
			# the DRM core's own user of its header (drm_gem.h:
			# drm_gem.o), and the TTM users of the GEM helpers
			f=${f##*/}
			echo "drivers/gpu/drm/${f%.h}.o"
			echo "drivers/gpu/drm/drm_gem_ttm_helper.o"
			echo "drivers/gpu/drm/drm_gem_vram_helper.o" ;;
		*.c) echo "${f%.c}.o" ;;
		*.h) echo "${f%/*}/" ;;
		esac
	done | sort -u
}

# Warnings as "file: message" without line and column, so that the same
# warning matches across commits that move lines.
warnings() {
	sed -n 's/^\([^ :]*\):[0-9]*:[0-9]*: \(warning\|error\): \(.*\)/\1: \2: \3/p' "$@" |
		sed "s|^$OUT/src/||; s|^\.\./||" | sort -u
}

check_prefixes() {
	local b=$OUT/build/lint frags c subj files targets new
	frags="$TOP/series/config/base.config $TOP/series/config/lint.config"
	kbuild_env
	lock_src
	"$TOP/scripts/checkout.sh" base
	mkdir -p "$b"
	# shellcheck disable=SC2086
	if [ "$(cat $frags | sha256sum)" != "$(cat "$b/.fragments.sha" 2>/dev/null)" ]; then
		kmake tinyconfig >/dev/null
		# shellcheck disable=SC2086
		(cd "$b" && "$OUT/src/scripts/kconfig/merge_config.sh" -m -O "$b" .config $frags >/dev/null)
		kmake olddefconfig >/dev/null
		grep -q '^CONFIG_DRM_AMDGPU=m' "$b/.config" ||
			{ report prefixes "config" "CONFIG_DRM_AMDGPU did not survive olddefconfig"; return; }
		# shellcheck disable=SC2086
		cat $frags | sha256sum >"$b/.fragments.sha"
	fi
	# The base: every target any commit builds, once, for the warnings
	# that are not ours.
	mapfile -t files < <(pgit -C "$KTREE" diff --name-only base "$(series_commits | tail -1)")
	kmake -j"$(nproc)" prepare >/dev/null 2>&1 ||
		{ report prefixes base "make prepare failed"; return; }
	mapfile -t targets < <(prefix_targets "${files[@]}")
	if ! kmake -j"$(nproc)" W=1 "${targets[@]}" >"$b/base.log" 2>&1; then
		report prefixes "base (${targets[*]})" "build failed: $(grep -m1 -E 'error' "$b/base.log")"
		return
	fi
	warnings "$b/base.log" >"$b/base.warnings"
	for c in $(series_commits); do
		subj=$(pgit -C "$KTREE" log -1 --format=%s "$c")
		pgit -C "$OUT/src" checkout -q --detach "$c"
		mapfile -t files < <(pgit -C "$KTREE" diff --name-only "$c^" "$c")
		mapfile -t targets < <(prefix_targets "${files[@]}")
		r=ok
		: >"$b/build.log"
		if [ ${#targets[@]} -gt 0 ] &&
		   ! kmake -j"$(nproc)" W=1 "${targets[@]}" >"$b/build.log" 2>&1; then
			r="build failed: $(grep -m1 -E 'error' "$b/build.log")"
		elif new=$(warnings "$b/build.log" | comm -23 - "$b/base.warnings") && [ -n "$new" ]; then
			r="new warning: $(first_line "$new")"
		elif printf '%s\n' "${files[@]}" | grep -q '^tools/testing/selftests/kvm/' &&
		     ! selftests_build "$b/selftests.log"; then
			r="KVM selftests: $(grep -m1 -E 'warning:|error' "$b/selftests.log")"
		fi
		report prefixes "$(pgit -C "$KTREE" log -1 --format=%h "$c") $subj" "$r"
	done
	pgit -C "$OUT/src" checkout -q --detach base
}

# The KVM selftests of the checked-out commit, with -Werror.
selftests_build() {
	local t=$OUT/build/lint-tests
	mkdir -p "$t"
	make -s -C "$OUT/src" O="$t/hdr" headers_install INSTALL_HDR_PATH="$t/usr" >"$1" 2>&1 &&
	make -C "$OUT/src/tools/testing/selftests/kvm" -j"$(nproc)" OUTPUT="$t/kvm" \
		KHDR_INCLUDES="-isystem $t/usr/include" CC="ccache gcc" \
		EXTRA_CFLAGS=-Werror >>"$1" 2>&1
}

# cross_config ARCH: the defconfig target of an architecture
cross_arch() { # DEBIAN_ARCH -> "KARCH CROSS_PREFIX DEFCONFIG"
	case $1 in
	arm64) echo "arm64 aarch64-linux-gnu- defconfig" ;;
	riscv64) echo "riscv riscv64-linux-gnu- defconfig" ;;
	s390x) echo "s390 s390x-linux-gnu- defconfig" ;;
	ppc64el) echo "powerpc powerpc64le-linux-gnu- ppc64le_defconfig" ;;
	mips64el) echo "mips mips64el-linux-gnuabi64- 64r6el_defconfig" ;;
	esac
}

check_cross() {
	local a b KARCH KCROSS def tip log
	kbuild_env
	lock_src
	tip=topic/kvm
	pgit -C "$KTREE" rev-parse -q --verify "refs/heads/$tip" >/dev/null || tip=variant/kvm
	pgit -C "$OUT/src" checkout -q --detach "$tip"
	for a in ${CROSS_ARCHES:-arm64 riscv64 s390x ppc64el mips64el}; do
		read -r KARCH KCROSS def < <(cross_arch "$a")
		export KARCH KCROSS
		b=$OUT/build/cross-$a
		log=$b/build.log
		mkdir -p "$b"
		if ! command -v "${KCROSS}gcc" >/dev/null; then
			report cross "$a" "no ${KCROSS}gcc (scripts/deps.sh installs it)"
			continue
		fi
		if [ ! -f "$b/.config" ]; then
			{ kmake "$def" >"$log" 2>&1 &&
			  { grep -qE '^CONFIG_KVM=(y|m)' "$b/.config" ||
			    "$OUT/src/scripts/config" --file "$b/.config" -e VIRTUALIZATION -m KVM; } &&
			  kmake olddefconfig >>"$log" 2>&1; } ||
				{ rm -f "$b/.config"; report cross "$a" "config failed: $(tail -1 "$log")"; continue; }
		fi
		if ! grep -qE '^CONFIG_KVM=(y|m)' "$b/.config"; then
			report cross "$a" "CONFIG_KVM is off in the $def configuration"
			rm -f "$b/.config"
			continue
		fi
		if ! kmake -j"$(nproc)" "arch/$KARCH/kvm/" >"$log" 2>&1; then
			report cross "$a" "build failed: $(grep -m1 -E 'error' "$log")"
		elif grep -qE '(virt/kvm|/kvm/|include/linux/kvm)[^ ]*: warning:' "$log"; then
			report cross "$a" "$(grep -m1 -E 'warning:' "$log")"
		else
			report cross "$a ($def, CONFIG_KVM=$(sed -n 's/^CONFIG_KVM=//p' "$b/.config"))" ok
		fi
		# topic/kvm stacks on topic/drm-ttm: its TTM and GEM files too
		grep -qE '^CONFIG_DRM_TTM=(y|m)' "$b/.config" || continue
		if ! kmake -j"$(nproc)" drivers/gpu/drm/ttm/ drivers/gpu/drm/drm_gem.o >"$b/drm.log" 2>&1; then
			report cross "$a drm/ttm" "build failed: $(grep -m1 -E 'error' "$b/drm.log")"
		elif grep -qE '(drivers/gpu/drm/ttm/|drm_gem)[^ ]*: warning:' "$b/drm.log"; then
			report cross "$a drm/ttm" "$(grep -m1 -E 'warning:' "$b/drm.log")"
		else
			report cross "$a drm/ttm/, drm_gem.o" ok
		fi
	done
	unset KARCH KCROSS
	pgit -C "$OUT/src" checkout -q --detach base
}

check_kdoc() {
	local tip f i files tmp new
	tip=$(series_commits | tail -1)
	mapfile -t files < <(pgit -C "$KTREE" diff --name-only base "$tip" -- '*.c' '*.h' |
			     grep -v '^tools/')
	# one kernel-doc per CPU (7.2's is Python: a second to start), the
	# results reported in order
	tmp=$(mktemp -d)
	for i in "${!files[@]}"; do
		f=${files[$i]}
		(pgit -C "$KTREE" show "base:$f" 2>/dev/null || true) | kdoc_warnings "$f" >"$tmp/$i.base" &
		pgit -C "$KTREE" show "$tip:$f" | kdoc_warnings "$f" >"$tmp/$i.tip" &
		wait_for_cpu
	done
	wait
	for i in "${!files[@]}"; do
		f=${files[$i]}
		new=$(comm -13 "$tmp/$i.base" "$tmp/$i.tip" | grep -v '^$' || true)
		if [ -n "$new" ]; then
			report kdoc "$f" "$(first_line "$new")"
		else
			report kdoc "$f" ok
		fi
	done
	rm -rf "$tmp"
}

check_sparse() {
	local b=$OUT/build/lint tip targets new v
	[ -f "$b/.config" ] || { report sparse setup "no lint build; run lint.sh prefixes first"; return; }
	command -v sparse >/dev/null || { report sparse setup "sparse missing (scripts/deps.sh)"; return; }
	kbuild_env
	lock_src
	tip=$(series_commits | tail -1)
	# shellcheck disable=SC2046
	mapfile -t targets < <(prefix_targets $(pgit -C "$KTREE" diff --name-only base "$tip" -- '*.c'))
	for v in base "$tip"; do
		pgit -C "$OUT/src" checkout -q --detach "$v"
		if ! kmake -j"$(nproc)" C=2 "${targets[@]}" >"$b/sparse-$([ "$v" = base ] && echo base || echo tip).log" 2>&1; then
			report sparse "${targets[*]}" "build failed at $v"
			pgit -C "$OUT/src" checkout -q --detach base
			return
		fi
	done
	pgit -C "$OUT/src" checkout -q --detach base
	new=$(comm -13 <(warnings "$b/sparse-base.log") <(warnings "$b/sparse-tip.log"))
	if [ -n "$new" ]; then
		report sparse "${targets[*]}" "new warning: $(first_line "$new")"
	else
		report sparse "${targets[*]} ($(warnings "$b/sparse-tip.log" | wc -l) as on base)" ok
	fi
}

# The kernel's Sphinx build of one Documentation/ directory, warnings
# without line numbers.
sphinx_warnings() { # TREE DIR BUILD
	(cd "$1" && PATH=/usr/bin:$PATH make -s O="$3" SPHINXDIRS="$2" htmldocs 2>&1) |
		sed -n 's/^[^ ]*\/\(Documentation\/[^:]*\):[0-9]*: \(WARNING\|ERROR\)/\1: \2/p' |
		sort -u
}

check_rst() {
	local tip d f out new
	tip=$(series_commits | tail -1)
	if ! PATH=/usr/bin:$PATH command -v sphinx-build >/dev/null; then
		report rst setup "sphinx-build missing (scripts/deps.sh installs python3-sphinx)"
		return
	fi
	lock_src
	for d in $(pgit -C "$KTREE" diff --name-only base "$tip" -- 'Documentation/*.rst' |
		   sed 's|^Documentation/||; s|/[^/]*$||' | sort -u); do
		pgit -C "$OUT/src" checkout -q --detach base
		sphinx_warnings "$OUT/src" "$d" "$OUT/build/docs-base" >"$OUT/build/docs-base.w"
		pgit -C "$OUT/src" checkout -q --detach "$tip"
		sphinx_warnings "$OUT/src" "$d" "$OUT/build/docs-tip" >"$OUT/build/docs-tip.w"
		new=$(comm -13 "$OUT/build/docs-base.w" "$OUT/build/docs-tip.w")
		if [ -n "$new" ]; then
			report rst "Documentation/$d (htmldocs)" "new: $(first_line "$new")"
		else
			report rst "Documentation/$d (htmldocs, $(wc -l <"$OUT/build/docs-tip.w") as on base)" ok
		fi
	done
	pgit -C "$OUT/src" checkout -q --detach base
	# The project's own documents: plain docutils, warnings are errors.
	for f in "$TOP"/Documentation/*.rst "$TOP"/series/*.rst; do
		[ -f "$f" ] || continue
		out=$(/usr/bin/python3 - "$f" <<-'PY' 2>&1
		import sys, docutils.core
		docutils.core.publish_doctree(open(sys.argv[1]).read(), source_path=sys.argv[1],
		    settings_overrides={"report_level": 2, "halt_level": 5})
		PY
		)
		if [ -n "$out" ]; then
			report rst "${f#"$TOP"/}" "$(first_line "$out")"
		else
			report rst "${f#"$TOP"/}" ok
		fi
	done
}

# kdoc_warnings NAME < SOURCE: kernel-doc's warnings, without line numbers
kdoc_warnings() {
	local tmp
	tmp=$(mktemp -d)
	mkdir -p "$tmp/$(dirname "$1")"
	cat >"$tmp/$1"
	# 6.12's kernel-doc says "FILE:LINE: warning: ...", 7.2's (Python)
	# "Warning: FILE:LINE ...": without the line numbers, a warning that
	# only moved is no new warning
	(cd "$tmp" && perl "$KTREE/scripts/kernel-doc" -none -Wall "$1" 2>&1) |
		sed -E 's/:[0-9]+:? /: /' | sort -u
	rm -rf "$tmp"
}

for c in "${checks[@]}"; do
	case $c in
	checkpatch|prefixes|cross|sparse|kdoc|rst) "check_$c" ;;
	*) die "unknown check '$c' (checkpatch, prefixes, cross, sparse, kdoc, rst)" ;;
	esac
done
exit $rc
