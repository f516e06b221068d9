#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks: a variant against base, measured in the same run, in
# alternating VMs (base, variant, variant, base, base, ...) so that drift
# of the machine and the position in a pair hit both alike. Prints numbers and ratios; asserts nothing about
# time (exit 0 unless a VM or the tool itself fails).
#
#   bench.sh [-r ROUNDS] [-t SECONDS] BENCH VARIANT
#
#   ttm   TTM allocation: ttmprobe creates, faults in and destroys bochs
#         dumb buffers of 4 KiB, 64 KiB, 2 MiB and 8 MiB in a loop (every
#         buffer's pages come from the TTM pool and go back on destroy);
#         throughput in MiB/s per size and overall, VARIANT/base ratio.
#   kvm-fault
#         KVM's fault path on anonymous memory: demand_paging_test -b 256M
#         (one vCPU touches every 4 KiB page of 256 MiB once, each touch a
#         KVM page fault); guest fault-in throughput in MiB/s.
#
# Both kernels must be built (make build VARIANT=...); results and raw
# output land in out/runs/bench/BENCH/.
. "$(dirname "$0")/lib.sh"

rounds=3 secs=3
while getopts "r:t:" o; do
	case $o in
	r) rounds=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) die "usage: bench.sh [-r ROUNDS] [-t SECONDS] BENCH VARIANT" ;;
	esac
done
shift $((OPTIND - 1))
bench=${1:?usage: bench.sh [-r ROUNDS] [-t SECONDS] BENCH VARIANT}
v=${2:?usage: bench.sh [-r ROUNDS] [-t SECONDS] BENCH VARIANT}
variant_topics "$v" >/dev/null
[ "$v" != base ] || die "compare a variant with base, not base with itself"
for k in base "$v"; do
	[ -f "$OUT/build/$k/arch/x86/boot/bzImage" ] ||
		die "no $k kernel; run: make build VARIANT=$k"
done

case $bench in
ttm)
	tool=$OUT/build/tests/bin/ttmprobe
	cmd=("$tool" bench -t "$secs" 4K 64K 2M 8M)
	;;
kvm-fault)
	# shellcheck disable=SC2016
	cmd=(sh -c '"$1" -b 256M | tee /dev/stderr | awk -F"[: \t]+" "/Total guest execution time/ {
		t = \$5 + 0; printf \"BENCH size=268435456 bos=1 seconds=%.3f mib_per_s=%.1f\\n\", t, 256 / t }"' \
		sh "$OUT/build/tests/kvm/demand_paging_test")
	tool=$OUT/build/tests/kvm/demand_paging_test
	;;
*) die "unknown benchmark '$bench' (one of: ttm kvm-fault)" ;;
esac
[ -x "$tool" ] || die "$tool missing; run: make tests"

res=$OUT/runs/bench/$bench
rm -rf "$res"
mkdir -p "$res"
for r in $(seq "$rounds"); do
	# base first in odd rounds, the variant first in even rounds, so that
	# whatever favours the first (or second) VM of a pair hits both alike
	order="base $v"
	[ $((r % 2)) = 1 ] || order="$v base"
	for k in $order; do
		d=$res/$k-$r
		"$TOP/scripts/vm.sh" -k "$OUT/build/$k" -t 600 -r "$d" -- "${cmd[@]}" ||
			die "$bench on $k (round $r) failed: see $d"
		sed "s/^/$k /" "$d/output.log" >>"$res/all.txt"
	done
done

# Per size and kernel the median over the rounds, and the ratio: the median
# of the per-round ratios (each round's variant run against the base run
# next to it, so slow drift of the machine cancels out). "all" uses
# each round's total MiB over total time.
echo "==== benchmark $bench: $v against base, $rounds rounds of ${secs}s per size ===="
awk -v v="$v" '
	function median(k, s,    i, j, n, a, x) {
		n = cnt[k, s]
		for (i = 1; i <= n; i++) a[i] = val[k, s, i]
		for (i = 2; i <= n; i++) {
			x = a[i]
			for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
			a[j + 1] = x
		}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$2 == "BENCH" {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		k = $1; s = f["size"]
		val[k, s, ++cnt[k, s]] = f["mib_per_s"]
		if (cnt[k, s] == 1) { if (!(s in seen)) { seen[s] = 1; order[n++] = s } }
		r = cnt[k, s]
		mib[k, r] += f["bos"] * s / 1048576; secs[k, r] += f["seconds"]
	}
	END {
		printf "%-10s %14s %14s %8s\n", "size", "base MiB/s", v " MiB/s", "ratio"
		for (i = 0; i < n; i++) {
			s = order[i]
			for (r = 1; r <= cnt["base", s]; r++)
				val["ratio", s, r] = val[v, s, r] / val["base", s, r]
			cnt["ratio", s] = cnt["base", s]
			printf "%-10s %14.1f %14.1f %8.3f\n", s / 1024 "K",
				median("base", s), median(v, s), median("ratio", s)
		}
		rounds = cnt["base", order[0]]
		for (r = 1; r <= rounds; r++) {
			val["base", "all", r] = mib["base", r] / secs["base", r]
			val[v, "all", r] = mib[v, r] / secs[v, r]
		}
		for (r = 1; r <= rounds; r++)
			val["ratio", "all", r] = val[v, "all", r] / val["base", "all", r]
		cnt["base", "all"] = cnt[v, "all"] = cnt["ratio", "all"] = rounds
		printf "%-10s %14.1f %14.1f %8.3f\n", "all", median("base", "all"),
			median(v, "all"), median("ratio", "all")
	}' "$res/all.txt" | tee "$res/result.txt"
