// SPDX-License-Identifier: GPL-2.0
/*
 * ttmprobe: look at the pages TTM gives DRM dumb buffers, from userspace.
 *
 *   ttmprobe [-d CARD] compound [-x compound|plain] SIZE...
 *	Create a dumb buffer of each SIZE, fault it in (TTM populates the
 *	whole buffer on the first fault) and find its pages in
 *	/proc/kpageflags: the pages that became compound heads or tails
 *	(not slab, not LRU, not THP/hugetlb) while the buffer was populated.
 *	Prints one PROBE line per buffer with the block orders found and
 *	the orders TTM allocates for that size. -x compound expects every
 *	page of a multi-page buffer in a compound block of exactly those
 *	orders; -x plain expects no compound page at all (6.12). One more
 *	block may show up, and is reported apart: the ttm_tt's own page
 *	array (kvcalloc() of one pointer a page), which above 8 KiB comes
 *	from the page allocator as a compound page too.
 *
 *   ttmprobe [-d CARD] bench [-t SECONDS] [SIZE...]
 *	For each SIZE (default 4K 64K 2M 8M), for SECONDS (default 2):
 *	create, map, fault in, unmap and destroy dumb buffers in a loop.
 *	Prints one BENCH line per size with the allocation throughput.
 *
 * The buffers must come from TTM's page pool, i.e. the driver must keep
 * unpinned dumb buffers in system memory (bochs via drm_gem_vram_helper
 * on 6.12, qxl on 7.2 do). Where the kernel counts the pool's pages
 * (nr_gpu_active, 7.x), each PROBE line also says how many pages the
 * buffer took from TTM (gpu_pages=) and fails unless that is all of
 * them: a buffer that is not TTM's cannot pass as "plain". Exit: 0 as expected, 1 not as expected, 2 error, 4 skip (no DRM
 * device, no /proc/kpageflags).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <linux/kernel-page-flags.h>

#define KSFT_SKIP 4
#define PAGE 4096UL
#define MAX_ORDER_TTM 10	/* MAX_PAGE_ORDER on x86_64 */

static const char *card = "/dev/dri/card0";

static void die(const char *what)
{
	fprintf(stderr, "ttmprobe: %s: %s\n", what, strerror(errno));
	exit(2);
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	}
	if (*end || !v || v % PAGE) {
		fprintf(stderr, "ttmprobe: bad size '%s' (a multiple of 4K)\n", s);
		exit(2);
	}
	return v;
}

struct bo {
	__u32 handle;
	unsigned char *map;
	size_t size;
};

/* Create a dumb buffer of exactly @size bytes (1024 pixels of 32 bpp a row). */
static int bo_create(int fd, size_t size, struct bo *bo)
{
	struct drm_mode_create_dumb c = {
		.width = 1024, .height = size / PAGE, .bpp = 32,
	};
	struct drm_mode_map_dumb m = { 0 };

	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return -errno;
	bo->handle = c.handle;
	bo->size = c.size;
	m.handle = c.handle;
	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return -errno;
	bo->map = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       m.offset);
	if (bo->map == MAP_FAILED)
		return -errno;
	return 0;
}

static void bo_destroy(int fd, struct bo *bo)
{
	struct drm_mode_destroy_dumb d = { .handle = bo->handle };

	munmap(bo->map, bo->size);
	if (ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &d))
		die("DRM_IOCTL_MODE_DESTROY_DUMB");
}

/* The orders of the blocks ttm_pool_alloc() takes for @npages (x86_64). */
static int ttm_orders(size_t npages, int *orders)
{
	int n = 0;

	while (npages) {
		int o = 63 - __builtin_clzll(npages);

		if (o > MAX_ORDER_TTM)
			o = MAX_ORDER_TTM;
		orders[n++] = o;
		npages -= 1UL << o;
	}
	return n;
}

#define KPF(b) (1ULL << KPF_##b)

/*
 * One byte per pfn: 1 = compound head, 2 = compound tail, 0 = anything
 * else. Pages of slab, LRU folios (anon, file, THP) and hugetlb are not
 * TTM's and count as 0.
 */
static unsigned char *snapshot(size_t *npfn)
{
	static uint64_t buf[65536];
	unsigned char *s = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd < 0)
		return NULL;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		size_t i, k = r / sizeof(buf[0]);

		if (n + k > cap) {
			cap = (n + k) * 2;
			s = realloc(s, cap);
			if (!s)
				die("realloc");
		}
		for (i = 0; i < k; i++) {
			uint64_t f = buf[i];

			s[n + i] = 0;
			if (f & (KPF(SLAB) | KPF(LRU) | KPF(THP) | KPF(HUGE) |
				 KPF(NOPAGE)))
				continue;
			if (f & KPF(COMPOUND_HEAD))
				s[n + i] = 1;
			else if (f & KPF(COMPOUND_TAIL))
				s[n + i] = 2;
		}
		n += k;
	}
	if (r < 0)
		die("read /proc/kpageflags");
	close(fd);
	*npfn = n;
	return s;
}

/*
 * Pages TTM's pool has handed out (nr_gpu_active in /proc/vmstat, since
 * 7.x), or -1 where the kernel does not count them (6.12). Populating a
 * TTM buffer of n pages raises it by n; a driver whose dumb buffers are
 * not TTM's (GEM-SHMEM: bochs since it left drm_gem_vram_helper) leaves
 * it alone.
 */
static long gpu_active_pages(void)
{
	char line[128];
	long v = -1;
	FILE *f;
	int fd;

	/*
	 * Fold the per-CPU deltas first: they hold up to a batch of pages.
	 * Without the refresh the count lags, and the check below fails
	 * loudly rather than passing.
	 */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd >= 0) {
		ssize_t w = write(fd, "1", 1);

		(void)w;
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nr_gpu_active %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int cmp_int_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

static int probe(int fd, size_t size, const char *expect)
{
	int want[64], got[64], nwant, ngot = 0, i, odd = 0;
	size_t n0, n1, pfn, npages = size / PAGE, in_compound = 0;
	unsigned char *before, *after;
	char wbuf[256] = "", gbuf[256] = "", obuf[32] = "", tbuf[48] = "";
	long gpu0, gpu1;
	struct bo bo;
	bool ok, ttm = true;
	int err;

	gpu0 = gpu_active_pages();
	before = snapshot(&n0);
	err = bo_create(fd, size, &bo);
	if (err) {
		errno = -err;
		die("dumb buffer");
	}
	bo.map[0] = 1;		/* populate: TTM allocates the whole buffer */
	after = snapshot(&n1);
	gpu1 = gpu_active_pages();
	if (gpu0 >= 0 && gpu1 >= 0) {
		snprintf(tbuf, sizeof(tbuf), " gpu_pages=%ld", gpu1 - gpu0);
		ttm = gpu1 - gpu0 >= (long)npages;
	}

	/* Runs of a new head followed by new tails are the new blocks. */
	for (pfn = 0; pfn < n1; pfn++) {
		size_t len = 1;

		if (after[pfn] == 2 && !(pfn < n0 && before[pfn] == 2))
			odd++;	/* a new tail without a new head before it */
		if (after[pfn] != 1 || (pfn < n0 && before[pfn] == 1))
			continue;
		while (pfn + len < n1 && after[pfn + len] == 2 &&
		       !(pfn + len < n0 && before[pfn + len] == 2))
			len++;
		if (ngot < 64 && !(len & (len - 1)))
			got[ngot++] = __builtin_ctzll(len);
		else
			odd++;
		in_compound += len;
		pfn += len - 1;
	}
	bo_destroy(fd, &bo);
	free(before);
	free(after);

	/* The ttm_tt page array: kmalloc_large() above 8 KiB, compound. */
	if (npages * sizeof(void *) > 2 * PAGE) {
		int pa = 0;

		while ((PAGE << pa) < npages * sizeof(void *))
			pa++;
		for (i = 0; i < ngot; i++) {
			if (got[i] == pa) {
				got[i] = got[--ngot];
				in_compound -= 1UL << pa;
				snprintf(obuf, sizeof(obuf), " page_array=[%d]", pa);
				break;
			}
		}
	}

	nwant = ttm_orders(npages, want);
	/* order-0 blocks are single pages, never compound */
	for (i = 0; i < nwant; i++)
		if (want[i] == 0)
			want[i--] = want[--nwant];
	qsort(want, nwant, sizeof(int), cmp_int_desc);
	qsort(got, ngot, sizeof(int), cmp_int_desc);
	for (i = 0; i < nwant; i++)
		snprintf(wbuf + strlen(wbuf), sizeof(wbuf) - strlen(wbuf),
			 "%s%d", i ? "," : "", want[i]);
	for (i = 0; i < ngot; i++)
		snprintf(gbuf + strlen(gbuf), sizeof(gbuf) - strlen(gbuf),
			 "%s%d", i ? "," : "", got[i]);

	if (!strcmp(expect, "plain"))
		ok = ngot == 0 && !odd;
	else
		ok = !odd && ngot == nwant && !memcmp(got, want, nwant * sizeof(int));
	/* where the kernel counts TTM's pages, they must be TTM's */
	ok = ok && ttm;
	printf("PROBE size=%zu pages=%zu in_compound=%zu blocks=[%s] ttm_orders=[%s]%s%s expect=%s %s%s\n",
	       size, npages, in_compound, gbuf, wbuf, obuf, tbuf, expect,
	       ok ? "ok" : "MISMATCH", ttm ? "" : " (not TTM pool pages)");
	return ok ? 0 : 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench(int fd, size_t size, double secs)
{
	double t0 = now(), t;
	unsigned long n = 0;
	struct bo bo;
	int err;

	do {
		err = bo_create(fd, size, &bo);
		if (err) {
			errno = -err;
			die("dumb buffer");
		}
		bo.map[0] = 1;
		bo_destroy(fd, &bo);
		n++;
		t = now() - t0;
	} while (t < secs);
	printf("BENCH size=%zu bos=%lu seconds=%.3f bos_per_s=%.1f mib_per_s=%.1f\n",
	       size, n, t, n / t, n * (size / 1048576.0) / t);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ttmprobe [-d CARD] compound [-x compound|plain] SIZE...\n"
		   "       ttmprobe [-d CARD] bench [-t SECONDS] [SIZE...]\n");
}

int main(int argc, char **argv)
{
	static const char *const dflt[] = { "4K", "64K", "2M", "8M" };
	const char *expect = "compound", *cmd;
	double secs = 2;
	int fd, i, rc = 0;

	while (argc > 2 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-d"))
			card = argv[2];
		else
			break;
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	argc -= 2;
	argv += 2;
	while (argc > 1 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-x"))
			expect = argv[1];
		else if (!strcmp(argv[0], "-t"))
			secs = atof(argv[1]);
		else
			break;
		argc -= 2;
		argv += 2;
	}
	if (strcmp(expect, "compound") && strcmp(expect, "plain")) {
		usage(stderr);
		return 2;
	}

	fd = open(card, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("SKIP: cannot open %s: %s\n", card, strerror(errno));
		return KSFT_SKIP;
	}

	if (!strcmp(cmd, "compound")) {
		if (access("/proc/kpageflags", R_OK)) {
			printf("SKIP: /proc/kpageflags: %s (CONFIG_PROC_PAGE_MONITOR, root)\n",
			       strerror(errno));
			return KSFT_SKIP;
		}
		if (!argc) {
			usage(stderr);
			return 2;
		}
		for (i = 0; i < argc; i++)
			rc |= probe(fd, parse_size(argv[i]), expect);
	} else if (!strcmp(cmd, "bench")) {
		if (!argc)
			for (i = 0; i < 4; i++)
				bench(fd, parse_size(dflt[i]), secs);
		for (i = 0; i < argc; i++)
			bench(fd, parse_size(argv[i]), secs);
	} else {
		usage(stderr);
		return 2;
	}
	close(fd);
	return rc;
}
