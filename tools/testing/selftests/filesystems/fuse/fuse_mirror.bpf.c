// SPDX-License-Identifier: GPL-2.0
/*
 * The redacting mirror (Documentation/filesystems/fuse-bpf.rst, "Policy
 * recipes"): the kernel serves a backed tree in which
 *
 *  - names ending in ".pem" or ".key" are hidden: lookups fail with
 *    ENOENT, directory listings leave them out, and no operation may
 *    create, link or rename anything to such a name (EPERM), which would
 *    reach the hidden file on the backing;
 *  - the subtree "readonly" refuses every change (EROFS), as
 *    fuse_readonly.bpf.c does, and nothing leaves or enters it.
 *
 * Two filters: "mirror" on the mirror's root, "mirror_ro" on "readonly".
 * The kernel would give "readonly" the root's filter, as it does to every
 * kernel node, so mirror sends the lookup of that one name to the daemon
 * (FUSE_BPF_DAEMON), which answers with the backing and mirror_ro; and
 * mirror refuses any operation that would make, move or remove a node of
 * that name in the root, which the daemon would never see.  mirror_ro
 * asks for FUSE_BPF_F_BOTH_ENDS, so that a rename into the subtree or a
 * hard link of one of its files from outside, run by mirror, is its call
 * too.  Both fail closed when detached (FUSE_BPF_F_FAIL_CLOSED).
 */
#include "fuse_filter.bpf.h"

#define POLICY_DIR	"readonly"
#define EXDEV		18

__u64 hidden_lookups, hidden_entries, refused, to_daemon;

/* The kit's pattern helpers (<fuse_bpf/filter.bpf.h>) on literals */
static bool is_hidden(const char *name, int len)
{
	return fuse_bpf_has_suffix(name, len, ".pem") ||
	       fuse_bpf_has_suffix(name, len, ".key");
}

static bool is_policy_dir(const char *name, int len)
{
	return fuse_bpf_name_is(name, len, POLICY_DIR);
}

/* What name @index of the operation is */
enum { PLAIN, HIDDEN, POLICY };

/* Not inlined: rename asks twice, and two name buffers overflow the stack */
static __noinline int name_kind(struct fuse_bpf_ctx *fc, __u32 index)
{
	char name[FUSE_NAME_BUF] = {};
	int len = bpf_fuse_get_name(fc, index, name, sizeof(name));

	if (len <= 0)
		return PLAIN;
	if (is_hidden(name, len))
		return HIDDEN;
	return is_policy_dir(name, len) ? POLICY : PLAIN;
}

static int refuse(int err)
{
	__sync_fetch_and_add(&refused, 1);
	return err;
}

/* ------------------------------------------------- both filters: hiding */

static int hide_lookup(struct fuse_bpf_ctx *fc, bool root)
{
	switch (name_kind(fc, 0)) {
	case HIDDEN:
		__sync_fetch_and_add(&hidden_lookups, 1);
		return -ENOENT;
	case POLICY:
		if (!root)
			break;
		/* The daemon binds it, with mirror_ro */
		__sync_fetch_and_add(&to_daemon, 1);
		return FUSE_BPF_DAEMON;
	}
	return FUSE_BPF_BACKING;
}

static int hide_readdir(struct fuse_bpf_ctx *fc)
{
	if (fc->phase == FUSE_BPF_PRE)
		return FUSE_BPF_BACKING_POST;
	if (name_kind(fc, 0) != HIDDEN)
		return FUSE_BPF_BACKING;
	__sync_fetch_and_add(&hidden_entries, 1);
	return FUSE_BPF_SKIP;
}

/* ------------------------------------------------------- mirror: the root */

SEC("struct_ops/mirror_lookup")
int BPF_PROG(mirror_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	return hide_lookup(fc, true);
}

SEC("struct_ops/mirror_readdir")
int BPF_PROG(mirror_readdir, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_readdir_args *args)
{
	return hide_readdir(fc);
}

/* A name made, moved or removed: neither hidden nor the policy dir's */
static int plain_name(struct fuse_bpf_ctx *fc, __u32 index)
{
	return name_kind(fc, index) == PLAIN ? FUSE_BPF_BACKING :
					       refuse(-EPERM);
}

SEC("struct_ops/mirror_create")
int BPF_PROG(mirror_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	return plain_name(fc, 0);
}

SEC("struct_ops/mirror_link")
int BPF_PROG(mirror_link, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_link_args *args)
{
	return plain_name(fc, 0);
}

SEC("struct_ops/mirror_unlink")
int BPF_PROG(mirror_unlink, struct fuse_bpf_ctx *fc)
{
	return plain_name(fc, 0);
}

SEC("struct_ops/mirror_rename")
int BPF_PROG(mirror_rename, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_rename_args *args)
{
	int ret = plain_name(fc, 0);

	return ret == FUSE_BPF_BACKING ? plain_name(fc, 1) : ret;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops mirror_ops = {
	.lookup = (void *)mirror_lookup,
	.readdir = (void *)mirror_readdir,
	.create = (void *)mirror_create,
	.link = (void *)mirror_link,
	.unlink = (void *)mirror_unlink,
	.rename = (void *)mirror_rename,
	.name = "mirror",
	.flags = FUSE_BPF_F_FAIL_CLOSED,
};

/* ------------------------------------------- mirror_ro: the "readonly" dir */

SEC("struct_ops/ro_lookup")
int BPF_PROG(ro_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	return hide_lookup(fc, false);
}

SEC("struct_ops/ro_readdir")
int BPF_PROG(ro_readdir, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_readdir_args *args)
{
	return hide_readdir(fc);
}

SEC("struct_ops/ro_access")
int BPF_PROG(ro_access, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_access_args *args)
{
	return (args->in.mask & MAY_WRITE) ? refuse(-EROFS) : FUSE_BPF_BACKING;
}

SEC("struct_ops/ro_open")
int BPF_PROG(ro_open, struct fuse_bpf_ctx *fc, struct fuse_bpf_open_args *args)
{
	__u32 flags = args->in.flags;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return refuse(-EROFS);
	return FUSE_BPF_BACKING;
}

SEC("struct_ops/ro_setattr")
int BPF_PROG(ro_setattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_setattr_args *args)
{
	return refuse(-EROFS);
}

SEC("struct_ops/ro_create")
int BPF_PROG(ro_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	return refuse(-EROFS);
}

/*
 * Called for links into the subtree, and (FUSE_BPF_F_BOTH_ENDS) for links
 * of its files from elsewhere: fc->nodeid == args->in.oldnodeid.  Either
 * way the link would make a subtree file writable, or changes the subtree.
 */
SEC("struct_ops/ro_link")
int BPF_PROG(ro_link, struct fuse_bpf_ctx *fc, struct fuse_bpf_link_args *args)
{
	return refuse(fc->nodeid == args->in.oldnodeid ? -EXDEV : -EROFS);
}

SEC("struct_ops/ro_unlink")
int BPF_PROG(ro_unlink, struct fuse_bpf_ctx *fc)
{
	return refuse(-EROFS);
}

/* Renames out of the subtree, and (FUSE_BPF_F_BOTH_ENDS) into it */
SEC("struct_ops/ro_rename")
int BPF_PROG(ro_rename, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_rename_args *args)
{
	return refuse(-EROFS);
}

SEC("struct_ops/ro_xattr")
int BPF_PROG(ro_xattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_xattr_args *args)
{
	if (fc->opcode == FUSE_SETXATTR || fc->opcode == FUSE_REMOVEXATTR)
		return refuse(-EROFS);
	return FUSE_BPF_BACKING;
}

SEC("struct_ops/ro_fallocate")
int BPF_PROG(ro_fallocate, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_fallocate_args *args)
{
	return refuse(-EROFS);
}

SEC("struct_ops/ro_ioctl")
int BPF_PROG(ro_ioctl, struct fuse_bpf_ctx *fc, struct fuse_bpf_ioctl_args *args)
{
	return args->in.cmd == FS_IOC_FSSETXATTR ? refuse(-EROFS) :
						   FUSE_BPF_BACKING;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops mirror_ro_ops = {
	.lookup = (void *)ro_lookup,
	.readdir = (void *)ro_readdir,
	.access = (void *)ro_access,
	.open = (void *)ro_open,
	.setattr = (void *)ro_setattr,
	.create = (void *)ro_create,
	.link = (void *)ro_link,
	.unlink = (void *)ro_unlink,
	.rename = (void *)ro_rename,
	.xattr = (void *)ro_xattr,
	.fallocate = (void *)ro_fallocate,
	.ioctl = (void *)ro_ioctl,
	.name = "mirror_ro",
	.flags = FUSE_BPF_F_FAIL_CLOSED | FUSE_BPF_F_BOTH_ENDS,
};

char LICENSE[] SEC("license") = "GPL";
