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

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "drmtest.h"
#include "igt_core.h"
#include "ioctl_wrappers.h"
#include "linux_scaffold.h"

#endif /* IGT_H */
