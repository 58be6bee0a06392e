// SPDX-License-Identifier: GPL-2.0
/*
 * A data filter: a write quota (no byte at or past quota_end), an
 * append-only policy (writes without O_APPEND fail with EPERM), and byte
 * counts of what was read and written, from the post phases.  The test
 * may also force the verdicts of either phase, and send every open to
 * the daemon.
 */
#include "fuse_filter.bpf.h"

__u64 quota_end;		/* 0: no quota */
bool append_only;
bool open_to_daemon;
int read_pre, read_post;	/* forced verdicts; 0: the policy's */
int write_pre, write_post;

__u64 reads, writes, read_posts, write_posts;
__u64 read_bytes, written_bytes;
__u64 last_offset, last_size;
__u32 last_flags, last_uid;

SEC("struct_ops/data_open")
int BPF_PROG(data_open, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_open_args *args)
{
	if (fc->phase == FUSE_BPF_PRE && open_to_daemon &&
	    fc->opcode == FUSE_OPEN)
		return FUSE_BPF_DAEMON;
	return FUSE_BPF_BACKING;
}

SEC("struct_ops/data_read")
int BPF_PROG(data_read, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_read_args *args)
{
	if (fc->phase == FUSE_BPF_POST) {
		__sync_fetch_and_add(&read_posts, 1);
		__sync_fetch_and_add(&read_bytes, args->out.size);
		return read_post;
	}
	__sync_fetch_and_add(&reads, 1);
	last_offset = args->in.offset;
	last_size = args->in.size;
	last_flags = args->in.flags;
	last_uid = fc->uid;
	return read_pre ? read_pre : FUSE_BPF_BACKING_POST;
}

SEC("struct_ops/data_write")
int BPF_PROG(data_write, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_write_args *args)
{
	if (fc->phase == FUSE_BPF_POST) {
		__sync_fetch_and_add(&write_posts, 1);
		__sync_fetch_and_add(&written_bytes, args->out.size);
		return write_post;
	}
	__sync_fetch_and_add(&writes, 1);
	last_offset = args->in.offset;
	last_size = args->in.size;
	last_flags = args->in.flags;
	last_uid = fc->uid;
	if (write_pre)
		return write_pre;
	if (append_only && !(args->in.flags & O_APPEND))
		return -EPERM;
	if (quota_end && args->in.offset + args->in.size > quota_end)
		return -EDQUOT;
	return FUSE_BPF_BACKING_POST;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops data_ops = {
	.open = (void *)data_open,
	.read = (void *)data_read,
	.write = (void *)data_write,
	.name = "data",
};

char LICENSE[] SEC("license") = "GPL";
