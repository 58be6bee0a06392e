/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The fuse-bpf kernel interface libfuse-bpf needs, for building without
 * a fuse-bpf kernel's headers: the system's <linux/fuse.h> (Debian 12's
 * is Linux 6.1's), and what it lacks of the passthrough interface of
 * Linux 6.9 and of fuse-bpf (values and layouts as the patched kernel's
 * include/uapi/linux/fuse.h has them).  Each block is left out when the
 * system header has it, so that the headers of a fuse-bpf kernel
 * (KHDR_INCLUDES) are used unchanged.  Private to the library: not
 * installed.  check-uapi.sh (run by dev/fbpf tools) compares the fuse-bpf
 * block with the patched kernel's header: a uapi change is made in both.
 */
#ifndef FUSE_BPF_UAPI_H
#define FUSE_BPF_UAPI_H

#include <stdint.h>
#include <linux/ioctl.h>
#include <linux/fuse.h>

#ifndef FUSE_INIT_EXT
#error "<linux/fuse.h> older than protocol 7.36 (Linux 5.17): too old for libfuse-bpf"
#endif

/* Linux 6.6: statx (only named in the request counts) */
#if FUSE_KERNEL_MINOR_VERSION < 39
#define FUSE_STATX			52
#endif

/*
 * Linux 6.9: passthrough.  Before it, fuse_init_out.max_stack_depth was
 * unused[0] and fuse_open_out.backing_id was padding: same offsets.
 */
#ifdef FUSE_PASSTHROUGH
#define FUSE_BPF_INIT_MAX_STACK_DEPTH(o)	((o)->max_stack_depth)
#define FUSE_BPF_OPEN_BACKING_ID(o)		((o)->backing_id)
#else
#define FUSE_PASSTHROUGH		(1ULL << 37)
#define FOPEN_PASSTHROUGH		(1 << 7)
#define FUSE_BPF_INIT_MAX_STACK_DEPTH(o)	((o)->unused[0])
#define FUSE_BPF_OPEN_BACKING_ID(o)	(*(int32_t *)&(o)->padding)

struct fuse_backing_map {
	int32_t		fd;
	uint32_t	flags;
	uint64_t	padding;
};

#define FUSE_DEV_IOC_BACKING_OPEN	_IOW(FUSE_DEV_IOC_MAGIC, 1, \
					     struct fuse_backing_map)
#define FUSE_DEV_IOC_BACKING_CLOSE	_IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)
#endif /* FUSE_PASSTHROUGH */

/* fuse-bpf (include/uapi/linux/fuse.h of the patched kernel) */
#ifndef FUSE_BPF
#define FUSE_BPF			(1ULL << 63)
#define FUSE_BACKING_DIR		(1 << 0)
#define FUSE_NODEID_KERNEL		(1ULL << 63)

#define FUSE_BPF_ACTION_KEEP		0
#define FUSE_BPF_ACTION_SET		1
#define FUSE_BPF_ACTION_REMOVE		2
#define FUSE_BPF_ACTION_INHERIT		3

struct fuse_entry_bpf_out {
	uint32_t	backing_action;
	int32_t		backing_id;
	uint32_t	filter_action;
	uint32_t	filter_id;
	uint64_t	flags;
	uint64_t	reserved;
};

#define FUSE_BPF_FILTER_NAME_MAX	16

struct fuse_bpf_filter_map {
	char		name[FUSE_BPF_FILTER_NAME_MAX];
	uint32_t	flags;
	uint32_t	padding;
};

#define FUSE_PREFILTER			0x10000
#define FUSE_POSTFILTER			0x20000

struct fuse_filter_in {
	int32_t		error;
	uint32_t	in_size;
	uint32_t	out_size;
	uint32_t	names;
};

#define FUSE_DEV_IOC_BPF_FILTER_OPEN	_IOW(FUSE_DEV_IOC_MAGIC, 64, \
					     struct fuse_bpf_filter_map)
#define FUSE_DEV_IOC_BPF_FILTER_CLOSE	_IOW(FUSE_DEV_IOC_MAGIC, 65, uint32_t)
#endif /* FUSE_BPF */

#endif /* FUSE_BPF_UAPI_H */
