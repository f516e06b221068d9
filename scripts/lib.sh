# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the project's scripts. Source it.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Downloads survive a fresh clone on the same machine.
CACHE=${TTMKVM_CACHE:-/var/cache/ttm-kvm}

# The two lines of the series (series/README.rst): mainline, the posting
# that maintainers merge, and 6.12, the backport. LINE selects one for
# every script; each line has its own base, patches and out/LINE/.
LINES="mainline 6.12"
LINE=${LINE:-mainline}
case " $LINES " in
*" $LINE "*) ;;
*) printf '[%s] error: unknown LINE=%s (one of: %s)\n' "${0##*/}" "$LINE" "$LINES" >&2; exit 1 ;;
esac
export LINE
LINEDIR=$TOP/series/$LINE
OUT_ROOT=${OUT_ROOT:-$TOP/out}
OUT=${OUT:-$OUT_ROOT/$LINE}

# shellcheck source=../series/mainline/base.conf
. "$LINEDIR/base.conf"
# shellcheck source=../series/identity
. "$TOP/series/identity"

PRISTINE=$OUT/pristine/linux-${BASE_DEB_VERSION%%-*}
KTREE=$OUT/kernel
VARIANTS="base drm-ttm kvm full"
TOPICS="drm-ttm kvm selftests"

# Which topics make up a variant, in series order.
variant_topics() {
	case "$1" in
	base) echo "" ;;
	drm-ttm) echo "drm-ttm" ;;
	kvm) echo "kvm selftests" ;;
	full) echo "drm-ttm kvm selftests" ;;
	*) die "unknown variant '$1' (one of: $VARIANTS)" ;;
	esac
}

# wait_for_cpu: wait until fewer background jobs than CPUs run, so that a
# loop that starts one job an item keeps one a CPU busy
wait_for_cpu() {
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
}

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { printf '[%s] error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
# first_line TEXT: its first line, without a pipe ("echo | head -1" can
# fail by SIGPIPE under pipefail when TEXT is long)
first_line() { printf '%s\n' "${1%%$'\n'*}"; }

# Git with a fixed identity and no influence from the user's config, so
# that commits and exported patches are reproducible.
pgit() {
	GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
	GIT_AUTHOR_NAME="$PROJECT_NAME" GIT_AUTHOR_EMAIL="$PROJECT_EMAIL" \
	GIT_COMMITTER_NAME="$PROJECT_NAME" GIT_COMMITTER_EMAIL="$PROJECT_EMAIL" \
		git -c core.abbrev=12 -c diff.renames=true -c diff.algorithm=myers \
		    -c diff.noprefix=false -c diff.mnemonicPrefix=false \
		    -c format.signature= -c rebase.updateRefs=true \
		    -c notes.rewriteRef=refs/notes/commits \
		    -c advice.detachedHead=false "$@"
}

# patch_notes FILE: the reviewer notes of a patch written by export.sh, i.e.
# the "Notes:" block that format-patch --notes puts below the "---" line,
# without its indentation. git am drops that text; tree.sh keeps it as a git
# note on the commit so that the next export writes it again.
patch_notes() {
	awk 'state == 0 && /^---$/ { state = 1; next }
	     state == 1 { state = ($0 == "") ? 2 : 9; next }
	     state == 2 { state = ($0 == "Notes:") ? 3 : 9; next }
	     state == 3 && /^    / { print substr($0, 5); next }
	     state == 3 { exit }' "$1"
}

# topic_patches TOPIC: the line's patch files of TOPIC, in apply order, as
# listed in series/LINE/series.
topic_patches() {
	awk -v t="[$1]" '
		/^[[:space:]]*(#|$)/ { next }
		/^\[/ { cur = $1; next }
		cur == t { print $1 }' "$LINEDIR/series"
}

# topic_dir TOPIC: where the line's patch files of TOPIC live, relative to
# the top: the mainline posting at the top (drm-ttm/), the backport in a
# subfolder named after its line (drm-ttm/6.12/).
topic_dir() {
	if [ "$LINE" = mainline ]; then echo "$1"; else echo "$1/$LINE"; fi
}

# The environment of every kernel build: ccache with paths relative to out/
# (so a fresh clone hits the cache of an earlier one) and a fixed build
# timestamp, user, host and build number (a build that starts from another
# variant's, scripts/build.sh, would count on from its number).
kbuild_env() {
	command -v ccache >/dev/null || die "ccache missing; run scripts/deps.sh"
	export CCACHE_BASEDIR=$OUT CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros
	export KBUILD_BUILD_TIMESTAMP="Sat Jan  1 00:00:00 UTC 2000"
	export KBUILD_BUILD_USER=ttmkvm KBUILD_BUILD_HOST=qemu KBUILD_BUILD_VERSION=1
}

# kernel_image [FLAVOUR]: the boot image of a build, relative to its
# directory (scripts/build.sh's flavours; arm64 is QEMU virt's Image)
kernel_image() {
	if [ "${1:-}" = arm64 ]; then
		echo arch/arm64/boot/Image
	else
		echo arch/x86/boot/bzImage
	fi
}

# kmake ARGS...: make in the work tree out/src with output in "$b" (the
# caller's build directory). With KARCH and KCROSS set, it cross-compiles.
kmake() {
	if [ -n "${KARCH:-}" ]; then
		make -s -C "$OUT/src" O="$b" ARCH="$KARCH" CROSS_COMPILE="$KCROSS" \
			CC="ccache ${KCROSS}gcc" HOSTCC="ccache gcc" "$@"
	else
		make -s -C "$OUT/src" O="$b" CC="ccache gcc" HOSTCC="ccache gcc" "$@"
	fi
}

# fill_cover COVER_PATCH SOURCE SUBJECT: put SUBJECT and the text of SOURCE
# (a "Subject: ..." line, a blank line, the body) into the cover letter that
# git format-patch --cover-letter wrote.
fill_cover() {
	awk -v subj="$3" -v body="$2" '
		/^Subject: / { sub(/\*\*\* SUBJECT HERE \*\*\*/, subj) }
		/^\*\*\* BLURB HERE \*\*\*$/ {
			getline line < body   # the Subject: line
			getline line < body   # the blank line after it
			while ((getline line < body) > 0) print line
			next
		}
		{ print }' "$1" >"$1.tmp"
	mv "$1.tmp" "$1"
}

# suite_apt SUITE MODE apt-get|apt-cache ARGS...: apt with a Debian suite
# that the machine's apt sources do not list, read through a private
# sources list and lists directory under $CACHE, so that the machine's own
# apt configuration stays as it is. MODE "only" reads SUITE alone (to
# download one package: the mainline line's linux-source from forky);
# MODE "add" reads the machine's sources and SUITE (to install a package
# with its dependencies: QEMU from bookworm-backports). The archive is the
# machine's own (the first URI that ends in /debian, in a one-line or a
# deb822 sources file); TTMKVM_APT_MIRROR names another.
suite_apt() {
	local suite=$1 mode=$2 cmd=$3
	shift 3
	local arch=${SUITE_APT_ARCH:-}
	local d=$CACHE/apt-$suite-$mode${arch:+-$arch} mirror f
	local opts=(-o "Dir::Etc::sourcelist=$d/sources.list" -o "Dir::State::lists=$d/lists"
		    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=")
	# "only": nothing of the machine's; "add": its sources.list.d stays
	[ "$mode" = add ] || opts+=(-o "Dir::Etc::sourceparts=-")
	# SUITE_APT_ARCH: another architecture's packages (to download only)
	[ -z "$arch" ] || opts+=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
	if [ ! -f "$d/sources.list" ]; then
		mirror=${TTMKVM_APT_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { u = $i; sub(/\/$/, "", u); print u; exit } }' || true)}
		mkdir -p "$d/lists/partial"
		f=$d/sources.list.new
		: >"$f"
		# "add" replaces the machine's one-line sources.list: copy it
		[ "$mode" = add ] && [ -f /etc/apt/sources.list ] && cat /etc/apt/sources.list >>"$f"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror:-http://deb.debian.org/debian} $suite main" >>"$f"
		mv "$f" "$d/sources.list"
	fi
	# a fresh cache needs the package lists first
	if ! ls "$d/lists/"*"_${suite}_"*Packages* >/dev/null 2>&1 && [ "$1" != update ]; then
		apt-get "${opts[@]}" update -qq >&2 ||
			die "apt-get update with Debian's $suite suite failed (sources: $d/sources.list)"
	fi
	"$cmd" "${opts[@]}" "$@"
}

# base_apt apt-get|apt-cache ARGS...: apt for the line's base package:
# the machine's own apt, or BASE_APT_SUITE alone (forky for mainline).
base_apt() {
	if [ -n "${BASE_APT_SUITE:-}" ]; then
		suite_apt "$BASE_APT_SUITE" only "$@"
	else
		"$@"
	fi
}

# Serialise everything that checks out or reads the shared work tree out/src.
lock_src() {
	mkdir -p "$OUT"
	exec 9>"$OUT/src.lock"
	flock 9
}

# What the blob scenario must show (SPEC sections 3 and 5):
# blob_expect VARIANT UNSAFE [FLAVOUR]
#   heads:     only the first page of each TTM allocation block maps
#   heads-pmd: the heads, and the first 2 MiB of every block of order >= 9,
#              which 6.12's KVM maps through the drm-ttm topic's PMDs
#   strict:    heads only, the rest refused with KVM_EXIT_MEMORY_FAULT
#   all:       every page maps
# On mainline every variant maps every page: KVM has taken no reference
# on VM_PFNMAP memory at stage 2 since 6.13, and the series adds no
# stage-2 refusal there. On 6.12, the kvm topic ignores the parameter for
# the guest's mappings with shadow paging (FLAVOUR shadow), whose SPTEs
# cannot mark a page mapped without a reference (shadow pages are shared
# between PAE-format and 64-bit roots): the tails are refused with the
# parameter on, too.
# ttm_pages VARIANT: what the pages of a TTM dumb buffer look like
# (ttmprobe -x): compound with the drm-ttm topic's patches, plain without
# them (6.12, 7.2).
ttm_pages() {
	case " $(variant_topics "$1") " in
	*" drm-ttm "*) if [ -n "$(topic_patches drm-ttm)" ]; then echo compound; else echo plain; fi ;;
	*) echo plain ;;
	esac
}

# blob_huge VARIANT [FLAVOUR]: how much of a 64 MiB dumb buffer KVM must
# map with 2 MiB entries (scripts/suites/blob.sh): pmd (>= 95 %) with the
# mainline drm-ttm topic's PMD faults, none (0 %) without them; "-" (not
# checked) on 6.12, whose drm_blob_huge_test checks it, and in the other
# MMU flavours, where it was not measured.
blob_huge() {
	if [ "$LINE" != mainline ] || [ "${2:-tdp}" != tdp ]; then
		echo -
		return
	fi
	case "$(ttm_pages "$1")" in
	compound) echo pmd ;;
	*) echo none ;;
	esac
}

# blob_selftest_mode VARIANT: what the selftests topic's drm_blob_test
# must show (scripts/suites/blob-selftests.sh): compound with both topics,
# plain with the kvm topic alone, 6.12 without it. On mainline, where 7.2's
# KVM maps every page: mainline with the kvm topic's patches (it reports
# refused pins), mainline-base without them.
blob_selftest_mode() {
	local t
	t=" $(variant_topics "$1") "
	if [ "$LINE" = mainline ]; then
		case $t in
		*" kvm "*) if [ -n "$(topic_patches kvm)" ]; then echo mainline; else echo mainline-base; fi ;;
		*) echo mainline-base ;;
		esac
		return
	fi
	case $t in
	*" kvm "*" "*) case $t in *" drm-ttm "*) echo compound ;; *) echo plain ;; esac ;;
	*) echo 6.12 ;;
	esac
}

blob_expect() {
	if [ "$LINE" = mainline ]; then
		variant_topics "$1" >/dev/null
		echo all
		return
	fi
	case "$1:$2" in
	base:*) echo heads ;;
	drm-ttm:*) echo heads-pmd ;;
	kvm:0) echo strict ;;
	kvm:1) if [ "${3:-tdp}" = shadow ]; then echo strict; else echo all; fi ;;
	full:*) echo all ;;
	*) die "blob_expect: unknown '$1' '$2'" ;;
	esac
}

# igt_expect VARIANT UNSAFE [FLAVOUR]: the IGT subtests (igt-tests/) that
# must not succeed on a variant, as "<binary> <subtest> <FAIL|SKIP>" lines
# (scripts/suites/igt.sh); every other subtest must succeed. Its guest
# runs without paging, as the blob scenario's does.
igt_expect() {
	case "$(blob_expect "$1" "$2" "${3:-tdp}")" in
	heads | heads-pmd) # 6.12's KVM: tails refused with a bare EFAULT
		echo "bo_kvm_passthrough guest-access FAIL"
		echo "bo_kvm_passthrough refusal-report FAIL" ;;
	strict)	# the kvm topic alone: refused, with KVM_EXIT_MEMORY_FAULT
		echo "bo_kvm_passthrough guest-access FAIL" ;;
	all)	# nothing is refused, so there is no refusal to report
		echo "bo_kvm_passthrough refusal-report SKIP" ;;
	esac
	# The mainline guests' TTM driver is qxl, which scans a dumb buffer
	# out through a shadow buffer of its own (qxl_prepare_shadow()):
	# the buffer is pinned where it is and never moves, so there is no
	# placement change to test.
	if [ "$(ttm_display)" = qxl-vga ]; then
		echo "bo_mmap_integrity scanout-pin SKIP"
	fi
}

# The QEMU display device whose driver is the line's TTM driver: bochs
# (drm_gem_vram_helper, TTM) on 6.12; on 7.2 bochs uses GEM-SHMEM, so
# the mainline guests get QXL, whose dumb buffers come from the TTM pool
# (series/config/mainline.config).
# TTM_DISPLAY names another QEMU device, to try one.
ttm_display() {
	if [ -n "${TTM_DISPLAY:-}" ]; then echo "$TTM_DISPLAY"
	elif [ "$LINE" = mainline ]; then echo qxl-vga
	else echo bochs-display; fi
}

# Kernel parameters of an x86 MMU flavour.
flavour_params() {
	case "$1" in
	tdp) echo "" ;;
	legacy) echo "kvm.tdp_mmu=0" ;;
	shadow) echo "kvm_amd.npt=0" ;;
	*) die "unknown MMU flavour '$1' (tdp, legacy, shadow)" ;;
	esac
}
