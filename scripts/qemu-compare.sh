#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run one test in a loop inside VMs of two QEMUs at the same time, so that
# the machine's load falls on both alike, and count its failures by kind:
#
#   qemu-compare.sh -k BUILD -r RESULT_DIR [-n RUNS] [-p VMS] [-a PARAMS]
#                   [-o QEMU_BIN_DIR] [-q QEMU_BIN_DIR] -- TEST [ARGS...]
#
# One VM per QEMU (-p: more) boots the kernel of BUILD with PARAMS and runs
# TEST ARGS RUNS times (default 25), each try under a 300 s timeout. The
# first QEMU is the qemu-system-x86_64 in -o's directory (default: the
# one on PATH), the second the one in -q's (default /opt/qemu10/bin). The
# comparison of Documentation/testing.rst, "QEMU 7.2 and 10.0", ran
# Debian 12's 7.2 (then the system's) against 10.0.2 from
# bookworm-backports, extracted to /opt/qemu10 as described there; now
# that scripts/deps.sh installs 10.0, extract 7.2 the same way and name
# it with -o. vm.sh's QEMU version check does not apply here.
# The display device is vm.sh's for LINE: bochs-display with LINE=6.12,
# qxl-vga on mainline (TTM_DISPLAY chooses another). For example
#   LINE=6.12 scripts/qemu-compare.sh -k out/6.12/build/full -a kvm.tdp_mmu=0 \
#       -r /tmp/xapic -n 40 -- out/6.12/build/tests/kvm/x86_64/xapic_ipi_test
# RESULT_DIR/QEMU-VM/run-N.out keeps each try's output; a table of the
# counts and every failure's signature goes to stdout:
#   pass, deadline (xapic_ipi_test.c:182), ud (the guest's #UD),
#   stall (the churn test's "upper half" vCPU, with its RIP), shutdown
#   (a vCPU's unexpected SHUTDOWN exit), xsetbv-lost (xsetbvprobe's
#   status 1), timeout, other.
# With -s, only the table of an existing RESULT_DIR is printed.
. "$(dirname "$0")/lib.sh"

# guest side: --guest RUNS TEST ARGS... (the VM's command, in its result
# directory)
if [ "${1:-}" = --guest ]; then
	runs=$2
	shift 2
	set +e
	for i in $(seq 1 "$runs"); do
		timeout -k 5 300 "$@" >"run-$i.out" 2>&1 </dev/null
		echo "$?" >"run-$i.rc"
	done
	exit 0
fi

# classify OUT_FILE RC_FILE: one word, and the signature of a failure
classify() {
	local out=$1 rc
	rc=$(cat "$2" 2>/dev/null || echo missing)
	if [ "$rc" = 0 ]; then echo pass; return; fi
	if grep -q 'xapic_ipi_test.c:182' "$out"; then echo deadline
	elif grep -q "Unhandled exception '0x6'" "$out"; then echo ud
	elif grep -q 'in the upper half' "$out"; then
		echo "stall $(grep -o 'vCPU [0-9]* did not stop.*RIP 0x[0-9a-f]*' "$out" | head -1)"
	elif grep -q 'unexpected exit SHUTDOWN' "$out"; then
		echo "shutdown $(grep -o 'vCPU [0-9]*: unexpected exit SHUTDOWN (gpa 0x[0-9a-f]*)' "$out" | head -1)"
	elif [ "$rc" = 1 ] && grep -q '^PROBE xsetbv' "$out"; then echo "xsetbv-lost"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo timeout
	else echo "other rc=$rc: $(grep -v '^#' "$out" | grep -m1 -iE 'assert|fail|error' | cut -c1-100)"
	fi
}

table() {
	local d f
	shopt -s nullglob
	printf '%-14s %5s %5s  %s\n' VM runs fails kinds
	for d in "$res"/*/; do
		: >"$d/classes"
		for f in "$d"/run-*.rc; do
			echo "$(basename "$f" .rc): $(classify "${f%.rc}.out" "$f")" >>"$d/classes"
		done
		printf '%-14s %5d %5d  %s\n' "$(basename "$d")" \
			"$(wc -l <"$d/classes")" "$(grep -vc ': pass$' "$d/classes" || true)" \
			"$(cut -d' ' -f2 "$d/classes" | sort | uniq -c |
				awk '{ printf "%s%s %d", sep, $2, $1; sep = ", " }')"
		grep -v ': pass$' "$d/classes" | sed 's/^/    /' || true
		[ -f "$d/status" ] || echo "    (the VM did not finish: $(tail -1 "$d/console.log" 2>/dev/null | cut -c1-100))"
	done
}

kb='' res='' runs=25 vms=1 params='' odir='' qdir=/opt/qemu10/bin summary=0
while getopts "k:r:n:p:a:o:q:s" o; do
	case $o in
	k) kb=$OPTARG ;;
	r) res=$OPTARG ;;
	n) runs=$OPTARG ;;
	p) vms=$OPTARG ;;
	a) params=$OPTARG ;;
	o) odir=$OPTARG ;;
	q) qdir=$OPTARG ;;
	s) summary=1 ;;
	*) die "usage: qemu-compare.sh -k BUILD -r RESULT_DIR [-n RUNS] [-p VMS] [-a PARAMS] [-o QEMU_BIN_DIR] [-q QEMU_BIN_DIR] -- TEST [ARGS...]" ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
[ -n "$res" ] || die "-r RESULT_DIR missing"
if [ $summary = 1 ]; then
	table
	exit 0
fi
if [ -z "$kb" ] || [ $# = 0 ]; then
	die "usage: qemu-compare.sh -k BUILD -r RESULT_DIR ... -- TEST [ARGS...]"
fi
[ -x "$qdir/qemu-system-x86_64" ] || die "no qemu-system-x86_64 in $qdir"
[ -z "$odir" ] || [ -x "$odir/qemu-system-x86_64" ] || die "no qemu-system-x86_64 in $odir"
export TTMKVM_ANY_QEMU=1
opath=${odir:+$odir:}$PATH
mkdir -p "$res"
res=$(cd "$res" && pwd)
test=$(readlink -f "$1")
shift

v72=$(PATH=$opath qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
v10=$(PATH=$qdir:$PATH qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
[ "$v72" != "$v10" ] || die "both QEMUs are $v72: name the other with -o or -q"
log "QEMU $v72 (${odir:-PATH}) and $v10 ($qdir), $vms VM(s) each, $runs runs of $test $*"
pids=()
for i in $(seq 1 "$vms"); do
	PATH=$opath "$TOP/scripts/vm.sh" -k "$kb" ${params:+-a "$params"} -t $((runs * 330 + 120)) \
		-r "$res/qemu$v72-$i" -- "$TOP/scripts/qemu-compare.sh" --guest "$runs" "$test" "$@" &
	pids+=($!)
	PATH=$qdir:$PATH "$TOP/scripts/vm.sh" -k "$kb" ${params:+-a "$params"} -t $((runs * 330 + 120)) \
		-r "$res/qemu$v10-$i" -- "$TOP/scripts/qemu-compare.sh" --guest "$runs" "$test" "$@" &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
[ $rc = 0 ] || log "a VM ended with status $rc (see its console.log)"
table
