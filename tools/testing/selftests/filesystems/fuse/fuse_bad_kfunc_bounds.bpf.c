// SPDX-License-Identifier: GPL-2.0
/* Must not load: the kfunc is told the buffer is larger than it is. */
#include "fuse_filter.bpf.h"

SEC("struct_ops/bad_lookup")
int BPF_PROG(bad_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	char name[8] = {};

	return bpf_fuse_get_name(fc, 0, name, 64) < 0 ? -ENOENT : 0;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops bad_bounds_ops = {
	.lookup = (void *)bad_lookup,
	.name = "bad_bounds",
};

char LICENSE[] SEC("license") = "GPL";
