// SPDX-License-Identifier: GPL-2.0
/*
 * Count the reads and writes of backed files and their bytes, as asked
 * (pre phase), and serve them on the backing: a filter with data
 * callbacks only, the "bpf-data" configuration of the benchmarks.
 */
#include "fuse_filter.bpf.h"

__u64 reads, writes, read_bytes, write_bytes;

SEC("struct_ops/iocount_read")
int BPF_PROG(iocount_read, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_read_args *args)
{
	__sync_fetch_and_add(&reads, 1);
	__sync_fetch_and_add(&read_bytes, args->in.size);
	return FUSE_BPF_BACKING;
}

SEC("struct_ops/iocount_write")
int BPF_PROG(iocount_write, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_write_args *args)
{
	__sync_fetch_and_add(&writes, 1);
	__sync_fetch_and_add(&write_bytes, args->in.size);
	return FUSE_BPF_BACKING;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops iocount_ops = {
	.read = (void *)iocount_read,
	.write = (void *)iocount_write,
	.name = "iocount",
};

char LICENSE[] SEC("license") = "GPL";
