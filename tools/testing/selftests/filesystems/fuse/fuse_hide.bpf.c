// SPDX-License-Identifier: GPL-2.0
/*
 * Hide every name that starts with a prefix: lookups of it fail with
 * ENOENT and directory listings leave it out.  The prefix is set before
 * loading (rodata), "secret" by default.
 */
#include "fuse_filter.bpf.h"

#define PREFIX_MAX 16

const volatile char prefix[PREFIX_MAX] = "secret";
__u64 hidden_lookups, hidden_entries;

static bool is_hidden(struct fuse_bpf_ctx *fc)
{
	char name[FUSE_NAME_BUF] = {};
	int len, i;

	len = bpf_fuse_get_name(fc, 0, name, sizeof(name));
	if (len <= 0)
		return false;
	for (i = 0; i < PREFIX_MAX && prefix[i]; i++)
		if (i >= len || name[i] != prefix[i])
			return false;
	return i > 0;
}

SEC("struct_ops/hide_lookup")
int BPF_PROG(hide_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	if (!is_hidden(fc))
		return FUSE_BPF_BACKING;
	__sync_fetch_and_add(&hidden_lookups, 1);
	return -ENOENT;
}

SEC("struct_ops/hide_readdir")
int BPF_PROG(hide_readdir, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_readdir_args *args)
{
	if (fc->phase == FUSE_BPF_PRE)
		return FUSE_BPF_BACKING_POST;
	if (!is_hidden(fc))
		return FUSE_BPF_BACKING;
	__sync_fetch_and_add(&hidden_entries, 1);
	return FUSE_BPF_SKIP;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops hide_ops = {
	.lookup = (void *)hide_lookup,
	.readdir = (void *)hide_readdir,
	.name = "hide",
};

char LICENSE[] SEC("license") = "GPL";
