/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * <fuse_bpf/filter.bpf.h>: what a fuse-bpf filter (a BPF struct_ops
 * program, struct fuse_bpf_ops) needs besides libbpf's bpf_helpers.h: the
 * types (from a vmlinux.h included first, else fuse_bpf/types.bpf.h),
 * the kfuncs, the kernel constants BTF does not carry, and name checks
 * the verifier accepts.  See "Writing a filter" in
 * Documentation/filesystems/fuse-bpf.rst.
 *
 *   clang -g -O2 --target=bpf -I/usr/include/$(gcc -print-multiarch) \
 *         $(pkg-config --cflags fuse-bpf) -c my_filter.bpf.c -o my_filter.bpf.o
 */
#ifndef FUSE_BPF_FILTER_BPF_H
#define FUSE_BPF_FILTER_BPF_H

#ifndef __VMLINUX_H__
#include <fuse_bpf/types.bpf.h>
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* ------------------------------------------------------------- kfuncs */

/*
 * Copy name @index of the operation (0: the name operated on, the new
 * name of a link, the old one of a rename, a directory entry's, a
 * symlink's target in the readlink post phase; 1: the new name of a
 * rename, the target of a new symlink) into @buf, NUL-terminated.
 * Returns its length, -ENOENT (no such name) or -E2BIG (@buf too small).
 */
extern int bpf_fuse_get_name(struct fuse_bpf_ctx *fc, __u32 index,
			     char *buf, __u32 buf__sz) __ksym;
/* readdir post phase: list the entry under another name (0 or -EINVAL) */
extern int bpf_fuse_set_name(struct fuse_bpf_ctx *fc, const char *buf,
			     __u32 buf__sz) __ksym;
/* xattr: copy part of the value (bytes copied, or -ENOENT) */
extern int bpf_fuse_get_value(struct fuse_bpf_ctx *fc, __u32 offset,
			      void *buf, __u32 buf__sz) __ksym;

/* ---------------------------------------- constants BTF does not carry */

#ifndef FUSE_ROOT_ID
#define FUSE_ROOT_ID		1	/* the root's node id */
#endif
#define FUSE_BPF_NODEID_KERNEL	(1ULL << 63)	/* ids the kernel made */

#ifndef S_IFMT
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define S_IFLNK		0120000
#define S_IFREG		0100000
#define S_IFBLK		0060000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_IFIFO		0010000
#endif
#ifndef O_ACCMODE
#define O_ACCMODE	00000003
#define O_RDONLY	00000000
#define O_WRONLY	00000001
#define O_RDWR		00000002
#define O_CREAT		00000100
#define O_EXCL		00000200
#define O_TRUNC		00001000
#define O_APPEND	00002000
#endif
#ifndef O_DIRECT
#define O_DIRECT	00040000
#endif
#ifndef MAY_WRITE
#define MAY_EXEC	0x00000001
#define MAY_WRITE	0x00000002
#define MAY_READ	0x00000004
#endif
#ifndef EPERM
#define EPERM		1
#define ENOENT		2
#define EIO		5
#define E2BIG		7
#define EACCES		13
#define EEXIST		17
#define EXDEV		18
#define EINVAL		22
#define EROFS		30
#endif
#ifndef EFBIG
#define EFBIG		27
#endif
#ifndef EDQUOT
#define EDQUOT		122
#endif
#ifndef FS_IOC_FSSETXATTR
#define FS_IOC_FSSETXATTR	0x401c5820
#endif

/* ------------------------------------------------------- name checks */

/*
 * A name buffer for bpf_fuse_get_name(): the size is a power of two, so
 * that "& (FUSE_BPF_NAME_BUF - 1)" bounds an index computed from the
 * name's length; longer names (up to NAME_MAX) give -E2BIG.  Zero it
 * before use (= {}): the verifier refuses reads of stack bytes no one
 * wrote, and the checks below read at offsets it cannot pin down.
 */
#define FUSE_BPF_NAME_BUF	256
/* Longest pattern the checks below compare (a loop bound) */
#define FUSE_BPF_PATTERN_MAX	32

/*
 * fuse_bpf_name() - the operation's name @index into @name (of
 * FUSE_BPF_NAME_BUF bytes, zeroed): its length, or < 0 as
 * bpf_fuse_get_name()
 */
static __always_inline int fuse_bpf_name(struct fuse_bpf_ctx *fc,
					 __u32 index, char *name)
{
	return bpf_fuse_get_name(fc, index, name, FUSE_BPF_NAME_BUF);
}

/*
 * fuse_bpf_has_prefix() - does @name (@len bytes) start with @pfx, a
 * NUL-terminated string of at most FUSE_BPF_PATTERN_MAX bytes?  An empty
 * @pfx matches nothing.  Patterns are literals, or const volatile arrays
 * (.rodata) the loader sets: volatile, or clang folds the initial value
 * in and the loader's is never read.
 */
static __always_inline bool fuse_bpf_has_prefix(const char *name, int len,
						const volatile char *pfx)
{
	int i;

	for (i = 0; i < FUSE_BPF_PATTERN_MAX; i++) {
		if (!pfx[i])
			return i > 0;
		if (i >= len || name[i] != pfx[i])
			return false;
	}
	return false;
}

/*
 * fuse_bpf_has_suffix() - does @name (@len bytes, in a zeroed buffer of
 * FUSE_BPF_NAME_BUF) end with @sfx (NUL-terminated, at most
 * FUSE_BPF_PATTERN_MAX bytes)?  An empty @sfx matches nothing.
 *
 * The natural name[len - slen + i] is an offset the verifier cannot
 * bound ("invalid variable-offset read from stack"): the mask bounds it
 * to the buffer, which the zeroing made readable everywhere.
 */
static __always_inline bool fuse_bpf_has_suffix(const char *name, int len,
						const volatile char *sfx)
{
	int slen, i;

	for (slen = 0; slen < FUSE_BPF_PATTERN_MAX && sfx[slen]; slen++)
		;
	if (!slen || slen == FUSE_BPF_PATTERN_MAX || len < slen ||
	    len >= FUSE_BPF_NAME_BUF)
		return false;
	for (i = 0; i < FUSE_BPF_PATTERN_MAX && i < slen; i++)
		if (name[(len - slen + i) & (FUSE_BPF_NAME_BUF - 1)] != sfx[i])
			return false;
	return true;
}

/*
 * fuse_bpf_name_is() - is @name (@len bytes) exactly @str (NUL-terminated,
 * at most FUSE_BPF_PATTERN_MAX bytes): one path component compared
 */
static __always_inline bool fuse_bpf_name_is(const char *name, int len,
					     const volatile char *str)
{
	int i;

	for (i = 0; i < FUSE_BPF_PATTERN_MAX; i++) {
		if (!str[i])
			return i > 0 && i == len;
		if (i >= len || name[i] != str[i])
			return false;
	}
	return false;
}

#endif /* FUSE_BPF_FILTER_BPF_H */
