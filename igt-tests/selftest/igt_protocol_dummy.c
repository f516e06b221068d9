// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * A dummy test for scripts/tests/igt-protocol.sh: subtests that pass, skip
 * and fail, dynamic subtests, forked children, a failing thread and a late
 * fixture that skips (or, with IGT_DUMMY_FIXTURE=fail, fails) everything
 * after it. Needs no DRM device. With IGT_DUMMY_MARK=FILE the first fixture
 * creates FILE, which shows whether fixtures ran.
 */
#include <fcntl.h>
#include <pthread.h>

#include "igt.h"

IGT_TEST_DESCRIPTION("Exercise the test-binary protocol of the IGT compatibility "
		     "layer.");

static void *failing_thread(void *arg)
{
	igt_assert_f(arg == NULL, "a thread's assertion fails its subtest\n");
	return NULL;
}

int igt_main()
{
	int fixture_runs = 0;

	igt_fixture() {
		const char *mark = getenv("IGT_DUMMY_MARK");

		if (mark) {
			int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			igt_assert(fd >= 0);
			close(fd);
		}
		fixture_runs++;
	}

	igt_describe("Always passes.");
	igt_subtest("pass")
		igt_assert_eq(fixture_runs, 1);

	igt_describe("Always skips.");
	igt_subtest("skip")
		igt_require_f(fixture_runs == 0, "dummy requirement\n");

	igt_describe("Always fails.");
	igt_subtest("fail")
		igt_assert_eq(1 + 1, 3);

	igt_describe("Passes after a failed subtest.");
	igt_subtest_f("pass-%s", "after-fail")
		igt_assert_lte(1, 1);

	igt_describe("Dynamic subtests: one passes, one skips.");
	igt_subtest_with_dynamic("dynamic-pass") {
		igt_dynamic("dyn-a")
			igt_assert_lt(0, 1);
		igt_dynamic_f("dyn-%c", 'b')
			igt_skip("dummy dynamic skip\n");
	}

	igt_describe("Dynamic subtests: the middle one fails, the others run.");
	igt_subtest_with_dynamic_f("dynamic-%s", "fail") {
		igt_dynamic("dyn-a")
			igt_assert_neq(0, 1);
		igt_dynamic("dyn-b")
			igt_assert_eq_u64(1ull << 40, 1ull << 41);
		igt_dynamic("dyn-c")
			igt_assert_eq_u32(7, 7);
	}

	igt_describe("Dynamic subtests that all skip.");
	igt_subtest_with_dynamic("dynamic-none") {
		igt_dynamic("dyn-a")
			igt_skip_on_f(true, "dummy\n");
	}

	igt_describe("Forked children that pass.");
	igt_subtest("fork-pass") {
		igt_fork(child, 3)
			igt_assert(child >= 0 && child < 3);
		igt_waitchildren();
	}

	igt_describe("A forked child fails, so does the subtest.");
	igt_subtest("fork-fail") {
		igt_fork(child, 2)
			igt_assert_f(child == 0, "child %d fails\n", child);
		igt_waitchildren();
	}

	igt_describe("An assertion in a thread fails the subtest.");
	igt_subtest("thread-fail") {
		pthread_t t;

		igt_assert_eq(pthread_create(&t, NULL, failing_thread, (void *)1), 0);
		pthread_join(t, NULL);
	}

	igt_describe("do_ioctl_err sees the expected errno.");
	igt_subtest("ioctl-err") {
		struct drm_version v = {};

		do_ioctl_err(-1, DRM_IOCTL_VERSION, &v, EBADF);
	}

	igt_fixture() {
		const char *how = getenv("IGT_DUMMY_FIXTURE");

		if (how && !strcmp(how, "fail"))
			igt_assert_f(false, "dummy fixture failure\n");
		igt_require_f(false, "dummy fixture skip\n");
	}

	igt_describe("Runs only if the late fixture succeeds, which it never does.");
	igt_subtest("after-fixture-1")
		igt_assert(false);

	igt_describe("Same.");
	igt_subtest("after-fixture-2")
		igt_assert(false);
}
