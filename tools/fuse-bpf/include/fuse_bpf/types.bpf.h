/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fuse-bpf filter types for BPF programs built without a vmlinux.h: the
 * struct_ops argument types of include/linux/fuse_bpf_ops.h, with the
 * uapi structures they hold taken from the system's <linux/fuse.h>
 * (protocol 7.36 or later; they only grow at their ends).  Included by
 * <fuse_bpf/filter.bpf.h> when no vmlinux.h came first.
 *
 * preserve_access_index: a field's offset is relocated against the
 * running kernel's BTF at load time (CO-RE), as with a vmlinux.h.
 */
#ifndef FUSE_BPF_TYPES_BPF_H
#define FUSE_BPF_TYPES_BPF_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * <linux/fuse.h> takes uint32_t and the like from <stdint.h>, whose C
 * library part cannot be built for a BPF target (gnu/stubs-32.h): they
 * are defined here, and <stdint.h> (clang's and glibc's guards) left out.
 */
#if !defined(__CLANG_STDINT_H) && !defined(_STDINT_H)
#define __CLANG_STDINT_H
#define _STDINT_H
typedef __u8 uint8_t;
typedef __u16 uint16_t;
typedef __u32 uint32_t;
typedef __u64 uint64_t;
typedef __s8 int8_t;
typedef __s16 int16_t;
typedef __s32 int32_t;
typedef __s64 int64_t;
#endif
#include <linux/fuse.h>
#include <linux/bpf.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), \
			     apply_to = record)

enum fuse_bpf_phase {
	FUSE_BPF_PRE = 0,
	FUSE_BPF_POST = 1,
};

enum fuse_bpf_verdict {
	FUSE_BPF_BACKING = 0,
	FUSE_BPF_BACKING_POST = 1,
	FUSE_BPF_DAEMON = 2,
	FUSE_BPF_USER_PRE = 3,
	FUSE_BPF_USER_POST = 4,
	FUSE_BPF_SKIP = 5,
};

/* &fuse_bpf_ops.flags, chosen when the filter is attached */
enum fuse_bpf_ops_flags {
	FUSE_BPF_F_FAIL_CLOSED = 1 << 0,
	FUSE_BPF_F_BOTH_ENDS = 1 << 1,
	FUSE_BPF_F_SHARED_MMAP = 1 << 2,
	FUSE_BPF_F_BACKING_ATTR = 1 << 3,
};

struct fuse_bpf_ctx {
	__u32 opcode;
	__u32 phase;
	__u64 nodeid;
	__u32 uid;
	__u32 gid;
	__u32 pid;
	__s32 error;
};

struct fuse_bpf_entry_args {
	struct fuse_entry_out out;
};

struct fuse_bpf_attr_args {
	struct fuse_getattr_in in;
	struct fuse_attr_out out;
};

struct fuse_bpf_setattr_args {
	struct fuse_setattr_in in;
};

struct fuse_bpf_access_args {
	struct fuse_access_in in;
};

struct fuse_bpf_open_args {
	struct fuse_open_in in;
};

struct fuse_bpf_create_args {
	struct fuse_mknod_in in;
	struct fuse_entry_out out;
};

struct fuse_bpf_link_args {
	struct fuse_link_in in;
};

struct fuse_bpf_rename_args {
	struct fuse_rename2_in in;
};

struct fuse_bpf_dirent {
	__u64 ino;
	__u64 off;
	__u32 type;
	__u32 namelen;
};

struct fuse_bpf_readdir_args {
	struct fuse_read_in in;
	struct fuse_bpf_dirent entry;
};

struct fuse_bpf_xattr_args {
	struct fuse_setxattr_in in;
	struct fuse_getxattr_out out;
};

struct fuse_bpf_statfs_args {
	struct fuse_statfs_out out;
};

struct fuse_bpf_fsync_args {
	struct fuse_fsync_in in;
};

struct fuse_bpf_lseek_args {
	struct fuse_lseek_in in;
	struct fuse_lseek_out out;
};

struct fuse_bpf_fallocate_args {
	struct fuse_fallocate_in in;
};

struct fuse_bpf_copy_file_range_args {
	struct fuse_copy_file_range_in in;
	struct fuse_write_out out;
};

struct fuse_bpf_flush_args {
	struct fuse_flush_in in;
};

struct fuse_bpf_lock_args {
	struct fuse_lk_in in;
};

struct fuse_bpf_ioctl_args {
	struct fuse_ioctl_in in;
};

struct fuse_bpf_read_args {
	struct fuse_read_in in;
	struct fuse_write_out out;
};

struct fuse_bpf_write_args {
	struct fuse_write_in in;
	struct fuse_write_out out;
};

/* libbpf matches the members with the kernel's by name */
struct fuse_bpf_ops {
	int (*lookup)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_entry_args *args);
	int (*getattr)(struct fuse_bpf_ctx *ctx,
		       struct fuse_bpf_attr_args *args);
	int (*setattr)(struct fuse_bpf_ctx *ctx,
		       struct fuse_bpf_setattr_args *args);
	int (*access)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_access_args *args);
	int (*open)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_open_args *args);
	int (*create)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_create_args *args);
	int (*link)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_link_args *args);
	int (*unlink)(struct fuse_bpf_ctx *ctx);
	int (*rename)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_rename_args *args);
	int (*readdir)(struct fuse_bpf_ctx *ctx,
		       struct fuse_bpf_readdir_args *args);
	int (*readlink)(struct fuse_bpf_ctx *ctx);
	int (*xattr)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_xattr_args *args);
	int (*statfs)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_statfs_args *args);
	int (*fsync)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_fsync_args *args);
	int (*lseek)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_lseek_args *args);
	int (*fallocate)(struct fuse_bpf_ctx *ctx,
			 struct fuse_bpf_fallocate_args *args);
	int (*copy_file_range)(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_copy_file_range_args *args);
	int (*flush)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_flush_args *args);
	int (*lock)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_lock_args *args);
	int (*ioctl)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_ioctl_args *args);
	int (*read)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_read_args *args);
	int (*write)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_write_args *args);
	char name[16];
	__u32 flags;
};

#pragma clang attribute pop

#endif /* FUSE_BPF_TYPES_BPF_H */
