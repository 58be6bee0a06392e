// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict fuzzer's filter: every callback of struct fuse_bpf_ops
 * answers from a plan, an array map that fuse_fuzz_test fills from its
 * seed.  Each call takes the next slot: its pre or post verdict (legal,
 * out of range, of the wrong phase, kernel-internal errnos), and in the
 * phases where the kernel lets a filter write, the attribute rewrites the
 * slot asks for.  Counters tell the test how many verdicts it fuzzed.
 */
#include "fuse_filter.bpf.h"

#define FZ_SLOTS	1024

/* struct fz_slot.rw: what the call rewrites */
#define FZ_RW_MODE	(1 << 0)	/* permission bits of the mode */
#define FZ_RW_TYPE	(1 << 1)	/* the whole mode, file type included */
#define FZ_RW_SIZE	(1 << 2)
#define FZ_RW_INO	(1 << 3)	/* getattr: another inode number */
#define FZ_RW_OWNER	(1 << 4)
#define FZ_RW_VALID	(1 << 5)	/* setattr: in.valid from the slot */
#define FZ_RW_NAME	(1 << 6)	/* readdir: rename the entry */
#define FZ_RW_KFUNC	(1 << 7)	/* read names and values at odd places */
#define FZ_RW_MISC	(1 << 8)	/* nlink, blksize, times, statfs */

struct fz_slot {
	__s32 pre;
	__s32 post;
	__u32 rw;
	__u32 mode;
	__u64 val;
	__u32 valid;
	__u32 name;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FZ_SLOTS);
	__type(key, __u32);
	__type(value, struct fz_slot);
} plan SEC(".maps");

/* Names readdir entries may be given; the test fills them. */
#define FZ_NAMES	8
char names[FZ_NAMES][64];

__u64 next_slot;
__u64 calls, pre_calls, post_calls, rewrites, kfunc_calls;

static struct fz_slot *pick(struct fuse_bpf_ctx *fc)
{
	__u32 i = (__sync_fetch_and_add(&next_slot, 1) + fc->opcode) %
		  FZ_SLOTS;

	__sync_fetch_and_add(&calls, 1);
	if (fc->phase == FUSE_BPF_PRE)
		__sync_fetch_and_add(&pre_calls, 1);
	else
		__sync_fetch_and_add(&post_calls, 1);
	return bpf_map_lookup_elem(&plan, &i);
}

static int verdict(struct fuse_bpf_ctx *fc, struct fz_slot *s)
{
	if (!s)
		return FUSE_BPF_BACKING;
	return fc->phase == FUSE_BPF_PRE ? s->pre : s->post;
}

/* Read name @val & 3 and a value at offset @val: the kfuncs' bounds */
static void poke(struct fuse_bpf_ctx *fc, struct fz_slot *s)
{
	char buf[64];

	if (!s || !(s->rw & FZ_RW_KFUNC))
		return;
	__sync_fetch_and_add(&kfunc_calls, 1);
	bpf_fuse_get_name(fc, s->val & 3, buf, sizeof(buf));
	bpf_fuse_get_name(fc, s->val & 3, buf, 1);
	bpf_fuse_get_value(fc, s->val & 0xffff, buf, sizeof(buf));
}

static int plain(struct fuse_bpf_ctx *fc)
{
	struct fz_slot *s = pick(fc);

	poke(fc, s);
	return verdict(fc, s);
}

SEC("struct_ops/fz_lookup")
int BPF_PROG(fz_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_getattr")
int BPF_PROG(fz_getattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_attr_args *args)
{
	struct fz_slot *s = pick(fc);

	if (!s)
		return FUSE_BPF_BACKING;
	if (fc->phase == FUSE_BPF_POST && s->rw) {
		struct fuse_attr *a = &args->out.attr;

		__sync_fetch_and_add(&rewrites, 1);
		if (s->rw & FZ_RW_MODE)
			a->mode = (a->mode & S_IFMT) | (s->mode & 07777);
		if (s->rw & FZ_RW_TYPE)
			a->mode = s->mode;
		if (s->rw & FZ_RW_SIZE)
			a->size = s->val;
		if (s->rw & FZ_RW_INO)
			a->ino ^= s->val | 1;
		if (s->rw & FZ_RW_OWNER) {
			a->uid = s->val;
			a->gid = s->val >> 32;
		}
		if (s->rw & FZ_RW_MISC) {
			a->nlink = s->val;
			a->blksize = s->mode;
			a->blocks = s->val;
			a->mtimensec = s->valid;
		}
	}
	return verdict(fc, s);
}

SEC("struct_ops/fz_setattr")
int BPF_PROG(fz_setattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_setattr_args *args)
{
	struct fz_slot *s = pick(fc);

	if (!s)
		return FUSE_BPF_BACKING;
	if (fc->phase == FUSE_BPF_PRE && s->rw) {
		struct fuse_setattr_in *in = &args->in;

		__sync_fetch_and_add(&rewrites, 1);
		if (s->rw & FZ_RW_VALID)
			in->valid = s->valid;
		if (s->rw & FZ_RW_MODE)
			in->mode = (in->mode & S_IFMT) | (s->mode & 07777);
		if (s->rw & FZ_RW_TYPE)
			in->mode = s->mode;
		if (s->rw & FZ_RW_SIZE)
			in->size = s->val;
		if (s->rw & FZ_RW_OWNER) {
			in->uid = s->val;
			in->gid = s->val >> 32;
		}
		if (s->rw & FZ_RW_MISC) {
			in->mtime = s->val;
			in->mtimensec = s->valid;
			in->atimensec = s->mode;
		}
	}
	return verdict(fc, s);
}

SEC("struct_ops/fz_access")
int BPF_PROG(fz_access, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_access_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_open")
int BPF_PROG(fz_open, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_open_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_create")
int BPF_PROG(fz_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	struct fz_slot *s = pick(fc);

	if (!s)
		return FUSE_BPF_BACKING;
	poke(fc, s);
	if (fc->phase == FUSE_BPF_PRE && (s->rw & (FZ_RW_MODE | FZ_RW_TYPE))) {
		__sync_fetch_and_add(&rewrites, 1);
		if (s->rw & FZ_RW_TYPE)
			args->in.mode = s->mode;
		else
			args->in.mode = (args->in.mode & S_IFMT) |
					(s->mode & 07777);
	}
	return verdict(fc, s);
}

SEC("struct_ops/fz_link")
int BPF_PROG(fz_link, struct fuse_bpf_ctx *fc, struct fuse_bpf_link_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_unlink")
int BPF_PROG(fz_unlink, struct fuse_bpf_ctx *fc)
{
	return plain(fc);
}

SEC("struct_ops/fz_rename")
int BPF_PROG(fz_rename, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_rename_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_readdir")
int BPF_PROG(fz_readdir, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_readdir_args *args)
{
	struct fz_slot *s = pick(fc);

	if (!s)
		return FUSE_BPF_BACKING;
	poke(fc, s);
	if (fc->phase == FUSE_BPF_POST && (s->rw & FZ_RW_NAME)) {
		__sync_fetch_and_add(&rewrites, 1);
		bpf_fuse_set_name(fc, names[s->name & (FZ_NAMES - 1)],
				  sizeof(names[0]));
	}
	return verdict(fc, s);
}

SEC("struct_ops/fz_readlink")
int BPF_PROG(fz_readlink, struct fuse_bpf_ctx *fc)
{
	return plain(fc);
}

SEC("struct_ops/fz_xattr")
int BPF_PROG(fz_xattr, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_xattr_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_statfs")
int BPF_PROG(fz_statfs, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_statfs_args *args)
{
	struct fz_slot *s = pick(fc);

	if (!s)
		return FUSE_BPF_BACKING;
	if (fc->phase == FUSE_BPF_POST && (s->rw & FZ_RW_MISC)) {
		struct fuse_kstatfs *st = &args->out.st;

		__sync_fetch_and_add(&rewrites, 1);
		st->blocks = s->val;
		st->bfree = s->val >> 1;
		st->bavail = s->val >> 2;
		st->files = s->val;
		st->bsize = s->mode;
		st->frsize = s->valid;
		st->namelen = s->name;
	}
	return verdict(fc, s);
}

SEC("struct_ops/fz_fsync")
int BPF_PROG(fz_fsync, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_fsync_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_lseek")
int BPF_PROG(fz_lseek, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_lseek_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_fallocate")
int BPF_PROG(fz_fallocate, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_fallocate_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_copy_file_range")
int BPF_PROG(fz_copy_file_range, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_copy_file_range_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_flush")
int BPF_PROG(fz_flush, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_flush_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_lock")
int BPF_PROG(fz_lock, struct fuse_bpf_ctx *fc, struct fuse_bpf_lock_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_ioctl")
int BPF_PROG(fz_ioctl, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_ioctl_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_read")
int BPF_PROG(fz_read, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_read_args *args)
{
	return plain(fc);
}

SEC("struct_ops/fz_write")
int BPF_PROG(fz_write, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_write_args *args)
{
	return plain(fc);
}

SEC(".struct_ops.link")
struct fuse_bpf_ops fuzz_ops = {
	.lookup = (void *)fz_lookup,
	.getattr = (void *)fz_getattr,
	.setattr = (void *)fz_setattr,
	.access = (void *)fz_access,
	.open = (void *)fz_open,
	.create = (void *)fz_create,
	.link = (void *)fz_link,
	.unlink = (void *)fz_unlink,
	.rename = (void *)fz_rename,
	.readdir = (void *)fz_readdir,
	.readlink = (void *)fz_readlink,
	.xattr = (void *)fz_xattr,
	.statfs = (void *)fz_statfs,
	.fsync = (void *)fz_fsync,
	.lseek = (void *)fz_lseek,
	.fallocate = (void *)fz_fallocate,
	.copy_file_range = (void *)fz_copy_file_range,
	.flush = (void *)fz_flush,
	.lock = (void *)fz_lock,
	.ioctl = (void *)fz_ioctl,
	.read = (void *)fz_read,
	.write = (void *)fz_write,
	.name = "fuzz",
};

char LICENSE[] SEC("license") = "GPL";
