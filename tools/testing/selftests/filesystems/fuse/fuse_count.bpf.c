// SPDX-License-Identifier: GPL-2.0
/*
 * Count the operations served on backing nodes, per FUSE opcode, in an
 * array map that userspace reads; every operation is then served as if
 * there were no filter.  With every callback set, this is also the
 * "filter on every op" of the benchmarks.
 */
#include "fuse_filter.bpf.h"

#define MAX_OPCODE 64

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_OPCODE);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static int count(struct fuse_bpf_ctx *fc)
{
	__u32 op = fc->opcode;
	__u64 *n;

	if (fc->phase != FUSE_BPF_PRE)
		return FUSE_BPF_BACKING;
	n = bpf_map_lookup_elem(&counts, &op);
	if (n)
		__sync_fetch_and_add(n, 1);
	return FUSE_BPF_BACKING;
}

SEC("struct_ops/count_lookup")
int BPF_PROG(count_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_getattr")
int BPF_PROG(count_getattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_attr_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_setattr")
int BPF_PROG(count_setattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_setattr_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_access")
int BPF_PROG(count_access, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_access_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_open")
int BPF_PROG(count_open, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_open_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_create")
int BPF_PROG(count_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_link")
int BPF_PROG(count_link, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_link_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_unlink")
int BPF_PROG(count_unlink, struct fuse_bpf_ctx *fc)
{
	return count(fc);
}

SEC("struct_ops/count_rename")
int BPF_PROG(count_rename, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_rename_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_readdir")
int BPF_PROG(count_readdir, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_readdir_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_readlink")
int BPF_PROG(count_readlink, struct fuse_bpf_ctx *fc)
{
	return count(fc);
}

SEC("struct_ops/count_xattr")
int BPF_PROG(count_xattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_xattr_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_statfs")
int BPF_PROG(count_statfs, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_statfs_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_fsync")
int BPF_PROG(count_fsync, struct fuse_bpf_ctx *fc, struct fuse_bpf_fsync_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_lseek")
int BPF_PROG(count_lseek, struct fuse_bpf_ctx *fc, struct fuse_bpf_lseek_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_fallocate")
int BPF_PROG(count_fallocate, struct fuse_bpf_ctx *fc, struct fuse_bpf_fallocate_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_copy_file_range")
int BPF_PROG(count_copy_file_range, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_copy_file_range_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_flush")
int BPF_PROG(count_flush, struct fuse_bpf_ctx *fc, struct fuse_bpf_flush_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_lock")
int BPF_PROG(count_lock, struct fuse_bpf_ctx *fc, struct fuse_bpf_lock_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_ioctl")
int BPF_PROG(count_ioctl, struct fuse_bpf_ctx *fc, struct fuse_bpf_ioctl_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_read")
int BPF_PROG(count_read, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_read_args *args)
{
	return count(fc);
}

SEC("struct_ops/count_write")
int BPF_PROG(count_write, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_write_args *args)
{
	return count(fc);
}

SEC(".struct_ops.link")
struct fuse_bpf_ops count_ops = {
	.lookup = (void *)count_lookup,
	.getattr = (void *)count_getattr,
	.setattr = (void *)count_setattr,
	.access = (void *)count_access,
	.open = (void *)count_open,
	.create = (void *)count_create,
	.link = (void *)count_link,
	.unlink = (void *)count_unlink,
	.rename = (void *)count_rename,
	.readdir = (void *)count_readdir,
	.readlink = (void *)count_readlink,
	.xattr = (void *)count_xattr,
	.statfs = (void *)count_statfs,
	.fsync = (void *)count_fsync,
	.lseek = (void *)count_lseek,
	.fallocate = (void *)count_fallocate,
	.copy_file_range = (void *)count_copy_file_range,
	.flush = (void *)count_flush,
	.lock = (void *)count_lock,
	.ioctl = (void *)count_ioctl,
	.read = (void *)count_read,
	.write = (void *)count_write,
	.name = "count",
	/*
	 * It only counts: shared writable mappings may bypass it, and its
	 * nodes show the backing's attributes, so that permission checks
	 * need not ask its getattr callback.
	 */
	.flags = FUSE_BPF_F_SHARED_MMAP | FUSE_BPF_F_BACKING_ATTR,
};

char LICENSE[] SEC("license") = "GPL";
