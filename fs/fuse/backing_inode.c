// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf: inode and file operations served on the backing inode.
 */

#include "fuse_i.h"

#include <linux/backing-file.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/xattr.h>

/**
 * fuse_bpf_getattr() - attributes of a backed node, from its backing
 * @inode: FUSE inode
 * @stat: result, or NULL to refresh the inode only
 * @err: 0 or -errno
 *
 * The FUSE inode's attributes are refreshed too, and left expired, so that
 * the next getattr asks the backing again: changes made directly on the
 * backing filesystem show at once.
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_getattr(struct inode *inode, struct kstat *stat, int *err)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	struct fuse_conn *fc = get_fuse_conn(inode);
	const struct cred *old;
	struct fuse_attr attr;
	u64 attr_version;
	struct kstat st;

	if (!fb)
		return false;
	attr_version = fuse_get_attr_version(fc);
	old = override_creds(fb->cred);
	*err = vfs_getattr(&fb->file->f_path, &st,
			   STATX_BASIC_STATS | STATX_BTIME,
			   AT_STATX_SYNC_AS_STAT);
	revert_creds(old);
	if (*err)
		goto out;
	if (inode_wrong_type(inode, st.mode)) {
		fuse_make_bad(inode);
		*err = -EIO;
		goto out;
	}
	fuse_bpf_fill_attr(fc, &st, &attr);
	fuse_change_attributes(inode, &attr, NULL, 0, attr_version);
	if (stat) {
		*stat = st;
		stat->dev = inode->i_sb->s_dev;
	}
out:
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_permission() - may the caller access a backed node?
 * @idmap: idmap of the FUSE mount
 * @inode: FUSE inode
 * @mask: MAY_* flags; MAY_NOT_BLOCK in RCU path walk
 * @err: 0 or -errno
 *
 * The caller is checked against the backing inode's permissions with the
 * caller's own credentials, then the daemon's credentials against the
 * backing inode: neither may get what it could not get by itself.
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_permission(struct mnt_idmap *idmap, struct inode *inode,
			 int mask, int *err)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	struct mnt_idmap *bidmap;
	struct inode *binode;
	const struct cred *old;

	if (!fb)
		return false;
	bidmap = mnt_idmap(fb->file->f_path.mnt);
	binode = file_inode(fb->file);
	*err = inode_permission(bidmap, binode, mask);
	if (!*err) {
		old = override_creds(fb->cred);
		*err = inode_permission(bidmap, binode, mask);
		revert_creds(old);
	}
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_open() - open a backed node without asking the daemon
 * @fm: the mount
 * @nodeid: the node's id
 * @file: the FUSE file being opened
 * @isdir: opendir rather than open
 * @ffp: the new fuse file, or an ERR_PTR
 *
 * A directory gets its backing directory opened for readdir.  A regular
 * file is marked FOPEN_PASSTHROUGH with backing id 0: fuse_finish_open()
 * then opens the bound backing through passthrough.c, so read, write,
 * splice and mmap go to the backing file with no code of ours.  Neither
 * sends OPEN, FLUSH or RELEASE to the daemon.
 *
 * Return: true when the node is backed.
 */
bool fuse_bpf_open(struct fuse_mount *fm, u64 nodeid, struct file *file,
		   bool isdir, struct fuse_file **ffp)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(file_inode(file));
	struct fuse_file *ff;
	struct file *backing;

	if (!fb)
		return false;
	ff = fuse_file_alloc(fm, true);
	if (!ff) {
		*ffp = ERR_PTR(-ENOMEM);
		goto out;
	}
	ff->nodeid = nodeid;
	ff->bpf_opened = true;
	if (isdir) {
		backing = backing_file_open(file, file->f_flags,
					    &fb->file->f_path, fb->cred);
		if (IS_ERR(backing)) {
			fuse_file_free(ff);
			*ffp = ERR_CAST(backing);
			goto out;
		}
		ff->passthrough = backing;
		ff->cred = get_cred(fb->cred);
	} else {
		ff->open_flags = FOPEN_PASSTHROUGH | FOPEN_NOFLUSH;
		ff->args->open_outarg.backing_id = 0;
	}
	*ffp = ff;
out:
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_getxattr() - read an extended attribute of a backed node
 * @inode: FUSE inode
 * @name: attribute name
 * @value: buffer, or NULL to ask for the size
 * @size: size of @value
 * @ret: size of the value or -errno, as for getxattr(2)
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_getxattr(struct inode *inode, const char *name, void *value,
		       size_t size, ssize_t *ret)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	const struct path *path;
	const struct cred *old;

	if (!fb)
		return false;
	path = &fb->file->f_path;
	old = override_creds(fb->cred);
	*ret = vfs_getxattr(mnt_idmap(path->mnt), path->dentry, name, value,
			    size);
	revert_creds(old);
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_listxattr() - list the extended attributes of a backed node
 * @inode: FUSE inode
 * @list: buffer, or NULL to ask for the size
 * @size: size of @list
 * @ret: size of the list or -errno, as for listxattr(2)
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_listxattr(struct inode *inode, char *list, size_t size,
			ssize_t *ret)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	const struct cred *old;

	if (!fb)
		return false;
	old = override_creds(fb->cred);
	*ret = vfs_listxattr(fb->file->f_path.dentry, list, size);
	revert_creds(old);
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_setxattr() - set an extended attribute of a backed node
 * @inode: FUSE inode
 * @name: attribute name
 * @value: the value
 * @size: its size
 * @flags: XATTR_CREATE, XATTR_REPLACE
 * @err: 0 or -errno
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_setxattr(struct inode *inode, const char *name,
		       const void *value, size_t size, int flags, int *err)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	const struct path *path;
	const struct cred *old;

	if (!fb)
		return false;
	path = &fb->file->f_path;
	*err = mnt_want_write(path->mnt);
	if (!*err) {
		old = override_creds(fb->cred);
		*err = vfs_setxattr(mnt_idmap(path->mnt), path->dentry, name,
				    value, size, flags);
		revert_creds(old);
		mnt_drop_write(path->mnt);
	}
	if (!*err)
		fuse_invalidate_attr(inode);
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_removexattr() - remove an extended attribute of a backed node
 * @inode: FUSE inode
 * @name: attribute name
 * @err: 0 or -errno
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_removexattr(struct inode *inode, const char *name, int *err)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	const struct path *path;
	const struct cred *old;

	if (!fb)
		return false;
	path = &fb->file->f_path;
	*err = mnt_want_write(path->mnt);
	if (!*err) {
		old = override_creds(fb->cred);
		*err = vfs_removexattr(mnt_idmap(path->mnt), path->dentry,
				       name);
		revert_creds(old);
		mnt_drop_write(path->mnt);
	}
	if (!*err)
		fuse_invalidate_attr(inode);
	fuse_backing_put(fb);
	return true;
}
