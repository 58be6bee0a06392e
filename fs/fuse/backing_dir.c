// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf: directory operations served on the backing directory.
 */

#include "fuse_i.h"

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/namei.h>

/**
 * fuse_bpf_lookup() - look a child of a backed directory up on its backing
 * @dir: FUSE directory
 * @entry: the dentry being looked up
 * @outarg: filled as a LOOKUP reply would be
 * @inode: the child's node, or NULL
 * @err: 0, -ENOENT for a name the backing directory does not have, -errno
 *
 * The daemon is not asked: the child is bound to the backing directory's
 * child of the same name and gets a kernel node id.
 *
 * Return: true when @dir is backed and the lookup was served.
 */
bool fuse_bpf_lookup(struct inode *dir, struct dentry *entry,
		     struct fuse_entry_out *outarg, struct inode **inode,
		     int *err)
{
	struct fuse_backing *dfb = fuse_bpf_backing_get(dir);
	const struct path *parent;
	const struct cred *old;
	struct dentry *bdentry;

	if (!dfb)
		return false;
	*inode = NULL;
	parent = &dfb->file->f_path;
	old = override_creds(dfb->cred);
	bdentry = lookup_one_unlocked(mnt_idmap(parent->mnt),
				      entry->d_name.name, parent->dentry,
				      entry->d_name.len);
	if (IS_ERR(bdentry)) {
		*err = PTR_ERR(bdentry);
	} else {
		if (d_is_negative(bdentry))
			*err = -ENOENT;
		else
			*err = fuse_bpf_node_iget(dir, dfb, bdentry, outarg,
						  inode);
		dput(bdentry);
	}
	revert_creds(old);
	fuse_backing_put(dfb);
	return true;
}

/*
 * Is the backing of @fb still the child called @name of @parent?  The
 * backing filesystem may have renamed or removed it behind our back.
 */
static bool fuse_bpf_same_child(struct fuse_backing *fb,
				struct fuse_backing *parent,
				const struct qstr *name)
{
	struct dentry *bdentry = fb->file->f_path.dentry;
	struct name_snapshot snap;
	bool same;

	if (READ_ONCE(bdentry->d_parent) != parent->file->f_path.dentry ||
	    d_unhashed(bdentry))
		return false;
	take_dentry_name_snapshot(&snap, bdentry);
	same = snap.name.len == name->len &&
	       !memcmp(snap.name.name, name->name, name->len);
	release_dentry_name_snapshot(&snap);
	return same;
}

/**
 * fuse_bpf_revalidate() - revalidate a dentry of a backed directory
 * @entry: the dentry
 * @flags: LOOKUP_* flags; LOOKUP_RCU is fine
 * @ret: 1 when @entry is still valid, 0 when it must be looked up again
 *
 * A kernel node stays valid while the backing directory still has its
 * backing inode under the same name; a negative dentry is always looked
 * up again (which costs a backing dcache lookup, not a request).
 *
 * Return: true when the parent is backed and the answer is in @ret.
 */
bool fuse_bpf_revalidate(struct dentry *entry, unsigned int flags, int *ret)
{
	struct dentry *parent = READ_ONCE(entry->d_parent);
	struct inode *dir = d_inode_rcu(parent);
	struct inode *inode = d_inode_rcu(entry);
	struct fuse_backing *dfb, *fb = NULL;

	if (!dir || IS_ROOT(entry))
		return false;
	dfb = fuse_bpf_backing_get(dir);
	if (!dfb)
		return false;
	*ret = 0;
	if (inode && (get_node_id(inode) & FUSE_NODEID_KERNEL))
		fb = fuse_bpf_backing_get(inode);
	if (fb)
		*ret = fuse_bpf_same_child(fb, dfb, &entry->d_name);
	fuse_backing_put(fb);
	fuse_backing_put(dfb);
	return true;
}

/**
 * fuse_bpf_readdir() - read a backed directory from its backing
 * @file: FUSE directory opened by fuse_bpf_open()
 * @ctx: the caller's context; its position is the backing's position
 * @err: 0 or -errno
 *
 * Return: true when @file was opened on a backing directory.
 */
bool fuse_bpf_readdir(struct file *file, struct dir_context *ctx, int *err)
{
	struct fuse_file *ff = file->private_data;
	struct file *backing = fuse_file_passthrough(ff);
	const struct cred *old;

	if (!ff->bpf_opened || !backing)
		return false;
	/* seekdir() moved the FUSE file: move the backing file along */
	if (backing->f_pos != ctx->pos) {
		loff_t pos = vfs_llseek(backing, ctx->pos, SEEK_SET);

		if (pos < 0) {
			*err = pos;
			return true;
		}
	}
	old = override_creds(ff->cred);
	*err = iterate_dir(backing, ctx);
	revert_creds(old);
	return true;
}
