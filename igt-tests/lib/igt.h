/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * igt-compat: the umbrella header, as IGT's lib/igt.h. IGT's own igt.h
 * also pulls in libdrm's KMS API (through igt_kms.h); so does this one,
 * and like IGT's it rejects a uapi header included before it that defined
 * _AC (linux_scaffold.h).
 */
#ifndef IGT_H
#define IGT_H

/*
 * First, so that it sees only what the test included before igt.h: in IGT
 * the headers igt.h includes ahead of linux_scaffold.h use IGT's own
 * include/drm-uapi copies, which do not define _AC, while the tree's
 * drm_mode.h used here may (Linux 7.2's includes <linux/const.h>).
 */
#include "linux_scaffold.h"

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "drmtest.h"
#include "igt_core.h"
#include "ioctl_wrappers.h"

#endif /* IGT_H */
