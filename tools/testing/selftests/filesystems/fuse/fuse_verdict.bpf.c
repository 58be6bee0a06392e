// SPDX-License-Identifier: GPL-2.0
/*
 * Test filter whose answers the test sets in globals: what getattr, open
 * and setattr return in each phase, what the post phase saw, and a readdir
 * entry to rename.
 */
#include "fuse_filter.bpf.h"

int pre_verdict, post_verdict;
int pre_calls, post_calls, post_error;
__u32 last_uid, last_opcode;
__u64 last_nodeid;
char rename_from[32], rename_to[32];
int renamed;
int mkdir_mode = -1;

SEC("struct_ops/v_getattr")
int BPF_PROG(v_getattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_attr_args *args)
{
	if (fc->phase == FUSE_BPF_PRE) {
		pre_calls++;
		last_uid = fc->uid;
		last_opcode = fc->opcode;
		last_nodeid = fc->nodeid;
		return pre_verdict;
	}
	post_calls++;
	post_error = fc->error;
	return post_verdict;
}

SEC("struct_ops/v_readdir")
int BPF_PROG(v_readdir, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_readdir_args *args)
{
	char name[32] = {};
	int i;

	if (fc->phase == FUSE_BPF_PRE)
		return rename_from[0] ? FUSE_BPF_BACKING_POST : FUSE_BPF_BACKING;
	if (bpf_fuse_get_name(fc, 0, name, sizeof(name)) <= 0)
		return FUSE_BPF_BACKING;
	for (i = 0; i < sizeof(name); i++) {
		if (name[i] != rename_from[i])
			return FUSE_BPF_BACKING;
		if (!name[i])
			break;
	}
	renamed++;
	return bpf_fuse_set_name(fc, rename_to, sizeof(rename_to));
}

SEC("struct_ops/v_create")
int BPF_PROG(v_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	if (fc->opcode == FUSE_MKDIR && mkdir_mode >= 0)
		args->in.mode = S_IFDIR | mkdir_mode;
	return FUSE_BPF_BACKING;
}

char xattr_seen[16];
int xattr_get_len;

/* setxattr: refuse values that start with "deny"; getxattr: see the value */
SEC("struct_ops/v_xattr")
int BPF_PROG(v_xattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_xattr_args *args)
{
	char v[16] = {};

	if (fc->opcode == FUSE_SETXATTR && fc->phase == FUSE_BPF_PRE) {
		if (bpf_fuse_get_value(fc, 0, v, sizeof(v)) >= 4 &&
		    v[0] == 'd' && v[1] == 'e' && v[2] == 'n' && v[3] == 'y')
			return -EPERM;
		return FUSE_BPF_BACKING;
	}
	if (fc->opcode != FUSE_GETXATTR)
		return FUSE_BPF_BACKING;
	if (fc->phase == FUSE_BPF_PRE)
		return FUSE_BPF_BACKING_POST;
	xattr_get_len = bpf_fuse_get_value(fc, 0, xattr_seen,
					   sizeof(xattr_seen));
	return FUSE_BPF_BACKING;
}

/* open and setattr: the pre-phase verdicts the test sets; 0 serves */
int open_pre, setattr_pre, open_calls;

SEC("struct_ops/v_open")
int BPF_PROG(v_open, struct fuse_bpf_ctx *fc, struct fuse_bpf_open_args *args)
{
	if (fc->phase != FUSE_BPF_PRE)
		return FUSE_BPF_BACKING;
	open_calls++;
	return open_pre;
}

SEC("struct_ops/v_setattr")
int BPF_PROG(v_setattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_setattr_args *args)
{
	return fc->phase == FUSE_BPF_PRE ? setattr_pre : FUSE_BPF_BACKING;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops verdict_ops = {
	.getattr = (void *)v_getattr,
	.open = (void *)v_open,
	.setattr = (void *)v_setattr,
	.readdir = (void *)v_readdir,
	.create = (void *)v_create,
	.xattr = (void *)v_xattr,
	.name = "verdict",
};

char LICENSE[] SEC("license") = "GPL";
