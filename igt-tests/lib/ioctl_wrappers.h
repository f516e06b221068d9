/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 Refcounted TTM for KVM (placeholder)
 *
 * igt-compat: the subset of IGT's lib/ioctl_wrappers.h that our tests use.
 */
#ifndef IOCTL_WRAPPERS_H
#define IOCTL_WRAPPERS_H

/* ioctl() that restarts on EINTR/EAGAIN (libdrm's drmIoctl by default). */
extern int (*igt_ioctl)(int fd, unsigned long request, void *arg);

#endif /* IOCTL_WRAPPERS_H */
