// SPDX-License-Identifier: GPL-2.0
/*
 * Hand operations to the daemon's userspace filters: each callback's
 * pre-phase verdict is set by the test (FUSE_BPF_USER_PRE or
 * FUSE_BPF_USER_POST, or FUSE_BPF_BACKING).
 */
#include "fuse_filter.bpf.h"

int lookup_v, getattr_v, open_v, create_v, readdir_v;

SEC("struct_ops/u_lookup")
int BPF_PROG(u_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	return lookup_v;
}

SEC("struct_ops/u_getattr")
int BPF_PROG(u_getattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_attr_args *args)
{
	return getattr_v;
}

SEC("struct_ops/u_open")
int BPF_PROG(u_open, struct fuse_bpf_ctx *fc, struct fuse_bpf_open_args *args)
{
	return open_v;
}

SEC("struct_ops/u_create")
int BPF_PROG(u_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	return create_v;
}

SEC("struct_ops/u_readdir")
int BPF_PROG(u_readdir, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_readdir_args *args)
{
	return readdir_v;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops user_ops = {
	.lookup = (void *)u_lookup,
	.getattr = (void *)u_getattr,
	.open = (void *)u_open,
	.create = (void *)u_create,
	.readdir = (void *)u_readdir,
	.name = "user",
};

char LICENSE[] SEC("license") = "GPL";
