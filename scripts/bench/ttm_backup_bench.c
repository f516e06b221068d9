// SPDX-License-Identifier: GPL-2.0
/*
 * TTM backup and restore throughput, for scripts/bench.sh (a harness
 * module, not part of the series; mainline only: 6.12 has no ttm_backup).
 *
 * It takes the path a shrinking driver (xe) takes: a system-memory BO
 * whose ttm_tt may be backed up, ttm_bo_shrink() to back it up to shmem,
 * and ttm_bo_populate() with a populate callback that restores a backed-up
 * ttm_tt. TTM backs up only while swap space exists: the kernel is built
 * with series/config/bench.config and the guest turns swap on; nothing is
 * swapped out, the shmem copy is what is timed. Only exported functions are used, so the same source builds
 * against mainline base and against the drm-ttm topic. The device comes
 * from the TTM KUnit helpers (built in with CONFIG_DRM_TTM_KUNIT_TEST=y),
 * so the module is a KUnit suite that runs when it is loaded.
 *
 * Per size it prints two lines, for backup and for restore:
 *   BENCH op=backup size=BYTES bos=N seconds=S mib_per_s=X
 * N counts the cycles; S is the time spent in that operation only.
 */
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <drm/ttm/ttm_backup.h>
#include <drm/ttm/ttm_bo.h>
#include <drm/ttm/ttm_device.h>
#include <drm/ttm/ttm_placement.h>
#include <drm/ttm/ttm_pool.h>
#include <drm/ttm/ttm_tt.h>

#include <kunit/test.h>

#include "ttm_kunit_helpers.h"

static unsigned int secs = 3;
module_param(secs, uint, 0444);
MODULE_PARM_DESC(secs, "seconds of cycles per size (default 3)");

static char *sizes = "2M,8M,64M";
module_param(sizes, charp, 0444);
MODULE_PARM_DESC(sizes, "comma-separated BO sizes (default 2M,8M,64M)");

static struct ttm_tt *bench_tt_create(struct ttm_buffer_object *bo,
				      u32 page_flags)
{
	struct ttm_tt *tt = kzalloc(sizeof(*tt), GFP_KERNEL);

	if (!tt)
		return NULL;
	/* The flags under which xe's ttm_tt may be backed up */
	page_flags |= TTM_TT_FLAG_EXTERNAL | TTM_TT_FLAG_EXTERNAL_MAPPABLE;
	if (ttm_tt_init(tt, bo, page_flags, ttm_cached, 0)) {
		kfree(tt);
		return NULL;
	}
	if (ttm_tt_setup_backup(tt)) {
		ttm_tt_fini(tt);
		kfree(tt);
		return NULL;
	}
	return tt;
}

static int bench_tt_populate(struct ttm_device *bdev, struct ttm_tt *tt,
			     struct ttm_operation_ctx *ctx)
{
	if (ttm_tt_is_backed_up(tt))
		return ttm_tt_restore(bdev, tt, ctx);
	return ttm_pool_alloc(&bdev->pool, tt, ctx);
}

static void bench_tt_unpopulate(struct ttm_device *bdev, struct ttm_tt *tt)
{
	ttm_pool_free(&bdev->pool, tt);
}

static void bench_tt_destroy(struct ttm_device *bdev, struct ttm_tt *tt)
{
	ttm_tt_fini(tt);
	kfree(tt);
}

/* Every BO lives in system memory: there is nothing to copy on a move. */
static int bench_move(struct ttm_buffer_object *bo, bool evict,
		      struct ttm_operation_ctx *ctx,
		      struct ttm_resource *new_mem, struct ttm_place *hop)
{
	ttm_bo_move_null(bo, new_mem);
	return 0;
}

static void bench_evict_flags(struct ttm_buffer_object *bo,
			      struct ttm_placement *placement)
{
	placement->num_placement = 0;
}

static const struct ttm_device_funcs bench_funcs = {
	.ttm_tt_create = bench_tt_create,
	.ttm_tt_populate = bench_tt_populate,
	.ttm_tt_unpopulate = bench_tt_unpopulate,
	.ttm_tt_destroy = bench_tt_destroy,
	.move = bench_move,
	.evict_flags = bench_evict_flags,
};

static const struct ttm_place sys_place = { .mem_type = TTM_PL_SYSTEM };
static struct ttm_placement sys_placement = {
	.num_placement = 1,
	.placement = &sys_place,
};

static void bench_bo_destroy(struct ttm_buffer_object *bo)
{
	drm_gem_object_release(&bo->base);
	kfree(bo);
}

static void bench_fill(struct ttm_tt *tt)
{
	pgoff_t i;

	for (i = 0; i < tt->num_pages; i++) {
		void *p = kmap_local_page(tt->pages[i]);

		memset(p, 0x5a ^ (i & 0xff), PAGE_SIZE);
		kunmap_local(p);
	}
}

static bool bench_holds(struct ttm_tt *tt)
{
	pgoff_t i;

	for (i = 0; i < tt->num_pages; i++) {
		u8 *p = kmap_local_page(tt->pages[i]);
		bool ok = p[0] == (0x5a ^ (i & 0xff)) &&
			  p[PAGE_SIZE - 1] == (0x5a ^ (i & 0xff));

		kunmap_local(p);
		if (!ok)
			return false;
	}
	return true;
}

static void bench_print(const char *op, size_t size, unsigned int n, u64 ns)
{
	/* KiB first: n * size * 10 * NSEC_PER_SEC would overflow u64 */
	u64 kib = (u64)n * size / SZ_1K;
	u64 mib_x10 = ns ? div64_u64(kib * 10 * NSEC_PER_SEC, ns) / SZ_1K : 0;

	pr_info("BENCH op=%s size=%zu bos=%u seconds=%llu.%06llu mib_per_s=%llu.%llu\n",
		op, size, n, ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / 1000,
		mib_x10 / 10, mib_x10 % 10);
}

/*
 * One size, run by a worker: the KUnit test thread would make every
 * KUnit static stub on the path (TTM has them for its own tests) look
 * itself up in the test's resources, which a shrinker never does.
 */
struct bench_run {
	struct work_struct work;
	struct drm_device *drm;
	struct ttm_device *bdev;
	size_t size;
	unsigned int n;
	u64 backup_ns, restore_ns;
	long backed;		/* last ttm_bo_shrink() return */
	int err;		/* first setup or restore error */
	bool intact;		/* contents survived every cycle */
};

static void bench_work(struct work_struct *work)
{
	struct bench_run *run = container_of(work, struct bench_run, work);
	const struct ttm_bo_shrink_flags flags = {};
	struct ttm_operation_ctx ctx = { };
	struct ttm_buffer_object *bo;
	u64 t0, t1, t2 = 0, end;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo) {
		run->err = -ENOMEM;
		return;
	}
	drm_gem_private_object_init(run->drm, &bo->base, run->size);
	run->err = ttm_bo_init_reserved(run->bdev, bo, ttm_bo_type_device,
					&sys_placement, PAGE_SIZE, &ctx, NULL,
					NULL, bench_bo_destroy);
	if (run->err)
		return;		/* ttm_bo_init_reserved() put the BO */
	run->err = ttm_bo_populate(bo, &ctx);
	if (run->err)
		goto out;
	bench_fill(bo->ttm);

	end = ktime_get_ns() + (u64)secs * NSEC_PER_SEC;
	do {
		t0 = ktime_get_ns();
		run->backed = ttm_bo_shrink(&ctx, bo, flags);
		t1 = ktime_get_ns();
		if (run->backed != bo->ttm->num_pages)
			break;
		run->err = ttm_bo_populate(bo, &ctx);
		t2 = ktime_get_ns();
		if (run->err)
			break;
		run->backup_ns += t1 - t0;
		run->restore_ns += t2 - t1;
		run->n++;
		cond_resched();
	} while (t2 < end);

	if (!run->err && run->backed == bo->ttm->num_pages)
		run->intact = bench_holds(bo->ttm);
out:
	dma_resv_unlock(bo->base.resv);
	ttm_bo_fini(bo);
}

static void bench_one(struct kunit *test, struct ttm_test_devices *devs,
		      struct ttm_device *bdev, size_t size)
{
	struct bench_run run = {
		.drm = devs->drm,
		.bdev = bdev,
		.size = size,
	};

	INIT_WORK_ONSTACK(&run.work, bench_work);
	queue_work(system_unbound_wq, &run.work);
	flush_work(&run.work);
	destroy_work_on_stack(&run.work);

	KUNIT_EXPECT_EQ_MSG(test, run.err, 0, "setup or restore of %zu bytes",
			    size);
	KUNIT_EXPECT_EQ_MSG(test, run.backed, (long)(size >> PAGE_SHIFT),
			    "backup of %zu bytes", size);
	KUNIT_EXPECT_TRUE_MSG(test, run.intact,
			      "contents of %zu bytes after %u cycles", size,
			      run.n);

	bench_print("backup", size, run.n, run.backup_ns);
	bench_print("restore", size, run.n, run.restore_ns);
}

static void ttm_backup_bench(struct kunit *test)
{
	struct ttm_test_devices *devs = ttm_test_devices_basic(test);
	struct ttm_device *bdev;
	char *list, *cur, *tok;
	int err;

	/* TTM backs up only while there is swap space (bench.config) */
	if (!ttm_backup_bytes_avail())
		kunit_skip(test, "no swap space: TTM would not back up");

	bdev = kunit_kzalloc(test, sizeof(*bdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bdev);
	err = ttm_device_init(bdev, &bench_funcs, devs->dev,
			      devs->drm->anon_inode->i_mapping,
			      devs->drm->vma_offset_manager, 0);
	KUNIT_ASSERT_EQ(test, err, 0);
	devs->ttm_dev = bdev;	/* ttm_test_devices_put() finishes it */

	list = kstrdup(sizes, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, list);
	cur = list;
	while ((tok = strsep(&cur, ",")) && !test->status) {
		size_t size = PAGE_ALIGN(memparse(tok, NULL));

		if (!size)
			continue;
		bench_one(test, devs, bdev, size);
	}
	kfree(list);
	ttm_test_devices_put(test, devs);
}

static struct kunit_case ttm_backup_bench_cases[] = {
	KUNIT_CASE_SLOW(ttm_backup_bench),
	{}
};

static struct kunit_suite ttm_backup_bench_suite = {
	.name = "ttm_backup_bench",
	.test_cases = ttm_backup_bench_cases,
};

kunit_test_suite(ttm_backup_bench_suite);

MODULE_DESCRIPTION("TTM backup and restore throughput (test harness)");
MODULE_LICENSE("GPL");
