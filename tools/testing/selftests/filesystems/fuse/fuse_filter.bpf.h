/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' filters include this: the kernel's types from the
 * vmlinux.h of the kernel under test when there is one (dev/fbpf tools),
 * else the ones tools/fuse-bpf ships (its stand-alone build), then the
 * installed filter header, <fuse_bpf/filter.bpf.h>
 * (tools/fuse-bpf/include), with the kfuncs and the kernel's constants.
 */
#ifndef FUSE_FILTER_BPF_H
#define FUSE_FILTER_BPF_H

#if __has_include("vmlinux.h")
#include "vmlinux.h"
#endif
#include <fuse_bpf/filter.bpf.h>

#define FUSE_NAME_BUF	FUSE_BPF_NAME_BUF

#endif /* FUSE_FILTER_BPF_H */
