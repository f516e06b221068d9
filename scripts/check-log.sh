#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scan kernel logs for anything that must fail a run: warnings, BUGs,
# oopses, KASAN/UBSAN reports, bad pages, refcount errors, lockdep splats,
# soft lockups, RCU stalls, panics. Prints each offending line with its
# file and line number; exit status 1 if there was any.
#   check-log.sh FILE...
set -u
pat='WARNING:|BUG:|kernel BUG at|Oops|general protection fault|KASAN:|UBSAN:|Bad page|refcount_t:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lockdep|soft lockup|hard LOCKUP|rcu: INFO:|detected stalls|blocked for more than|Kernel panic|Unable to handle|page dumped because|kernel tried to execute|stack-protector|list_add corruption|list_del corruption|Call Trace:'
rc=0
for f in "$@"; do
	[ -f "$f" ] || continue
	# KUnit prints expected-failure context with '# ' prefixes; a real
	# splat from a test still shows up as its own kernel message.
	if grep -nE "$pat" "$f" | grep -vE 'kunit.*# .*(WARNING|BUG)' >"$f.splat"; then
		sed "s|^|$f:|" "$f.splat" | head -20
		rc=1
	fi
	[ -s "$f.splat" ] || rm -f "$f.splat"
done
exit $rc
