// SPDX-License-Identifier: GPL-2.0
/*
 * xsetbvprobe: does XSETBV in a KVM guest exit to KVM?
 *
 *   xsetbvprobe
 *
 * KVM lets the guest's XCR0 live in the hardware register only while the
 * guest runs: it loads its copy (vcpu->arch.xcr0) before every VM entry
 * and the host's value after every VM exit, and it learns the guest's
 * value from the XSETBV intercept, which both SVM and VMX take always.
 * If the CPU runs a guest's XSETBV without the intercept, KVM's copy goes
 * stale and the next VM exit, of any kind, silently reverts the guest's
 * XCR0 to it. QEMU's TCG emulation of SVM did not check that intercept
 * before QEMU 8.2 (commit "target/i386: check intercept for XSETBV"), so
 * a KVM running inside QEMU 7.2 has exactly this problem.
 *
 * The probe runs a real-mode guest with CR4.OSXSAVE set that writes
 * XCR0 = x87|SSE, reads it back, exits to userspace (OUT), and reads it
 * again after the exit. It prints one PROBE line with the three values:
 * the guest's reading, KVM's copy (KVM_GET_XCRS) and the guest's reading
 * after the exit. Exit: 0 XSETBV exits to KVM, 1 it does not (the
 * guest's XCR0 is not preserved across VM exits), 2 error, 4 skip (no
 * /dev/kvm, no XSAVE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define KSFT_SKIP 4
#define MEM_SIZE 0x10000UL
#define CODE_GPA 0x1000UL
#define X86_CR4_OSXSAVE (1UL << 18)
#define XCR0_X87_SSE 0x3ULL
#define CPUID_1_ECX_XSAVE (1U << 26)
#define PORT_AFTER_SET 0x10
#define PORT_AFTER_EXIT 0x11

/*
 * Real mode, CS = 0, IP = CODE_GPA. The 0x66 prefix selects 32-bit
 * operands.
 */
static const uint8_t guest_code[] = {
	0x66, 0x31, 0xc9,			/* xor    %ecx,%ecx */
	0x66, 0x31, 0xd2,			/* xor    %edx,%edx */
	0x66, 0xb8, 0x03, 0x00, 0x00, 0x00,	/* mov    $0x3,%eax */
	0x0f, 0x01, 0xd1,			/* xsetbv */
	0x0f, 0x01, 0xd0,			/* xgetbv */
	0x66, 0x89, 0xc3,			/* mov    %eax,%ebx */
	0xe6, PORT_AFTER_SET,			/* out    %al,$0x10 */
	0x0f, 0x01, 0xd0,			/* xgetbv */
	0xe6, PORT_AFTER_EXIT,			/* out    %al,$0x11 */
	0xf4,					/* hlt */
};

static void die(const char *what)
{
	fprintf(stderr, "xsetbvprobe: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void skip(const char *why)
{
	printf("PROBE xsetbv: SKIP (%s)\n", why);
	exit(KSFT_SKIP);
}

static struct kvm_cpuid2 *supported_cpuid(int kvm)
{
	int nent = 256;
	struct kvm_cpuid2 *c;

	for (;;) {
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			die("calloc");
		c->nent = nent;
		if (!ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID");
		free(c);
		nent *= 2;
	}
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c,
					   uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

/* Run until the guest's OUT to @port; return the guest's RBX and RAX. */
static void run_to_port(int vcpu, struct kvm_run *run, uint16_t port,
			struct kvm_regs *regs)
{
	if (ioctl(vcpu, KVM_RUN, 0))
		die("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != port) {
		fprintf(stderr,
			"xsetbvprobe: expected an exit for OUT to port 0x%x, got exit_reason %u (io port 0x%x)\n",
			port, run->exit_reason,
			run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
		exit(2);
	}
	if (ioctl(vcpu, KVM_GET_REGS, regs))
		die("KVM_GET_REGS");
}

int main(void)
{
	struct kvm_userspace_memory_region region = { 0 };
	const struct kvm_cpuid_entry2 *l1, *ld;
	uint64_t set_seen, kvm_copy, after_exit;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_xcrs xcrs;
	struct kvm_cpuid2 *cpuid;
	struct kvm_run *run;
	int kvm, vm, vcpu;
	long run_size;
	uint8_t *mem;
	uint32_t i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		skip("no /dev/kvm");
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		skip("no KVM_CAP_XCRS");
	cpuid = supported_cpuid(kvm);
	l1 = leaf(cpuid, 1, 0);
	ld = leaf(cpuid, 0xd, 0);
	if (!l1 || !(l1->ecx & CPUID_1_ECX_XSAVE) || !ld ||
	    (ld->eax & XCR0_X87_SSE) != XCR0_X87_SSE)
		skip("KVM does not offer XSAVE with x87 and SSE state");

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memcpy(mem + CODE_GPA, guest_code, sizeof(guest_code));
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (long)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap(kvm_run)");
	/* Offer the guest what KVM supports, XSAVE included. */
	for (i = 0; i < cpuid->nent; i++)
		cpuid->entries[i].flags &= ~KVM_CPUID_FLAG_STATE_READ_NEXT;
	if (ioctl(vcpu, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.cr4 |= X86_CR4_OSXSAVE;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");

	run_to_port(vcpu, run, PORT_AFTER_SET, &regs);
	set_seen = regs.rbx & 0xffffffffULL;
	if (ioctl(vcpu, KVM_GET_XCRS, &xcrs))
		die("KVM_GET_XCRS");
	kvm_copy = 0;
	for (i = 0; i < xcrs.nr_xcrs; i++)
		if (xcrs.xcrs[i].xcr == 0)
			kvm_copy = xcrs.xcrs[i].value;
	run_to_port(vcpu, run, PORT_AFTER_EXIT, &regs);
	after_exit = regs.rax & 0xffffffffULL;

	printf("PROBE xsetbv: guest wrote XCR0=0x%llx and read 0x%llx; KVM's copy 0x%llx; guest read 0x%llx after a VM exit\n",
	       XCR0_X87_SSE, (unsigned long long)set_seen,
	       (unsigned long long)kvm_copy, (unsigned long long)after_exit);
	if (set_seen != XCR0_X87_SSE) {
		fprintf(stderr, "xsetbvprobe: the guest's XSETBV did not take effect\n");
		return 2;
	}
	if (kvm_copy == XCR0_X87_SSE && after_exit == XCR0_X87_SSE) {
		printf("PROBE xsetbv: ok, XSETBV exits to KVM\n");
		return 0;
	}
	printf("PROBE xsetbv: DEFECT, XSETBV did not exit to KVM: a VM exit reverts the guest's XCR0 to KVM's stale copy (QEMU before 8.2 does not check the SVM XSETBV intercept)\n");
	return 1;
}
