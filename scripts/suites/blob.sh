#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: the virtio-gpu blob passthrough scenario. blobmap maps DRM
# dumb buffers of /dev/dri/card0 as KVM memslots, a guest reads and writes
# every page, and the result is compared with what the SPEC predicts for
# this kernel (EXPECT: heads = only the first page of each TTM block maps,
# the others fail with EFAULT as in 6.12; heads-pmd = the same, plus the
# first 2 MiB of each block of order >= 9, which 6.12's KVM maps through
# the drm-ttm topic's PMDs; strict = the same, but the others
# fail with KVM_EXIT_MEMORY_FAULT and the kernel log names
# kvm.allow_unsafe_mappings exactly once, in a line that names the refused
# gfn and hva and no pfn; all = every page maps). Then ttmprobe looks at the pages TTM gave dumb
# buffers of the same sizes in /proc/kpageflags (PAGES: compound = every
# block of more than one page is a compound page, as with the drm-ttm
# topic; plain = no compound pages, 6.12). Then a 64 MiB buffer as a
# memslot, and the share of it that KVM maps with 2 MiB entries (HUGE:
# pmd = at least 95 %, as with the mainline drm-ttm topic's PMD faults;
# none = nothing; - = not checked). One test case per buffer size and
# check.
#   blob.sh SUITE EXPECT PAGES HUGE [SIZE...]
set -u
suite=$1 expect=$2 pages=$3 huge=$4
shift 4
sizes=("$@")
[ $# -gt 0 ] || sizes=(4K 64K 2M 8M)
args=()
for s in "${sizes[@]}"; do args+=(-s "$s"); done
"$OUT/build/tests/bin/blobmap" -j -x "$expect" "${args[@]}" | tee "$suite.out"
rc=${PIPESTATUS[0]}
if [ "$rc" = 4 ]; then
	echo "0 0 ${#sizes[@]}" >"$suite.summary"
	exit 4
fi
total=$(grep -c '^RESULT ' "$suite.out")
bad=$(grep '^MISMATCH ' "$suite.out" | sed 's/.*size=\([0-9]*\).*/\1/' | sort -u | wc -l)
if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
	bad=1 # a setup failure with no per-buffer verdict
fi
missing=$(( ${#sizes[@]} - total ))
[ $missing -gt 0 ] && bad=$((bad + missing))
pass=$(( ${#sizes[@]} - bad ))
[ $pass -lt 0 ] && pass=0

# The pages behind the buffers, one case per size.
"$OUT/build/tests/bin/ttmprobe" compound -x "$pages" "${sizes[@]}" | tee -a "$suite.out"
prc=${PIPESTATUS[0]}
pok=$(grep -c '^PROBE .* ok$' "$suite.out")
pbad=$(( ${#sizes[@]} - pok ))
pskip=0
if [ "$prc" = 4 ]; then pskip=${#sizes[@]} pok=0 pbad=0; fi # no /proc/kpageflags
grep '^PROBE .* MISMATCH$' "$suite.out" | sed 's/^/MISMATCH /' >>"$suite.out"

# 2 MiB entries over a 64 MiB buffer (pages_2m of the VM's stats after
# the guest touched every page)
if [ "$huge" != - ]; then
	"$OUT/build/tests/bin/blobmap" -s 64M --bench 1 >"$suite.huge" 2>&1
	hrc=$?
	cat "$suite.huge" >>"$suite.out"
	share=$(sed -n 's/^BENCH .*kind=bo .*share_2m=\([0-9.]*\).*/\1/p' "$suite.huge")
	if [ "$hrc" != 0 ] || [ -z "$share" ]; then
		pbad=$((pbad + 1))
		echo "MISMATCH 64M at 2 MiB: blobmap --bench failed (status $hrc)" | tee -a "$suite.out"
	elif { [ "$huge" = pmd ] && awk -v s="$share" 'BEGIN { exit !(s >= 95) }'; } ||
	     { [ "$huge" = none ] && awk -v s="$share" 'BEGIN { exit !(s == 0) }'; }; then
		pok=$((pok + 1))
		echo "# 64M at 2 MiB: $share % (expect $huge)"
	else
		pbad=$((pbad + 1))
		echo "MISMATCH 64M at 2 MiB: $share % of the buffer, expected $huge (pmd: >= 95, none: 0)" |
			tee -a "$suite.out"
	fi
fi

# KVM's once-only warning: there with strict, absent otherwise. It names
# the refused gfn and the VMM's hva, never a host pfn.
warn=$(dmesg | grep 'kvm\.allow_unsafe_mappings' | grep -v 'ommand line' || true)
nwarn=$(printf '%s' "$warn" | grep -c . || true)
want=0
[ "$expect" = strict ] && want=1
if [ "$nwarn" != "$want" ]; then
	pbad=$((pbad + 1))
	echo "MISMATCH kernel log: $nwarn lines name kvm.allow_unsafe_mappings, expected $want" |
		tee -a "$suite.out"
elif [ "$want" = 1 ] && { ! printf '%s\n' "$warn" | grep -Eq 'refusing to map gfn 0x[0-9a-f]+ \(hva 0x[0-9a-f]+\)' ||
			  printf '%s\n' "$warn" | grep -q 'pfn'; }; then
	pbad=$((pbad + 1))
	echo "MISMATCH kernel log: the line does not name the gfn and hva, or names a pfn: $warn" |
		tee -a "$suite.out"
else
	pok=$((pok + 1))
fi

echo "$((pass + pok)) $((bad + pbad)) $pskip" >"$suite.summary"
echo "# $suite (expect $expect, pages $pages): $((pass + pok)) passed, $((bad + pbad)) failed, $pskip skipped"
[ "$rc" = 0 ] && [ "$pbad" = 0 ]
