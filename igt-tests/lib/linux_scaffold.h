/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * igt-compat: IGT's igt.h reaches include/linux_scaffold.h (through its
 * batchbuffer and GPU command headers), which defines the kernel's _AC()
 * helper itself and refuses to build if it is already defined: a test that
 * includes a uapi header defining _AC (<linux/const.h>, and with it
 * <linux/kvm.h> and others) before "igt.h" does not build inside IGT. This
 * header reproduces that rule so that such a test fails here too; include
 * uapi headers after "igt.h".
 */
#ifndef IGT_COMPAT_LINUX_SCAFFOLD_H
#define IGT_COMPAT_LINUX_SCAFFOLD_H

#ifndef _AC
#define _AC(X, Y) X##Y
#else
#error "_AC macro already defined"
#endif

#endif /* IGT_COMPAT_LINUX_SCAFFOLD_H */
