#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The arm64 run of a variant (make arm64 VARIANT=...; make check-full
# runs it for base and full): build the variant for arm64 and the static
# arm64 KVM selftests, boot it on QEMU's arm64 virt machine with EL2
# (TCG), and run TTM's KUnit suites, the curated arm64 KVM selftests
# (scripts/suites/kvm-selftests-arm64.list), the log check's own test
# and, on 6.12, drm_blob_test.
#   arm64.sh VARIANT
. "$(dirname "$0")/lib.sh"

v=${1:?usage: arm64.sh VARIANT}
"$TOP/scripts/build.sh" "$v" arm64
"$TOP/scripts/build-tests.sh" arm64
suites="kunit kvm-selftests warn"
# 6.12's bochs is a TTM driver: drm_blob_test runs there too
[ "$LINE" != 6.12 ] || suites="$suites blob-selftests"
# shellcheck disable=SC2086
"$TOP/scripts/run.sh" -A "$v" $suites
