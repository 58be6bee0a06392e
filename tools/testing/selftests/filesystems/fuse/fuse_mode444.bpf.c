// SPDX-License-Identifier: GPL-2.0
/*
 * Report regular files as mode 0444, whatever their backing mode: the
 * getattr post phase rewrites the attributes.
 */
#include "fuse_filter.bpf.h"

__u64 rewritten;

SEC("struct_ops/m444_getattr")
int BPF_PROG(m444_getattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_attr_args *args)
{
	if (fc->phase == FUSE_BPF_PRE)
		return FUSE_BPF_BACKING_POST;
	if (fc->error || (args->out.attr.mode & S_IFMT) != S_IFREG)
		return FUSE_BPF_BACKING;
	args->out.attr.mode = S_IFREG | 0444;
	__sync_fetch_and_add(&rewritten, 1);
	return FUSE_BPF_BACKING;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops mode444_ops = {
	.getattr = (void *)m444_getattr,
	.name = "mode444",
};

char LICENSE[] SEC("license") = "GPL";
