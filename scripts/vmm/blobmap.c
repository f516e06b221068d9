// SPDX-License-Identifier: GPL-2.0
/*
 * blobmap - map DRM dumb buffers into a tiny KVM guest, page by page.
 *
 * This is the "VMM" half of a virtio-gpu blob passthrough scenario.  For
 * every requested size it creates a DRM dumb buffer (BO) on a TTM driver
 * (e.g. bochs), mmaps it, registers the mapping as KVM memslot 1 and runs
 * a minimal 32-bit flat protected-mode guest that reads and writes every
 * 4 KiB page of it.  Pages that KVM refuses to map (KVM_RUN fails with
 * EFAULT, with exit_reason KVM_EXIT_UNKNOWN or KVM_EXIT_MEMORY_FAULT) are
 * recorded and skipped.  Afterwards the host checks what the guest wrote,
 * prints per BO how many pages mapped and how the others failed, and can
 * compare that against an expectation:
 *
 *   heads:  only the first page of each TTM allocation block maps; the
 *           others fail with EFAULT and exit_reason KVM_EXIT_UNKNOWN
 *           (Linux 6.12: KVM cannot refcount tail pages),
 *   strict: only the first page of each TTM allocation block maps; the
 *           others fail with EFAULT and KVM_EXIT_MEMORY_FAULT for exactly
 *           that page (gpa, size 4096, flags 0): KVM refuses
 *           non-refcounted struct pages,
 *   heads-pmd: the heads, and every page of the first 2 MiB of each block
 *           of order >= 9; the others fail as with "heads" (6.12's KVM
 *           over the drm-ttm topic's 2 MiB mappings: a fault on a block
 *           head refcounts the folio and maps the host's PMD, the whole
 *           first 2 MiB, with one 2 MiB entry; a block's further PMDs
 *           start at a tail page and are refused),
 *   all:    every page maps and verifies.
 *
 * --anon replaces the BOs by memfd memory as a control run (expect "all");
 * --anon-holes additionally unmaps every page but the TTM block heads
 * while the guest runs, which imitates the 6.12 pattern (expect "heads")
 * and exercises the EFAULT paths without a DRM device.
 *
 * --anon-thp is a control run on private anonymous memory aligned to 2 MiB
 * (transparent huge pages, so KVM can map it with 2 MiB entries).
 *
 * --bench PASSES measures, after the page-by-page run: how KVM mapped the
 * slot (the VM's pages_2m/pages_4k stats and the vCPU's page faults, from
 * KVM's binary statistics) and, if every page mapped, how fast the guest
 * reads it: rounds of PASSES passes of one 4 KiB-strided load per page
 * (each load a new page, so the cost of the mapping level shows), timed
 * around KVM_RUN, until at least BENCH_MIN_SECS have gone by.
 * One BENCH line per BO, with the passes run.
 *
 * Exit codes: 0 ok, 1 expectation mismatch, 2 usage or setup error,
 * 4 skipped (no DRM device or no /dev/kvm).
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -static \
 *            -isystem <uapi headers>/include -o blobmap blobmap.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>

#define PAGE_SZ			4096ULL
#define SLOT0_SIZE		0x10000ULL	/* guest code slot, at gpa 0 */
#define CODE_GPA		0x1000ULL
#define BO_GPA			0x1000000ULL	/* 16 MiB */
#define MAX_BO_SIZE		(1ULL << 30)	/* keeps gpa end well below 4G */
#define TTM_MAX_ORDER		10		/* MAX_PAGE_ORDER on x86 */
#define PATTERN_BASE		0xB10B0000u
#define PROOF_XOR		0x5A5A5A5Au
#define MAX_SIZES		64
#define MAX_MISMATCH_LINES	5
#define MAX_CONSEC_OTHER	16
#define MAX_OTHER_PRINTS	3
#define WATCHDOG_SECS		10		/* without progress */
#define BENCH_MIN_SECS		2.0		/* --bench: read for at least this long */
#define PROC_NAME		"blobmap"
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/*
 * Guest code, loaded at CODE_GPA; esi = BO gpa, edi = BO gpa end.
 *
 * Verified with "as --32" + "objdump -d -M intel":
 *
 *   00000000 <loop>:
 *      0:      8b 06                   mov    eax,DWORD PTR [esi]
 *      2:      35 5a 5a 5a 5a          xor    eax,0x5a5a5a5a
 *      7:      89 46 04                mov    DWORD PTR [esi+0x4],eax
 *      a:      81 c6 00 10 00 00       add    esi,0x1000
 *     10:      39 fe                   cmp    esi,edi
 *     12:      72 ec                   jb     0 <loop>
 *     14:      f4                      hlt
 */
static const unsigned char guest_code[] = {
	0x8b, 0x06,				/* loop: mov eax, [esi]     */
	0x35, 0x5a, 0x5a, 0x5a, 0x5a,		/* xor eax, 0x5a5a5a5a      */
	0x89, 0x46, 0x04,			/* mov [esi+4], eax         */
	0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,	/* add esi, 4096            */
	0x39, 0xfe,				/* cmp esi, edi             */
	0x72, 0xec,				/* jb loop                  */
	0xf4,					/* hlt                      */
};

#define GUEST_LOOP_GPA		(CODE_GPA + 0)

/*
 * --bench read loop, loaded at READ_LOOP_GPA; esi = ebx = BO gpa, edi = BO
 * gpa end, ecx = passes (as --32, objdump -d -M intel):
 *
 *   00000000 <loop>:
 *      0:      8b 06                   mov    eax,DWORD PTR [esi]
 *      2:      81 c6 00 10 00 00       add    esi,0x1000
 *      8:      39 fe                   cmp    esi,edi
 *      a:      72 f4                   jb     0 <loop>
 *      c:      89 de                   mov    esi,ebx
 *      e:      49                      dec    ecx
 *      f:      75 ef                   jne    0 <loop>
 *     11:      f4                      hlt
 */
static const unsigned char read_loop[] = {
	0x8b, 0x06,				/* loop: mov eax, [esi]     */
	0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,	/* add esi, 4096            */
	0x39, 0xfe,				/* cmp esi, edi             */
	0x72, 0xf4,				/* jb loop                  */
	0x89, 0xde,				/* mov esi, ebx             */
	0x49,					/* dec ecx                  */
	0x75, 0xef,				/* jnz loop                 */
	0xf4,					/* hlt                      */
};

#define READ_LOOP_GPA		(CODE_GPA + 0x100)

enum pg_state {
	PG_UNTESTED,	/* guest never got there (BO aborted) */
	PG_MAPPED,	/* guest accessed it without a KVM_RUN failure */
	PG_EFAULT,	/* KVM_RUN: EFAULT, exit_reason != MEMORY_FAULT */
	PG_MEMFAULT,	/* KVM_RUN: EFAULT + KVM_EXIT_MEMORY_FAULT */
	PG_OTHER,	/* other errno or unexpected exit */
};

enum expect {
	EXPECT_NONE,
	EXPECT_HEADS,
	EXPECT_HEADS_PMD,
	EXPECT_STRICT,
	EXPECT_ALL,
};

static const char *const expect_names[] = {
	[EXPECT_NONE] = "none",
	[EXPECT_HEADS] = "heads",
	[EXPECT_HEADS_PMD] = "heads-pmd",
	[EXPECT_STRICT] = "strict",
	[EXPECT_ALL] = "all",
};

struct page_res {
	unsigned char state;
	unsigned char bad;	/* host verification failed */
	unsigned char mf_exact;	/* memory fault: this page, 4096, flags 0 */
	int err;		/* KVM_RUN errno, 0 for an exit */
	__u32 exit_reason;
};

struct bo_result {
	unsigned long long req_size;	/* requested, rounded up to 4K */
	unsigned long long size;	/* what the driver allocated */
	size_t npages;
	struct page_res *pg;
	size_t mapped, efault, memfault, othererr, badverify, untested;
	size_t efault_unknown;		/* EFAULT with KVM_EXIT_UNKNOWN */
	size_t memfault_badgpa;
	long first_fail;
	/* --bench */
	bool benched;			/* stats read */
	unsigned long long pages_4k, pages_2m, pf_taken, pf_fixed;
	double read_secs;		/* < 0: not measured */
	unsigned long long read_passes;	/* passes in read_secs */
	char read_why[160];		/* why not */
	bool setup_failed;
	bool aborted;
	char why[160];			/* abort reason */
	char lbl[32];			/* human size */
};

struct ctx {
	const char *dev;
	bool anon;
	bool holes;
	bool thp;
	unsigned int bench_passes;
	int drm_fd;
	int kvm_fd;
	size_t run_size;
	void *slot0;
};

static volatile sig_atomic_t wd_ticks;

static void wd_handler(int sig)
{
	(void)sig;
	wd_ticks = wd_ticks + 1;
}

static int wd_arm(bool on)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	if (on) {
		it.it_interval.tv_sec = 1;
		it.it_value.tv_sec = 1;
		wd_ticks = 0;
	}
	return setitimer(ITIMER_REAL, &it, NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROC_NAME " [-d DEV] [-s SIZE]... [-j] [-x heads|heads-pmd|strict|all]\n"
		"               [--anon | --anon-holes | --anon-thp] [--bench PASSES]\n"
		"  -d DEV       DRM device (default /dev/dri/card0)\n"
		"  -s SIZE      BO size, suffix K or M allowed, rounded up to 4K;\n"
		"               repeatable (default: 4K 64K 2M 8M)\n"
		"  -j           also print one RESULT line per BO\n"
		"  -x heads     expect exactly the first page of each TTM block to map,\n"
		"               the others to fail with EFAULT, exit_reason 0 (6.12)\n"
		"  -x heads-pmd the same, but the first 2 MiB of each block of order\n"
		"               >= 9 maps whole (6.12 KVM over TTM's 2 MiB mappings)\n"
		"  -x strict    the same, but the others fail with EFAULT and\n"
		"               KVM_EXIT_MEMORY_FAULT for that page (the kvm topic)\n"
		"  -x all       expect every page to map and verify\n"
		"  --anon       control run: memfd memory instead of DRM BOs\n"
		"  --anon-holes like --anon, but non-head pages unmapped during the run\n"
		"  --anon-thp   control run: private anonymous memory, 2 MiB aligned (THP)\n"
		"  --bench PASSES  then print KVM's mapping of the slot and time\n"
		"               PASSES guest read passes over it (BENCH line)\n"
		"  -h           this help\n"
		"exit: 0 ok, 1 expectation mismatch, 2 setup/usage error, 4 skipped\n");
}

static int parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	}
	if (*end || !v || v > MAX_BO_SIZE / mul)
		return -1;
	v *= mul;
	v = (v + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	if (v > MAX_BO_SIZE)
		return -1;
	*out = v;
	return 0;
}

static void human_size(unsigned long long b, char *buf, size_t len)
{
	if (b && !(b % (1ULL << 30)))
		snprintf(buf, len, "%lluG", b >> 30);
	else if (b && !(b % (1ULL << 20)))
		snprintf(buf, len, "%lluM", b >> 20);
	else if (b && !(b % (1ULL << 10)))
		snprintf(buf, len, "%lluK", b >> 10);
	else
		snprintf(buf, len, "%llu", b);
}

static unsigned int fls_sz(size_t x)
{
	return x ? (unsigned int)(sizeof(long) * 8) - __builtin_clzl(x) : 0;
}

/*
 * TTM's pool allocates a BO of npages pages greedily in blocks of order
 * min(MAX_PAGE_ORDER, __fls(remaining)).  Mark the first page of each
 * block in is_head (may be NULL) and return the number of blocks. With
 * first_pmd, mark the whole first 2 MiB of each block of order >= 9: the
 * pages 6.12's KVM maps through the host's PMD when the guest touches the
 * block head first (-x heads-pmd).
 */
static size_t ttm_block_heads_pmd(size_t npages, unsigned char *is_head,
				  bool first_pmd)
{
	size_t idx = 0, remaining = npages, nblocks = 0;

	while (remaining) {
		unsigned int order = fls_sz(remaining) - 1;

		if (order > TTM_MAX_ORDER)
			order = TTM_MAX_ORDER;
		if (is_head)
			memset(is_head + idx, 1,
			       first_pmd && order >= 9 ? 512 : 1);
		nblocks++;
		idx += (size_t)1 << order;
		remaining -= (size_t)1 << order;
	}
	return nblocks;
}

static size_t ttm_block_heads(size_t npages, unsigned char *is_head)
{
	return ttm_block_heads_pmd(npages, is_head, false);
}

static const char *exit_name(__u32 r)
{
	switch (r) {
	case KVM_EXIT_UNKNOWN:		return "KVM_EXIT_UNKNOWN";
	case KVM_EXIT_EXCEPTION:	return "KVM_EXIT_EXCEPTION";
	case KVM_EXIT_IO:		return "KVM_EXIT_IO";
	case KVM_EXIT_HYPERCALL:	return "KVM_EXIT_HYPERCALL";
	case KVM_EXIT_DEBUG:		return "KVM_EXIT_DEBUG";
	case KVM_EXIT_HLT:		return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:		return "KVM_EXIT_MMIO";
	case KVM_EXIT_IRQ_WINDOW_OPEN:	return "KVM_EXIT_IRQ_WINDOW_OPEN";
	case KVM_EXIT_SHUTDOWN:		return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTR:		return "KVM_EXIT_INTR";
	case KVM_EXIT_INTERNAL_ERROR:	return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_SYSTEM_EVENT:	return "KVM_EXIT_SYSTEM_EVENT";
	case KVM_EXIT_MEMORY_FAULT:	return "KVM_EXIT_MEMORY_FAULT";
	}
	return "unnamed";
}

/* Describe an unexpected (successful) KVM_RUN exit into buf. */
static void describe_exit(const struct kvm_run *run, char *buf, size_t len)
{
	__u32 r = run->exit_reason;

	switch (r) {
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf, len, "exit %u (%s) hw reason 0x%llx cpu %u", r,
			 exit_name(r),
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			 run->fail_entry.cpu);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(buf, len, "exit %u (%s) suberror %u ndata %u", r,
			 exit_name(r), run->internal.suberror,
			 run->internal.ndata);
		break;
	case KVM_EXIT_MMIO:
		snprintf(buf, len, "exit %u (%s) %s gpa 0x%llx len %u", r,
			 exit_name(r), run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len);
		break;
	case KVM_EXIT_IO:
		snprintf(buf, len, "exit %u (%s) %s port 0x%x", r,
			 exit_name(r),
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.port);
		break;
	case KVM_EXIT_EXCEPTION:
		snprintf(buf, len, "exit %u (%s) vector %u error 0x%x", r,
			 exit_name(r), run->ex.exception, run->ex.error_code);
		break;
	default:
		snprintf(buf, len, "exit %u (%s)", r, exit_name(r));
		break;
	}
}

static void step_err(const char *lbl, const char *step, int err)
{
	fprintf(stderr, PROC_NAME ": [%s] %s failed: %s\n", lbl, step,
		strerror(err));
}

static int kvm_set_slot(int vm_fd, __u32 slot, __u64 gpa, __u64 size,
			void *hva)
{
	struct kvm_userspace_memory_region mr;

	memset(&mr, 0, sizeof(mr));
	mr.slot = slot;
	mr.guest_phys_addr = gpa;
	mr.memory_size = size;
	mr.userspace_addr = (__u64)(uintptr_t)hva;
	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr);
}

static void flat_seg(struct kvm_segment *s, __u16 sel, __u8 type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->l = 0;
	s->g = 1;
}

static int setup_vcpu(int vcpu_fd, const char *lbl, unsigned long long size)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs)) {
		step_err(lbl, "KVM_GET_SREGS", errno);
		return -1;
	}
	flat_seg(&sregs.cs, 0x8, 0xb);
	flat_seg(&sregs.ds, 0x10, 0x3);
	flat_seg(&sregs.es, 0x10, 0x3);
	flat_seg(&sregs.ss, 0x10, 0x3);
	flat_seg(&sregs.fs, 0x10, 0x3);
	flat_seg(&sregs.gs, 0x10, 0x3);
	sregs.cr0 = 1;		/* PE only: no paging, no caching quirks */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs)) {
		step_err(lbl, "KVM_SET_SREGS", errno);
		return -1;
	}

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = GUEST_LOOP_GPA;
	regs.rsi = BO_GPA;
	regs.rdi = BO_GPA + size;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs)) {
		step_err(lbl, "KVM_SET_REGS", errno);
		return -1;
	}
	return 0;
}

/* Record a KVM_RUN failure for page idx.  Returns true to abort the BO. */
static bool record_failure(struct bo_result *r, const struct kvm_run *run,
			   size_t idx, int err, unsigned int *nother)
{
	struct page_res *p = &r->pg[idx];
	unsigned long long pgpa = BO_GPA + idx * PAGE_SZ;

	p->err = err;
	p->exit_reason = run->exit_reason;

	if (err == EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		unsigned long long gpa = run->memory_fault.gpa;
		unsigned long long sz = run->memory_fault.size;
		bool inside = gpa >= pgpa && gpa < pgpa + PAGE_SZ;

		p->state = PG_MEMFAULT;
		p->mf_exact = gpa == pgpa && sz == PAGE_SZ &&
			      !run->memory_fault.flags;
		if (!inside)
			r->memfault_badgpa++;
		if (!r->memfault || (!inside && r->memfault_badgpa == 1))
			printf("[%s] page %zu: KVM_RUN EFAULT, %s gpa=0x%llx size=0x%llx flags=0x%llx (%s page gpa 0x%llx)\n",
			       r->lbl, idx, exit_name(run->exit_reason), gpa,
			       sz,
			       (unsigned long long)run->memory_fault.flags,
			       inside ? "inside" : "NOT inside", pgpa);
		r->memfault++;
		*nother = 0;
		return false;
	}
	if (err == EFAULT) {
		p->state = PG_EFAULT;
		if (!r->efault)
			printf("[%s] page %zu: KVM_RUN EFAULT, exit_reason %u (%s)\n",
			       r->lbl, idx, run->exit_reason,
			       exit_name(run->exit_reason));
		r->efault++;
		if (run->exit_reason == KVM_EXIT_UNKNOWN)
			r->efault_unknown++;
		*nother = 0;
		return false;
	}

	p->state = PG_OTHER;
	if (r->othererr < MAX_OTHER_PRINTS)
		printf("[%s] page %zu: KVM_RUN failed: %s, exit_reason %u (%s)\n",
		       r->lbl, idx, strerror(err), run->exit_reason,
		       exit_name(run->exit_reason));
	r->othererr++;
	if (++*nother >= MAX_CONSEC_OTHER) {
		snprintf(r->why, sizeof(r->why),
			 "%u consecutive KVM_RUN failures (last: %s)",
			 *nother, strerror(err));
		return true;
	}
	return false;
}

/*
 * Run the guest over the whole BO, skipping pages KVM refuses.  Returns
 * -1 only for setup failures (register ioctls, timer); guest trouble is
 * recorded in r.
 */
static int guest_loop(int vcpu_fd, struct kvm_run *run, struct bo_result *r)
{
	const unsigned long long start = BO_GPA, end = BO_GPA + r->size;
	unsigned int nother = 0;
	struct kvm_regs regs;
	size_t reached = 0;	/* pages below this were passed or recorded */
	size_t i, idx;
	int rc, err, ret = -1;

	if (wd_arm(true)) {
		step_err(r->lbl, "setitimer", errno);
		return -1;
	}

	for (;;) {
		rc = ioctl(vcpu_fd, KVM_RUN, 0);
		err = rc ? errno : 0;

		if (!rc && run->exit_reason == KVM_EXIT_HLT) {
			if (ioctl(vcpu_fd, KVM_GET_REGS, &regs)) {
				step_err(r->lbl, "KVM_GET_REGS", errno);
				goto out;
			}
			if (regs.rsi != end) {
				r->aborted = true;
				snprintf(r->why, sizeof(r->why),
					 "hlt with esi=0x%llx, expected 0x%llx",
					 (unsigned long long)regs.rsi, end);
				break;
			}
			reached = r->npages;
			break;
		}
		if ((!rc && run->exit_reason == KVM_EXIT_INTR) ||
		    (rc && (err == EINTR || err == EAGAIN))) {
			if (wd_ticks >= WATCHDOG_SECS) {
				r->aborted = true;
				snprintf(r->why, sizeof(r->why),
					 "no progress for %d s (guest stuck?)",
					 WATCHDOG_SECS);
				break;
			}
			continue;
		}

		/* Anything else is attributed to the page esi points at. */
		if (ioctl(vcpu_fd, KVM_GET_REGS, &regs)) {
			step_err(r->lbl, "KVM_GET_REGS", errno);
			goto out;
		}
		if (regs.rsi < start || regs.rsi >= end ||
		    (regs.rsi - start) % PAGE_SZ) {
			char ex[96];

			describe_exit(run, ex, sizeof(ex));
			r->aborted = true;
			r->othererr++;
			snprintf(r->why, sizeof(r->why),
				 "KVM_RUN %s (%s) with esi=0x%llx outside the BO",
				 rc ? strerror(err) : "ok", ex,
				 (unsigned long long)regs.rsi);
			break;
		}
		idx = (regs.rsi - start) / PAGE_SZ;

		if (!rc) {
			char ex[96];

			describe_exit(run, ex, sizeof(ex));
			r->pg[idx].state = PG_OTHER;
			r->pg[idx].exit_reason = run->exit_reason;
			r->othererr++;
			r->aborted = true;
			snprintf(r->why, sizeof(r->why),
				 "unexpected %s at page %zu", ex, idx);
			reached = idx;
			break;
		}

		reached = idx + 1;
		if (record_failure(r, run, idx, err, &nother)) {
			r->aborted = true;
			break;
		}
		wd_ticks = 0;

		/* Skip the refused page and restart the loop. */
		regs.rsi += PAGE_SZ;
		if (regs.rsi >= end)
			break;
		regs.rip = GUEST_LOOP_GPA;
		regs.rflags = 2;
		if (ioctl(vcpu_fd, KVM_SET_REGS, &regs)) {
			step_err(r->lbl, "KVM_SET_REGS", errno);
			goto out;
		}
	}

	for (i = 0; i < reached; i++)
		if (r->pg[i].state == PG_UNTESTED)
			r->pg[i].state = PG_MAPPED;
	ret = 0;
out:
	if (wd_arm(false) && !ret) {
		step_err(r->lbl, "setitimer", errno);
		ret = -1;
	}
	return ret;
}

/*
 * --anon-holes: punch the tail pages of every TTM block out of the memfd
 * mapping (memfd < 0), or map them back from the memfd at the same place.
 */
static int tails_op(unsigned char *bo, size_t npages, int memfd)
{
	size_t idx = 0, remaining = npages;

	while (remaining) {
		unsigned int order = fls_sz(remaining) - 1;
		unsigned char *addr;
		size_t n, len;
		void *p;

		if (order > TTM_MAX_ORDER)
			order = TTM_MAX_ORDER;
		n = (size_t)1 << order;
		addr = bo + (idx + 1) * PAGE_SZ;
		len = (n - 1) * PAGE_SZ;
		if (len && memfd < 0 && munmap(addr, len))
			return -1;
		if (len && memfd >= 0) {
			p = mmap(addr, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED_NOREPLACE, memfd,
				 (off_t)((idx + 1) * PAGE_SZ));
			if (p == MAP_FAILED)
				return -1;
			if (p != addr) {
				munmap(p, len);
				errno = EEXIST;
				return -1;
			}
		}
		idx += n;
		remaining -= n;
	}
	return 0;
}

static void fill_bo(unsigned char *bo, size_t npages)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		volatile __u32 *p = (volatile __u32 *)(bo + i * PAGE_SZ);

		p[0] = PATTERN_BASE ^ (__u32)i;
		p[1] = 0;
		p[2] = 0;
		p[3] = 0;
	}
	__sync_synchronize();	/* also drains write-combining buffers */
}

static void verify_bo(struct bo_result *r, const unsigned char *bo)
{
	bool first = true;
	size_t i;

	__sync_synchronize();
	for (i = 0; i < r->npages; i++) {
		const volatile __u32 *p =
			(const volatile __u32 *)(bo + i * PAGE_SZ);
		struct page_res *pg = &r->pg[i];
		__u32 pat = PATTERN_BASE ^ (__u32)i;
		__u32 want1, d0 = p[0], d1 = p[1], d2 = p[2], d3 = p[3];

		switch (pg->state) {
		case PG_MAPPED:
			want1 = pat ^ PROOF_XOR;
			break;
		case PG_EFAULT:
		case PG_MEMFAULT:
			want1 = 0;	/* refused pages must be untouched */
			break;
		default:
			continue;
		}
		if (d0 == pat && d1 == want1 && !d2 && !d3)
			continue;
		pg->bad = 1;
		r->badverify++;
		if (first)
			printf("[%s] page %zu (%s): verify error: %08x %08x %08x %08x, expected %08x %08x 0 0\n",
			       r->lbl, i,
			       pg->state == PG_MAPPED ? "mapped" : "refused",
			       d0, d1, d2, d3, pat, want1);
		first = false;
	}
}

static void count_bo(struct bo_result *r)
{
	size_t i;

	r->mapped = 0;
	r->untested = 0;
	r->first_fail = -1;
	for (i = 0; i < r->npages; i++) {
		switch (r->pg[i].state) {
		case PG_MAPPED:
			r->mapped++;
			break;
		case PG_UNTESTED:
			r->untested++;
			break;
		default:
			if (r->first_fail < 0)
				r->first_fail = (long)i;
			break;
		}
	}
}

/* Create, map, run and verify one BO.  Returns -1 on setup failure. */
/*
 * Read the statistics named in @names (u64 counters/instants) from a
 * KVM_GET_STATS_FD file of @fd (a VM or vCPU). Returns 0 if all were found.
 */
static int kvm_stats(int fd, const char *const *names, unsigned long long *vals,
		     size_t n)
{
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *d;
	size_t dsz, found = 0, i, j;
	char *descs = NULL;
	int sfd, ret = -1;
	__u64 v;

	sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);
	if (sfd < 0)
		return -1;
	if (pread(sfd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		goto out;
	dsz = sizeof(*d) + hdr.name_size;
	descs = calloc(hdr.num_desc, dsz);
	if (!descs)
		goto out;
	if (pread(sfd, descs, hdr.num_desc * dsz, hdr.desc_offset) !=
	    (ssize_t)(hdr.num_desc * dsz))
		goto out;
	for (i = 0; i < hdr.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * dsz);
		for (j = 0; j < n; j++) {
			if (strcmp(d->name, names[j]))
				continue;
			if (pread(sfd, &v, sizeof(v), hdr.data_offset + d->offset) !=
			    (ssize_t)sizeof(v))
				goto out;
			vals[j] = v;
			found++;
		}
	}
	ret = found == n ? 0 : -1;
out:
	free(descs);
	close(sfd);
	return ret;
}

/*
 * --bench: KVM's view of the slot after the page-by-page run, then the
 * timed read passes if every page mapped.
 */
static int bench_bo(struct ctx *c, int vm_fd, int vcpu_fd,
		    struct kvm_run *run, struct bo_result *r)
{
	static const char *const vm_names[] = { "pages_4k", "pages_2m" };
	static const char *const vcpu_names[] = { "pf_taken", "pf_fixed" };
	unsigned long long vm_vals[2], vcpu_vals[2];
	struct timespec t0, t1;
	struct kvm_regs regs;
	size_t i;
	int rc;

	r->read_secs = -1;
	if (kvm_stats(vm_fd, vm_names, vm_vals, 2) ||
	    kvm_stats(vcpu_fd, vcpu_names, vcpu_vals, 2)) {
		step_err(r->lbl, "KVM_GET_STATS_FD (pages_4k, pages_2m, pf_taken, pf_fixed)",
			 errno);
		return -1;
	}
	r->pages_4k = vm_vals[0];
	r->pages_2m = vm_vals[1];
	r->pf_taken = vcpu_vals[0];
	r->pf_fixed = vcpu_vals[1];
	r->benched = true;

	for (i = 0; i < r->npages; i++)
		if (r->pg[i].state != PG_MAPPED)
			break;
	if (r->aborted || i < r->npages) {
		snprintf(r->read_why, sizeof(r->read_why),
			 "page %zu did not map", i);
		return 0;
	}
	/*
	 * Rounds of PASSES passes until BENCH_MIN_SECS have gone by: a fixed
	 * number of passes took 1 to 4 s on one machine and 0.1 s on a faster
	 * one, where interrupts and scheduling then swamped the measurement.
	 */
	r->read_secs = 0;
	r->read_passes = 0;
	do {
		memset(&regs, 0, sizeof(regs));
		regs.rflags = 2;
		regs.rip = READ_LOOP_GPA;
		regs.rsi = BO_GPA;
		regs.rbx = BO_GPA;
		regs.rdi = BO_GPA + r->size;
		regs.rcx = c->bench_passes;
		if (ioctl(vcpu_fd, KVM_SET_REGS, &regs)) {
			step_err(r->lbl, "KVM_SET_REGS", errno);
			r->read_secs = -1;
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			rc = ioctl(vcpu_fd, KVM_RUN, 0);
		} while ((rc && (errno == EINTR || errno == EAGAIN)) ||
			 (!rc && run->exit_reason == KVM_EXIT_INTR));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc || run->exit_reason != KVM_EXIT_HLT) {
			char ex[96];

			describe_exit(run, ex, sizeof(ex));
			snprintf(r->read_why, sizeof(r->read_why),
				 "KVM_RUN %s (%s)", rc ? strerror(errno) : "ok",
				 ex);
			r->read_secs = -1;
			return -1;
		}
		r->read_secs += (double)(t1.tv_sec - t0.tv_sec) +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		r->read_passes += c->bench_passes;
	} while (r->read_secs < BENCH_MIN_SECS);
	return 0;
}

static int run_bo(struct ctx *c, struct bo_result *r)
{
	struct drm_mode_create_dumb creq;
	struct drm_mode_map_dumb mreq;
	struct drm_mode_destroy_dumb dreq;
	unsigned char *bo = MAP_FAILED;
	struct kvm_run *run = MAP_FAILED;
	bool have_handle = false, slot1 = false, ran = false;
	int vm_fd = -1, vcpu_fd = -1, memfd = -1, ret = -1;

	memset(&creq, 0, sizeof(creq));
	memset(&mreq, 0, sizeof(mreq));
	memset(&dreq, 0, sizeof(dreq));

	if (c->thp) {
		const size_t huge = 2UL << 20;
		unsigned char *raw, *al;

		r->size = r->req_size;
		raw = mmap(NULL, r->size + huge, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw == MAP_FAILED) {
			step_err(r->lbl, "mmap(anonymous)", errno);
			goto out;
		}
		al = (unsigned char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
		if (al > raw)
			munmap(raw, al - raw);
		if (al + r->size < raw + r->size + huge)
			munmap(al + r->size, raw + r->size + huge - (al + r->size));
		bo = al;
		if (madvise(bo, r->size, MADV_HUGEPAGE)) {
			step_err(r->lbl, "madvise(MADV_HUGEPAGE)", errno);
			goto out;
		}
	} else if (c->anon) {
		r->size = r->req_size;
		memfd = memfd_create(PROC_NAME, MFD_CLOEXEC);
		if (memfd < 0) {
			step_err(r->lbl, "memfd_create", errno);
			goto out;
		}
		if (ftruncate(memfd, (off_t)r->size)) {
			step_err(r->lbl, "ftruncate(memfd)", errno);
			goto out;
		}
		bo = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  memfd, 0);
		if (bo == MAP_FAILED) {
			step_err(r->lbl, "mmap(memfd)", errno);
			goto out;
		}
	} else {
		creq.width = 1024;
		creq.bpp = 32;
		creq.height = (__u32)(r->req_size / PAGE_SZ);
		if (ioctl(c->drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &creq)) {
			step_err(r->lbl, "DRM_IOCTL_MODE_CREATE_DUMB", errno);
			goto out;
		}
		have_handle = true;
		if (creq.size < r->req_size || creq.size % PAGE_SZ ||
		    creq.size > MAX_BO_SIZE) {
			fprintf(stderr, PROC_NAME ": [%s] DRM_IOCTL_MODE_CREATE_DUMB returned unusable size %llu (pitch %u) for %llu requested\n",
				r->lbl, (unsigned long long)creq.size,
				creq.pitch, r->req_size);
			goto out;
		}
		r->size = creq.size;
		if (r->size != r->req_size)
			printf("[%s] note: driver allocated %llu bytes (pitch %u), using that\n",
			       r->lbl, r->size, creq.pitch);

		mreq.handle = creq.handle;
		if (ioctl(c->drm_fd, DRM_IOCTL_MODE_MAP_DUMB, &mreq)) {
			step_err(r->lbl, "DRM_IOCTL_MODE_MAP_DUMB", errno);
			goto out;
		}
		bo = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  c->drm_fd, (off_t)mreq.offset);
		if (bo == MAP_FAILED) {
			step_err(r->lbl, "mmap(BO)", errno);
			goto out;
		}
	}
	r->npages = r->size / PAGE_SZ;
	r->pg = calloc(r->npages, sizeof(*r->pg));
	if (!r->pg) {
		step_err(r->lbl, "calloc", errno);
		goto out;
	}
	fill_bo(bo, r->npages);

	do {
		vm_fd = ioctl(c->kvm_fd, KVM_CREATE_VM, 0);
	} while (vm_fd < 0 && errno == EINTR);
	if (vm_fd < 0) {
		step_err(r->lbl, "KVM_CREATE_VM", errno);
		goto out;
	}
	if (kvm_set_slot(vm_fd, 0, 0, SLOT0_SIZE, c->slot0)) {
		step_err(r->lbl, "KVM_SET_USER_MEMORY_REGION(slot 0)", errno);
		goto out;
	}
	if (kvm_set_slot(vm_fd, 1, BO_GPA, r->size, bo)) {
		step_err(r->lbl, "KVM_SET_USER_MEMORY_REGION(slot 1, BO)",
			 errno);
		goto out;
	}
	slot1 = true;
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0) {
		step_err(r->lbl, "KVM_CREATE_VCPU", errno);
		goto out;
	}
	run = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu_fd, 0);
	if (run == MAP_FAILED) {
		step_err(r->lbl, "mmap(kvm_run)", errno);
		goto out;
	}
	if (setup_vcpu(vcpu_fd, r->lbl, r->size))
		goto out;
	/*
	 * Holes exist only around guest_loop(), so that no other mapping
	 * can land in them.
	 */
	if (c->holes && tails_op(bo, r->npages, -1)) {
		step_err(r->lbl, "munmap(tail pages)", errno);
		goto out;
	}
	if (!guest_loop(vcpu_fd, run, r))
		ran = true;
	if (ran && c->bench_passes && bench_bo(c, vm_fd, vcpu_fd, run, r))
		ran = false;
	if (c->holes && tails_op(bo, r->npages, memfd)) {
		step_err(r->lbl, "mmap(tail pages back)", errno);
		ran = false;	/* cannot look at the pages */
	}
	if (ran)
		ret = 0;
out:
	if (slot1 && kvm_set_slot(vm_fd, 1, BO_GPA, 0, bo)) {
		step_err(r->lbl, "KVM_SET_USER_MEMORY_REGION(delete slot 1)",
			 errno);
		ret = -1;
	}
	if (run != MAP_FAILED)
		munmap(run, c->run_size);
	if (vcpu_fd >= 0)
		close(vcpu_fd);
	if (vm_fd >= 0)
		close(vm_fd);
	if (ran) {
		verify_bo(r, bo);
		count_bo(r);
	}
	if (bo != MAP_FAILED)
		munmap(bo, r->size);
	if (memfd >= 0)
		close(memfd);
	if (have_handle) {
		dreq.handle = creq.handle;
		if (ioctl(c->drm_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dreq)) {
			step_err(r->lbl, "DRM_IOCTL_MODE_DESTROY_DUMB", errno);
			ret = -1;
		}
	}
	if (ret)
		r->setup_failed = true;
	return ret;
}

static const char *page_desc(const struct page_res *p, char *buf, size_t len)
{
	switch (p->state) {
	case PG_UNTESTED:
		return "untested (BO aborted)";
	case PG_MAPPED:
		return p->bad ? "mapped but verify failed" : "mapped";
	case PG_EFAULT:
		snprintf(buf, len, "failed (EFAULT, exit_reason %u%s)",
			 p->exit_reason, p->bad ? ", page modified" : "");
		return buf;
	case PG_MEMFAULT:
		snprintf(buf, len, "failed (EFAULT, KVM_EXIT_MEMORY_FAULT%s)",
			 p->bad ? ", page modified" : "");
		return buf;
	}
	if (p->err)
		snprintf(buf, len, "error (%s, exit_reason %u)",
			 strerror(p->err), p->exit_reason);
	else
		snprintf(buf, len, "error (unexpected exit %u %s)",
			 p->exit_reason, exit_name(p->exit_reason));
	return buf;
}

/* Returns the number of mismatching pages (or 1 for a failed BO). */
static size_t check_expect(const struct bo_result *r, enum expect e)
{
	unsigned char *heads = NULL;
	size_t i, n = 0;
	char buf[96];

	if (r->setup_failed) {
		printf("MISMATCH size=%llu: BO setup failed, nothing tested\n",
		       r->req_size);
		return 1;
	}
	if (e != EXPECT_ALL) {
		heads = calloc(r->npages, 1);
		if (!heads) {
			printf("MISMATCH size=%llu: out of memory for check\n",
			       r->size);
			return 1;
		}
		ttm_block_heads_pmd(r->npages, heads, e == EXPECT_HEADS_PMD);
	}
	for (i = 0; i < r->npages; i++) {
		const struct page_res *p = &r->pg[i];
		bool want_map = e == EXPECT_ALL || heads[i];
		bool ok;

		if (want_map)
			ok = p->state == PG_MAPPED && !p->bad;
		else if (e == EXPECT_STRICT)
			ok = p->state == PG_MEMFAULT && p->mf_exact && !p->bad;
		else
			ok = p->state == PG_EFAULT &&
			     p->exit_reason == KVM_EXIT_UNKNOWN && !p->bad;
		if (ok)
			continue;
		if (n < MAX_MISMATCH_LINES)
			printf("MISMATCH size=%llu page=%zu: expected %s, got %s\n",
			       r->size, i, want_map ? "mapped" :
			       e == EXPECT_STRICT ? "EFAULT with KVM_EXIT_MEMORY_FAULT for this page" :
			       "EFAULT with exit_reason 0",
			       page_desc(p, buf, sizeof(buf)));
		n++;
	}
	if (n > MAX_MISMATCH_LINES)
		printf("MISMATCH size=%llu: %zu more mismatching pages not shown\n",
		       r->size, n - MAX_MISMATCH_LINES);
	free(heads);
	return n;
}

/* True if exactly the TTM block heads mapped and all else was refused. */
static bool only_heads(const struct bo_result *r)
{
	unsigned char *heads;
	bool ok = true;
	size_t i;

	if (r->badverify)
		return false;
	heads = calloc(r->npages, 1);
	if (!heads)
		return false;
	ttm_block_heads(r->npages, heads);
	for (i = 0; i < r->npages && ok; i++) {
		unsigned char s = r->pg[i].state;

		ok = heads[i] ? s == PG_MAPPED :
				(s == PG_EFAULT || s == PG_MEMFAULT);
	}
	free(heads);
	return ok;
}

static void interpret(const struct bo_result *r)
{
	size_t nblocks;

	printf("%s: ", r->lbl);
	if (r->setup_failed) {
		printf("setup failed, not tested\n");
		return;
	}
	nblocks = ttm_block_heads(r->npages, NULL);
	if (r->mapped == r->npages && !r->badverify)
		printf("all pages mapped");
	else if (r->mapped == r->npages)
		printf("all pages mapped, but %zu failed verification",
		       r->badverify);
	else if (only_heads(r))
		printf("only block heads mapped (%zu block%s)", nblocks,
		       nblocks == 1 ? "" : "s");
	else if (!r->mapped)
		printf("no page mapped");
	else
		printf("mixed: %zu of %zu pages mapped (TTM layout has %zu block head%s)",
		       r->mapped, r->npages, nblocks, nblocks == 1 ? "" : "s");
	if (r->efault_unknown)
		printf("; %zu refused with EFAULT + KVM_EXIT_UNKNOWN",
		       r->efault_unknown);
	if (r->efault - r->efault_unknown)
		printf("; %zu refused with EFAULT + another exit_reason",
		       r->efault - r->efault_unknown);
	if (r->memfault)
		printf("; %zu refused with EFAULT + KVM_EXIT_MEMORY_FAULT",
		       r->memfault);
	if (r->memfault_badgpa)
		printf("; %zu memory faults reported a gpa outside the page",
		       r->memfault_badgpa);
	if (r->badverify && r->mapped != r->npages)
		printf("; %zu verify errors", r->badverify);
	if (r->othererr)
		printf("; %zu other errors", r->othererr);
	if (r->aborted)
		printf("; ABORTED: %s, %zu pages untested", r->why,
		       r->untested);
	printf("\n");
}

static void print_result_line(const struct bo_result *r)
{
	if (r->setup_failed) {
		printf("RESULT size=%llu pages=%llu mapped=0 efault=0 memfault=0 othererr=0 badverify=0 first_fail_page=-1 setup_error=1\n",
		       r->req_size, r->req_size / PAGE_SZ);
		return;
	}
	printf("RESULT size=%llu pages=%zu mapped=%zu efault=%zu memfault=%zu othererr=%zu badverify=%zu first_fail_page=%ld",
	       r->size, r->npages, r->mapped, r->efault, r->memfault,
	       r->othererr, r->badverify, r->first_fail);
	if (r->untested)
		printf(" untested=%zu", r->untested);
	printf("\n");
}

/*
 * BENCH size=B kind=bo|anon|anon-thp pages_2m=N pages_4k=N share_2m=PCT pf_taken=N
 * pf_fixed=N passes=N seconds=S mpages_per_s=X (or read=n/a why=...)
 */
static void print_bench_line(const struct bo_result *r, const char *kind,
			     unsigned int passes)
{
	unsigned long long huge;

	if (!r->benched) {
		printf("BENCH size=%llu kind=%s setup_error=1\n", r->req_size,
		       kind);
		return;
	}
	/* slot 0 (64 KiB) never takes a 2 MiB mapping: all of them are the BO's */
	huge = r->pages_2m * (2ULL << 20);
	if (huge > r->size)
		huge = r->size;
	printf("BENCH size=%llu kind=%s pages_2m=%llu pages_4k=%llu share_2m=%.1f pf_taken=%llu pf_fixed=%llu passes=%llu",
	       r->size, kind, r->pages_2m, r->pages_4k,
	       100.0 * (double)huge / (double)r->size, r->pf_taken,
	       r->pf_fixed, r->read_secs >= 0 ? r->read_passes : passes);
	if (r->read_secs >= 0)
		printf(" seconds=%.3f mpages_per_s=%.3f\n", r->read_secs,
		       (double)r->npages * r->read_passes / r->read_secs / 1e6);
	else
		printf(" read=n/a why=\"%s\"\n", r->read_why);
}

static void read_param(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "%s", errno == ENOENT ? "absent" :
			 strerror(errno));
		return;
	}
	n = read(fd, buf, len - 1);
	if (n < 0) {
		snprintf(buf, len, "unreadable (%s)", strerror(errno));
	} else {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	close(fd);
}

static int drm_version(int fd, char *out, size_t len)
{
	char name[64], desc[128];
	struct drm_version v;

	memset(&v, 0, sizeof(v));
	v.name = name;
	v.name_len = sizeof(name) - 1;
	v.desc = desc;
	v.desc_len = sizeof(desc) - 1;
	if (ioctl(fd, DRM_IOCTL_VERSION, &v))
		return -1;
	name[v.name_len < sizeof(name) ? v.name_len : sizeof(name) - 1] = '\0';
	desc[v.desc_len < sizeof(desc) ? v.desc_len : sizeof(desc) - 1] = '\0';
	snprintf(out, len, "%s %d.%d.%d (%s)", name, v.version_major,
		 v.version_minor, v.version_patchlevel, desc);
	return 0;
}

static bool open_missing(int err)
{
	return err == ENOENT || err == ENODEV || err == ENXIO;
}

static int selftest_heads(const unsigned long long *sizes, size_t nsizes)
{
	size_t i, j, tot_pages = 0, tot_heads = 0;

	for (i = 0; i < nsizes; i++) {
		size_t npages = sizes[i] / PAGE_SZ, nb;
		unsigned char *heads = calloc(npages, 1);
		char lbl[32];

		if (!heads) {
			perror(PROC_NAME ": calloc");
			return 2;
		}
		nb = ttm_block_heads(npages, heads);
		human_size(sizes[i], lbl, sizeof(lbl));
		printf("HEADS size=%llu (%s) pages=%zu blocks=%zu heads={",
		       sizes[i], lbl, npages, nb);
		for (j = 0; j < npages; j++)
			if (heads[j])
				printf("%s%zu", j ? ", " : "", j);
		printf("}\n");
		free(heads);
		tot_pages += npages;
		tot_heads += nb;
	}
	printf("HEADS total pages=%zu heads=%zu\n", tot_pages, tot_heads);
	return 0;
}

enum {
	OPT_SELFTEST_HEADS = 256,
	OPT_ANON,
	OPT_ANON_HOLES,
	OPT_ANON_THP,
	OPT_BENCH,
};

int main(int argc, char **argv)
{
	static const unsigned long long def_sizes[] = {
		4ULL << 10, 64ULL << 10, 2ULL << 20, 8ULL << 20,
	};
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "anon", no_argument, NULL, OPT_ANON },
		{ "anon-holes", no_argument, NULL, OPT_ANON_HOLES },
		{ "selftest-heads", no_argument, NULL, OPT_SELFTEST_HEADS },
		{ "anon-thp", no_argument, NULL, OPT_ANON_THP },
		{ "bench", required_argument, NULL, OPT_BENCH },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long sizes[MAX_SIZES];
	struct bo_result *res = NULL;
	struct ctx c = { .dev = "/dev/dri/card0", .drm_fd = -1, .kvm_fd = -1,
			 .slot0 = MAP_FAILED };
	enum expect expect = EXPECT_NONE;
	bool json = false, selftest = false, setup_failed = false;
	char drmver[256], unsafe[64];
	size_t nsizes = 0, i, mism = 0;
	struct sigaction sa;
	struct utsname uts;
	int opt, rc = 2, v;

	setvbuf(stdout, NULL, _IOLBF, 0);

	while ((opt = getopt_long(argc, argv, "d:s:jx:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			c.dev = optarg;
			break;
		case 's':
			if (nsizes >= MAX_SIZES) {
				fprintf(stderr, PROC_NAME ": at most %d -s options\n",
					MAX_SIZES);
				return 2;
			}
			if (parse_size(optarg, &sizes[nsizes])) {
				fprintf(stderr, PROC_NAME ": bad size '%s' (1 byte .. 1G, suffix K or M)\n",
					optarg);
				return 2;
			}
			nsizes++;
			break;
		case 'j':
			json = true;
			break;
		case 'x':
			if (!strcmp(optarg, "heads")) {
				expect = EXPECT_HEADS;
			} else if (!strcmp(optarg, "heads-pmd")) {
				expect = EXPECT_HEADS_PMD;
			} else if (!strcmp(optarg, "strict")) {
				expect = EXPECT_STRICT;
			} else if (!strcmp(optarg, "all")) {
				expect = EXPECT_ALL;
			} else {
				fprintf(stderr, PROC_NAME ": -x takes 'heads', 'heads-pmd', 'strict' or 'all'\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_ANON_THP:
			c.thp = true;
			c.anon = true;
			break;
		case OPT_ANON_HOLES:
			c.holes = true;
			/* fall through */
		case OPT_ANON:
			c.anon = true;
			break;
		case OPT_SELFTEST_HEADS:
			selftest = true;
			break;
		case OPT_BENCH: {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || !n || n > 1000000) {
				fprintf(stderr, PROC_NAME ": --bench takes a pass count, 1 .. 1000000\n");
				return 2;
			}
			c.bench_passes = (unsigned int)n;
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!nsizes) {
		nsizes = ARRAY_SIZE(def_sizes);
		memcpy(sizes, def_sizes, sizeof(def_sizes));
	}
	if (selftest)
		return selftest_heads(sizes, nsizes);

	if (!c.anon) {
		c.drm_fd = open(c.dev, O_RDWR | O_CLOEXEC);
		if (c.drm_fd < 0) {
			if (open_missing(errno)) {
				printf("SKIP: %s: %s\n", c.dev, strerror(errno));
				return 4;
			}
			fprintf(stderr, PROC_NAME ": open %s failed: %s\n",
				c.dev, strerror(errno));
			return 2;
		}
		if (drm_version(c.drm_fd, drmver, sizeof(drmver))) {
			fprintf(stderr, PROC_NAME ": DRM_IOCTL_VERSION on %s failed: %s\n",
				c.dev, strerror(errno));
			goto out;
		}
	} else {
		snprintf(drmver, sizeof(drmver), "none (%s control run)",
			 c.thp ? "--anon-thp" : c.holes ? "--anon-holes" : "--anon");
	}

	c.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (c.kvm_fd < 0) {
		if (open_missing(errno)) {
			printf("SKIP: /dev/kvm: %s\n", strerror(errno));
			rc = 4;
			goto out;
		}
		fprintf(stderr, PROC_NAME ": open /dev/kvm failed: %s\n",
			strerror(errno));
		goto out;
	}
	v = ioctl(c.kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		fprintf(stderr, PROC_NAME ": KVM_GET_API_VERSION: got %d (%s), want %d\n",
			v, v < 0 ? strerror(errno) : "mismatch",
			KVM_API_VERSION);
		goto out;
	}
	v = ioctl(c.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (v < (int)sizeof(struct kvm_run)) {
		fprintf(stderr, PROC_NAME ": KVM_GET_VCPU_MMAP_SIZE: %s\n",
			v < 0 ? strerror(errno) : "too small");
		goto out;
	}
	c.run_size = (size_t)v;

	c.slot0 = mmap(NULL, SLOT0_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.slot0 == MAP_FAILED) {
		perror(PROC_NAME ": mmap(guest code)");
		goto out;
	}
	memcpy((unsigned char *)c.slot0 + CODE_GPA, guest_code,
	       sizeof(guest_code));
	memcpy((unsigned char *)c.slot0 + READ_LOOP_GPA, read_loop,
	       sizeof(read_loop));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wd_handler;
	sa.sa_flags = SA_RESTART;	/* KVM_RUN still returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL)) {
		perror(PROC_NAME ": sigaction(SIGALRM)");
		goto out;
	}

	if (uname(&uts)) {
		perror(PROC_NAME ": uname");
		goto out;
	}
	read_param("/sys/module/kvm/parameters/allow_unsafe_mappings",
		   unsafe, sizeof(unsafe));
	v = ioctl(c.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_FAULT_INFO);
	printf("blobmap: kernel %s, drm %s on %s, kvm allow_unsafe_mappings=%s, KVM_CAP_MEMORY_FAULT_INFO=%d\n",
	       uts.release, drmver, c.anon ? "-" : c.dev, unsafe, v);

	res = calloc(nsizes, sizeof(*res));
	if (!res) {
		perror(PROC_NAME ": calloc");
		goto out;
	}
	for (i = 0; i < nsizes; i++) {
		res[i].req_size = sizes[i];
		human_size(sizes[i], res[i].lbl, sizeof(res[i].lbl));
		if (run_bo(&c, &res[i]))
			setup_failed = true;
	}

	printf("%-6s %7s %7s %16s %22s %14s %6s\n", "size", "pages", "mapped",
	       "refused(EFAULT)", "refused(MEMORY_FAULT)", "verify-errors",
	       "other");
	for (i = 0; i < nsizes; i++) {
		const struct bo_result *r = &res[i];

		if (r->setup_failed) {
			printf("%-6s %7llu %7s %16s %22s %14s %6s\n", r->lbl,
			       r->req_size / PAGE_SZ, "-", "-", "-", "-",
			       "setup failed");
			continue;
		}
		printf("%-6s %7zu %7zu %16zu %22zu %14zu %6zu\n", r->lbl,
		       r->npages, r->mapped, r->efault, r->memfault,
		       r->badverify, r->othererr);
	}
	for (i = 0; i < nsizes; i++)
		interpret(&res[i]);
	if (json)
		for (i = 0; i < nsizes; i++)
			print_result_line(&res[i]);
	for (i = 0; i < nsizes && c.bench_passes; i++)
		print_bench_line(&res[i], c.thp ? "anon-thp" : c.anon ? "anon" : "bo",
				 c.bench_passes);
	if (expect != EXPECT_NONE)
		for (i = 0; i < nsizes; i++)
			mism += check_expect(&res[i], expect);

	if (setup_failed)
		rc = 2;
	else if (mism)
		rc = 1;
	else
		rc = 0;
	if (expect != EXPECT_NONE && !setup_failed)
		printf("EXPECT %s: %s\n", expect_names[expect],
		       mism ? "MISMATCH" : "ok");
out:
	if (res) {
		for (i = 0; i < nsizes; i++)
			free(res[i].pg);
		free(res);
	}
	if (c.slot0 != MAP_FAILED)
		munmap(c.slot0, SLOT0_SIZE);
	if (c.kvm_fd >= 0)
		close(c.kvm_fd);
	if (c.drm_fd >= 0)
		close(c.drm_fd);
	return rc;
}
