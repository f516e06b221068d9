#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job: build a variant, boot it and run the blob passthrough
# scenario; print the per-buffer table.   demo.sh [VARIANT] [UNSAFE]
. "$(dirname "$0")/lib.sh"

v=${1:-full} unsafe=${2:-0}
"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh"
"$TOP/scripts/build-tests.sh"
"$TOP/scripts/build.sh" "$v"
rc=0
BLOB_SIZES=${BLOB_SIZES:-4K 64K 2M 8M} "$TOP/scripts/run.sh" -u "$unsafe" "$v" blob || rc=$?
res=$OUT/runs/$v/tdp-unsafe$unsafe/blob
echo
echo "=== blob passthrough scenario: variant $v, kvm.allow_unsafe_mappings=$unsafe ==="
grep -v '^RESULT ' "$res/output.log" || true
echo
if [ $rc = 0 ]; then
	echo "As the SPEC predicts for '$v' ($(blob_expect "$v" "$unsafe")). Logs: $res/"
else
	echo "NOT as the SPEC predicts for '$v' ($(blob_expect "$v" "$unsafe")). Logs: $res/"
fi
exit $rc
