/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 */

#ifndef BO_KVM_HELPER_H
#define BO_KVM_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A minimal KVM "VMM" for buffer-object passthrough tests: one vCPU in
 * 32-bit flat protected mode (no paging), its code in memslot 0 and the
 * memory under test in memslot 1 at BO_KVM_GPA. The guest walks memslot 1
 * page by page: it reads the first dword of each page, and writes its
 * complement into the second and the last dword. Pages that KVM refuses
 * to map (KVM_RUN fails) are recorded and skipped, so one walk classifies
 * every page.
 */

struct kvm_run;

#define BO_KVM_PAGE_SIZE	4096ull
#define BO_KVM_GPA		0x1000000ull	/* 16 MiB */
#define BO_KVM_MAX_SIZE		(256ull << 20)	/* keeps the walk below 4 GiB */

enum bo_kvm_page_state {
	BO_KVM_PAGE_UNTESTED = 0,	/* the walk did not get there */
	BO_KVM_PAGE_MAPPED,		/* the guest read and wrote it */
	BO_KVM_PAGE_EFAULT,		/* EFAULT, no KVM_EXIT_MEMORY_FAULT */
	BO_KVM_PAGE_MEMORY_FAULT,	/* EFAULT with KVM_EXIT_MEMORY_FAULT */
	BO_KVM_PAGE_ERROR,		/* another error or an unexpected exit */
};

struct bo_kvm_page {
	uint8_t state;
	bool exact;		/* memory fault names this page: gpa, 4096, 0 */
	bool bad;		/* the host found wrong contents */
	int err;		/* errno of KVM_RUN, 0 for an exit */
	uint32_t exit_reason;
	uint64_t gpa, size, flags;	/* the KVM_EXIT_MEMORY_FAULT report */
};

struct bo_kvm_walk {
	size_t npages;
	struct bo_kvm_page *page;

	/* filled in by bo_kvm_walk() and bo_kvm_verify() */
	size_t mapped, efault, memory_fault, inexact, errors, untested;
	size_t bad;
	long first_refused;	/* page index, -1 if none */
	long first_inexact;
	char error[160];	/* what went wrong first, if errors */
};

struct bo_kvm_vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	void *code;
	bool slot;
	uint64_t slot_size;
};

int bo_kvm_open(void);
int bo_kvm_memory_fault_info(int kvm_fd);
const char *bo_kvm_unsafe_mappings(char *buf, size_t len);
const char *bo_kvm_exit_name(uint32_t reason);

void bo_kvm_vm_create(struct bo_kvm_vm *vm, int kvm_fd);
void bo_kvm_vm_destroy(struct bo_kvm_vm *vm);
void bo_kvm_slot_set(struct bo_kvm_vm *vm, void *ptr, uint64_t size);
void bo_kvm_slot_delete(struct bo_kvm_vm *vm);

void bo_kvm_walk_init(struct bo_kvm_walk *w, uint64_t size);
void bo_kvm_walk_fini(struct bo_kvm_walk *w);
void bo_kvm_walk(struct bo_kvm_vm *vm, struct bo_kvm_walk *w,
		 bool stop_at_refusal);

void bo_kvm_fill(void *ptr, size_t npages, uint32_t seed);
size_t bo_kvm_verify(const void *ptr, struct bo_kvm_walk *w, uint32_t seed,
		     const char *what);

#endif /* BO_KVM_HELPER_H */
