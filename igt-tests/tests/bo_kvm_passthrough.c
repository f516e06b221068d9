// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 */

/**
 * TEST: bo kvm passthrough
 * Description: Pass dumb buffers of the DRM device through to a KVM guest as
 *		guest memory, as a VMM does with virtio-gpu blob resources,
 *		and check that the guest can read and write every page.
 * Category: Core
 * Mega feature: General Core features
 * Sub-category: Memory management tests
 * Functionality: buffer object passthrough to KVM
 * Feature: mapping
 * Test category: functionality test
 *
 * SUBTEST: guest-access
 * Description: Map every page of buffers of 4 KiB, 64 KiB, 2 MiB and
 *		8 MiB into a KVM guest as a memslot; the guest reads and
 *		writes each page and the host checks the result. One dynamic
 *		subtest per buffer size; it fails if KVM refuses any page.
 *
 * SUBTEST: refusal-report
 * Description: When KVM refuses to map pages of a buffer, each refusal
 *		must come with a KVM_EXIT_MEMORY_FAULT report for exactly that
 *		page, so that the VMM can tell what failed. Skips when KVM
 *		maps every page.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"

#include "bo_kvm_helper.h"

IGT_TEST_DESCRIPTION("Pass every page of a dumb buffer through to a KVM guest as guest "
		     "memory, as a VMM does with virtio-gpu blob resources, and report "
		     "how KVM refuses the pages it cannot map.");

static const struct bo_size {
	const char *name;
	uint64_t size;
} bo_sizes[] = {
	{ "4KiB", 4ull << 10 },
	{ "64KiB", 64ull << 10 },
	{ "2MiB", 2ull << 20 },
	{ "8MiB", 8ull << 20 },
};

/* The KVM series and the DRM series that make these pages mappable. */
#define KVM_SERIES \
	"\"KVM: refcount folios, refuse non-refcounted struct pages\""
#define TTM_SERIES \
	"\"drm/ttm: hand out refcounted compound pages from ttm_pool\""

static char unsafe_param[32];

static uint32_t create_dumb(int fd, uint64_t size, uint64_t *out_size)
{
	struct drm_mode_create_dumb create = {
		.width = 1024,
		.height = size / BO_KVM_PAGE_SIZE,
		.bpp = 32,
	};

	do_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create);
	igt_assert_f(create.size >= size &&
		     !(create.size % BO_KVM_PAGE_SIZE) &&
		     create.size <= BO_KVM_MAX_SIZE,
		     "dumb buffer of %" PRIu64 " bytes requested, %llu (pitch %u) created\n",
		     size, (unsigned long long)create.size, create.pitch);
	*out_size = create.size;

	return create.handle;
}

static void *map_dumb(int fd, uint32_t handle, uint64_t size)
{
	struct drm_mode_map_dumb map = { .handle = handle };
	void *ptr;

	do_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map);
	ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   map.offset);
	igt_assert_f(ptr != MAP_FAILED, "mmap of the dumb buffer: %s\n",
		     strerror(errno));

	return ptr;
}

static void destroy_dumb(int fd, uint32_t handle)
{
	struct drm_mode_destroy_dumb destroy = { .handle = handle };

	do_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
}

/*
 * Create a dumb buffer of @size, pass its mapping through to a fresh VM as
 * memslot 1, let the guest walk it, and check from the host what the guest
 * read and wrote.
 */
static void pass_through(int drm_fd, int kvm_fd, const char *name,
			 uint64_t size, struct bo_kvm_walk *w)
{
	struct bo_kvm_vm vm;
	uint64_t bo_size;
	uint32_t handle, seed;
	void *ptr;

	handle = create_dumb(drm_fd, size, &bo_size);
	if (bo_size != size)
		igt_debug("%s: the driver made the buffer %" PRIu64 " bytes\n",
			  name, bo_size);
	ptr = map_dumb(drm_fd, handle, bo_size);

	seed = (uint32_t)time(NULL) ^ (uint32_t)size;
	bo_kvm_walk_init(w, bo_size);
	bo_kvm_fill(ptr, w->npages, seed);

	bo_kvm_vm_create(&vm, kvm_fd);
	bo_kvm_slot_set(&vm, ptr, bo_size);
	bo_kvm_walk(&vm, w, false);
	bo_kvm_slot_delete(&vm);
	bo_kvm_vm_destroy(&vm);

	bo_kvm_verify(ptr, w, seed, name);

	munmap(ptr, bo_size);
	destroy_dumb(drm_fd, handle);
}

static void report_walk(const char *name, const struct bo_kvm_walk *w)
{
	const struct bo_kvm_page *p;

	igt_info("%s: %zu pages: %zu mapped, %zu refused with a bare EFAULT, %zu refused with KVM_EXIT_MEMORY_FAULT, %zu errors, %zu not reached, %zu with wrong contents\n",
		 name, w->npages, w->mapped, w->efault, w->memory_fault,
		 w->errors, w->untested, w->bad);

	if (w->first_refused < 0)
		return;

	p = &w->page[w->first_refused];
	if (p->state == BO_KVM_PAGE_MEMORY_FAULT)
		igt_info("%s: first refused page %ld: KVM_EXIT_MEMORY_FAULT gpa %#" PRIx64
			 " size %#" PRIx64 " flags %#" PRIx64 "\n",
			 name, w->first_refused, p->gpa, p->size, p->flags);
	else
		igt_info("%s: first refused page %ld (gpa %#llx): EFAULT, exit_reason %u (%s)\n",
			 name, w->first_refused,
			 BO_KVM_GPA + w->first_refused * BO_KVM_PAGE_SIZE,
			 p->exit_reason, bo_kvm_exit_name(p->exit_reason));
}

static void test_guest_access(int drm_fd, int kvm_fd, const struct bo_size *s)
{
	struct bo_kvm_walk w;
	uint32_t exit_reason = 0;
	size_t refused;

	pass_through(drm_fd, kvm_fd, s->name, s->size, &w);
	report_walk(s->name, &w);
	if (w.first_refused >= 0)
		exit_reason = w.page[w.first_refused].exit_reason;

	igt_assert_f(!w.errors, "%s: the guest walk failed: %s\n",
		     s->name, w.error);
	igt_assert_f(!w.bad,
		     "%s: %zu pages have wrong contents after the guest's accesses\n",
		     s->name, w.bad);

	refused = w.efault + w.memory_fault;
	igt_assert_f(!w.memory_fault,
		     "%s: KVM refused %zu of %zu pages with KVM_EXIT_MEMORY_FAULT: "
		     "the buffer's pages are struct pages without a reference count, "
		     "which KVM maps only with kvm.allow_unsafe_mappings=1 (now: %s), an unsafe setting. "
		     "The driver should hand out refcounted pages (for TTM drivers: the series "
		     TTM_SERIES ").\n",
		     s->name, refused, w.npages, unsafe_param);
	igt_assert_f(!w.efault,
		     "%s: KVM refused %zu of %zu pages with a bare EFAULT "
		     "(exit_reason %u, no KVM_EXIT_MEMORY_FAULT): this KVM cannot take a "
		     "reference on the buffer's pages (for TTM drivers: tail pages of "
		     "higher-order pool blocks). Needs refcounted pages from the driver "
		     "(series " TTM_SERIES ") and a KVM that refcounts them (series "
		     KVM_SERIES "); with the KVM series alone, kvm.allow_unsafe_mappings=1 "
		     "maps them (unsafe).\n",
		     s->name, refused, w.npages, exit_reason);
	igt_assert_eq_u64(w.mapped, w.npages);

	bo_kvm_walk_fini(&w);
}

static int kmsg_lines_naming(const char *needle)
{
	char buf[8192];
	int fd, n = 0;

	/* From the start of the log: the message is printed only once. */
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;

	for (;;) {
		ssize_t len = read(fd, buf, sizeof(buf) - 1);

		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			break;
		buf[len] = '\0';
		if (strstr(buf, needle) && !strstr(buf, "ommand line"))
			n++;
	}
	close(fd);
	errno = 0;

	return n;
}

static void test_refusal_report(int drm_fd, int kvm_fd)
{
	struct bo_kvm_walk w[ARRAY_SIZE(bo_sizes)];
	size_t refused = 0, bare = 0, inexact = 0;
	int bare_size = -1, inexact_size = -1;
	long bare_page = -1, idx;
	const struct bo_kvm_page *p;
	unsigned int i;
	int lines;

	for (i = 0; i < ARRAY_SIZE(bo_sizes); i++) {
		pass_through(drm_fd, kvm_fd, bo_sizes[i].name,
			     bo_sizes[i].size, &w[i]);
		report_walk(bo_sizes[i].name, &w[i]);

		igt_assert_f(!w[i].errors, "%s: the guest walk failed: %s\n",
			     bo_sizes[i].name, w[i].error);
		igt_assert_f(!w[i].bad,
			     "%s: %zu pages have wrong contents after the guest's accesses\n",
			     bo_sizes[i].name, w[i].bad);

		refused += w[i].efault + w[i].memory_fault;
		bare += w[i].efault;
		inexact += w[i].inexact;
	}

	igt_skip_on_f(!refused,
		      "KVM mapped every page of every buffer: no refusal to check\n");

	igt_info("KVM refused %zu pages, %zu of them with a bare EFAULT, %zu with a KVM_EXIT_MEMORY_FAULT report not naming exactly the page\n",
		 refused, bare, inexact);
	lines = kmsg_lines_naming("allow_unsafe_mappings");
	if (lines >= 0)
		igt_info("kernel log: %d line(s) name allow_unsafe_mappings\n",
			 lines);

	/* The first page refused without a report, and the first wrong report. */
	for (i = 0; i < ARRAY_SIZE(bo_sizes) && bare_size < 0; i++) {
		for (size_t j = 0; j < w[i].npages; j++) {
			if (w[i].page[j].state == BO_KVM_PAGE_EFAULT) {
				bare_size = i;
				bare_page = j;
				break;
			}
		}
	}
	for (i = 0; i < ARRAY_SIZE(bo_sizes) && inexact_size < 0; i++) {
		if (w[i].first_inexact >= 0)
			inexact_size = i;
	}

	p = bare_size >= 0 ? &w[bare_size].page[bare_page] : NULL;
	igt_assert_f(!bare,
		     "%zu of %zu refused pages came with a bare EFAULT, without "
		     "KVM_EXIT_MEMORY_FAULT (first: %s page %ld, exit_reason %u): the VMM "
		     "cannot tell which guest page failed or why "
		     "(KVM_CAP_MEMORY_FAULT_INFO is %d). The KVM series "
		     KVM_SERIES " reports every refused page.\n",
		     bare, refused,
		     bare_size >= 0 ? bo_sizes[bare_size].name : "-", bare_page,
		     p ? p->exit_reason : 0,
		     bo_kvm_memory_fault_info(kvm_fd));

	idx = inexact_size >= 0 ? w[inexact_size].first_inexact : -1;
	p = idx >= 0 ? &w[inexact_size].page[idx] : NULL;
	igt_assert_f(!inexact,
		     "%zu KVM_EXIT_MEMORY_FAULT reports do not name exactly the refused page; "
		     "first: %s page %ld, expected gpa %#llx size 0x1000 flags 0, "
		     "got gpa %#" PRIx64 " size %#" PRIx64 " flags %#" PRIx64 "\n",
		     inexact, inexact_size >= 0 ? bo_sizes[inexact_size].name : "-",
		     idx, BO_KVM_GPA + idx * BO_KVM_PAGE_SIZE,
		     p ? p->gpa : 0, p ? p->size : 0, p ? p->flags : 0);

	for (i = 0; i < ARRAY_SIZE(bo_sizes); i++)
		bo_kvm_walk_fini(&w[i]);
}

/* The guest itself, on anonymous memory: if this fails, nothing else can pass. */
static void check_guest(int kvm_fd)
{
	const uint64_t size = 16 * BO_KVM_PAGE_SIZE;
	struct bo_kvm_walk w;
	struct bo_kvm_vm vm;
	void *ptr;

	ptr = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(ptr != MAP_FAILED);

	bo_kvm_walk_init(&w, size);
	bo_kvm_fill(ptr, w.npages, 0x5eed);
	bo_kvm_vm_create(&vm, kvm_fd);
	bo_kvm_slot_set(&vm, ptr, size);
	bo_kvm_walk(&vm, &w, false);
	bo_kvm_slot_delete(&vm);
	bo_kvm_vm_destroy(&vm);
	bo_kvm_verify(ptr, &w, 0x5eed, "anonymous memory");
	munmap(ptr, size);

	igt_assert_f(!w.errors && !w.bad && w.mapped == w.npages,
		     "the test guest does not work on anonymous memory: %zu of %zu pages mapped, %zu wrong, error: %s\n",
		     w.mapped, w.npages, w.bad, w.errors ? w.error : "none");
	bo_kvm_walk_fini(&w);
}

int igt_main()
{
	int drm_fd = -1, kvm_fd = -1;

	igt_fixture() {
		drm_fd = drm_open_driver(DRIVER_ANY);

		kvm_fd = bo_kvm_open();
		igt_require_f(kvm_fd >= 0,
			      "/dev/kvm is not usable (%s): no KVM to pass buffers through to\n",
			      strerror(-kvm_fd));

		bo_kvm_unsafe_mappings(unsafe_param, sizeof(unsafe_param));
		igt_info("KVM_CAP_MEMORY_FAULT_INFO: %d, kvm.allow_unsafe_mappings: %s\n",
			 bo_kvm_memory_fault_info(kvm_fd), unsafe_param);

		check_guest(kvm_fd);
	}

	igt_describe("Check that a KVM guest can read and write every page of "
		     "dumb buffers of several sizes passed through as guest memory.");
	igt_subtest_with_dynamic("guest-access") {
		for (unsigned int i = 0; i < ARRAY_SIZE(bo_sizes); i++) {
			igt_dynamic_f("%s", bo_sizes[i].name)
				test_guest_access(drm_fd, kvm_fd, &bo_sizes[i]);
		}
	}

	igt_describe("Check that KVM reports every page of a buffer it refuses to "
		     "map with KVM_EXIT_MEMORY_FAULT for exactly that page.");
	igt_subtest("refusal-report")
		test_refusal_report(drm_fd, kvm_fd);

	igt_fixture() {
		if (kvm_fd >= 0)
			close(kvm_fd);
		drm_close_driver(drm_fd);
	}
}
