#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks: a variant against base, measured in the same run, in
# alternating VMs (base, variant, base, variant, ...) so that drift of the
# machine hits both alike. Prints numbers and ratios; asserts nothing about
# time (exit 0 unless a VM or the tool itself fails).
#
#   bench.sh [-r ROUNDS] [-t SECONDS] BENCH VARIANT
#
#   ttm   TTM allocation: ttmprobe creates, faults in and destroys bochs
#         dumb buffers of 4 KiB, 64 KiB, 2 MiB and 8 MiB in a loop (every
#         buffer's pages come from the TTM pool and go back on destroy);
#         throughput in MiB/s per size and overall, VARIANT/base ratio.
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
ttm) cmd=("$OUT/build/tests/bin/ttmprobe" bench -t "$secs" 4K 64K 2M 8M) ;;
*) die "unknown benchmark '$bench' (one of: ttm)" ;;
esac
[ -x "${cmd[0]}" ] || die "${cmd[0]} missing; run: make tests"

res=$OUT/runs/bench/$bench
rm -rf "$res"
mkdir -p "$res"
for r in $(seq "$rounds"); do
	for k in base "$v"; do
		d=$res/$k-$r
		"$TOP/scripts/vm.sh" -k "$OUT/build/$k" -t 600 -r "$d" -- "${cmd[@]}" ||
			die "$bench on $k (round $r) failed: see $d"
		sed "s/^/$k /" "$d/output.log" >>"$res/all.txt"
	done
done

# Per size and kernel the median over the rounds (a round disturbed by
# something else on the machine does not move it); "all" is the median of
# the rounds' total MiB over total time.
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
			s = order[i]; b = median("base", s); x = median(v, s)
			printf "%-10s %14.1f %14.1f %8.3f\n", s / 1024 "K", b, x, x / b
		}
		rounds = cnt["base", order[0]]
		for (r = 1; r <= rounds; r++) {
			val["base", "all", r] = mib["base", r] / secs["base", r]
			val[v, "all", r] = mib[v, r] / secs[v, r]
		}
		cnt["base", "all"] = cnt[v, "all"] = rounds
		b = median("base", "all"); x = median(v, "all")
		printf "%-10s %14.1f %14.1f %8.3f\n", "all", b, x, x / b
	}' "$res/all.txt" | tee "$res/result.txt"
