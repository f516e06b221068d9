// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "igt.h"

/*
 * After igt.h: IGT defines _AC itself (include/linux_scaffold.h) and stops
 * the build if a uapi header (<linux/const.h>) defined it first.
 */
#include <linux/kvm.h>

#include "bo_kvm_helper.h"

/* Linux 6.8 added the memory fault exit; older uapi headers lack it. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT		39
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO	232
#endif

/*
 * The payload of KVM_EXIT_MEMORY_FAULT in kvm_run's exit union, spelled
 * out so that the test builds against any uapi header.
 */
struct memory_fault_exit {
	uint64_t flags;
	uint64_t gpa;
	uint64_t size;
};

#define CODE_SLOT_SIZE		0x10000ull	/* memslot 0, at gpa 0 */
#define CODE_GPA		0x1000ull
#define WATCHDOG_SECONDS	60		/* without a single exit */

/*
 * esi: gpa of the first page, edi: end of the memslot.
 *
 *	0:  8b 06              mov  eax, [esi]
 *	2:  f7 d0              not  eax
 *	4:  89 46 04           mov  [esi + 4], eax
 *	7:  89 86 fc 0f 00 00  mov  [esi + 0xffc], eax
 *	d:  81 c6 00 10 00 00  add  esi, 0x1000
 *	13: 39 fe              cmp  esi, edi
 *	15: 72 e9              jb   0
 *	17: f4                 hlt
 */
static const uint8_t guest_code[] = {
	0x8b, 0x06,
	0xf7, 0xd0,
	0x89, 0x46, 0x04,
	0x89, 0x86, 0xfc, 0x0f, 0x00, 0x00,
	0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,
	0x39, 0xfe,
	0x72, 0xe9,
	0xf4,
};

#define LAST_DWORD	(BO_KVM_PAGE_SIZE / sizeof(uint32_t) - 1)

/**
 * bo_kvm_open:
 *
 * Returns: an fd of /dev/kvm with the expected API version, or a negative
 * errno (-ENOENT, -ENODEV, -EACCES, ...; -EPROTO for a version mismatch).
 */
int bo_kvm_open(void)
{
	int fd, version;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		igt_debug("KVM_GET_API_VERSION: %d, expected %d\n",
			  version, KVM_API_VERSION);
		close(fd);
		return -EPROTO;
	}

	return fd;
}

/**
 * bo_kvm_memory_fault_info:
 * @kvm_fd: fd of /dev/kvm
 *
 * Returns: what KVM_CHECK_EXTENSION says about KVM_CAP_MEMORY_FAULT_INFO.
 */
int bo_kvm_memory_fault_info(int kvm_fd)
{
	return ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_FAULT_INFO);
}

/**
 * bo_kvm_unsafe_mappings:
 * @buf: buffer
 * @len: its size
 *
 * Returns: @buf holding the value of the kvm.allow_unsafe_mappings module
 * parameter, or "absent" when this kernel has no such parameter.
 */
const char *bo_kvm_unsafe_mappings(char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open("/sys/module/kvm/parameters/allow_unsafe_mappings",
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "%s",
			 errno == ENOENT ? "absent" : strerror(errno));
		return buf;
	}

	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';

	return buf;
}

const char *bo_kvm_exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN:		return "KVM_EXIT_UNKNOWN";
	case KVM_EXIT_EXCEPTION:	return "KVM_EXIT_EXCEPTION";
	case KVM_EXIT_IO:		return "KVM_EXIT_IO";
	case KVM_EXIT_HLT:		return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:		return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN:		return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTR:		return "KVM_EXIT_INTR";
	case KVM_EXIT_INTERNAL_ERROR:	return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_MEMORY_FAULT:	return "KVM_EXIT_MEMORY_FAULT";
	}

	return "another exit";
}

static void flat_segment(struct kvm_segment *seg, uint16_t selector,
			 uint8_t type)
{
	memset(seg, 0, sizeof(*seg));
	seg->base = 0;
	seg->limit = 0xffffffff;
	seg->selector = selector;
	seg->type = type;
	seg->present = 1;
	seg->db = 1;	/* 32-bit */
	seg->s = 1;	/* code or data */
	seg->g = 1;	/* 4 KiB granularity */
}

/**
 * bo_kvm_vm_create:
 * @vm: the VM to set up
 * @kvm_fd: fd of /dev/kvm
 *
 * Creates a VM with the guest code in memslot 0 and one vCPU in flat
 * 32-bit protected mode without paging, so that guest linear addresses
 * are guest physical addresses.
 */
void bo_kvm_vm_create(struct bo_kvm_vm *vm, int kvm_fd)
{
	struct kvm_userspace_memory_region region = {};
	struct kvm_sregs sregs;
	void *ptr;
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = kvm_fd;
	vm->vm_fd = -1;
	vm->vcpu_fd = -1;

	ret = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	igt_assert_f(ret >= (int)sizeof(struct kvm_run),
		     "KVM_GET_VCPU_MMAP_SIZE: %d (%s)\n", ret, strerror(errno));
	vm->run_size = ret;

	do {
		vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	} while (vm->vm_fd < 0 && errno == EINTR);
	igt_assert_f(vm->vm_fd >= 0, "KVM_CREATE_VM: %s\n", strerror(errno));

	ptr = mmap(NULL, CODE_SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(ptr != MAP_FAILED);
	vm->code = ptr;
	memcpy((char *)vm->code + CODE_GPA, guest_code, sizeof(guest_code));

	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = CODE_SLOT_SIZE;
	region.userspace_addr = (uintptr_t)vm->code;
	do_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	igt_assert_f(vm->vcpu_fd >= 0, "KVM_CREATE_VCPU: %s\n",
		     strerror(errno));

	ptr = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vm->vcpu_fd, 0);
	igt_assert(ptr != MAP_FAILED);
	vm->run = ptr;

	do_ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs);
	flat_segment(&sregs.cs, 0x08, 0xb);	/* code: execute, read */
	flat_segment(&sregs.ds, 0x10, 0x3);	/* data: read, write */
	flat_segment(&sregs.es, 0x10, 0x3);
	flat_segment(&sregs.fs, 0x10, 0x3);
	flat_segment(&sregs.gs, 0x10, 0x3);
	flat_segment(&sregs.ss, 0x10, 0x3);
	sregs.cr0 = 1;	/* PE; no paging */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	do_ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs);
}

/**
 * bo_kvm_vm_destroy:
 * @vm: the VM
 *
 * Tears down what bo_kvm_vm_create() set up; memslot 1 goes with the VM.
 */
void bo_kvm_vm_destroy(struct bo_kvm_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->code)
		munmap(vm->code, CODE_SLOT_SIZE);
	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	vm->vcpu_fd = -1;
}

static void set_slot(struct bo_kvm_vm *vm, void *ptr, uint64_t size)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.guest_phys_addr = BO_KVM_GPA,
		.memory_size = size,
		.userspace_addr = (uintptr_t)ptr,
	};

	do_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

/**
 * bo_kvm_slot_set:
 * @vm: the VM
 * @ptr: the host mapping to pass through (page aligned)
 * @size: its size
 *
 * Registers @ptr as memslot 1 at guest physical address BO_KVM_GPA.
 */
void bo_kvm_slot_set(struct bo_kvm_vm *vm, void *ptr, uint64_t size)
{
	igt_assert(!vm->slot);
	igt_assert(size && size <= BO_KVM_MAX_SIZE &&
		   !(size % BO_KVM_PAGE_SIZE));
	igt_assert(!((uintptr_t)ptr % BO_KVM_PAGE_SIZE));

	set_slot(vm, ptr, size);
	vm->slot = true;
	vm->slot_size = size;
}

/**
 * bo_kvm_slot_delete:
 * @vm: the VM
 *
 * Deletes memslot 1.
 */
void bo_kvm_slot_delete(struct bo_kvm_vm *vm)
{
	igt_assert(vm->slot);
	set_slot(vm, NULL, 0);
	vm->slot = false;
	vm->slot_size = 0;
}

void bo_kvm_walk_init(struct bo_kvm_walk *w, uint64_t size)
{
	memset(w, 0, sizeof(*w));
	w->npages = size / BO_KVM_PAGE_SIZE;
	w->page = calloc(w->npages, sizeof(*w->page));
	igt_assert(w->page);
	w->first_refused = -1;
	w->first_inexact = -1;
}

void bo_kvm_walk_fini(struct bo_kvm_walk *w)
{
	free(w->page);
	w->page = NULL;
}

__attribute__((format(printf, 2, 3)))
static void walk_error(struct bo_kvm_walk *w, const char *fmt, ...)
{
	va_list ap;

	w->errors++;
	if (w->error[0])
		return;

	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

static void mark_mapped(struct bo_kvm_walk *w, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (w->page[i].state == BO_KVM_PAGE_UNTESTED)
			w->page[i].state = BO_KVM_PAGE_MAPPED;
}

static void record_refusal(struct bo_kvm_walk *w, size_t idx,
			   const struct kvm_run *run)
{
	struct bo_kvm_page *p = &w->page[idx];
	struct memory_fault_exit mf;

	p->err = EFAULT;
	p->exit_reason = run->exit_reason;
	if (run->exit_reason != KVM_EXIT_MEMORY_FAULT) {
		p->state = BO_KVM_PAGE_EFAULT;
		return;
	}

	memcpy(&mf, run->padding, sizeof(mf));
	p->state = BO_KVM_PAGE_MEMORY_FAULT;
	p->gpa = mf.gpa;
	p->size = mf.size;
	p->flags = mf.flags;
	p->exact = mf.gpa == BO_KVM_GPA + idx * BO_KVM_PAGE_SIZE &&
		   mf.size == BO_KVM_PAGE_SIZE && !mf.flags;
}

static void count_pages(struct bo_kvm_walk *w)
{
	w->mapped = 0;
	w->efault = 0;
	w->memory_fault = 0;
	w->inexact = 0;
	w->untested = 0;
	w->first_refused = -1;
	w->first_inexact = -1;

	for (size_t i = 0; i < w->npages; i++) {
		const struct bo_kvm_page *p = &w->page[i];

		switch (p->state) {
		case BO_KVM_PAGE_UNTESTED:
			w->untested++;
			break;
		case BO_KVM_PAGE_MAPPED:
			w->mapped++;
			break;
		case BO_KVM_PAGE_EFAULT:
			w->efault++;
			break;
		case BO_KVM_PAGE_MEMORY_FAULT:
			w->memory_fault++;
			if (!p->exact) {
				w->inexact++;
				if (w->first_inexact < 0)
					w->first_inexact = i;
			}
			break;
		}

		if ((p->state == BO_KVM_PAGE_EFAULT ||
		     p->state == BO_KVM_PAGE_MEMORY_FAULT) &&
		    w->first_refused < 0)
			w->first_refused = i;
	}
}

static volatile sig_atomic_t watchdog_ticks;

static void watchdog_tick(int sig)
{
	(void)sig;
	watchdog_ticks = watchdog_ticks + 1;
}

struct watchdog {
	struct sigaction old_sa;
	struct itimerval old_it;
};

/*
 * A once-a-second SIGALRM makes KVM_RUN return to us (EINTR or
 * KVM_EXIT_INTR) so that a guest that gets stuck ends the walk instead of
 * the test. Nothing between arm and disarm may leave the function early.
 */
static void watchdog_arm(struct watchdog *wd)
{
	struct sigaction sa = { .sa_handler = watchdog_tick };
	struct itimerval it = {
		.it_interval = { .tv_sec = 1 },
		.it_value = { .tv_sec = 1 },
	};

	sigemptyset(&sa.sa_mask);
	igt_assert(sigaction(SIGALRM, &sa, &wd->old_sa) == 0);
	watchdog_ticks = 0;
	igt_assert(setitimer(ITIMER_REAL, &it, &wd->old_it) == 0);
}

static void watchdog_disarm(struct watchdog *wd)
{
	setitimer(ITIMER_REAL, &wd->old_it, NULL);
	sigaction(SIGALRM, &wd->old_sa, NULL);
}

/**
 * bo_kvm_walk:
 * @vm: the VM, with memslot 1 set
 * @w: the walk, from bo_kvm_walk_init() with memslot 1's size
 * @stop_at_refusal: end the walk at the first page KVM refuses
 *
 * Runs the guest over every page of memslot 1. A page whose access makes
 * KVM_RUN fail with EFAULT is recorded as refused (with the memory fault
 * report, if KVM gave one) and the guest resumes at the next page; any
 * other failure or exit ends the walk and is recorded in @w->errors and
 * @w->error.
 */
void bo_kvm_walk(struct bo_kvm_vm *vm, struct bo_kvm_walk *w,
		 bool stop_at_refusal)
{
	const uint64_t end = BO_KVM_GPA + w->npages * BO_KVM_PAGE_SIZE;
	struct kvm_run *run = vm->run;
	struct kvm_regs regs = {};
	struct watchdog wd;
	size_t next = 0;	/* pages below this one are accounted for */

	igt_assert(vm->slot);
	igt_assert_eq_u64(vm->slot_size, w->npages * BO_KVM_PAGE_SIZE);

	regs.rflags = 2;
	regs.rip = CODE_GPA;
	regs.rsi = BO_KVM_GPA;
	regs.rdi = end;
	do_ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs);

	watchdog_arm(&wd);
	for (;;) {
		uint64_t idx;
		int ret, err;

		/* Whatever KVM reports now is about this KVM_RUN. */
		run->exit_reason = KVM_EXIT_UNKNOWN;
		memset(run->padding, 0, sizeof(struct memory_fault_exit));

		ret = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		err = ret ? errno : 0;

		if ((ret && (err == EINTR || err == EAGAIN)) ||
		    (!ret && run->exit_reason == KVM_EXIT_INTR)) {
			if (watchdog_ticks < WATCHDOG_SECONDS)
				continue;
			walk_error(w, "the guest made no progress for %d s",
				   WATCHDOG_SECONDS);
			break;
		}

		if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs)) {
			walk_error(w, "KVM_GET_REGS: %s", strerror(errno));
			break;
		}

		if (!ret && run->exit_reason == KVM_EXIT_HLT) {
			if (regs.rsi == end)
				mark_mapped(w, next, w->npages);
			else
				walk_error(w, "the guest halted at esi %#llx, expected %#llx",
					   (unsigned long long)regs.rsi,
					   (unsigned long long)end);
			break;
		}

		if (regs.rsi < BO_KVM_GPA || regs.rsi >= end ||
		    (regs.rsi - BO_KVM_GPA) % BO_KVM_PAGE_SIZE) {
			walk_error(w, "KVM_RUN: %s, exit_reason %u (%s), esi %#llx outside the memslot",
				   ret ? strerror(err) : "no error",
				   run->exit_reason,
				   bo_kvm_exit_name(run->exit_reason),
				   (unsigned long long)regs.rsi);
			break;
		}

		idx = (regs.rsi - BO_KVM_GPA) / BO_KVM_PAGE_SIZE;
		mark_mapped(w, next, idx);
		next = idx + 1;

		if (!ret || err != EFAULT) {
			w->page[idx].state = BO_KVM_PAGE_ERROR;
			w->page[idx].err = err;
			w->page[idx].exit_reason = run->exit_reason;
			walk_error(w, "page %llu: KVM_RUN: %s, exit_reason %u (%s)",
				   (unsigned long long)idx,
				   ret ? strerror(err) : "no error",
				   run->exit_reason,
				   bo_kvm_exit_name(run->exit_reason));
			break;
		}

		record_refusal(w, idx, run);
		watchdog_ticks = 0;
		if (stop_at_refusal || next == w->npages)
			break;

		/* Resume the loop at the next page. */
		regs.rsi += BO_KVM_PAGE_SIZE;
		regs.rip = CODE_GPA;
		regs.rflags = 2;
		if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs)) {
			walk_error(w, "KVM_SET_REGS: %s", strerror(errno));
			break;
		}
	}
	watchdog_disarm(&wd);

	count_pages(w);
}

static uint32_t page_pattern(uint32_t seed, size_t idx)
{
	/* Never ~0, so that the guest's complement is never 0. */
	return ((seed ^ (uint32_t)(idx * 0x9e3779b1u)) & 0x7fffffffu) | 1;
}

/**
 * bo_kvm_fill:
 * @ptr: the host mapping
 * @npages: its size in pages
 * @seed: varies the pattern
 *
 * Writes the pattern the guest reads into the first dword of every page,
 * and clears the dwords the guest writes.
 */
void bo_kvm_fill(void *ptr, size_t npages, uint32_t seed)
{
	for (size_t i = 0; i < npages; i++) {
		uint32_t *p = (uint32_t *)((char *)ptr + i * BO_KVM_PAGE_SIZE);

		p[0] = page_pattern(seed, i);
		p[1] = 0;
		p[LAST_DWORD] = 0;
	}
	__sync_synchronize();
}

/**
 * bo_kvm_verify:
 * @ptr: the host mapping
 * @w: a walk over it
 * @seed: the seed of bo_kvm_fill()
 * @what: names the buffer in messages
 *
 * Checks from the host what the guest left in every page: the complement of
 * the pattern in the pages it mapped, nothing in the pages KVM refused.
 *
 * Returns: the number of pages with wrong contents, also in @w->bad.
 */
size_t bo_kvm_verify(const void *ptr, struct bo_kvm_walk *w, uint32_t seed,
		     const char *what)
{
	__sync_synchronize();
	w->bad = 0;

	for (size_t i = 0; i < w->npages; i++) {
		const uint32_t *p = (const uint32_t *)((const char *)ptr +
						       i * BO_KVM_PAGE_SIZE);
		struct bo_kvm_page *pg = &w->page[i];
		uint32_t pat = page_pattern(seed, i), want;
		uint32_t d0 = p[0], d1 = p[1], dl = p[LAST_DWORD];

		if (pg->state == BO_KVM_PAGE_MAPPED)
			want = ~pat;
		else if (pg->state == BO_KVM_PAGE_EFAULT ||
			 pg->state == BO_KVM_PAGE_MEMORY_FAULT)
			want = 0;
		else
			continue;

		if (d0 == pat && d1 == want && dl == want)
			continue;

		pg->bad = true;
		if (w->bad++ < 3)
			igt_info("%s: page %zu (%s): read %08x %08x .. %08x, expected %08x %08x .. %08x\n",
				 what, i,
				 pg->state == BO_KVM_PAGE_MAPPED ?
				 "mapped" : "refused",
				 d0, d1, dl, pat, want, want);
	}

	return w->bad;
}
