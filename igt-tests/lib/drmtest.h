/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * igt-compat: the subset of IGT's lib/drmtest.h that our tests use:
 * opening the DRM device under test and the do_ioctl helpers.
 */
#ifndef DRMTEST_H
#define DRMTEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt_core.h"
#include "ioctl_wrappers.h"

#define DRIVER_INTEL	(1 << 0)
#define DRIVER_VC4	(1 << 1)
#define DRIVER_VGEM	(1 << 2)
#define DRIVER_AMDGPU	(1 << 3)
#define DRIVER_V3D	(1 << 4)
#define DRIVER_PANFROST	(1 << 5)
#define DRIVER_MSM	(1 << 6)
#define DRIVER_XE	(1 << 7)
#define DRIVER_VMWGFX	(1 << 8)
#define DRIVER_VKMS	(1 << 9)
/* Any driver but the virtual ones, which IGT keeps out of DRIVER_ANY. */
#define DRIVER_ANY	~(DRIVER_VGEM | DRIVER_VKMS)

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

int drm_open_driver(int chipset);
int drm_close_driver(int fd);

/* The ioctl must succeed. */
#define do_ioctl(fd, ioc, ioc_data) do { \
	igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), 0); \
	errno = 0; \
} while (0)

/* The ioctl must fail with errno @err. */
#define do_ioctl_err(fd, ioc, ioc_data, err) do { \
	igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), -1); \
	igt_assert_eq(errno, (err)); \
	errno = 0; \
} while (0)

#endif /* DRMTEST_H */
