// SPDX-License-Identifier: GPL-2.0
/* Must not load: a lookup's entry is read-only. */
#include "fuse_filter.bpf.h"

SEC("struct_ops/bad_lookup")
int BPF_PROG(bad_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	args->out.nodeid = 1;
	return FUSE_BPF_BACKING;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops bad_attr_write_ops = {
	.lookup = (void *)bad_lookup,
	.name = "bad_attr_write",
};

char LICENSE[] SEC("license") = "GPL";
