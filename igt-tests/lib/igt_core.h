/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * igt-compat: a small stand-in for the part of IGT's lib/igt_core.h that the
 * tests under igt-tests/tests use. It is not IGT: every line here is our
 * own. The names, signatures and observable behaviour follow IGT's public
 * test API and its test-binary protocol, so that the same test sources
 * build unchanged inside igt-gpu-tools and here:
 *
 *   --list-subtests, --run-subtest PATTERN, --dynamic-subtest PATTERN,
 *   --describe[=PATTERN], --help-description, --debug, --help; PATTERN is a comma-separated list of globs, a leading
 *   '!' excludes, the last matching entry decides (IGT's uwildmat rule).
 *   stdout: "IGT-Version: ..." (not when listing), "Starting subtest: X",
 *   "Subtest X: SUCCESS|SKIP|FAIL (N.NNNs)", "Starting dynamic subtest: Y",
 *   "Dynamic subtest Y: ...". Exit: 0 success, 77 all skipped, 98 failure,
 *   79 invalid option or unknown subtest.
 *
 * It follows IGT master since igt_main() and igt_fixture() became
 * function-like macros (late 2025); the older spellings without parentheses
 * do not build here, as they no longer build in IGT.
 *
 * Set IGT_NO_KMSG=1 to keep the "[IGT] ..." markers out of /dev/kmsg.
 */
#ifndef IGT_CORE_H
#define IGT_CORE_H

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define IGT_EXIT_SUCCESS 0
#define IGT_EXIT_SKIP 77
#define IGT_EXIT_TIMEOUT 78
#define IGT_EXIT_INVALID 79
#define IGT_EXIT_FAILURE 98
#define IGT_EXIT_ABORT 112

#define __igt_paste2(a, b) a##b
#define __igt_paste(a, b) __igt_paste2(a, b)
#define __igt_local(p) __igt_paste(p, __LINE__)

extern sigjmp_buf igt_subtest_jmpbuf;
extern sigjmp_buf igt_dynamic_jmpbuf;

void __igt_compat_init(int *argc, char **argv, const char *description);
bool __igt_fixture_begin(void);
void __igt_fixture_done(void);
bool __igt_subtest_begin(const char *name, bool dynamic_container,
			 const char *file, int line);
bool __igt_dynamic_begin(const char *name);
__attribute__((noreturn)) void igt_exit(void);
void igt_success(void);
__attribute__((noreturn)) void igt_fail(int exitcode);
__attribute__((noreturn, format(printf, 1, 2))) void igt_skip(const char *fmt, ...);
__attribute__((noreturn, format(printf, 5, 6)))
void __igt_skip_check(const char *file, int line, const char *func,
		      const char *check, const char *fmt, ...);
__attribute__((noreturn, format(printf, 5, 6)))
void __igt_fail_assert(const char *file, int line, const char *func,
		       const char *assertion, const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void igt_describe_f(const char *fmt, ...);
const char *igt_test_name(void);
const char *igt_subtest_name(void);
bool igt_only_list_subtests(void);

/*
 * IGT_TEST_DESCRIPTION(): what the whole test checks, printed by --describe
 * and --help-description. IGT declares the variable weak and lists tests
 * without it as undocumented (its CI job list_undocumented_tests.py); here
 * igt_main() refers to it, so a test without one does not link.
 */
extern const char *__igt_test_description;
#define IGT_TEST_DESCRIPTION(str) const char *__igt_test_description = str

/*
 * igt_main(): the test's main(), written "int igt_main() { ... }" as in
 * current IGT (the leading "int" ends up on a declaration of main). The
 * body runs once; igt_exit() turns what the subtests reported into the
 * exit status.
 */
#define igt_main() \
	main(int argc, char **argv); \
	static void __igt_main_body(void); \
	int main(int argc, char **argv) \
	{ \
		__igt_compat_init(&argc, argv, __igt_test_description); \
		__igt_main_body(); \
		igt_exit(); \
	} \
	static void __igt_main_body(void)

/*
 * igt_fixture(): set-up code, not run when listing, nor after a fixture
 * skipped or failed.
 */
#define igt_fixture() \
	for (volatile int __igt_local(__igt_fx) = 0; \
	     __igt_local(__igt_fx) == 0 && __igt_fixture_begin() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     __igt_local(__igt_fx) = 1, __igt_fixture_done())

#define igt_subtest(name) \
	for (; __igt_subtest_begin((name), false, __FILE__, __LINE__) && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define __igt_subtest_fmt(buf, container, ...) \
	for (char buf[256]; \
	     snprintf(buf, sizeof(buf), __VA_ARGS__), \
	     __igt_subtest_begin(buf, (container), __FILE__, __LINE__) && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_subtest_f(...) \
	__igt_subtest_fmt(__igt_local(__igt_name), false, __VA_ARGS__)

#define igt_subtest_with_dynamic(name) \
	for (; __igt_subtest_begin((name), true, __FILE__, __LINE__) && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_subtest_with_dynamic_f(...) \
	__igt_subtest_fmt(__igt_local(__igt_name), true, __VA_ARGS__)

#define igt_dynamic(name) \
	for (; __igt_dynamic_begin(name) && \
	       sigsetjmp(igt_dynamic_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_dynamic_f(...) \
	for (char __igt_local(__igt_dname)[256]; \
	     snprintf(__igt_local(__igt_dname), 256, __VA_ARGS__), \
	     __igt_dynamic_begin(__igt_local(__igt_dname)) && \
	     sigsetjmp(igt_dynamic_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_describe(dsc) igt_describe_f("%s", (dsc))

/* Skips */
#define igt_skip_check(expr, ...) \
	__igt_skip_check(__FILE__, __LINE__, __func__, (expr), __VA_ARGS__)

#define igt_require(expr) do { \
	if (!(expr)) \
		igt_skip_check(#expr, NULL); \
} while (0)

#define igt_require_f(expr, ...) do { \
	if (!(expr)) \
		igt_skip_check(#expr, __VA_ARGS__); \
} while (0)

#define igt_skip_on(expr) do { \
	if ((expr)) \
		igt_skip_check("!(" #expr ")", NULL); \
} while (0)

#define igt_skip_on_f(expr, ...) do { \
	if ((expr)) \
		igt_skip_check("!(" #expr ")", __VA_ARGS__); \
} while (0)

/* Assertions */
#define igt_assert(expr) do { \
	if (!(expr)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, #expr, NULL); \
} while (0)

#define igt_assert_f(expr, ...) do { \
	if (!(expr)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, #expr, __VA_ARGS__); \
} while (0)

#define igt_fail_on(expr) igt_assert(!(expr))
#define igt_fail_on_f(expr, ...) igt_assert_f(!(expr), __VA_ARGS__)

#define __igt_assert_cmp(type, pfmt, cast, a, op, nop, b) do { \
	type __igt_a = (a), __igt_b = (b); \
	if (!(__igt_a op __igt_b)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, \
				  #a " " #op " " #b, \
				  "error: " pfmt " " #nop " " pfmt "\n", \
				  (cast)__igt_a, (cast)__igt_b); \
} while (0)

#define igt_assert_cmpint(a, op, nop, b) \
	__igt_assert_cmp(int, "%d", int, a, op, nop, b)
#define igt_assert_cmpuint(a, op, nop, b) \
	__igt_assert_cmp(uint32_t, "%#x", unsigned int, a, op, nop, b)
#define igt_assert_cmps64(a, op, nop, b) \
	__igt_assert_cmp(int64_t, "%lld", long long, a, op, nop, b)
#define igt_assert_cmpu64(a, op, nop, b) \
	__igt_assert_cmp(uint64_t, "%#llx", unsigned long long, a, op, nop, b)

#define igt_assert_eq(a, b) igt_assert_cmpint(a, ==, !=, b)
#define igt_assert_neq(a, b) igt_assert_cmpint(a, !=, ==, b)
#define igt_assert_lt(a, b) igt_assert_cmpint(a, <, >=, b)
#define igt_assert_lte(a, b) igt_assert_cmpint(a, <=, >, b)
#define igt_assert_eq_u32(a, b) igt_assert_cmpuint(a, ==, !=, b)
#define igt_assert_neq_u32(a, b) igt_assert_cmpuint(a, !=, ==, b)
#define igt_assert_lt_u32(a, b) igt_assert_cmpuint(a, <, >=, b)
#define igt_assert_lte_u32(a, b) igt_assert_cmpuint(a, <=, >, b)
#define igt_assert_eq_s64(a, b) igt_assert_cmps64(a, ==, !=, b)
#define igt_assert_eq_u64(a, b) igt_assert_cmpu64(a, ==, !=, b)
#define igt_assert_neq_u64(a, b) igt_assert_cmpu64(a, !=, ==, b)
#define igt_assert_lt_u64(a, b) igt_assert_cmpu64(a, <, >=, b)
#define igt_assert_lte_u64(a, b) igt_assert_cmpu64(a, <=, >, b)

/* Logging */
enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

#ifndef IGT_LOG_DOMAIN
#define IGT_LOG_DOMAIN (NULL)
#endif

__attribute__((format(printf, 3, 4)))
void igt_log(const char *domain, enum igt_log_level level, const char *fmt, ...);

#define igt_debug(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_DEBUG, __VA_ARGS__)
#define igt_info(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_INFO, __VA_ARGS__)
#define igt_warn(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_WARN, __VA_ARGS__)
#define igt_critical(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_CRITICAL, __VA_ARGS__)

/*
 * Forked children: the body runs in each child, which exits 0 at its end;
 * a failed assertion in a child makes it exit with IGT_EXIT_FAILURE, and
 * igt_waitchildren() then fails the subtest. Skips are not allowed in
 * children.
 */
bool __igt_fork(void);
__attribute__((noreturn)) void __igt_child_done(void);
void igt_waitchildren(void);

#define igt_fork(child, num_children) \
	for (int child = 0; child < (num_children); child++) \
		for (bool __igt_local(__igt_in_child) = __igt_fork(); \
		     __igt_local(__igt_in_child); __igt_child_done())

#endif /* IGT_CORE_H */
