#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks: a variant against base, measured in the same run, in
# alternating VMs (base, variant, variant, base, base, ...) so that drift
# of the machine and the position in a pair hit both alike. Prints numbers
# and ratios; asserts nothing about time (exit 0 unless a VM or the tool
# itself fails).
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
#   blob  A 64 MiB dumb buffer as a KVM memslot (blobmap --bench): the
#         share of it that KVM maps with 2 MiB entries (pages_2m), the KVM
#         page faults it took to touch every page (pf_taken, refused ones
#         too), and the guest's read throughput over it (one load per
#         4 KiB page, many passes) against the same over 64 MiB of private
#         anonymous memory with THP.
#   backup
#         TTM backup and restore (mainline only; 6.12 has no ttm_backup):
#         the harness module scripts/bench/ttm_backup_bench.c backs up
#         system-memory BOs of 64 KiB to 64 MiB with ttm_bo_shrink() and
#         restores them with ttm_bo_populate(), as xe's shrinker does, in
#         a loop; throughput in MiB/s per size and overall, per operation.
#         TTM backs up only while swap space exists, so this benchmark
#         boots the bench flavour (series/config/bench.config: swap on a
#         loop device); nothing is swapped out.
#   all   the ones above, then one summary table with the targets.
#
# Kernels, tools and the expanded tree that are missing are built first.
# Results and raw output land in out/runs/bench/BENCH/.
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
case $bench in
ttm|kvm-fault|blob) benches=$bench ;;
backup)
	[ "$LINE" = mainline ] || die "backup: the $LINE line has no ttm_backup (mainline only)"
	benches=$bench
	;;
all)
	benches="ttm kvm-fault blob"
	[ "$LINE" != mainline ] || benches="$benches backup"
	;;
*) die "unknown benchmark '$bench' (one of: ttm kvm-fault blob backup all)" ;;
esac

# What a clean clone lacks, and what is older than the tree: the builds
# are incremental, so an up-to-date kernel costs a few seconds.
[ -d "$KTREE/.git" ] || "$TOP/scripts/tree.sh"
for k in base "$v"; do
	"$TOP/scripts/build.sh" "$k"
	case " $benches " in
	*" backup "*) "$TOP/scripts/build.sh" "$k" bench ;;
	esac
done
"$TOP/scripts/build-tests.sh"

# run_bench NAME: the rounds of one benchmark; raw lines in $res/all.txt,
# each prefixed with the kernel and the round.
run_bench() {
	local b=$1 r k d order flav=
	local -a cmd vmargs=()
	case $b in
	ttm)
		cmd=("$OUT/build/tests/bin/ttmprobe" bench -t "$secs" 4K 64K 2M 8M)
		;;
	kvm-fault)
		# shellcheck disable=SC2016
		cmd=(sh -c '"$1" -b 256M | tee /dev/stderr | awk -F"[: \t]+" "/Total guest execution time/ {
			t = \$5 + 0; printf \"BENCH size=268435456 bos=1 seconds=%.3f mib_per_s=%.1f\\n\", t, 256 / t }"' \
			sh "$OUT/build/tests/kvm/demand_paging_test")
		;;
	blob)
		# 64 MiB, rounds of 400 passes (6.5 million page-strided loads)
		# for at least 2 s: one round took 1 to 4 s under TCG on one
		# machine and 0.1 s on a faster one, where the reads then varied
		# by a factor of ten between runs
		cmd=(sh -c '"$1" -s 64M --bench 400 && "$1" --anon-thp -s 64M --bench 400' \
			sh "$OUT/build/tests/bin/blobmap")
		;;
	backup)
		# swap on (TTM's condition for a backup), the KUnit suite runs
		# when its module loads; a failed or skipped suite fails the VM
		flav=-bench
		vmargs=(-a "kunit.enable=1 kunit.filter_glob=ttm_backup_bench")
		# shellcheck disable=SC2016
		cmd=(sh -c 'set -e
			dd if=/dev/zero of=swap.img bs=1M count=16 2>/dev/null
			mkswap swap.img >/dev/null
			dev=$(losetup -f --show swap.img)
			swapon "$dev"
			insmod "$1" secs="$2" sizes=64K,2M,8M,64M
			swapoff "$dev"
			losetup -d "$dev"
			rm -f swap.img
			dmesg | grep -o "BENCH .*"
			! dmesg | grep -q -e "not ok" -e "# SKIP"
			dmesg | grep -q "ok 1 ttm_backup_bench"' \
			sh @KO@ "$secs")
		;;
	esac
	res=$OUT/runs/bench/$b
	rm -rf "$res"
	mkdir -p "$res"
	for r in $(seq "$rounds"); do
		# base first in odd rounds, the variant first in even rounds, so
		# that whatever favours the first (or second) VM of a pair hits
		# both alike
		order="base $v"
		[ $((r % 2)) = 1 ] || order="$v base"
		for k in $order; do
			d=$res/$k-$r
			"$TOP/scripts/vm.sh" -k "$OUT/build/$k$flav" "${vmargs[@]}" -t 600 -r "$d" -- \
				"${cmd[@]/@KO@/$OUT/build/testmod/$k$flav/bench/ttm_backup_bench.ko}" ||
				die "$b on $k (round $r) failed: see $d"
			grep '^BENCH ' "$d/output.log" | sed "s/^/$k $r /" >>"$res/all.txt"
		done
	done
}

# The awk helpers every report uses: fields of a BENCH line into f[], and
# the median of val[key, 1..cnt[key]].
awk_lib='
	function fields(    i, kv) {
		delete f
		for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	}
	function median(key,    i, j, n, a, x) {
		n = cnt[key]
		if (!n) return -1
		for (i = 1; i <= n; i++) a[i] = val[key, i]
		for (i = 2; i <= n; i++) {
			x = a[i]
			for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
			a[j + 1] = x
		}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function add(key, x) { val[key, ++cnt[key]] = x }
'

# Throughput per size and overall (ttm, kvm-fault, backup), per operation
# where the lines name one (op=backup, op=restore). The ratio is the
# median of the per-round ratios (each variant run against the base run
# next to it, so slow drift of the machine cancels out); "all" uses each
# round's total MiB over total time. Also writes "SUMMARY all|OP base
# variant ratio" to $res/summary.txt.
report_throughput() {
	echo "==== benchmark $1: $v against base, $rounds rounds ===="
	awk -v v="$v" "$awk_lib"'
	$3 == "BENCH" {
		fields(); k = $1; r = $2; s = f["size"]; g = f["op"]
		id = g " " s
		if (!(id in seen)) {
			seen[id] = 1; order[n++] = id
			label[id] = (g == "" ? "" : g " ") s / 1024 "K"
		}
		if (!(g in gseen)) { gseen[g] = 1; gorder[ng++] = g }
		tp[k, id, r] = f["mib_per_s"]
		mib[k, g, r] += f["bos"] * s / 1048576; secs[k, g, r] += f["seconds"]
		if (r > rounds) rounds = r
	}
	END {
		printf "%-14s %14s %14s %8s\n", "size", "base MiB/s", v " MiB/s", "ratio"
		for (i = 0; i < n; i++) {
			id = order[i]
			for (r = 1; r <= rounds; r++) {
				add("b" id, tp["base", id, r]); add("v" id, tp[v, id, r])
				add("r" id, tp[v, id, r] / tp["base", id, r])
			}
			printf "%-14s %14.1f %14.1f %8.3f\n", label[id],
				median("b" id), median("v" id), median("r" id)
		}
		for (j = 0; j < ng; j++) {
			g = gorder[j]
			for (r = 1; r <= rounds; r++) {
				b = mib["base", g, r] / secs["base", g, r]
				x = mib[v, g, r] / secs[v, g, r]
				add("ball" g, b); add("vall" g, x); add("rall" g, x / b)
			}
			printf "%-14s %14.1f %14.1f %8.3f\n", (g == "" ? "" : g " ") "all",
				median("ball" g), median("vall" g), median("rall" g)
			printf "SUMMARY %s %.1f %.1f %.3f\n", (g == "" ? "all" : g),
				median("ball" g), median("vall" g), median("rall" g) >"/dev/stderr"
		}
	}' "$res/all.txt" 2>"$res/summary.txt"
}

# blob: mapping level and faults (the same in every round; the median is
# printed), read throughput over the BO and over anonymous THP memory,
# and their ratio per kernel (median of per-round ratios).
report_blob() {
	echo "==== benchmark blob: a 64 MiB dumb buffer as a memslot, $v against base, $rounds rounds ===="
	awk -v v="$v" "$awk_lib"'
	$3 == "BENCH" {
		fields(); k = $1; r = $2; kind = f["kind"]
		if ("setup_error" in f) { err[k] = 1; next }
		if (kind == "bo") { add(k "share", f["share_2m"]); add(k "pf", f["pf_taken"]) }
		if ("mpages_per_s" in f) rd[k, kind, r] = f["mpages_per_s"]
		else if (kind == "bo") why[k] = $0
		if (r > rounds) rounds = r
	}
	function ratio_of(k,    r, n) {
		for (r = 1; r <= rounds; r++)
			if ((k, "bo", r) in rd && (k, "anon-thp", r) in rd)
				add(k "ratio", rd[k, "bo", r] / rd[k, "anon-thp", r])
		return median(k "ratio")
	}
	function tput(k, kind,    r) {
		for (r = 1; r <= rounds; r++)
			if ((k, kind, r) in rd) add(k kind, rd[k, kind, r])
		return median(k kind)
	}
	function num(x, fmt) { return x < 0 ? "n/a" : sprintf(fmt, x) }
	END {
		printf "%-8s %12s %12s %14s %16s %10s\n", "kernel", "BO at 2 MiB",
			"KVM faults", "BO Mpages/s", "anon Mpages/s", "BO/anon"
		split("base " v, ks, " ")
		for (i = 1; i <= 2; i++) {
			k = ks[i]
			if (k in err) { printf "%-8s setup error\n", k; continue }
			sh[k] = median(k "share"); rt[k] = ratio_of(k)
			printf "%-8s %11s%% %12s %14s %16s %10s\n", k, num(sh[k], "%.1f"),
				num(median(k "pf"), "%d"), num(tput(k, "bo"), "%.3f"),
				num(tput(k, "anon-thp"), "%.3f"), num(rt[k], "%.3f")
			if (k in why) { sub(/.*why=/, "", why[k]); printf "         (%s: BO reads not measured: %s)\n", k, why[k] }
		}
		printf "SUMMARY share %s %s\n", num(sh["base"], "%.1f"), num(sh[v], "%.1f") >"/dev/stderr"
		printf "SUMMARY faults %s %s\n", num(median("basepf"), "%d"), num(median(v "pf"), "%d") >"/dev/stderr"
		printf "SUMMARY access %s %s\n", num(rt["base"], "%.3f"), num(rt[v], "%.3f") >"/dev/stderr"
	}' "$res/all.txt" 2>"$res/summary.txt"
}

for b in $benches; do
	run_bench "$b"
	case $b in
	blob) report_blob ;;
	*) report_throughput "$b" ;;
	esac | tee "$res/result.txt"
done
[ "$bench" = all ] || exit 0

# The table of issue 8's targets, from the three summaries.
s=$OUT/runs/bench
{
	echo "==== make bench: $v against base, $rounds rounds, $(date -u +%Y-%m-%d) ===="
	printf '%-44s %10s %10s %8s  %s\n' metric base "$v" ratio target
	read -r _ _ b x r <"$s/ttm/summary.txt"
	printf '%-44s %10s %10s %8s  %s\n' "TTM allocation, MiB/s (all sizes)" "$b" "$x" "$r" ">= 0.97"
	read -r _ _ b x r <"$s/kvm-fault/summary.txt"
	printf '%-44s %10s %10s %8s  %s\n' "KVM fault-in, anonymous 256 MiB, MiB/s" "$b" "$x" "$r" ">= 0.98"
	read -r _ _ b x < <(grep '^SUMMARY share' "$s/blob/summary.txt")
	printf '%-44s %9s%% %9s%% %8s  %s\n' "64 MiB BO mapped with 2 MiB NPT entries" "$b" "$x" - ">= 95% on $v"
	read -r _ _ b x < <(grep '^SUMMARY faults' "$s/blob/summary.txt")
	printf '%-44s %10s %10s %8s  %s\n' "KVM page faults to touch the 64 MiB BO" "$b" "$x" - -
	read -r _ _ b x < <(grep '^SUMMARY access' "$s/blob/summary.txt")
	printf '%-44s %10s %10s %8s  %s\n' "guest reads: BO / anonymous THP memory" "$b" "$x" - ">= 0.9"
	if [ -f "$s/backup/summary.txt" ] && [ "$LINE" = mainline ]; then
		for op in backup restore; do
			read -r _ _ b x r < <(grep "^SUMMARY $op " "$s/backup/summary.txt")
			printf '%-44s %10s %10s %8s  %s\n' "TTM $op, MiB/s (all sizes)" "$b" "$x" "$r" ">= 0.97"
		done
	fi
} | tee "$s/table.txt"
