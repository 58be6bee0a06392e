// SPDX-License-Identifier: GPL-2.0
/*
 * Per-uid access with a fast path in BPF and a slow path in the daemon,
 * as media-storage daemons do: callers whose uid is in allowed_uids are
 * served on the backing; lookups by anyone else go to the daemon, which
 * decides (and may answer with or without backing).
 *
 * Lookups alone do not split the callers: a node one caller looked up
 * stays in the dentry cache, and the next caller uses it without a
 * lookup.  With gate_all set (after loading, before attaching), the
 * operations on a node are gated too (attributes, opens, creations,
 * links, removals, renames, symlinks, xattrs, statfs), so that the daemon
 * sees every one of those of the other uids and none of the allowed ones'
 * (Documentation/filesystems/fuse-bpf.rst, section 8.2).  Permission
 * checks and the operations on a file already open were decided at the
 * lookup and the open.
 */
#include "fuse_filter.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} allowed_uids SEC(".maps");

__u64 fast, slow;
bool gate_all;

static int gate(struct fuse_bpf_ctx *fc)
{
	__u32 uid = fc->uid;

	if (bpf_map_lookup_elem(&allowed_uids, &uid)) {
		__sync_fetch_and_add(&fast, 1);
		return FUSE_BPF_BACKING;
	}
	__sync_fetch_and_add(&slow, 1);
	return FUSE_BPF_DAEMON;
}

static int gate_op(struct fuse_bpf_ctx *fc)
{
	return gate_all ? gate(fc) : FUSE_BPF_BACKING;
}

SEC("struct_ops/gate_lookup")
int BPF_PROG(gate_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	return gate(fc);
}

SEC("struct_ops/gate_getattr")
int BPF_PROG(gate_getattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_attr_args *args)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_setattr")
int BPF_PROG(gate_setattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_setattr_args *args)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_open")
int BPF_PROG(gate_open, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_open_args *args)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_create")
int BPF_PROG(gate_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_link")
int BPF_PROG(gate_link, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_link_args *args)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_unlink")
int BPF_PROG(gate_unlink, struct fuse_bpf_ctx *fc)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_rename")
int BPF_PROG(gate_rename, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_rename_args *args)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_readlink")
int BPF_PROG(gate_readlink, struct fuse_bpf_ctx *fc)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_xattr")
int BPF_PROG(gate_xattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_xattr_args *args)
{
	return gate_op(fc);
}

SEC("struct_ops/gate_statfs")
int BPF_PROG(gate_statfs, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_statfs_args *args)
{
	return gate_op(fc);
}

SEC(".struct_ops.link")
struct fuse_bpf_ops uid_gate_ops = {
	.lookup = (void *)gate_lookup,
	.getattr = (void *)gate_getattr,
	.setattr = (void *)gate_setattr,
	.open = (void *)gate_open,
	.create = (void *)gate_create,
	.link = (void *)gate_link,
	.unlink = (void *)gate_unlink,
	.rename = (void *)gate_rename,
	.readlink = (void *)gate_readlink,
	.xattr = (void *)gate_xattr,
	.statfs = (void *)gate_statfs,
	.name = "uid_gate",
};

char LICENSE[] SEC("license") = "GPL";
