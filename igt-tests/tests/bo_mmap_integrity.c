// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 */

/**
 * TEST: bo mmap integrity
 * Category: Core
 * Mega feature: General Core features
 * Sub-category: Memory management tests
 * Functionality: mmap
 * Feature: dumb buffer, TTM
 * Description: Check that what userspace writes through a CPU mapping of a
 *	buffer object stays intact while the kernel moves, swaps, remaps and
 *	shares the buffer, and that new buffers are zero-filled. Uses dumb
 *	buffers, so it runs on any KMS driver; the swap-out subtests need a
 *	driver that uses TTM.
 * Test category: functionality test
 *
 * SUBTEST: zero-fill
 * Description: New buffers read back zero-filled, even right after buffers
 *	of the same size were written and freed many times.
 *
 * SUBTEST: remap
 * Description: Contents survive munmap and a new mmap, and are coherent
 *	between two mappings of the same buffer and a mapping of part of it.
 *
 * SUBTEST: fork-inherit
 * Description: A forked child that inherits a shared mapping reads what the
 *	parent wrote and the parent sees what the child wrote, whether or not
 *	the buffer was populated before the fork.
 *
 * SUBTEST: concurrent-faults
 * Description: Several threads fault the pages of one fresh mapping at the
 *	same time, first of an unpopulated buffer, then of a populated one;
 *	every page ends up with the right contents.
 *
 * SUBTEST: scanout-pin
 * Description: Contents survive a placement change: the buffer is scanned
 *	out (which pins it where the display engine reads from), unpinned and
 *	evicted back to system memory, and is read and written through the
 *	same mapping all along.
 *
 * SUBTEST: swap-out
 * Description: Contents survive TTM swapping the buffer out (the TTM
 *	debugfs swap-out hook) and back in on the next CPU access, twice.
 *
 * SUBTEST: memory-pressure
 * Description: Contents survive TTM's own memory pressure: with TTM's page
 *	limit lowered, two buffers that do not fit together keep swapping
 *	each other out as they are accessed in turn.
 */

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "igt.h"
#include "drm_fourcc.h"

IGT_TEST_DESCRIPTION("Check that the contents of a mapped buffer object survive the "
		     "moves, swaps, remaps and forks the kernel does behind the "
		     "mapping, and that new buffers are zero-filled.");

#define DUMB_ROW	4096	/* bytes of a dumb buffer row: 1024 XRGB8888 pixels */
#define NUM_THREADS	8
#define MAX_FILLER	(1ull << 30)

static const struct size_case {
	const char *name;
	uint64_t size;
} sizes[] = {
	{ "4KiB", 4ull << 10 },
	{ "64KiB", 64ull << 10 },
	{ "2MiB", 2ull << 20 },
	{ "8MiB", 8ull << 20 },
	{ "64MiB", 64ull << 20 },
};

#define for_each_size(s) for ((s) = sizes; (s) < sizes + ARRAY_SIZE(sizes); (s)++)

struct bo {
	uint32_t handle;
	uint32_t pitch;
	uint64_t size;
	uint64_t offset;	/* fake offset for mmap() */
	uint8_t *map;
};

static size_t page_size;
static uint8_t *zero_page;

static const char ttm_debugfs[] = "/sys/kernel/debug/ttm";
static const char pages_limit_param[] = "/sys/module/ttm/parameters/pages_limit";
static char saved_pages_limit[32];

static int __bo_create(int fd, uint64_t size, struct bo *bo)
{
	struct drm_mode_create_dumb create = {
		.width = DUMB_ROW / 4,
		.height = (size + DUMB_ROW - 1) / DUMB_ROW,
		.bpp = 32,
	};
	struct drm_mode_map_dumb map = {};

	memset(bo, 0, sizeof(*bo));
	if (igt_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	bo->handle = create.handle;
	bo->pitch = create.pitch;
	bo->size = create.size;

	map.handle = bo->handle;
	do_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map);
	bo->offset = map.offset;
	return 0;
}

static void bo_create(int fd, const struct size_case *s, struct bo *bo)
{
	int err = __bo_create(fd, s->size, bo);

	igt_skip_on_f(err == -ENOMEM || err == -ENOSPC || err == -E2BIG ||
		      err == -EFBIG,
		      "the device cannot allocate a %s dumb buffer: %s\n",
		      s->name, strerror(-err));
	igt_assert_f(err == 0, "DRM_IOCTL_MODE_CREATE_DUMB of %s failed: %s\n",
		     s->name, strerror(-err));
	igt_assert_f(bo->size >= s->size && bo->size % page_size == 0,
		     "a %s dumb buffer has a size of %llu bytes\n", s->name,
		     (unsigned long long)bo->size);
}

static uint8_t *bo_mmap(int fd, const struct bo *bo, uint64_t start,
			uint64_t len, int prot)
{
	void *ptr = mmap(NULL, len, prot, MAP_SHARED, fd, bo->offset + start);

	igt_assert_f(ptr != MAP_FAILED, "mmap of %llu bytes at %llu: %s\n",
		     (unsigned long long)len, (unsigned long long)start,
		     strerror(errno));
	return ptr;
}

static void bo_map(int fd, struct bo *bo)
{
	bo->map = bo_mmap(fd, bo, 0, bo->size, PROT_READ | PROT_WRITE);
}

static void bo_unmap(struct bo *bo)
{
	if (bo->map)
		igt_assert_eq(munmap(bo->map, bo->size), 0);
	bo->map = NULL;
}

static void bo_destroy(int fd, struct bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	if (!bo->handle)
		return;
	bo_unmap(bo);
	do_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	bo->handle = 0;
}

/* For cleanup outside a dynamic subtest, where nothing may fail. */
static void bo_release(int fd, struct bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->handle && igt_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy))
		igt_warn("DESTROY_DUMB %u: %s\n", bo->handle, strerror(errno));
	memset(bo, 0, sizeof(*bo));
}

static uint64_t bo_pages(const struct bo *bo)
{
	return bo->size / page_size;
}

/*
 * The pattern: word 0 of every page is a tag naming the page and the
 * generation of the pattern, the other words derive from the tag. A page
 * that shows up in the wrong place, or a stale generation, is recognised.
 */
static uint64_t page_tag(unsigned int gen, uint64_t page)
{
	return 0xb0ull << 56 | (uint64_t)(gen & 0xff) << 48 | page;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void fill_pages(uint8_t *ptr, uint64_t first, uint64_t count,
		       unsigned int gen)
{
	size_t words = page_size / sizeof(uint64_t);

	for (uint64_t p = 0; p < count; p++) {
		uint64_t *w = (uint64_t *)(ptr + p * page_size);
		uint64_t tag = page_tag(gen, first + p);
		uint64_t h = mix64(tag);

		w[0] = tag;
		for (size_t i = 1; i < words; i++)
			w[i] = h + i * 0x9e3779b97f4a7c15ull;
	}
}

struct damage {
	uint64_t bad_pages;
	uint64_t page, word, expected, found;
};

static uint64_t check_pages(const uint8_t *ptr, uint64_t first, uint64_t count,
			    unsigned int gen, struct damage *d)
{
	size_t words = page_size / sizeof(uint64_t);

	memset(d, 0, sizeof(*d));
	for (uint64_t p = 0; p < count; p++) {
		const volatile uint64_t *w =
			(const volatile uint64_t *)(ptr + p * page_size);
		uint64_t tag = page_tag(gen, first + p);
		uint64_t h = mix64(tag);

		for (size_t i = 0; i < words; i++) {
			uint64_t want = i ? h + i * 0x9e3779b97f4a7c15ull : tag;
			uint64_t got = w[i];

			if (got == want)
				continue;
			if (!d->bad_pages++) {
				d->page = first + p;
				d->word = i;
				d->expected = want;
				d->found = got;
			}
			break;
		}
	}
	return d->bad_pages;
}

static void assert_pages(const uint8_t *ptr, uint64_t first, uint64_t count,
			 unsigned int gen, const char *when)
{
	struct damage d;
	char origin[96] = "";

	if (!check_pages(ptr, first, count, gen, &d))
		return;
	if (d.word == 0 && d.found >> 56 == 0xb0)
		snprintf(origin, sizeof(origin),
			 " (the tag of page %llu of generation %u)",
			 (unsigned long long)(d.found & ((1ull << 48) - 1)),
			 (unsigned int)(d.found >> 48 & 0xff));
	igt_assert_f(false,
		     "%s: %llu of %llu pages differ; first: page %llu word %llu, expected %#llx, found %#llx%s\n",
		     when, (unsigned long long)d.bad_pages,
		     (unsigned long long)count, (unsigned long long)d.page,
		     (unsigned long long)d.word, (unsigned long long)d.expected,
		     (unsigned long long)d.found, origin);
}

static uint64_t nonzero_pages(const uint8_t *ptr, uint64_t count, uint64_t *first)
{
	uint64_t bad = 0;

	for (uint64_t p = 0; p < count; p++) {
		if (memcmp(ptr + p * page_size, zero_page, page_size) == 0)
			continue;
		if (!bad++)
			*first = p;
	}
	return bad;
}

/*
 * Read one byte of every page and count the page faults that took. After
 * the buffer was accessed, its pages are mapped: no fault. When the kernel
 * moved or swapped the buffer it zapped the mapping: every page (or every
 * block the fault handler maps at once) faults again. This is how the test
 * sees, from userspace, that a placement change or swap-out happened.
 */
static long touch_faults(const struct bo *bo)
{
	struct rusage before, after;

	igt_assert_eq(getrusage(RUSAGE_THREAD, &before), 0);
	for (uint64_t off = 0; off < bo->size; off += page_size)
		(void)*(const volatile uint8_t *)(bo->map + off);
	igt_assert_eq(getrusage(RUSAGE_THREAD, &after), 0);
	return (after.ru_minflt - before.ru_minflt) +
	       (after.ru_majflt - before.ru_majflt);
}

static bool is_ttm_driver(int fd)
{
	/* The 6.12 drivers whose dumb buffers are TTM buffer objects. */
	static const char *const ttm_drivers[] = {
		"amdgpu", "radeon", "nouveau", "xe", "vmwgfx", "qxl",
		"bochs-drm", "hibmc", "vboxvideo", "loongson",
	};
	drmVersionPtr v = drmGetVersion(fd);
	bool ttm = false;

	igt_assert(v);
	for (size_t i = 0; i < ARRAY_SIZE(ttm_drivers); i++)
		if (!strcmp(v->name, ttm_drivers[i]))
			ttm = true;
	drmFreeVersion(v);
	return ttm;
}

static bool read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

static bool write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text);
}

static long meminfo_kib(const char *field)
{
	char buf[8192], *line;
	size_t len = strlen(field);

	if (!read_text("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	for (line = buf; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, field, len) && line[len] == ':')
			return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

/*
 * Each read of debugfs ttm/tt_shrink swaps out one buffer object (the
 * least recently used swappable one) and returns its number of pages, 0
 * when nothing is left. Returns the pages swapped out in all.
 */
static long ttm_swap_out_all(void)
{
	char path[128], buf[32];
	long total = 0;

	snprintf(path, sizeof(path), "%s/tt_shrink", ttm_debugfs);
	for (int i = 0; i < 100000; i++) {
		long n;

		igt_assert_f(read_text(path, buf, sizeof(buf)), "read %s: %s\n",
			     path, strerror(errno));
		n = strtol(buf, NULL, 10);
		igt_assert_f(n >= 0, "%s: %ld\n", path, n);
		if (!n)
			break;
		total += n;
	}
	return total;
}

/* The MM shrinkers, TTM's page pool shrinker among them. */
static void run_shrinkers(void)
{
	char path[128], buf[64];

	if (!write_text("/proc/sys/vm/drop_caches", "3\n"))
		igt_debug("drop_caches: %s\n", strerror(errno));
	snprintf(path, sizeof(path), "%s/page_pool_shrink", ttm_debugfs);
	if (read_text(path, buf, sizeof(buf)))
		igt_debug("ttm page_pool_shrink: %s", buf);
}

/* --- subtests --------------------------------------------------------- */

static void test_zero_fill(int fd, const struct size_case *s)
{
	unsigned int rounds = (256ull << 20) / s->size;
	uint64_t first = 0;

	rounds = rounds < 4 ? 4 : rounds > 64 ? 64 : rounds;
	for (unsigned int r = 0; r < rounds; r++) {
		struct bo bo;
		uint64_t bad;

		bo_create(fd, s, &bo);
		bo_map(fd, &bo);
		bad = nonzero_pages(bo.map, bo_pages(&bo), &first);
		igt_assert_f(!bad,
			     "round %u: %llu of %llu pages of a new buffer are not zero, first: page %llu\n",
			     r, (unsigned long long)bad,
			     (unsigned long long)bo_pages(&bo),
			     (unsigned long long)first);
		memset(bo.map, 0xa5 ^ r, bo.size);
		bo_destroy(fd, &bo);
	}
	igt_debug("%u rounds\n", rounds);
}

static void test_remap(int fd, const struct size_case *s)
{
	struct drm_mode_map_dumb again = {};
	uint64_t n, half;
	uint8_t *other, *part;
	struct bo bo;

	bo_create(fd, s, &bo);
	n = bo_pages(&bo);
	bo_map(fd, &bo);
	fill_pages(bo.map, 0, n, 1);
	bo_unmap(&bo);

	again.handle = bo.handle;
	do_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &again);
	igt_assert_eq_u64(again.offset, bo.offset);

	bo_map(fd, &bo);
	assert_pages(bo.map, 0, n, 1, "after munmap and mmap");

	/* A second mapping sees writes through the first at once. */
	other = bo_mmap(fd, &bo, 0, bo.size, PROT_READ);
	fill_pages(bo.map, 0, n, 2);
	assert_pages(other, 0, n, 2, "through a second mapping");
	igt_assert_eq(munmap(other, bo.size), 0);

	/*
	 * A mapping of the first half only (GEM mmap offsets name a whole
	 * object: a mapping must start at the object's offset).
	 */
	half = n / 2;
	if (half) {
		part = bo_mmap(fd, &bo, 0, half * page_size, PROT_READ | PROT_WRITE);
		assert_pages(part, 0, half, 2, "through a partial mapping");
		fill_pages(part, 0, half, 3);
		igt_assert_eq(munmap(part, half * page_size), 0);
		assert_pages(bo.map, 0, half, 3, "first half, written through a partial mapping");
		assert_pages(bo.map + half * page_size, half, n - half, 2,
			     "second half, next to a partial mapping");
	}

	bo_unmap(&bo);
	bo_map(fd, &bo);
	assert_pages(bo.map, 0, half, 3, "first half, after the last remap");
	assert_pages(bo.map + half * page_size, half, n - half, 2,
		     "second half, after the last remap");
	bo_destroy(fd, &bo);
}

static void test_fork_inherit(int fd, const struct size_case *s)
{
	struct bo bo;
	uint64_t n;

	/* Populated before the fork: the child inherits mapped pages. */
	bo_create(fd, s, &bo);
	n = bo_pages(&bo);
	bo_map(fd, &bo);
	fill_pages(bo.map, 0, n, 1);
	igt_fork(child, 1) {
		assert_pages(bo.map, 0, n, 1, "in the child");
		fill_pages(bo.map, 0, n, 2);
	}
	igt_waitchildren();
	assert_pages(bo.map, 0, n, 2, "in the parent, written by the child");
	bo_destroy(fd, &bo);

	/* Mapped but never touched before the fork: both fault it in. */
	bo_create(fd, s, &bo);
	bo_map(fd, &bo);
	igt_fork(child, 1) {
		uint64_t first = 0;

		igt_assert_f(!nonzero_pages(bo.map, n, &first),
			     "the child sees a non-zero new buffer at page %llu\n",
			     (unsigned long long)first);
		fill_pages(bo.map, 0, n, 3);
	}
	igt_waitchildren();
	assert_pages(bo.map, 0, n, 3, "in the parent, populated by the child");
	bo_destroy(fd, &bo);
}

struct fault_thread {
	pthread_t thread;
	pthread_barrier_t *barrier;
	uint8_t *map;
	uint64_t pages;
	unsigned int id;
	bool populate;
	uint64_t errors;
};

static void *fault_thread(void *arg)
{
	struct fault_thread *t = arg;
	uint64_t first = 0;
	struct damage d;

	pthread_barrier_wait(t->barrier);
	if (t->populate) {
		/* Own every NUM_THREADS-th page: zero, then the pattern. */
		for (uint64_t p = t->id; p < t->pages; p += NUM_THREADS) {
			uint8_t *page = t->map + p * page_size;

			t->errors += nonzero_pages(page, 1, &first);
			fill_pages(page, p, 1, 1);
		}
	} else {
		/* Read all of it, each thread from its own starting point. */
		uint64_t start = t->pages * t->id / NUM_THREADS;

		for (uint64_t k = 0; k < t->pages; k++) {
			uint64_t p = (start + k) % t->pages;

			t->errors += check_pages(t->map + p * page_size, p, 1, 1, &d);
		}
	}
	return NULL;
}

static void run_fault_threads(uint8_t *map, uint64_t pages, bool populate)
{
	struct fault_thread t[NUM_THREADS];
	pthread_barrier_t barrier;
	uint64_t errors = 0;

	igt_assert_eq(pthread_barrier_init(&barrier, NULL, NUM_THREADS), 0);
	for (unsigned int i = 0; i < NUM_THREADS; i++) {
		t[i] = (struct fault_thread){
			.barrier = &barrier, .map = map, .pages = pages,
			.id = i, .populate = populate,
		};
		igt_assert_eq(pthread_create(&t[i].thread, NULL, fault_thread,
					     &t[i]), 0);
	}
	for (unsigned int i = 0; i < NUM_THREADS; i++) {
		pthread_join(t[i].thread, NULL);
		errors += t[i].errors;
	}
	pthread_barrier_destroy(&barrier);
	igt_assert_f(!errors, "%llu bad pages seen by %d threads %s\n",
		     (unsigned long long)errors, NUM_THREADS,
		     populate ? "populating a new buffer" : "reading a fresh mapping");
}

static void test_concurrent_faults(int fd, const struct size_case *s)
{
	struct bo bo;
	uint64_t n;

	bo_create(fd, s, &bo);
	n = bo_pages(&bo);

	bo_map(fd, &bo);
	run_fault_threads(bo.map, n, true);
	assert_pages(bo.map, 0, n, 1, "after concurrent population");
	bo_unmap(&bo);

	bo_map(fd, &bo);
	run_fault_threads(bo.map, n, false);
	assert_pages(bo.map, 0, n, 1, "after concurrent faults");
	bo_destroy(fd, &bo);
}

/* --- scanout ---------------------------------------------------------- */

static struct scanout {
	bool ready;
	uint32_t crtc_id;
	uint32_t conn_id;
	drmModeConnectorPtr conn;
	drmModeCrtcPtr saved;
	/* per dynamic subtest */
	struct bo bo, filler;
	uint32_t fb, filler_fb;
} scan;

static void scanout_init(int fd)
{
	drmModeResPtr res;

	if (scan.ready)
		return;
	igt_require_f(drmSetMaster(fd) == 0,
		      "cannot become DRM master (does a display server own the device?)\n");
	res = drmModeGetResources(fd);
	igt_require_f(res, "the device has no KMS resources\n");
	igt_require_f(res->count_crtcs > 0 && res->count_connectors > 0,
		      "the device has no CRTC or no connector\n");

	for (int i = 0; i < res->count_connectors && !scan.conn; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(fd, res->connectors[i]);

		if (c && c->connection == DRM_MODE_CONNECTED && c->count_modes)
			scan.conn = c;
		else if (c)
			drmModeFreeConnector(c);
	}
	igt_require_f(scan.conn, "no connected connector with a mode\n");
	scan.conn_id = scan.conn->connector_id;

	for (int i = 0; i < scan.conn->count_encoders && !scan.crtc_id; i++) {
		drmModeEncoderPtr e = drmModeGetEncoder(fd, scan.conn->encoders[i]);

		for (int j = 0; e && j < res->count_crtcs && !scan.crtc_id; j++)
			if (e->possible_crtcs & (1u << j))
				scan.crtc_id = res->crtcs[j];
		drmModeFreeEncoder(e);
	}
	drmModeFreeResources(res);
	igt_require_f(scan.crtc_id, "no CRTC can drive connector %u\n", scan.conn_id);
	scan.saved = drmModeGetCrtc(fd, scan.crtc_id);
	scan.ready = true;
}

/*
 * A mode whose framebuffer fits in @max_w x @max_h pixels: the largest such
 * mode of the connector, else the narrowest one cut down to @max_h lines
 * (small buffers cannot hold a real mode; the driver may refuse that).
 */
static bool pick_mode(unsigned int max_w, unsigned int max_h,
		      drmModeModeInfo *out)
{
	const drmModeModeInfo *best = NULL;
	unsigned int cut;

	for (int i = 0; i < scan.conn->count_modes; i++) {
		const drmModeModeInfo *m = &scan.conn->modes[i];

		if (m->hdisplay > max_w || m->vdisplay > max_h)
			continue;
		if (!best || m->hdisplay * m->vdisplay > best->hdisplay * best->vdisplay)
			best = m;
	}
	if (best) {
		*out = *best;
		return true;
	}
	for (int i = 0; i < scan.conn->count_modes; i++) {
		const drmModeModeInfo *m = &scan.conn->modes[i];

		if (m->hdisplay <= max_w && (!best || m->hdisplay < best->hdisplay))
			best = m;
	}
	if (!best)
		return false;
	*out = *best;
	cut = out->vdisplay - max_h;
	out->vdisplay -= cut;
	out->vsync_start -= cut;
	out->vsync_end -= cut;
	out->vtotal -= cut;
	out->type = DRM_MODE_TYPE_USERDEF;
	snprintf(out->name, sizeof(out->name), "%ux%u", out->hdisplay, out->vdisplay);
	return true;
}

static int add_fb(int fd, const struct bo *bo, const drmModeModeInfo *mode,
		  uint32_t *fb)
{
	uint32_t handles[4] = { bo->handle }, pitches[4] = { bo->pitch };
	uint32_t offsets[4] = { 0 };

	if (drmModeAddFB2(fd, mode->hdisplay, mode->vdisplay, DRM_FORMAT_XRGB8888,
			  handles, pitches, offsets, fb, 0))
		return -errno;
	return 0;
}

static int show_fb(int fd, uint32_t fb, drmModeModeInfo *mode)
{
	if (drmModeSetCrtc(fd, scan.crtc_id, fb, 0, 0, &scan.conn_id, 1, mode))
		return -errno;
	return 0;
}

static void scanout_off(int fd)
{
	igt_assert_f(drmModeSetCrtc(fd, scan.crtc_id, 0, 0, 0, NULL, 0, NULL) == 0,
		     "disabling the CRTC failed: %s\n", strerror(errno));
}

static void scanout_cleanup(int fd)
{
	drmModeSetCrtc(fd, scan.crtc_id, 0, 0, 0, NULL, 0, NULL);
	if (scan.fb)
		drmModeRmFB(fd, scan.fb);
	if (scan.filler_fb)
		drmModeRmFB(fd, scan.filler_fb);
	scan.fb = scan.filler_fb = 0;
	bo_release(fd, &scan.bo);
	bo_release(fd, &scan.filler);
}

static void scanout_restore(int fd)
{
	if (!scan.ready)
		return;
	if (scan.saved && scan.saved->buffer_id && scan.saved->mode_valid)
		drmModeSetCrtc(fd, scan.crtc_id, scan.saved->buffer_id,
			       scan.saved->x, scan.saved->y, &scan.conn_id, 1,
			       &scan.saved->mode);
	drmModeFreeCrtc(scan.saved);
	drmModeFreeConnector(scan.conn);
	memset(&scan, 0, sizeof(scan));
}

/*
 * Scan out fillers of growing size until the unpinned buffer is evicted
 * from scanout memory (its mapping faults again), or a filler does not fit
 * any more (a failed attempt still evicts what it can), or MAX_FILLER.
 */
static bool evict_by_fillers(int fd, drmModeModeInfo *mode, long *faults)
{
	uint64_t f = scan.bo.size > (1ull << 20) ? scan.bo.size : 1ull << 20;

	for (*faults = 0; f <= MAX_FILLER; f *= 2) {
		int ret;

		if (__bo_create(fd, f, &scan.filler))
			break;
		igt_assert_eq(add_fb(fd, &scan.filler, mode, &scan.filler_fb), 0);
		ret = show_fb(fd, scan.filler_fb, mode);
		scanout_off(fd);
		drmModeRmFB(fd, scan.filler_fb);
		scan.filler_fb = 0;
		bo_destroy(fd, &scan.filler);
		*faults = touch_faults(&scan.bo);
		igt_debug("filler of %llu KiB: %s, %ld faults\n",
			  (unsigned long long)f >> 10, ret ? strerror(-ret) : "shown",
			  *faults);
		if (*faults || ret)
			break;
	}
	return *faults > 0;
}

static void test_scanout_pin(int fd, const struct size_case *s)
{
	drmModeModeInfo mode;
	uint64_t n;
	long faults;
	int ret;

	bo_create(fd, s, &scan.bo);
	n = bo_pages(&scan.bo);
	igt_require_f(pick_mode(scan.bo.pitch / 4, scan.bo.size / scan.bo.pitch, &mode),
		      "no mode of connector %u fits a %s buffer\n", scan.conn_id,
		      s->name);
	bo_map(fd, &scan.bo);
	fill_pages(scan.bo.map, 0, n, 1);
	igt_assert_eq(touch_faults(&scan.bo), 0);

	ret = add_fb(fd, &scan.bo, &mode, &scan.fb);
	igt_assert_f(ret == 0, "AddFB2 %ux%u XRGB8888 pitch %u: %s\n",
		     mode.hdisplay, mode.vdisplay, scan.bo.pitch, strerror(-ret));
	ret = show_fb(fd, scan.fb, &mode);
	igt_skip_on_f(ret == -ENOMEM || ret == -ENOSPC,
		      "no room to scan out a %s buffer: %s\n", s->name, strerror(-ret));
	igt_skip_on_f(ret == -EINVAL || ret == -ERANGE,
		      "the driver refuses mode %s for a %s buffer: %s\n",
		      mode.name, s->name, strerror(-ret));
	igt_assert_f(ret == 0, "SetCrtc with mode %s: %s\n", mode.name, strerror(-ret));

	/* Pinned for scanout: did the buffer move (its mapping was zapped)? */
	faults = touch_faults(&scan.bo);
	igt_skip_on_f(faults == 0,
		      "scanning out did not move the buffer: no placement change to test\n");
	igt_info("%s: pinned for scanout (mode %s), %ld faults to map it again\n",
		 s->name, mode.name, faults);
	assert_pages(scan.bo.map, 0, n, 1, "pinned for scanout");
	fill_pages(scan.bo.map, 0, n, 2);
	assert_pages(scan.bo.map, 0, n, 2, "written while pinned for scanout");

	/* Unpinned: it stays where it is until something needs the room. */
	scanout_off(fd);
	assert_pages(scan.bo.map, 0, n, 2, "unpinned");

	if (evict_by_fillers(fd, &mode, &faults)) {
		igt_info("%s: evicted from scanout memory, %ld faults to map it again\n",
			 s->name, faults);
		assert_pages(scan.bo.map, 0, n, 2, "evicted from scanout memory");
	} else {
		igt_info("%s: not evicted by fillers of up to %llu MiB; checked in scanout memory only\n",
			 s->name, MAX_FILLER >> 20);
	}
	fill_pages(scan.bo.map, 0, n, 3);
	assert_pages(scan.bo.map, 0, n, 3, "written after unpinning");
}

/* --- swap-out --------------------------------------------------------- */

static void require_ttm_debugfs(int fd)
{
	char path[128];

	errno = 0;
	igt_require_f(is_ttm_driver(fd), "the driver does not use TTM\n");
	snprintf(path, sizeof(path), "%s/tt_shrink", ttm_debugfs);
	igt_require_f(access(path, R_OK) == 0,
		      "%s: %s (needs root and CONFIG_DEBUG_FS)\n", path, strerror(errno));
}

static void test_swap_out(int fd, const struct size_case *s)
{
	struct bo bo;
	long pages, faults;
	uint64_t n;

	bo_create(fd, s, &bo);
	n = bo_pages(&bo);
	bo_map(fd, &bo);
	fill_pages(bo.map, 0, n, 1);

	pages = ttm_swap_out_all();
	faults = touch_faults(&bo);
	igt_skip_on_f(faults == 0,
		      "the buffer was not swapped out (%ld pages of other buffers were): the driver keeps it outside TTM's swappable memory\n",
		      pages);
	igt_assert_f((uint64_t)pages >= n, "%ld pages swapped out, the buffer has %llu\n",
		     pages, (unsigned long long)n);
	igt_info("%s: %ld pages swapped out, %ld faults to swap the buffer in\n",
		 s->name, pages, faults);
	assert_pages(bo.map, 0, n, 1, "after swap-out and swap-in");

	/* Dirty it after swap-in, swap out again, let the shrinkers run. */
	fill_pages(bo.map, 0, n, 2);
	pages = ttm_swap_out_all();
	run_shrinkers();
	faults = touch_faults(&bo);
	igt_assert_f(faults > 0, "the buffer was not swapped out a second time (%ld pages were)\n",
		     pages);
	assert_pages(bo.map, 0, n, 2, "after a second swap-out and swap-in");
	bo_destroy(fd, &bo);
}

static void pages_limit_restore(void)
{
	if (saved_pages_limit[0] && !write_text(pages_limit_param, saved_pages_limit))
		igt_warn("restoring %s: %s\n", pages_limit_param, strerror(errno));
}

static void test_memory_pressure(int fd, const struct size_case *s)
{
	struct bo a, b;
	char limit[32];
	long shmem, faults;
	uint64_t n;

	bo_create(fd, s, &a);
	bo_create(fd, s, &b);
	n = bo_pages(&a);
	bo_map(fd, &a);
	bo_map(fd, &b);
	fill_pages(a.map, 0, n, 1);

	/* Room for one of them: populating b must swap a out. */
	snprintf(limit, sizeof(limit), "%llu\n", (unsigned long long)n);
	igt_assert_f(write_text(pages_limit_param, limit), "%s: %s\n",
		     pages_limit_param, strerror(errno));
	shmem = meminfo_kib("Shmem");
	fill_pages(b.map, 0, n, 2);
	igt_info("%s: Shmem grew by %ld KiB while populating the second buffer\n",
		 s->name, meminfo_kib("Shmem") - shmem);

	faults = touch_faults(&a);
	igt_skip_on_f(faults == 0,
		      "the buffer was not swapped out under TTM's page limit: the driver keeps it outside TTM's system memory\n");
	assert_pages(a.map, 0, n, 1, "first buffer, swapped out by the second");
	faults = touch_faults(&b);
	igt_assert_f(faults > 0, "the second buffer was not swapped out by the first\n");
	assert_pages(b.map, 0, n, 2, "second buffer, swapped out by the first");

	/* Write one while the other is resident, a few times over. */
	for (unsigned int round = 0; round < 3; round++) {
		fill_pages(a.map, 0, n, 3 + round);
		assert_pages(b.map, 0, n, 2, "second buffer, swapped in again");
		assert_pages(a.map, 0, n, 3 + round, "first buffer, rewritten");
	}
	pages_limit_restore();
	bo_destroy(fd, &a);
	bo_destroy(fd, &b);
}

int igt_main()
{
	const struct size_case *s;
	uint64_t cap = 0;
	int fd = -1;

	igt_fixture() {
		fd = drm_open_driver(DRIVER_ANY);
		page_size = sysconf(_SC_PAGESIZE);
		zero_page = calloc(1, page_size);
		igt_assert(zero_page);
		igt_require_f(drmGetCap(fd, DRM_CAP_DUMB_BUFFER, &cap) == 0 && cap,
			      "the driver has no dumb buffers\n");
	}

	igt_describe("Check that new buffers are zero-filled, also when they reuse memory of freed buffers.");
	igt_subtest_with_dynamic("zero-fill") {
		for_each_size(s)
			igt_dynamic(s->name)
				test_zero_fill(fd, s);
	}

	igt_describe("Check that contents survive munmap and mmap, and that several mappings of a buffer agree.");
	igt_subtest_with_dynamic("remap") {
		for_each_size(s)
			igt_dynamic(s->name)
				test_remap(fd, s);
	}

	igt_describe("Check that a forked child and its parent share a buffer through an inherited mapping.");
	igt_subtest_with_dynamic("fork-inherit") {
		for_each_size(s)
			igt_dynamic(s->name)
				test_fork_inherit(fd, s);
	}

	igt_describe("Check that concurrent page faults from several threads into one mapping are handled right.");
	igt_subtest_with_dynamic("concurrent-faults") {
		for_each_size(s)
			igt_dynamic(s->name)
				test_concurrent_faults(fd, s);
	}

	igt_describe("Check that contents survive a buffer being pinned for scanout, unpinned and evicted.");
	igt_subtest_with_dynamic("scanout-pin") {
		scanout_init(fd);
		for_each_size(s) {
			igt_dynamic(s->name)
				test_scanout_pin(fd, s);
			scanout_cleanup(fd);
		}
		scanout_restore(fd);
	}

	igt_describe("Check that contents survive TTM swapping a buffer out and back in.");
	igt_subtest_with_dynamic("swap-out") {
		require_ttm_debugfs(fd);
		for_each_size(s)
			igt_dynamic(s->name)
				test_swap_out(fd, s);
	}

	igt_describe("Check that contents survive TTM's page limit forcing buffers to swap each other out.");
	igt_subtest_with_dynamic("memory-pressure") {
		errno = 0;
		igt_require_f(is_ttm_driver(fd), "the driver does not use TTM\n");
		igt_require_f(read_text(pages_limit_param, saved_pages_limit,
					sizeof(saved_pages_limit)) &&
			      access(pages_limit_param, W_OK) == 0,
			      "%s is not writable (needs root and TTM)\n",
			      pages_limit_param);
		for_each_size(s) {
			igt_dynamic(s->name)
				test_memory_pressure(fd, s);
			pages_limit_restore();
		}
	}

	igt_fixture() {
		pages_limit_restore();
		scanout_restore(fd);
		free(zero_page);
		drm_close_driver(fd);
	}
}
