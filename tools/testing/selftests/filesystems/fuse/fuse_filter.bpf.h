/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuse-bpf filter programs share: the kfuncs, and the few
 * constants of the kernel's that BTF does not carry.
 */
#ifndef FUSE_FILTER_BPF_H
#define FUSE_FILTER_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

extern int bpf_fuse_get_name(struct fuse_bpf_ctx *fc, __u32 index,
			     char *buf, __u32 buf__sz) __ksym;
extern int bpf_fuse_set_name(struct fuse_bpf_ctx *fc, const char *buf,
			     __u32 buf__sz) __ksym;
extern int bpf_fuse_get_value(struct fuse_bpf_ctx *fc, __u32 offset,
			      void *buf, __u32 buf__sz) __ksym;

#define S_IFMT		00170000
#define S_IFREG		0100000
#define S_IFDIR		0040000
#define O_ACCMODE	00000003
#define O_RDONLY	00000000
#define O_TRUNC		00001000
#define MAY_WRITE	0x00000002
#define FS_IOC_FSSETXATTR	0x401c5820
#define EPERM		1
#define ENOENT		2
#define EIO		5
#define EACCES		13
#define EROFS		30

#define FUSE_NAME_BUF	256

#endif /* FUSE_FILTER_BPF_H */
