// SPDX-License-Identifier: GPL-2.0
/* Must not load: the context is read-only. */
#include "fuse_filter.bpf.h"

SEC("struct_ops/bad_getattr")
int BPF_PROG(bad_getattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_attr_args *args)
{
	fc->uid = 0;
	return FUSE_BPF_BACKING;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops bad_ctx_write_ops = {
	.getattr = (void *)bad_getattr,
	.name = "bad_ctx_write",
};

char LICENSE[] SEC("license") = "GPL";
