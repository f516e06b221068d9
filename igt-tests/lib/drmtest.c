// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * igt-compat: opening the DRM device under test. Only the primary nodes
 * /dev/dri/cardN are considered, in order; DRIVER_ANY takes the first one
 * whose driver is not a virtual one (vgem, vkms). As in IGT, the first open
 * of a device node in a process is logged at info level ("Opened device:"),
 * later opens of the same node at debug level.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "drmtest.h"

int (*igt_ioctl)(int fd, unsigned long request, void *arg) = drmIoctl;

static unsigned int driver_flag(const char *name)
{
	static const struct { const char *name; unsigned int flag; } known[] = {
		{ "i915", DRIVER_INTEL }, { "vc4", DRIVER_VC4 },
		{ "vgem", DRIVER_VGEM }, { "amdgpu", DRIVER_AMDGPU },
		{ "v3d", DRIVER_V3D }, { "panfrost", DRIVER_PANFROST },
		{ "msm", DRIVER_MSM }, { "xe", DRIVER_XE },
		{ "vmwgfx", DRIVER_VMWGFX }, { "vkms", DRIVER_VKMS },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(known[i].name, name))
			return known[i].flag;
	/* Drivers IGT has no flag for (bochs, qxl, nouveau, ...) count as "any". */
	return 1u << 31;
}

static void log_opened(const char *path)
{
	static char opened[64][64];
	static unsigned int nopened;
	unsigned int i;

	for (i = 0; i < nopened; i++) {
		if (!strcmp(opened[i], path)) {
			igt_debug("Opened previously opened device: %s\n", path);
			return;
		}
	}
	if (nopened < ARRAY_SIZE(opened))
		snprintf(opened[nopened++], sizeof(opened[0]), "%s", path);
	igt_info("Opened device: %s\n", path);
}

int drm_open_driver(int chipset)
{
	char path[64];
	int minor;

	for (minor = 0; minor < 64; minor++) {
		drmVersionPtr v;
		unsigned int flag;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", minor);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (!v) {
			close(fd);
			continue;
		}
		flag = driver_flag(v->name);
		drmFreeVersion(v);
		if (!(flag & (unsigned int)chipset)) {
			close(fd);
			continue;
		}
		log_opened(path);
		return fd;
	}
	igt_skip("No known gpu found for chipset flags 0x%x\n", (unsigned int)chipset);
}

int drm_close_driver(int fd)
{
	if (fd < 0)
		return -1;
	return close(fd);
}
