#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scan kernel logs for anything that must fail a run: warnings, BUGs,
# oopses, KASAN/UBSAN reports, bad pages, refcount errors, lockdep splats,
# soft lockups, RCU stalls, panics. Prints each offending line with its
# file and line number; exit status 1 if there was any.
#
#   check-log.sh [-a ALLOWLIST] FILE...
#
# ALLOWLIST names WARNINGs that a KUnit test provokes on purpose: one
# extended regex per line, matched against the WARNING line, which names
# FILE:LINE and FUNC ('#' starts a comment; the line's layout differs
# between 6.12 and 7.2, so a pattern should match "FILE:LINE (at )?FUNC"). Such a WARNING, and the trace that
# follows it up to "---[ end trace", is accepted only if it was raised in a
# KUnit test thread (Comm: kunit_try_catch).
# Lockdep's splats start with "WARNING:" or "BUG:"; its informational boot
# lines ("RCU lockdep checking is enabled.") are not failures.
set -u
allow=/dev/null
if [ "${1:-}" = -a ]; then
	allow=$2
	shift 2
fi
pat='WARNING:|BUG:|kernel BUG at|Oops|general protection fault|KASAN:|UBSAN:|Bad page|refcount_t:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|turning off the locking correctness validator|soft lockup|hard LOCKUP|rcu: INFO:|detected stalls|blocked for more than|Kernel panic|Unable to handle|page dumped because|kernel tried to execute|stack-protector|list_add corruption|list_del corruption|Call Trace:'
rc=0
for f in "$@"; do
	[ -f "$f" ] || continue
	awk -v pat="$pat" -v allowfile="$allow" -v name="$f" '
		BEGIN {
			while ((getline l < allowfile) > 0) {
				sub(/[ \t]*#.*/, "", l)
				if (l != "") allow[n++] = l
			}
		}
		function report(s) { print name ":" s; bad = 1 }
		# inside an allowlisted WARNING: held back until we know the task
		held != "" {
			if ($0 ~ /Comm: /) {
				if ($0 !~ /Comm: kunit_try_catch/) { report(held); held = ""; skipping = 0; next }
				held = ""; skipping = 1; next
			}
		}
		skipping {
			if ($0 ~ /---\[ end trace/) skipping = 0
			next
		}
		$0 ~ pat {
			# 6.12: "WARNING: CPU: 0 PID: 44 at FILE:LINE FUNC+...";
			# 7.2: "WARNING: FILE:LINE at FUNC+..., CPU#0: COMM/PID"
			if ($0 ~ /WARNING: CPU: / || $0 ~ /WARNING: [^ ]+:[0-9]+ at /) {
				for (i = 0; i < n; i++)
					if ($0 ~ allow[i]) { held = NR ":" $0; next }
			}
			report(NR ":" $0)
		}
		END { if (held != "") report(held); exit bad }' "$f" | head -20
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
done
exit $rc
