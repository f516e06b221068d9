# SPDX-License-Identifier: GPL-2.0
# Guest side, sourced by the suites: describe the tasks of a test that hangs,
# and the KVM trace events around it.

# task_dump PID PREFIX: each task of PID (name, state, wait channel) and its
# kernel stack, every line starting with PREFIX
task_dump() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "$2task ${t##*/} ($(cat "$t/comm" 2>/dev/null)): state $(awk '{ print $3 }' "$t/stat" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null)"
		sed "s/^/$2  /" "$t/stack" 2>/dev/null
	done
}

# kvm_events: whether the guest kernel has KVM trace events (mounting
# tracefs at /sys/kernel/tracing if needed)
kvm_events() {
	[ -d /sys/kernel/tracing/events ] ||
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	[ -d /sys/kernel/tracing/events/kvm ]
}

# kvm_trace: one second of the KVM trace events of the whole guest kernel,
# counted by event and exit reason, and the last lines (what a vCPU that
# exits without faulting is doing)
kvm_trace() {
	local t=/sys/kernel/tracing
	kvm_events || { echo "# no KVM trace events"; return; }
	echo 1024 >$t/buffer_size_kb
	echo >$t/trace
	echo 1 >$t/events/kvm/enable
	echo 1 >$t/events/kvmmmu/enable 2>/dev/null
	sleep 1
	echo 0 >$t/events/kvm/enable
	echo 0 >$t/events/kvmmmu/enable 2>/dev/null
	echo "# KVM events in 1 s (count, event, vCPU and exit reason):"
	grep -v '^#' $t/trace | awk '{ r = ""; if ($5 == "kvm_exit:") r = "vcpu " $7 " " $9
		c[$5 " " r]++ } END { for (k in c) print c[k], k }' | sort -rn | head -20 | sed 's/^/#   /'
	echo "# the last 30:"
	grep -v '^#' $t/trace | tail -30 | cut -c1-200 | sed 's/^/#   /'
	echo >$t/trace
}

# record_kvm on|print|has ERE|off: record the KVM trace events (not
# kvmmmu's, which are many) in the trace ring, which keeps the last 2 MiB
# per CPU; print its last 150 lines of vCPU events; say whether a recorded
# line matches ERE; stop and clear it. No trace events: nothing (and has
# fails).
record_kvm() {
	local t=/sys/kernel/tracing
	kvm_events || { [ "$1" != has ]; return; }
	case $1 in
	on)
		echo 2048 >$t/buffer_size_kb
		echo >$t/trace
		echo 1 >$t/events/kvm/enable
		;;
	print)
		# without the host's unmaps, which the test's exit floods
		echo "# the last KVM events of the guest kernel (mmu notifier unmaps left out):"
		grep -v -e '^#' -e kvm_unmap_hva_range -e kvm_age_hva -e kvm_test_age_hva $t/trace |
			tail -150 | cut -c1-200 | sed 's/^/#   /'
		;;
	has)
		grep -qE -- "$2" $t/trace
		;;
	off)
		echo 0 >$t/events/kvm/enable
		echo >$t/trace
		;;
	esac
}
