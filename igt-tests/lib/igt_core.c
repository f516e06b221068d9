// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * igt-compat: the control flow and reporting behind igt_core.h. See the
 * header for what it covers; this is our own code, not IGT's.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "igt_core.h"

sigjmp_buf igt_subtest_jmpbuf;
sigjmp_buf igt_dynamic_jmpbuf;

enum henceforth { GO_ON, ALL_SKIP, ALL_FAIL };

static const char *test_name = "igt";
static bool listing, describing, debug_log;
static const char *test_description;
static char *run_pattern, *dyn_pattern, *describe_pattern;
static bool run_pattern_matched;
static enum henceforth henceforth;
static bool in_fixture;
static bool in_subtest, in_dynamic;
static char subtest[256], dynamic[256];
static int dyn_executed = -1;	/* -1: not inside a dynamic container */
static bool dyn_failed;
static bool any_success, any_fail;
static int fail_code = IGT_EXIT_FAILURE;
static struct timespec t_subtest, t_dynamic;
static char description[512];

static bool in_child;
static pid_t children[64];
static int nchildren;

static pthread_t main_thread;
static volatile bool thread_failed;

/* The last lines logged, dumped to stderr when a (dynamic) subtest fails. */
#define LOG_RING 64
static char *log_ring[LOG_RING];
static unsigned int log_head, log_count;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noreturn)) static void internal_error(const char *what)
{
	fprintf(stderr, "igt-compat: %s\n", what);
	fflush(NULL);
	abort();
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

__attribute__((format(printf, 1, 2)))
static void kmsg(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (listing || getenv("IGT_NO_KMSG"))
		return;
	f = fopen("/dev/kmsg", "w");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void ring_add(char *line)
{
	pthread_mutex_lock(&log_lock);
	free(log_ring[log_head]);
	log_ring[log_head] = line;
	log_head = (log_head + 1) % LOG_RING;
	if (log_count < LOG_RING)
		log_count++;
	pthread_mutex_unlock(&log_lock);
}

static void ring_reset(void)
{
	pthread_mutex_lock(&log_lock);
	log_count = 0;
	pthread_mutex_unlock(&log_lock);
}

static void ring_dump(const char *kind, const char *name)
{
	unsigned int i;

	fflush(stdout);
	fprintf(stderr, "%s %s failed.\n", kind, name);
	pthread_mutex_lock(&log_lock);
	if (!log_count) {
		fprintf(stderr, "No log.\n");
	} else {
		fprintf(stderr, "**** DEBUG ****\n");
		for (i = 0; i < log_count; i++)
			fputs(log_ring[(log_head + LOG_RING - log_count + i) % LOG_RING],
			      stderr);
		fprintf(stderr, "****  END  ****\n");
	}
	log_count = 0;
	pthread_mutex_unlock(&log_lock);
	fflush(stderr);
}

void igt_log(const char *domain, enum igt_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "DEBUG", "INFO", "WARNING", "CRITICAL" };
	char *msg = NULL, *line = NULL;
	va_list ap;
	int n;

	if (level >= IGT_LOG_NONE)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (level == IGT_LOG_INFO)
		n = asprintf(&line, "%s", msg);
	else
		n = asprintf(&line, "(%s:%d) %s%s%s: %s", test_name, (int)getpid(),
			     domain ? domain : "", domain ? "-" : "",
			     names[level], msg);
	free(msg);
	if (n < 0)
		return;

	if (level == IGT_LOG_INFO) {
		fputs(line, stdout);
		fflush(stdout);
	} else if (level == IGT_LOG_DEBUG) {
		if (debug_log) {
			fputs(line, stdout);
			fflush(stdout);
		}
	} else {
		fflush(stdout);
		fputs(line, stderr);
		fflush(stderr);
	}
	ring_add(line);
}

/* IGT's rule for --run-subtest / --dynamic-subtest patterns (uwildmat):
 * comma-separated globs, '!' negates, the last entry that matches decides. */
static bool pattern_match(const char *name, const char *patterns)
{
	char *copy = strdup(patterns), *save = NULL, *p;
	bool result = false;

	if (!copy)
		internal_error("out of memory");
	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		bool negate = p[0] == '!';

		if (fnmatch(negate ? p + 1 : p, name, 0) == 0)
			result = !negate;
	}
	free(copy);
	return result;
}

static void check_name(const char *name, const char *what)
{
	const char *c;

	for (c = name; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') {
			igt_critical("Invalid %s name \"%s\".\n", what, name);
			exit(IGT_EXIT_INVALID);
		}
	}
	if (!*name) {
		igt_critical("Empty %s name.\n", what);
		exit(IGT_EXIT_INVALID);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [OPTIONS]\n"
		   "  --list-subtests\n"
		   "  --run-subtest <pattern>\n"
		   "  --dynamic-subtest <pattern>\n"
		   "  --describe[=<pattern>]\n"
		   "  --help-description\n"
		   "  --debug\n"
		   "  --help|-h\n", test_name);
}

/*
 * Print TEXT word-wrapped, each line after INDENT. IGT's rule: a line takes
 * words while their lengths (spaces not counted) stay within 80 columns
 * less the indent.
 */
static void print_wrapped(const char *indent, const char *text)
{
	size_t room = 80 - strlen(indent), used = 0;

	while (*text) {
		size_t len = strcspn(text, " ");

		if (used && used + len > room) {
			putchar('\n');
			used = 0;
		}
		printf("%s%.*s", used ? " " : indent, (int)len, text);
		used += len;
		text += len;
		if (*text)
			text++;
	}
	putchar('\n');
}

void __igt_compat_init(int *argc, char **argv, const char *test_desc)
{
	enum { OPT_LIST = 256, OPT_RUN, OPT_DYN, OPT_DEBUG, OPT_DESCRIBE, OPT_HELP_DESC };
	static const struct option opts[] = {
		{ "list-subtests", no_argument, NULL, OPT_LIST },
		{ "run-subtest", required_argument, NULL, OPT_RUN },
		{ "dynamic-subtest", required_argument, NULL, OPT_DYN },
		{ "describe", optional_argument, NULL, OPT_DESCRIBE },
		{ "help-description", no_argument, NULL, OPT_HELP_DESC },
		{ "debug", optional_argument, NULL, OPT_DEBUG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct utsname uts;
	const char *slash;
	int c;

	main_thread = pthread_self();
	test_description = test_desc;
	slash = strrchr(argv[0], '/');
	test_name = slash ? slash + 1 : argv[0];
	if (getenv("IGT_LOG_LEVEL") && !strcmp(getenv("IGT_LOG_LEVEL"), "debug"))
		debug_log = true;

	while ((c = getopt_long(*argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LIST:
			listing = true;
			break;
		case OPT_RUN:
			run_pattern = optarg;
			break;
		case OPT_DYN:
			dyn_pattern = optarg;
			break;
		case OPT_DEBUG:
			debug_log = true;
			break;
		case OPT_DESCRIBE:
			/* the test's description, then each subtest's (IGT) */
			listing = describing = true;
			describe_pattern = optarg;
			print_wrapped("", test_description);
			putchar('\n');
			break;
		case OPT_HELP_DESC:
			print_wrapped("", test_description);
			exit(IGT_EXIT_SUCCESS);
		case 'h':
			usage(stdout);
			exit(IGT_EXIT_SUCCESS);
		default:
			usage(stderr);
			exit(IGT_EXIT_INVALID);
		}
	}
	/* Listing wins: it must never touch the hardware. */
	if (listing)
		run_pattern = dyn_pattern = NULL;
	if (describing)
		run_pattern = describe_pattern;
	*argc -= optind - 1;
	memmove(argv + 1, argv + optind, (*argc) * sizeof(*argv));

	if (!listing) {
		uname(&uts);
		igt_info("IGT-Version: 2.0-igt-compat (%s) (%s: %s %s)\n",
			 uts.machine, uts.sysname, uts.release, uts.machine);
		kmsg("<6>[IGT] %s: executing\n", test_name);
	}
}

const char *igt_test_name(void)
{
	return test_name;
}

const char *igt_subtest_name(void)
{
	return in_subtest ? subtest : NULL;
}

bool igt_only_list_subtests(void)
{
	return listing;
}

void igt_describe_f(const char *fmt, ...)
{
	va_list ap;

	if (in_subtest && dyn_executed >= 0)
		internal_error("igt_describe: document the subtest, not its dynamic subtests");
	va_start(ap, fmt);
	vsnprintf(description, sizeof(description), fmt, ap);
	va_end(ap);
}

bool __igt_fixture_begin(void)
{
	if (in_fixture || in_subtest)
		internal_error("igt_fixture cannot be nested in a fixture or subtest");
	if (listing || henceforth != GO_ON)
		return false;
	in_fixture = true;
	return true;
}

void __igt_fixture_done(void)
{
	in_fixture = false;
}

bool __igt_subtest_begin(const char *name, bool dynamic_container,
			 const char *file, int line)
{
	if (in_fixture || in_subtest)
		internal_error("igt_subtest cannot be nested in a fixture or subtest");
	check_name(name, "subtest");

	if (run_pattern) {
		if (!pattern_match(name, run_pattern)) {
			description[0] = '\0';
			return false;
		}
		run_pattern_matched = true;
	}
	if (describing) {
		printf("SUB %s %s:%d:\n", name, file, line);
		print_wrapped("  ", description[0] ? description : "NO DOCUMENTATION!");
		putchar('\n');
		description[0] = '\0';
		return false;
	}
	description[0] = '\0';
	if (listing) {
		printf("%s\n", name);
		return false;
	}
	if (henceforth != GO_ON) {
		printf("Subtest %s: %s (0.000s)\n", name,
		       henceforth == ALL_SKIP ? "SKIP" : "FAIL");
		fflush(stdout);
		return false;
	}

	snprintf(subtest, sizeof(subtest), "%s", name);
	in_subtest = true;
	dyn_executed = dynamic_container ? 0 : -1;
	dyn_failed = false;
	thread_failed = false;
	ring_reset();
	kmsg("<6>[IGT] %s: starting subtest %s\n", test_name, subtest);
	igt_info("Starting subtest: %s\n", subtest);
	clock_gettime(CLOCK_MONOTONIC, &t_subtest);
	return true;
}

bool __igt_dynamic_begin(const char *name)
{
	if (!in_subtest || dyn_executed < 0)
		internal_error("igt_dynamic is allowed only inside igt_subtest_with_dynamic");
	if (in_dynamic)
		internal_error("igt_dynamic cannot be nested");
	check_name(name, "dynamic subtest");
	if (dyn_pattern && !pattern_match(name, dyn_pattern))
		return false;

	snprintf(dynamic, sizeof(dynamic), "%s", name);
	in_dynamic = true;
	dyn_executed++;
	thread_failed = false;
	ring_reset();
	kmsg("<6>[IGT] %s: starting dynamic subtest %s\n", test_name, dynamic);
	igt_info("Starting dynamic subtest: %s\n", dynamic);
	clock_gettime(CLOCK_MONOTONIC, &t_dynamic);
	return true;
}

static void reap_children(void)
{
	int i;

	for (i = 0; i < nchildren; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	nchildren = 0;
}

/* Report the result of the innermost running block and leave it. */
__attribute__((noreturn)) static void finish(const char *result)
{
	bool dyn = in_dynamic;
	double secs = since(dyn ? &t_dynamic : &t_subtest);
	const char *name = dyn ? dynamic : subtest;

	reap_children();
	fflush(stderr);
	printf("%s %s: %s (%.3fs)\n", dyn ? "Dynamic subtest" : "Subtest",
	       name, result, secs);
	fflush(stdout);
	kmsg("<6>[IGT] %s: finished %ssubtest %s, %s\n", test_name,
	     dyn ? "dynamic " : "", name, result);
	if (dyn) {
		in_dynamic = false;
		siglongjmp(igt_dynamic_jmpbuf, 1);
	}
	in_subtest = false;
	dyn_executed = -1;
	siglongjmp(igt_subtest_jmpbuf, 1);
}

void igt_success(void)
{
	if (thread_failed) {
		thread_failed = false;
		igt_fail(IGT_EXIT_FAILURE);
	}
	if (in_dynamic)
		finish("SUCCESS");
	if (!in_subtest)
		return;
	if (dyn_executed >= 0) {
		if (dyn_failed)
			igt_fail(IGT_EXIT_FAILURE);
		if (dyn_executed == 0)
			igt_skip("No dynamic tests executed.\n");
	}
	any_success = true;
	finish("SUCCESS");
}

void igt_fail(int exitcode)
{
	if (exitcode == IGT_EXIT_SUCCESS || exitcode == IGT_EXIT_SKIP)
		internal_error("igt_fail: exit code 0 or 77 is not a failure");
	if (!pthread_equal(pthread_self(), main_thread)) {
		thread_failed = true;
		pthread_exit(NULL);
	}
	if (in_child) {
		fflush(NULL);
		exit(exitcode);
	}

	if (in_dynamic) {
		dyn_failed = true;
		ring_dump("Dynamic subtest", dynamic);
		finish("FAIL");
	}
	if (!any_fail)
		fail_code = exitcode;
	any_fail = true;
	if (in_subtest) {
		if (dyn_executed >= 0)
			ring_reset();	/* the dynamic subtest said why */
		else
			ring_dump("Subtest", subtest);
		finish("FAIL");
	}
	ring_dump("Test", test_name);
	if (in_fixture) {
		henceforth = ALL_FAIL;
		in_fixture = false;
		siglongjmp(igt_subtest_jmpbuf, 1);
	}
	igt_exit();
}

void igt_skip(const char *fmt, ...)
{
	va_list ap;

	if (in_child)
		internal_error("igt_skip is not allowed in forked children");
	if (!pthread_equal(pthread_self(), main_thread))
		internal_error("igt_skip is allowed only in the main thread");
	if (!listing) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		fflush(stdout);
	}
	if (in_dynamic) {
		dyn_executed--;	/* a skipped dynamic subtest does not count */
		finish("SKIP");
	}
	if (in_subtest) {
		/* A container that already saw a dynamic failure stays failed. */
		if (dyn_executed >= 0 && dyn_failed)
			igt_fail(IGT_EXIT_FAILURE);
		finish("SKIP");
	}
	if (in_fixture) {
		henceforth = ALL_SKIP;
		in_fixture = false;
		siglongjmp(igt_subtest_jmpbuf, 1);
	}
	internal_error("igt_skip is allowed only in fixtures and subtests");
}

void __igt_skip_check(const char *file, int line, const char *func,
		      const char *check, const char *fmt, ...)
{
	int err = errno;
	char *msg = NULL, errbuf[160] = "";
	va_list ap;

	if (err)
		snprintf(errbuf, sizeof(errbuf), "Last errno: %i, %s\n", err,
			 strerror(err));
	if (fmt) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
	}
	igt_skip("Test requirement not met in function %s, file %s:%i:\n"
		 "Test requirement: %s\n%s%s", func, file, line, check,
		 msg ? msg : "", errbuf);
}

void __igt_fail_assert(const char *file, int line, const char *func,
		       const char *assertion, const char *fmt, ...)
{
	int err = errno;
	char *msg = NULL;
	va_list ap;

	igt_critical("Test assertion failure function %s, file %s:%i:\n",
		     func, file, line);
	igt_critical("Failed assertion: %s\n", assertion);
	if (err)
		igt_critical("Last errno: %i, %s\n", err, strerror(err));
	if (fmt) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) >= 0) {
			igt_critical("%s", msg);
			free(msg);
		}
		va_end(ap);
	}
	igt_fail(IGT_EXIT_FAILURE);
}

void igt_exit(void)
{
	int code;

	if (in_subtest || in_fixture)
		internal_error("igt_exit called inside a fixture or subtest");
	if (run_pattern && !run_pattern_matched) {
		igt_critical("Unknown subtest: %s\n", run_pattern);
		exit(IGT_EXIT_INVALID);
	}
	if (listing)
		exit(IGT_EXIT_SUCCESS);
	reap_children();
	if (any_fail)
		code = fail_code;
	else if (any_success)
		code = IGT_EXIT_SUCCESS;
	else
		code = IGT_EXIT_SKIP;
	kmsg("<6>[IGT] %s: exiting, ret=%d\n", test_name, code);
	fflush(NULL);
	exit(code);
}

bool __igt_fork(void)
{
	pid_t pid;

	if (!in_subtest)
		internal_error("igt_fork is allowed only inside subtests");
	if (in_child)
		internal_error("igt_fork cannot be nested");
	if (nchildren == (int)(sizeof(children) / sizeof(children[0])))
		internal_error("too many children");
	fflush(NULL);
	pid = fork();
	igt_assert(pid >= 0);
	if (pid == 0) {
		in_child = true;
		nchildren = 0;
		return true;
	}
	children[nchildren++] = pid;
	return false;
}

void __igt_child_done(void)
{
	fflush(NULL);
	exit(IGT_EXIT_SUCCESS);
}

void igt_waitchildren(void)
{
	int i, status, err = 0;

	for (i = 0; i < nchildren; i++) {
		while (waitpid(children[i], &status, 0) < 0) {
			if (errno != EINTR)
				internal_error("waitpid failed");
		}
		if (err || status == 0)
			continue;
		if (WIFEXITED(status)) {
			igt_info("child %i failed with exit status %i\n", i,
				 WEXITSTATUS(status));
			err = WEXITSTATUS(status);
		} else if (WIFSIGNALED(status)) {
			igt_info("child %i died with signal %i, %s\n", i,
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
			err = 128 + WTERMSIG(status);
		} else {
			err = IGT_EXIT_FAILURE;
		}
	}
	nchildren = 0;
	if (err == IGT_EXIT_SKIP || err == IGT_EXIT_SUCCESS)
		err = err ? IGT_EXIT_FAILURE : 0;
	if (err)
		igt_fail(err);
}
