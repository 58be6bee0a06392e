// SPDX-License-Identifier: GPL-2.0
/*
 * Deny every change under the nodes that use this filter with EROFS,
 * whatever the caller's rights on the backing: opens for writing or
 * truncation, new names, removals, renames, attribute and xattr changes.
 */
#include "fuse_filter.bpf.h"

__u64 denied;

static int deny(void)
{
	__sync_fetch_and_add(&denied, 1);
	return -EROFS;
}

SEC("struct_ops/ro_access")
int BPF_PROG(ro_access, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_access_args *args)
{
	return (args->in.mask & MAY_WRITE) ? deny() : FUSE_BPF_BACKING;
}

SEC("struct_ops/ro_open")
int BPF_PROG(ro_open, struct fuse_bpf_ctx *fc, struct fuse_bpf_open_args *args)
{
	__u32 flags = args->in.flags;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return deny();
	return FUSE_BPF_BACKING;
}

SEC("struct_ops/ro_setattr")
int BPF_PROG(ro_setattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_setattr_args *args)
{
	return deny();
}

SEC("struct_ops/ro_create")
int BPF_PROG(ro_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	return deny();
}

SEC("struct_ops/ro_link")
int BPF_PROG(ro_link, struct fuse_bpf_ctx *fc, struct fuse_bpf_link_args *args)
{
	return deny();
}

SEC("struct_ops/ro_unlink")
int BPF_PROG(ro_unlink, struct fuse_bpf_ctx *fc)
{
	return deny();
}

SEC("struct_ops/ro_rename")
int BPF_PROG(ro_rename, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_rename_args *args)
{
	return deny();
}

SEC("struct_ops/ro_xattr")
int BPF_PROG(ro_xattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_xattr_args *args)
{
	if (fc->opcode == FUSE_SETXATTR || fc->opcode == FUSE_REMOVEXATTR)
		return deny();
	return FUSE_BPF_BACKING;
}

SEC("struct_ops/ro_fallocate")
int BPF_PROG(ro_fallocate, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_fallocate_args *args)
{
	return deny();
}

SEC("struct_ops/ro_ioctl")
int BPF_PROG(ro_ioctl, struct fuse_bpf_ctx *fc, struct fuse_bpf_ioctl_args *args)
{
	return args->in.cmd == FS_IOC_FSSETXATTR ? deny() : FUSE_BPF_BACKING;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops readonly_ops = {
	.fallocate = (void *)ro_fallocate,
	.ioctl = (void *)ro_ioctl,
	.access = (void *)ro_access,
	.open = (void *)ro_open,
	.setattr = (void *)ro_setattr,
	.create = (void *)ro_create,
	.link = (void *)ro_link,
	.unlink = (void *)ro_unlink,
	.rename = (void *)ro_rename,
	.xattr = (void *)ro_xattr,
	.name = "readonly",
};

char LICENSE[] SEC("license") = "GPL";
