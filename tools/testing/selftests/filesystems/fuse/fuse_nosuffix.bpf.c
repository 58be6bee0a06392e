// SPDX-License-Identifier: GPL-2.0
/*
 * The worked example of "Writing a filter" (Documentation/filesystems/
 * fuse-bpf.rst): no new name may end with a suffix, ".tmp" unless the
 * loader sets another in .rodata.  Creating such a file, directory,
 * node or symlink, hard-linking or renaming to such a name fails with
 * EPERM; names that exist already are left alone.  It builds with the
 * installed header alone (no vmlinux.h):
 *
 *   clang -g -O2 --target=bpf -I/usr/include/$(gcc -print-multiarch) \
 *         $(pkg-config --cflags fuse-bpf) \
 *         -c fuse_nosuffix.bpf.c -o fuse_nosuffix.bpf.o
 */
#include <fuse_bpf/filter.bpf.h>

/* Set before load (skeleton: skel->rodata->suffix), NUL-terminated */
const volatile char suffix[FUSE_BPF_PATTERN_MAX] = ".tmp";

/* Refusals, for the daemon to read (skeleton: skel->bss->refused) */
__u64 refused;

/* Does the operation's name @index end with the suffix? */
static bool bad_name(struct fuse_bpf_ctx *fc, __u32 index)
{
	char name[FUSE_BPF_NAME_BUF] = {};
	int len;

	len = fuse_bpf_name(fc, index, name);
	if (len <= 0)	/* no such name, or one longer than the buffer */
		return false;
	return fuse_bpf_has_suffix(name, len, suffix);
}

static int verdict(struct fuse_bpf_ctx *fc, __u32 index)
{
	if (!bad_name(fc, index))
		return FUSE_BPF_BACKING;
	__sync_fetch_and_add(&refused, 1);
	return -EPERM;
}

/* create, mknod, mkdir, symlink: name 0 is the new name */
SEC("struct_ops/nosuffix_create")
int BPF_PROG(nosuffix_create, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_create_args *args)
{
	return verdict(fc, 0);
}

/* link: name 0 is the new name */
SEC("struct_ops/nosuffix_link")
int BPF_PROG(nosuffix_link, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_link_args *args)
{
	return verdict(fc, 0);
}

/* rename: name 0 is the old name, 1 the new one */
SEC("struct_ops/nosuffix_rename")
int BPF_PROG(nosuffix_rename, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_rename_args *args)
{
	return verdict(fc, 1);
}

SEC(".struct_ops.link")
struct fuse_bpf_ops nosuffix_ops = {
	.create = (void *)nosuffix_create,
	.link = (void *)nosuffix_link,
	.rename = (void *)nosuffix_rename,
	.name = "nosuffix",
};

char LICENSE[] SEC("license") = "GPL";
