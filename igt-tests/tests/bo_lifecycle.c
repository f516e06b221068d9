// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 */

/**
 * TEST: bo lifecycle
 * Description: Check that a CPU mapping keeps a dumb buffer alive after its
 *		handle or the DRM fd is gone, also while the mapping is KVM
 *		guest memory, and that everything is released once the
 *		mapping goes: no buffer, no page and no kernel warning left
 *		behind.
 * Category: Core
 * Mega feature: General Core features
 * Sub-category: Memory management tests
 * Functionality: buffer object lifetime
 * Feature: mapping
 * Test category: functionality test
 *
 * SUBTEST: close-fd-while-mapped
 * Description: Close the DRM fd while a dumb buffer is mapped; the mapping
 *		keeps the buffer readable and writable until munmap, which
 *		releases it.
 *
 * SUBTEST: destroy-handle-while-mapped
 * Description: Destroy the handle of a mapped dumb buffer; the mapping keeps
 *		the buffer readable and writable until munmap, which releases
 *		it, and the fd can no longer map it.
 *
 * SUBTEST: close-fd-while-in-memslot
 * Description: Close the DRM fd while a mapping of a dumb buffer is KVM
 *		guest memory; the guest keeps reading and writing the buffer
 *		until munmap, after which the guest can no longer reach it and
 *		the buffer is released.
 *
 * SUBTEST: destroy-handle-while-in-memslot
 * Description: Destroy the handle of a dumb buffer while its mapping is KVM
 *		guest memory; the guest keeps reading and writing the buffer
 *		until munmap, after which the guest can no longer reach it and
 *		the buffer is released.
 *
 * SUBTEST: create-map-destroy-loop
 * Description: Create, map, fill (and pass through to a KVM guest where
 *		there is KVM) and destroy dumb buffers of several sizes many
 *		times; buffer and memory counters return to where they started.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"

#include "bo_kvm_helper.h"

IGT_TEST_DESCRIPTION("Check that a CPU mapping keeps a dumb buffer alive after its "
		     "handle or the DRM fd is gone, also as KVM guest memory, and that "
		     "nothing is left once the mapping goes.");

#define LIFECYCLE_BO_SIZE	(8ull << 20)	/* two MAX_PAGE_ORDER blocks in TTM */
#define LOOP_COUNT		32
#define RELEASE_TIMEOUT_MS	5000

#define TTM_DEBUGFS	"/sys/kernel/debug/ttm"

static const uint64_t loop_sizes[] = {
	4ull << 10, 64ull << 10, 2ull << 20, 8ull << 20,
};

/* Does the device under test create TTM buffer objects? */
static bool device_uses_ttm;

struct counters {
	long bos;	/* live TTM buffer objects, -1 if unknown */
	long pool;	/* pages in TTM's global pools, -1 if unknown */
	long free_kb;	/* MemFree */
};

static long read_long(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';

	return strtol(buf, NULL, 10);
}

/* The "total" line of TTM's global page_pool file: pages held by the pools. */
static long ttm_pool_pages(void)
{
	char line[256];
	long total = -1;
	FILE *f;

	f = fopen(TTM_DEBUGFS "/page_pool", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "total%*[ \t]: %ld", &total) == 1)
			break;
	fclose(f);

	return total;
}

static long meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	igt_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);

	return kb;
}

/* Live TTM buffer objects, or -1 when we do not count them. */
static long ttm_bos(void)
{
	return device_uses_ttm ? read_long(TTM_DEBUGFS "/buffer_objects") : -1;
}

static void read_counters(struct counters *c)
{
	c->bos = ttm_bos();
	c->pool = device_uses_ttm ? ttm_pool_pages() : -1;
	c->free_kb = meminfo_kb("MemFree");
}

/*
 * Wait until the number of live TTM buffer objects is @want: TTM may
 * release a buffer from a worker.
 */
static long wait_bos(long want)
{
	long bos = read_long(TTM_DEBUGFS "/buffer_objects");

	for (int ms = 0; bos != want && ms < RELEASE_TIMEOUT_MS; ms += 10) {
		usleep(10 * 1000);
		bos = read_long(TTM_DEBUGFS "/buffer_objects");
	}

	return bos;
}

/* Nothing may have been released: still exactly @want buffer objects. */
static void check_bos_alive(long want, const char *when)
{
	long bos;

	if (want < 0)
		return;

	bos = ttm_bos();
	igt_assert_f(bos == want,
		     "%s: %ld TTM buffer objects, expected %ld: the buffer is gone while mapped\n",
		     when, bos, want);
}

/* Back to @want buffer objects, within RELEASE_TIMEOUT_MS. */
static void check_bos_released(long want, const char *when)
{
	long bos;

	if (want < 0)
		return;

	bos = wait_bos(want);
	igt_assert_f(bos == want,
		     "%s: %ld TTM buffer objects, expected %ld within %d ms: the buffer was not released\n",
		     when, bos, want, RELEASE_TIMEOUT_MS);
}

/* Kernel log: anything that a kernel developer would call a splat. */
static const char *const splats[] = {
	"WARNING:", "BUG:", "kernel BUG", "Oops", "general protection fault",
	"Bad page", "refcount_t:", "KASAN", "UBSAN", "list_add corruption",
	"list_del corruption", "possible circular locking",
	"possible recursive locking", "INFO: task",
};

static int kmsg_open(void)
{
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		igt_info("/dev/kmsg: %s; not checking the kernel log\n",
			 strerror(errno));
		return -1;
	}
	lseek(fd, 0, SEEK_END);

	return fd;
}

static void kmsg_check(int fd)
{
	char rec[8192], first[256] = "";
	int n = 0;

	if (fd < 0)
		return;

	for (;;) {
		ssize_t len = read(fd, rec, sizeof(rec) - 1);
		char *msg;

		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (len <= 0)
			break;
		rec[len] = '\0';

		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';

		for (unsigned int i = 0; i < ARRAY_SIZE(splats); i++) {
			if (!strstr(msg, splats[i]))
				continue;
			if (!n++)
				snprintf(first, sizeof(first), "%.200s", msg);
			igt_warn("kernel: %s\n", msg);
			break;
		}
	}
	close(fd);
	errno = 0;

	igt_assert_f(!n, "the kernel logged %d warning(s) during the subtest, first: %s\n",
		     n, first);
}

struct mapped_bo {
	uint32_t handle;
	uint64_t size;
	uint64_t offset;
	uint32_t *ptr;
};

static void bo_create(int fd, uint64_t size, struct mapped_bo *bo)
{
	struct drm_mode_create_dumb create = {
		.width = 1024,
		.height = size / BO_KVM_PAGE_SIZE,
		.bpp = 32,
	};
	struct drm_mode_map_dumb map = {};

	do_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create);
	igt_assert_f(create.size >= size &&
		     !(create.size % BO_KVM_PAGE_SIZE) &&
		     create.size <= BO_KVM_MAX_SIZE,
		     "dumb buffer of %" PRIu64 " bytes requested, %llu created\n",
		     size, (unsigned long long)create.size);

	map.handle = create.handle;
	do_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map);

	bo->handle = create.handle;
	bo->size = create.size;
	bo->offset = map.offset;
	bo->ptr = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       bo->offset);
	igt_assert_f(bo->ptr != MAP_FAILED, "mmap of the dumb buffer: %s\n",
		     strerror(errno));
}

static void bo_destroy_handle(int fd, struct mapped_bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	do_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	bo->handle = 0;
}

static void bo_unmap(struct mapped_bo *bo)
{
	igt_assert(munmap(bo->ptr, bo->size) == 0);
	bo->ptr = NULL;
}

static void fill_dwords(uint32_t *ptr, uint64_t size, uint32_t seed)
{
	for (uint64_t i = 0; i < size / sizeof(*ptr); i++)
		ptr[i] = seed + i;
}

static void check_dwords(const uint32_t *ptr, uint64_t size, uint32_t seed,
			 const char *when)
{
	for (uint64_t i = 0; i < size / sizeof(*ptr); i++)
		igt_assert_f(ptr[i] == (uint32_t)(seed + i),
			     "%s: dword %" PRIu64 " (page %" PRIu64 ") reads %#x, expected %#x\n",
			     when, i, (uint64_t)(i * sizeof(*ptr) / BO_KVM_PAGE_SIZE),
			     ptr[i], (uint32_t)(seed + i));
}

enum release {
	CLOSE_FD,
	DESTROY_HANDLE,
};

static const char *release_name(enum release how)
{
	return how == CLOSE_FD ? "after closing the fd" :
				 "after destroying the handle";
}

/*
 * Drop the DRM side of a mapped buffer: its handle or the whole fd. Returns
 * the fd, or -1 if it was closed.
 */
static int release_drm(int fd, struct mapped_bo *bo, enum release how)
{
	if (how == CLOSE_FD) {
		igt_assert_eq(drm_close_driver(fd), 0);
		return -1;
	}

	bo_destroy_handle(fd, bo);
	return fd;
}

static void check_unmappable(int fd, const struct mapped_bo *bo)
{
	void *ptr;

	/* The handle is gone; so is this fd's right to map the buffer. */
	ptr = mmap(NULL, bo->size, PROT_READ, MAP_SHARED, fd, bo->offset);
	if (ptr != MAP_FAILED)
		munmap(ptr, bo->size);
	igt_assert_f(ptr == MAP_FAILED,
		     "the fd could map the buffer again after its handle was destroyed\n");
}

static void test_while_mapped(enum release how)
{
	uint32_t seed = time(NULL);
	long bos_closed, bos_open;
	struct mapped_bo bo;
	int kmsg, fd;

	kmsg = kmsg_open();
	bos_closed = ttm_bos();
	fd = drm_open_driver(DRIVER_ANY);
	bos_open = ttm_bos();	/* the driver may keep buffers per fd */

	bo_create(fd, LIFECYCLE_BO_SIZE, &bo);
	fill_dwords(bo.ptr, bo.size, seed);
	check_bos_alive(bos_open < 0 ? -1 : bos_open + 1,
			"after creating the buffer");

	fd = release_drm(fd, &bo, how);

	check_dwords(bo.ptr, bo.size, seed, release_name(how));
	fill_dwords(bo.ptr, bo.size, ~seed);
	check_dwords(bo.ptr, bo.size, ~seed, release_name(how));
	/* A closed fd lives on in the mapping; so do its buffers. */
	check_bos_alive(bos_open < 0 ? -1 : bos_open + 1, release_name(how));
	if (fd >= 0)
		check_unmappable(fd, &bo);

	bo_unmap(&bo);
	check_bos_released(fd >= 0 ? bos_open : bos_closed, "after munmap");

	if (fd >= 0)
		drm_close_driver(fd);
	check_bos_released(bos_closed, "after closing the fd");
	kmsg_check(kmsg);
}

static void check_walk(struct bo_kvm_walk *w, const void *ptr, uint32_t seed,
		       const char *when)
{
	bo_kvm_verify(ptr, w, seed, when);

	igt_info("%s: the guest mapped %zu of %zu pages (KVM refused %zu)\n",
		 when, w->mapped, w->npages, w->efault + w->memory_fault);
	igt_assert_f(!w->errors, "%s: the guest walk failed: %s\n",
		     when, w->error);
	igt_assert_f(!w->bad, "%s: %zu pages have wrong contents\n",
		     when, w->bad);
}

static void test_while_in_memslot(int kvm_fd, enum release how)
{
	struct bo_kvm_walk before, after, gone;
	uint32_t seed = time(NULL);
	long bos_closed, bos_open;
	struct bo_kvm_vm vm;
	void *placeholder;
	struct mapped_bo bo;
	int kmsg, fd;

	igt_require_f(kvm_fd >= 0, "/dev/kvm is not usable (%s)\n",
		      strerror(-kvm_fd));

	kmsg = kmsg_open();
	bos_closed = ttm_bos();
	fd = drm_open_driver(DRIVER_ANY);
	bos_open = ttm_bos();

	bo_create(fd, LIFECYCLE_BO_SIZE, &bo);
	bo_kvm_vm_create(&vm, kvm_fd);
	bo_kvm_slot_set(&vm, bo.ptr, bo.size);

	bo_kvm_walk_init(&before, bo.size);
	bo_kvm_fill(bo.ptr, before.npages, seed);
	bo_kvm_walk(&vm, &before, false);
	check_walk(&before, bo.ptr, seed, "before");
	/* Refused pages are bo_kvm_passthrough's business; we need one that maps. */
	igt_require_f(before.mapped > 0,
		      "KVM maps no page of this device's dumb buffers, see bo_kvm_passthrough\n");

	fd = release_drm(fd, &bo, how);
	check_bos_alive(bos_open < 0 ? -1 : bos_open + 1, release_name(how));

	/* The guest still reads what the host writes, and the other way round. */
	bo_kvm_walk_init(&after, bo.size);
	bo_kvm_fill(bo.ptr, after.npages, ~seed);
	bo_kvm_walk(&vm, &after, false);
	check_walk(&after, bo.ptr, ~seed, release_name(how));
	igt_assert_eq_u64(after.mapped, before.mapped);

	/*
	 * Unmap the buffer with the memslot still in place. An inaccessible
	 * placeholder takes over the address range, so that nothing else
	 * can land there while the guest tries it again.
	 */
	placeholder = mmap(bo.ptr, bo.size, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	igt_assert(placeholder == (void *)bo.ptr);
	bo.ptr = NULL;
	check_bos_released(fd >= 0 ? bos_open : bos_closed,
			   "after munmap, memslot still in place");

	/* The guest must not reach the released pages any more. */
	bo_kvm_walk_init(&gone, bo.size);
	bo_kvm_walk(&vm, &gone, true);
	igt_info("after munmap: guest walk ended at page %ld, %zu pages mapped\n",
		 gone.first_refused, gone.mapped);
	igt_assert_f(!gone.errors, "after munmap: the guest walk failed: %s\n",
		     gone.error);
	igt_assert_f(gone.first_refused == 0 && !gone.mapped,
		     "after munmap, the guest still reached %zu page(s) of the released buffer\n",
		     gone.mapped);

	bo_kvm_slot_delete(&vm);
	bo_kvm_vm_destroy(&vm);
	munmap(placeholder, bo.size);
	check_bos_released(fd >= 0 ? bos_open : bos_closed,
			   "after deleting the memslot");

	bo_kvm_walk_fini(&gone);
	bo_kvm_walk_fini(&after);
	bo_kvm_walk_fini(&before);
	if (fd >= 0)
		drm_close_driver(fd);
	check_bos_released(bos_closed, "after closing the fd");
	kmsg_check(kmsg);
}

/* One round of the loop: every size once; returns the bytes it allocated. */
static uint64_t loop_round(int fd, struct bo_kvm_vm *vm, unsigned int round)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(loop_sizes); i++) {
		uint32_t seed = round * 0x10001u + i;
		struct bo_kvm_walk w;
		struct mapped_bo bo;

		bo_create(fd, loop_sizes[i], &bo);
		total += bo.size;

		if (vm) {
			bo_kvm_walk_init(&w, bo.size);
			bo_kvm_fill(bo.ptr, w.npages, seed);
			bo_kvm_slot_set(vm, bo.ptr, bo.size);
			bo_kvm_walk(vm, &w, false);
			bo_kvm_slot_delete(vm);
			bo_kvm_verify(bo.ptr, &w, seed, "loop");
			igt_assert_f(!w.errors && !w.bad,
				     "round %u, %" PRIu64 " bytes: guest walk error: %s, %zu pages wrong\n",
				     round, bo.size, w.errors ? w.error : "none",
				     w.bad);
			bo_kvm_walk_fini(&w);
		} else {
			fill_dwords(bo.ptr, bo.size, seed);
			check_dwords(bo.ptr, bo.size, seed, "loop");
		}

		/* Both orders of releasing the two references. */
		if (round & 1) {
			bo_destroy_handle(fd, &bo);
			bo_unmap(&bo);
		} else {
			bo_unmap(&bo);
			bo_destroy_handle(fd, &bo);
		}
	}

	return total;
}

static void test_loop(int kvm_fd)
{
	struct counters start, end;
	struct bo_kvm_vm vm, *pvm = NULL;
	uint64_t cycled = 0;
	long lost_kb, pool_kb = 0;
	int kmsg, fd;

	kmsg = kmsg_open();
	fd = drm_open_driver(DRIVER_ANY);
	if (kvm_fd >= 0) {
		bo_kvm_vm_create(&vm, kvm_fd);
		pvm = &vm;
	} else {
		igt_info("/dev/kvm is not usable (%s): buffers are not passed through to a guest\n",
			 strerror(-kvm_fd));
	}

	/* A first round warms up caches that are not ours to count. */
	read_counters(&start);
	loop_round(fd, pvm, 0);
	check_bos_released(start.bos, "after the first round");
	read_counters(&start);

	for (unsigned int round = 1; round <= LOOP_COUNT; round++)
		cycled += loop_round(fd, pvm, round);

	check_bos_released(start.bos, "after the loop");
	read_counters(&end);

	if (pvm)
		bo_kvm_vm_destroy(pvm);
	drm_close_driver(fd);

	if (start.pool >= 0 && end.pool >= 0) {
		pool_kb = (end.pool - start.pool) * (long)(BO_KVM_PAGE_SIZE / 1024);
		igt_info("TTM page pools: %ld pages before, %ld after\n",
			 start.pool, end.pool);
	}

	/* Memory that is neither free nor in TTM's pools is lost. */
	lost_kb = start.free_kb - end.free_kb - pool_kb;
	igt_info("%u rounds, %" PRIu64 " KiB allocated in total; MemFree %ld KiB before, %ld KiB after; unaccounted %ld KiB\n",
		 LOOP_COUNT, cycled >> 10, start.free_kb, end.free_kb, lost_kb);
	igt_assert_f(lost_kb < (long)(cycled >> 10) / 8,
		     "%ld KiB of memory are missing after the loop, %" PRIu64 " KiB were allocated and released: buffer pages leak\n",
		     lost_kb, cycled >> 10);

	kmsg_check(kmsg);
}

int igt_main()
{
	int drm_fd = -1, kvm_fd = -ENODEV;

	igt_fixture() {
		struct mapped_bo bo;
		long before;

		drm_fd = drm_open_driver(DRIVER_ANY);

		/* TTM-only checks run only if our buffers are TTM's. */
		before = read_long(TTM_DEBUGFS "/buffer_objects");
		if (before >= 0) {
			bo_create(drm_fd, BO_KVM_PAGE_SIZE, &bo);
			device_uses_ttm =
				read_long(TTM_DEBUGFS "/buffer_objects") == before + 1;
			bo_unmap(&bo);
			bo_destroy_handle(drm_fd, &bo);
			wait_bos(before);
		}
		igt_info("TTM counters: %s\n",
			 device_uses_ttm ? "checked" :
			 before < 0 ? "not available (no " TTM_DEBUGFS "/buffer_objects)" :
			 "not checked (the device's dumb buffers are not TTM buffer objects)");

		kvm_fd = bo_kvm_open();
	}

	igt_describe("Check that a mapping keeps a dumb buffer alive after its DRM fd is "
		     "closed, and that munmap releases it.");
	igt_subtest("close-fd-while-mapped")
		test_while_mapped(CLOSE_FD);

	igt_describe("Check that a mapping keeps a dumb buffer alive after its handle is "
		     "destroyed, and that munmap releases it.");
	igt_subtest("destroy-handle-while-mapped")
		test_while_mapped(DESTROY_HANDLE);

	igt_describe("Check that a dumb buffer passed through to a KVM guest stays usable "
		     "after its DRM fd is closed, and is released and out of the guest's "
		     "reach after munmap.");
	igt_subtest("close-fd-while-in-memslot")
		test_while_in_memslot(kvm_fd, CLOSE_FD);

	igt_describe("Check that a dumb buffer passed through to a KVM guest stays usable "
		     "after its handle is destroyed, and is released and out of the guest's "
		     "reach after munmap.");
	igt_subtest("destroy-handle-while-in-memslot")
		test_while_in_memslot(kvm_fd, DESTROY_HANDLE);

	igt_describe("Check that creating, mapping, using and destroying dumb buffers "
		     "many times leaks neither buffers nor memory.");
	igt_subtest("create-map-destroy-loop")
		test_loop(kvm_fd);

	igt_fixture() {
		if (kvm_fd >= 0)
			close(kvm_fd);
		drm_close_driver(drm_fd);
	}
}
