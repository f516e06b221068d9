#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run test suites of one kernel variant in QEMU and record their counts.
#   run.sh [-d|-A] [-f tdp|legacy|shadow] [-u 0|1] VARIANT SUITE...
#     -d   use the debug build (KASAN, lockdep, DEBUG_PAGEALLOC)
#     -A   use the arm64 build (scripts/build.sh VARIANT arm64) on QEMU's
#          arm64 virt machine with EL2: suites kunit, kvm-selftests (the
#          arm64 list, scripts/build-tests.sh arm64), warn, and on 6.12
#          blob-selftests (drm_blob_test alone)
#     -f   x86 MMU flavour (default tdp: the TDP MMU)
#     -u   kvm.allow_unsafe_mappings (default 0)
# Suites: kunit (TTM KUnit), kvm-selftests (curated upstream list),
#         blob (the passthrough scenario, checked against the SPEC matrix),
#         blob-selftests (the selftests topic's DRM buffer and page kind
#         tests, with the variant's expectation), igt (igt-tests/, with
#         the variant's expectation), warn (the harness's own check: a
#         WARN must fail the run).
# Results: out/runs/<variant>[-debug|-arm64]/<flavour>-unsafe<u>/<suite>/;
# one line per suite is appended to out/runs/summary.txt.
# Environment: KVM_FILTER (regex on selftest names), BLOB_SIZES,
# KVM_SELFTESTS_ALL=0 (leave out the list's check-full tests: make check).
. "$(dirname "$0")/lib.sh"

debug= flavour=tdp unsafe=0
while getopts "dAf:u:" o; do
	case $o in
	d) debug=-debug ;;
	A) debug=-arm64 ;;
	f) flavour=$OPTARG ;;
	u) unsafe=$OPTARG ;;
	*) die "usage: run.sh [-d|-A] [-f FLAVOUR] [-u 0|1] VARIANT SUITE..." ;;
	esac
done
shift $((OPTIND - 1))
v=${1:?usage: run.sh [-d|-A] [-f FLAVOUR] [-u 0|1] VARIANT SUITE...}
shift
variant_topics "$v" >/dev/null
kb=$OUT/build/$v$debug
params="$(flavour_params "$flavour")"
if [ "$debug" = -arm64 ]; then
	# arm64 KVM has one stage-2 MMU: the flavour is x86's
	[ "$flavour" = tdp ] || die "-f $flavour is an x86 MMU flavour; arm64 has one"
	params=
	# blob-selftests: drm_blob_test alone, on 6.12, where bochs is
	# a TTM driver (7.2's is GEM-SHMEM, and aarch64 QEMU has no QXL)
	for suite in "$@"; do
		case $suite in kunit | kvm-selftests | warn) ;;
		blob-selftests) [ "$LINE" = 6.12 ] ||
			die "blob-selftests needs a TTM display; arm64 has one on 6.12 only" ;;
		*) die "suite $suite does not run on arm64 (kunit, kvm-selftests, warn; blob-selftests on 6.12)" ;;
		esac
	done
fi
[ "$unsafe" = 1 ] && params="$params kvm.allow_unsafe_mappings=1"
# The debug build (KASAN) with QEMU's 5-level paging reports a
# wild-memory-access in do_raw_spin_lock() from an interrupt during
# identify_cpu(), in start_kernel() before any driver or KVM code runs
# (2026-11-26); with 4-level paging the log is clean. KASAN under TCG
# on a loaded host also stretches boot past RCU's 21 s stall timeout
# (a grace-period-start stall WARNING in initcalls, seen twice); like
# syzkaller's debug VMs, allow 100 s: a real stall still warns.
[ "$debug" = -debug ] && params="$params no5lvl rcupdate.rcu_cpu_stall_timeout=100"
tag=$flavour-unsafe$unsafe
[ "$debug" != -arm64 ] || tag=stage2-unsafe$unsafe
runs=$OUT/runs
mkdir -p "$runs"

record() { # suite pass fail skip seconds
	local line
	line=$(printf '%-14s %-16s %-14s %3d passed, %d failed, %d skipped  (%ss)' \
		"$v$debug" "$tag" "$1" "$2" "$3" "$4" "$5")
	echo "$line" >>"$runs/summary.txt"
	log "$line"
}

# KTAP from a kernel log: count the leaf results of the KUnit run, as
# kunit.py does (each parameter of a parameterised case counts). A suite
# whose top-level result is missing or "not ok" without a failing leaf
# (a crash, a failed init) counts as one failure.
kunit_count() {
	awk '
		/^\[[ 0-9.]+\] +(not )?ok [0-9]+ |^\[[ 0-9.]+\] 1\.\.[0-9]+$/ {
			sub(/^\[[ 0-9.]+\] /, "")
			match($0, /^ */); ind = RLENGTH
			if (ind == 0 && $0 ~ /^1\.\./) { plan = substr($0, 4) + 0; next }
			res = ($0 ~ /# SKIP/) ? "s" : ($0 ~ /^ *ok /) ? "p" : "f"
			if (ind == 0) {
				suites++
				if (res == "f" && !leaf_f) { f++; print "# failed: " $0 > "/dev/stderr" }
				leaf_f = 0
			} else if (ind == 8 || (ind == 4 && !kids)) {
				c[res]++
				if (res == "f") { leaf_f = 1; print "# failed: " $0 > "/dev/stderr" }
			}
			if (ind == 8) kids = 1
			else if (ind == 4) kids = 0
		}
		END {
			if (plan == 0 || suites != plan) {
				f++
				printf "# %d of %d suites reported\n", suites, plan > "/dev/stderr"
			}
			printf "%d %d %d\n", c["p"], c["f"] + f, c["s"]
		}' "$1"
}

# failed SUITE RESULT_DIR VM_STATUS: one line per failed test for
# out/runs/failures.txt, which make check prints above its last line (CI
# logs often keep only the end of the output).
# (With errexit, a grep that finds nothing would end the group and then
# run.sh: every grep here is "|| true".)
failed() {
	local suite=$1 res=$2 vrc=$3
	{
		case $suite in
		kunit) sed -n 's/^# failed: *//p; s/^# \(.* suites reported\)/\1/p' "$res/failed.txt" ;;
		kvm-selftests)
			# the test's name, where it asserted and its last line
			awk '/^# / { line = substr($0, 3); sub(/^ +/, "", line)
				if (want) { where = line; want = 0 }
				if (line ~ /Test Assertion Failure/) want = 1
				last = line; next }
			     /^not ok / { print $0 (where != "" ? " | " where : "") \
					(last != "" && last != where ? " | " last : "")
				where = last = "" }
			     /^ok / { where = last = "" }' "$res/output.log" ;;
		blob) grep -h '^MISMATCH' "$res/$suite.out" 2>/dev/null || true ;;
		blob-selftests) grep -E '^(FAIL|MISMATCH)' "$res/output.log" || true ;;
		igt) grep -E '^not ok' "$res/output.log" || true ;;
		esac
		case $vrc in
		2) echo "kernel log not clean: $(grep -m1 -v '^ *$' "$res/splats.txt" 2>/dev/null)" ;;
		3)
			# where it stopped: the selftest that was running, and
			# the end of the console (a panic, a stall report)
			local at
			at=$(awk '/^(ok |not ok |1\.\.)/ { hdr = 1; cur = ""; next }
				  hdr && /^# / { cur = substr($0, 3); hdr = 0 }
				  END { print cur }' "$res/output.log" 2>/dev/null)
			echo "the VM did not finish${at:+ (running: $at)}; see $res/console.log"
			grep -v '^ *$' "$res/console.log" 2>/dev/null | tail -3 |
				sed 's/^/  console: /' || true
			;;
		esac
	} | cut -c1-240 | awk 'NR <= 24' | while IFS= read -r line; do
		printf '%-14s %-16s %-14s %s\n' "$v$debug" "$tag" "$suite" "$line"
	done >>"$runs/failures.txt"
}

rc=0
for suite in "$@"; do
	res=$runs/$v$debug/$tag/$suite
	start=$(date +%s)
	vrc=0
	case $suite in
	kunit)
		# No display device: a bochs TTM device on the global device
		# list would break ttm_device_init_multiple's count.
		"$TOP/scripts/vm.sh" -k "$kb" -t 900 -r "$res" -N \
			-w "$TOP/scripts/suites/kunit-expected-warnings.txt" \
			-a "$params kunit.enable=1 kunit.filter_glob=ttm*" -- true || vrc=$?
		read -r p f s < <(kunit_count "$res/dmesg.txt" 2>"$res/failed.txt")
		[ $((p + f + s)) -gt 0 ] || f=1
		;;
	kvm-selftests)
		list=$LINE tests=$OUT/build/tests/kvm
		[ "$debug" != -arm64 ] || list=arm64 tests=$OUT/build/tests-arm64/kvm
		"$TOP/scripts/vm.sh" -k "$kb" -t 1800 -r "$res" -a "$params" -- \
			env KVM_TESTS="$tests" KVM_SELFTESTS_ALL="${KVM_SELFTESTS_ALL:-1}" \
			"$TOP/scripts/suites/kvm-selftests.sh" "$suite" \
			"$TOP/scripts/suites/kvm-selftests-$list.list" "${KVM_FILTER:-.}" || vrc=$?
		read -r p f s 2>/dev/null <"$res/$suite.summary" || { p=0 f=1 s=0; }
		;;
	blob)
		# shellcheck disable=SC2086
		"$TOP/scripts/vm.sh" -k "$kb" -t 900 -r "$res" -a "$params" -- \
			"$TOP/scripts/suites/blob.sh" "$suite" "$(blob_expect "$v" "$unsafe" "$flavour")" \
			"$(ttm_pages "$v")" "$(blob_huge "$v" "$flavour")" ${BLOB_SIZES:-} || vrc=$?
		read -r p f s 2>/dev/null <"$res/$suite.summary" || { p=0 f=1 s=0; }
		;;
	blob-selftests)
		"$TOP/scripts/vm.sh" -k "$kb" -t 900 -r "$res" -a "$params" -- \
			"$TOP/scripts/suites/blob-selftests.sh" "$suite" "$(blob_selftest_mode "$v")" \
			"$v$debug" "$(ttm_pages "$v")" || vrc=$?
		read -r p f s 2>/dev/null <"$res/$suite.summary" || { p=0 f=1 s=0; }
		;;
	igt)
		# the expectation lives beside the result directory (vm.sh
		# empties that), which may be this setting's first
		mkdir -p "${res%/*}"
		igt_expect "$v" "$unsafe" "$flavour" >"$res.expect"
		"$TOP/scripts/vm.sh" -k "$kb" -t 1800 -r "$res" -a "$params" -- \
			"$TOP/scripts/suites/igt.sh" "$suite" "$res.expect" || vrc=$?
		read -r p f s 2>/dev/null <"$res/$suite.summary" || { p=0 f=1 s=0; }
		;;
	warn)
		# LKDTM's WARNING must make vm.sh fail with status 2 and name the line.
		"$TOP/scripts/vm.sh" -k "$kb" -t 300 -r "$res" -a "$params" -- \
			sh -c 'echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT' || vrc=$?
		if [ $vrc = 2 ] && grep -q 'WARNING:' "$res/splats.txt"; then
			p=1 f=0 s=0
		else
			log "warn: expected vm.sh status 2 with a WARNING line, got $vrc"
			p=0 f=1 s=0
		fi
		vrc=0
		;;
	*) die "unknown suite '$suite'" ;;
	esac
	if [ "$vrc" = 2 ] || [ "$vrc" = 3 ]; then
		f=$((f + 1)) # the kernel log or the VM itself failed the run
	fi
	if [ "$vrc" != 0 ] && [ "$vrc" != 4 ] && [ "$f" = 0 ]; then
		f=1
	fi
	if [ "$f" != 0 ]; then
		rc=1
		failed "$suite" "$res" "$vrc" || log "$suite: could not list its failures"
		log "$suite failed: see $res/ (output.log, console.log)"
	fi
	record "$suite" "$p" "$f" "$s" "$(( $(date +%s) - start ))"
done
exit $rc
