# SPDX-License-Identifier: GPL-2.0
# Entry points; the work is done by scripts/. See README.md.

# LINE selects the line (mainline: the posting; 6.12: the backport) for
# every target. Unset, `make` and `make check` run both lines and every
# other target the mainline line.
ifeq ($(origin LINE),undefined)
BOTH_LINES := mainline 6.12
else
BOTH_LINES := $(LINE)
export LINE
endif
VARIANT ?= full
FLAVOUR ?= tdp
UNSAFE ?= 0
DEBUG ?= 0
BENCH ?= all
# GNU make predefines LINT as "lint" (its implicit rules for lint
# libraries); "make lint" alone must run every check.
ifeq ($(origin LINT),default)
LINT :=
endif
run_flags = -f $(FLAVOUR) -u $(UNSAFE) $(if $(filter 1,$(DEBUG)),-d)

.PHONY: all demo check check-full pin lint prefixes series igt-patch deps tree export build tests kunit selftests blob blob-selftests igt warn arm64 bench clean distclean

all: demo

# The main job: build VARIANT of each line, boot it, run the blob
# passthrough scenario, print the tables.
demo:
	@scripts/demo.sh $(VARIANT) $(UNSAFE) $(BOTH_LINES)

# The whole test suite.
check:
	@CHECK_LINES="$(BOTH_LINES)" scripts/check.sh

# Everything: every suite in every MMU flavour and parameter setting (hours).
check-full:
	@CHECK_LINES="$(BOTH_LINES)" CHECK_FULL=1 scripts/check.sh

# Move the line's pinned base to what Debian serves now (or VERSION=...).
pin:
	@scripts/pin-base.sh $(VERSION)

# The maintainers' checks alone (make check runs them too), e.g.
# make lint LINT="checkpatch kdoc".
lint: tree
	@scripts/lint.sh $(LINT)

# The two mail-ready postings under out/series/ (series/README.rst).
series: tree
	@scripts/series.sh

# The IGT-list posting of igt-tests/tests/ into igt-tests/patches/.
igt-patch:
	@scripts/igt-patch.sh

# Every commit of every topic builds the whole test kernel and boots.
prefixes: tree
	@scripts/prefixes.sh

deps:
	@scripts/deps.sh

# Expand the patch topics into out/kernel.
tree:
	@scripts/tree.sh

# Write out/kernel's topic branches back into the patch files.
export:
	@scripts/export.sh

build: tree
	@scripts/build.sh $(VARIANT) $(if $(filter 1,$(DEBUG)),debug)

tests: tree
	@scripts/build-tests.sh

# One suite against an already built variant.
kunit blob blob-selftests igt warn:
	@scripts/run.sh $(run_flags) $(VARIANT) $@

selftests:
	@scripts/run.sh $(run_flags) $(VARIANT) kvm-selftests

# VARIANT built for arm64 and booted on QEMU's arm64 virt machine with
# EL2: TTM KUnit, the arm64 KVM selftests, the log check.
arm64: tree
	@scripts/arm64.sh $(VARIANT)

# Benchmarks of VARIANT against base, built first if missing: all of them and
# a table of the targets by default; one with e.g. BENCH=ttm VARIANT=drm-ttm.
bench:
	@scripts/bench.sh $(BENCH) $(VARIANT)

clean:
	rm -rf out/build out/runs

distclean:
	rm -rf out
