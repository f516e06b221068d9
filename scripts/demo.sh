#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job: for each line, build a variant, boot it and run the blob
# passthrough scenario; print the per-buffer table of each line with what
# the SPEC predicts for it.   demo.sh [VARIANT] [UNSAFE] [LINE...]
. "$(dirname "$0")/lib.sh"

v=${1:-full} unsafe=${2:-0}
shift 2 || shift $#
lines=${*:-$LINES}
"$TOP/scripts/deps.sh"
rc=0
for l in $lines; do
	LINE=$l "$TOP/scripts/tree.sh"
	LINE=$l "$TOP/scripts/build-tests.sh"
	LINE=$l "$TOP/scripts/build.sh" "$v"
done
for l in $lines; do
	lrc=0
	BLOB_SIZES=${BLOB_SIZES:-4K 64K 2M 8M} LINE=$l "$TOP/scripts/run.sh" -u "$unsafe" "$v" blob || lrc=$?
	res=$OUT_ROOT/$l/runs/$v/tdp-unsafe$unsafe/blob
	expect=$(LINE=$l; blob_expect "$v" "$unsafe")
	echo
	echo "=== line $l ($(. "$TOP/series/$l/base.conf"; echo "Debian $BASE_PKG $BASE_DEB_VERSION")), variant $v, kvm.allow_unsafe_mappings=$unsafe ==="
	grep -v '^RESULT ' "$res/output.log" || true
	echo
	if [ $lrc = 0 ]; then
		echo "As the SPEC predicts for '$v' on $l ($expect). Logs: $res/"
	else
		echo "NOT as the SPEC predicts for '$v' on $l ($expect). Logs: $res/"
		rc=1
	fi
done
exit $rc
