// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf: directory operations served on the backing directory.
 */

#include "fuse_i.h"

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/security.h>

/* The post phase of a lookup: a failure drops the child's node. */
static int fuse_bpf_lookup_post(struct fuse_bpf_call *call,
				struct fuse_bpf_entry_args *args,
				const struct fuse_entry_out *outarg,
				struct inode **inode, int err)
{
	if (*inode)
		args->out = *outarg;
	fuse_bpf_call_post(call, err);
	err = fuse_bpf_run_lookup(call, args);
	if (err && *inode) {
		iput(*inode);
		*inode = NULL;
	}
	return err;
}

/* Look @name up in @dfb's directory, and get the child's node. */
static int fuse_bpf_lookup_backing(struct inode *dir, struct fuse_backing *dfb,
				   const struct qstr *name,
				   struct fuse_entry_out *outarg,
				   struct inode **inode)
{
	const struct path *parent = &dfb->file->f_path;
	const struct cred *old = fuse_bpf_override_creds(dfb->cred);
	struct dentry *bdentry;
	int err;

	bdentry = lookup_one_unlocked(mnt_idmap(parent->mnt), name->name,
				      parent->dentry, name->len);
	err = PTR_ERR(bdentry);
	if (!IS_ERR(bdentry)) {
		err = d_is_negative(bdentry) ? -ENOENT :
			fuse_bpf_node_iget(dir, dfb, bdentry, outarg, inode);
		dput(bdentry);
	}
	fuse_bpf_revert_creds(old);
	return err;
}

/**
 * fuse_bpf_lookup() - look a child of a backed directory up on its backing
 * @dir: FUSE directory
 * @entry: the dentry being looked up
 * @outarg: filled as a LOOKUP reply would be
 * @inode: the child's node, or NULL
 * @err: 0, -ENOENT for a name the backing directory does not have, -errno
 *
 * The daemon is not asked: the child is bound to the backing directory's
 * child of the same name and gets a kernel node id.  @dir's filter may
 * send the lookup to the daemon instead, fail it, or fail it after it.
 *
 * Return: true when @dir is backed and the lookup was served.
 */
bool fuse_bpf_lookup(struct inode *dir, struct dentry *entry,
		     struct fuse_entry_out *outarg, struct inode **inode,
		     int *err)
{
	struct fuse_bpf_entry_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *dfb;
	int verdict;

	if (!fuse_bpf_inode_backed(dir))
		return false;
	*err = fuse_bpf_wait_init(get_fuse_conn(dir));
	if (*err)
		return true;
	*inode = NULL;
	fuse_bpf_call_begin(&call, dir, FUSE_LOOKUP);
	call.name[0] = entry->d_name;
	verdict = fuse_bpf_run_lookup(&call, &args);
	dfb = fuse_bpf_serve(dir, &call, verdict);
	if (!dfb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_lookup_backing(dir, dfb, &entry->d_name, outarg, inode);
	if (verdict == FUSE_BPF_BACKING_POST)
		*err = fuse_bpf_lookup_post(&call, &args, outarg, inode, *err);
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(dfb);
	return true;
}

/*
 * Has @entry the name of @bdentry?  Neither name is stable here: path walk
 * holds neither parent's lock, and a rename may change either meanwhile.
 * As dentry_cmp(), each name pointer is read once and the bytes compared
 * one by one, stopping at a NUL: a name has one at its end only, and the
 * inline and external names always end with one, so a length read before
 * a rename never takes the compare past the name read after it.  A torn
 * answer is thrown away: the caller checks @bdentry's sequence count, the
 * walk @entry's.
 */
static bool fuse_bpf_same_name(struct dentry *entry, struct dentry *bdentry)
{
	const unsigned char *cs = READ_ONCE(entry->d_name.name);
	const unsigned char *ct = READ_ONCE(bdentry->d_name.name);
	unsigned int len = READ_ONCE(bdentry->d_name.len);
	unsigned char c;

	if (READ_ONCE(entry->d_name.len) != len)
		return false;
	while (len--) {
		c = *ct++;
		if (!c || *cs++ != c)
			return false;
	}
	return true;
}

/*
 * Is the backing of @fb still the child called like @entry of @parent's?
 * The backing filesystem may have renamed or removed it behind our back.
 * Both bindings are read under RCU, without references (see
 * fuse_bpf_backing_path_rcu()), and the backing dentry's hash, parent and
 * name without its lock, under its sequence count as __d_lookup_rcu()
 * reads a dentry: __d_move() and __d_drop() change the count, so a rename
 * or an unhash meanwhile gives -ECHILD.  Nothing is written to the backing
 * dentry, which other CPUs walk too.  It may be dying if @fb is being
 * released: the caller's re-check of the binding throws the answer away
 * then.
 *
 * Return: the backing inode, NULL, or ERR_PTR(-ECHILD).
 */
static struct inode *fuse_bpf_same_child(struct fuse_backing *fb,
					 struct fuse_backing *parent,
					 struct dentry *entry)
{
	struct inode *binode, *bdir;
	struct path bpath, bparent;
	struct dentry *bdentry;
	unsigned int seq;
	bool same;

	if (!fuse_bpf_backing_path_rcu(fb, &bpath, &binode) ||
	    !fuse_bpf_backing_path_rcu(parent, &bparent, &bdir))
		return NULL;
	bdentry = bpath.dentry;
	seq = raw_seqcount_begin(&bdentry->d_seq);
	same = !d_unhashed(bdentry) &&
	       READ_ONCE(bdentry->d_parent) == bparent.dentry &&
	       fuse_bpf_same_name(entry, bdentry);
	if (read_seqcount_retry(&bdentry->d_seq, seq))
		return ERR_PTR(-ECHILD);
	return same ? binode : NULL;
}

/*
 * fuse_bpf_revalidate() in an RCU read-side critical section, without
 * references: @ret is 1 or 0, or -ECHILD when a binding it looked at
 * changed meanwhile.
 */
static bool fuse_bpf_revalidate_rcu(struct dentry *entry, struct inode *dir,
				    struct inode *inode, int *ret)
{
	struct fuse_backing *dfb = fuse_bpf_backing_rcu(dir);
	struct fuse_backing *fb = NULL;
	struct inode *binode = NULL;

	*ret = 0;
	if (inode && (get_node_id(inode) & FUSE_NODEID_KERNEL)) {
		/* The parent lost its backing: look the name up again. */
		if (!dfb)
			return true;
	} else if (!dfb) {
		return false;
	}
	/* A kernel node, resolved to a daemon id or not, or a daemon node */
	if (inode)
		fb = fuse_bpf_backing_rcu(inode);
	if (fb)
		binode = fuse_bpf_same_child(fb, dfb, entry);
	if (IS_ERR(binode) || !fuse_bpf_backing_held(dir, dfb) ||
	    (fb && !fuse_bpf_backing_held(inode, fb))) {
		*ret = -ECHILD;
	} else if (binode) {
		fuse_bpf_copyflags(inode, binode);
		*ret = 1;
	}
	return true;
}

/**
 * fuse_bpf_revalidate() - revalidate a dentry of a backed directory
 * @entry: the dentry
 * @flags: LOOKUP_* flags; LOOKUP_RCU is fine
 * @ret: 1 when @entry is still valid, 0 when it must be looked up again,
 *	-ECHILD in RCU path walk when a binding or the backing dentry changed
 *	while it looked
 *
 * A bound node (a kernel node, resolved or not) stays valid while the
 * backing directory still has its backing inode under the same name; an
 * unbound node and a negative dentry are always looked up again (which
 * costs a backing dcache lookup, not a request).  No reference is taken:
 * the bindings are read under RCU and read again after use, the backing
 * dentry under its sequence count.  Outside RCU path walk a binding or a
 * backing dentry that keeps changing (a daemon replying to lookups of the
 * node, renames on the backing meanwhile) gets the name looked up again
 * after a few tries.
 *
 * Return: true when the parent is backed and the answer is in @ret.
 */
bool fuse_bpf_revalidate(struct dentry *entry, unsigned int flags, int *ret)
{
	struct dentry *parent = READ_ONCE(entry->d_parent);
	struct inode *dir = d_inode_rcu(parent);
	struct inode *inode = d_inode_rcu(entry);
	int tries = (flags & LOOKUP_RCU) ? 1 : 3;
	bool backed;

	if (!dir || IS_ROOT(entry))
		return false;
	do {
		rcu_read_lock();
		backed = fuse_bpf_revalidate_rcu(entry, dir, inode, ret);
		rcu_read_unlock();
	} while (*ret == -ECHILD && --tries);
	if (*ret == -ECHILD && !(flags & LOOKUP_RCU))
		*ret = 0;
	return backed;
}

/* Passes the backing's entries to the caller through the filter. */
struct fuse_bpf_readdir_ctx {
	struct dir_context ctx;
	struct dir_context *caller;
	struct fuse_bpf_call *call;
	struct fuse_bpf_readdir_args args;
	struct fuse_bpf_dirname name;
	int err;
};

static bool fuse_bpf_filldir(struct dir_context *ctx, const char *name,
			     int namelen, loff_t offset, u64 ino,
			     unsigned int d_type)
{
	struct fuse_bpf_readdir_ctx *rd =
		container_of(ctx, struct fuse_bpf_readdir_ctx, ctx);
	struct fuse_bpf_call *call = rd->call;
	int ret;

	rd->args.entry.ino = ino;
	rd->args.entry.off = offset;
	rd->args.entry.type = d_type;
	rd->args.entry.namelen = namelen;
	call->name[0] = (struct qstr)QSTR_INIT(name, namelen);
	rd->name.len = 0;
	call->entry = &rd->name;
	ret = fuse_bpf_run_readdir(call, &rd->args);
	call->entry = NULL;
	if (ret == FUSE_BPF_SKIP)
		return true;
	if (ret < 0) {
		rd->err = ret;
		return false;
	}
	if (rd->name.len) {
		name = rd->name.name;
		namelen = rd->name.len;
	}
	return rd->caller->actor(rd->caller, name, namelen, offset, ino,
				 d_type);
}

/* Read the backing directory through the filter's post phase. */
static int fuse_bpf_readdir_filtered(struct file *backing,
				     struct dir_context *ctx,
				     struct fuse_bpf_call *call,
				     struct fuse_bpf_readdir_args *args)
{
	struct fuse_bpf_readdir_ctx *rd;
	int err;

	/* The entry's new name is too big for the stack */
	rd = kmalloc(sizeof(*rd), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	rd->ctx.actor = fuse_bpf_filldir;
	rd->ctx.pos = ctx->pos;
	rd->caller = ctx;
	rd->call = call;
	rd->args = *args;
	rd->err = 0;
	fuse_bpf_call_post(call, 0);
	err = iterate_dir(backing, &rd->ctx);
	ctx->pos = rd->ctx.pos;
	if (!err)
		err = rd->err;
	kfree(rd);
	return err;
}

/*
 * Read the backing directory @backing from @ctx's position, through the
 * filter's post phase for each entry when it asked for one.
 */
static int fuse_bpf_readdir_backing(struct fuse_file *ff, struct file *backing,
				    struct dir_context *ctx,
				    struct fuse_bpf_call *call,
				    struct fuse_bpf_readdir_args *args,
				    bool post)
{
	const struct cred *old;
	int err;

	/* seekdir() moved the FUSE file: move the backing file along */
	if (backing->f_pos != ctx->pos) {
		loff_t pos = vfs_llseek(backing, ctx->pos, SEEK_SET);

		if (pos < 0)
			return pos;
	}
	old = fuse_bpf_override_creds(ff->cred);
	if (post)
		err = fuse_bpf_readdir_filtered(backing, ctx, call, args);
	else
		err = iterate_dir(backing, ctx);
	fuse_bpf_revert_creds(old);
	return err;
}

/**
 * fuse_bpf_readdir() - read a backed directory from its backing
 * @file: FUSE directory opened by fuse_bpf_open()
 * @ctx: the caller's context; its position is the backing's position
 * @err: 0 or -errno
 *
 * The directory's filter may fail the read, or see each entry in its post
 * phase and drop or rename it there.
 *
 * Return: true when @file was opened on a backing directory.
 */
bool fuse_bpf_readdir(struct file *file, struct dir_context *ctx, int *err)
{
	struct fuse_file *ff = file->private_data;
	struct file *backing = fuse_file_passthrough(ff);
	struct fuse_bpf_readdir_args args = {};
	struct fuse_bpf_call call;

	if (!ff->bpf_opened || !backing)
		return false;
	fuse_bpf_call_begin(&call, file_inode(file), FUSE_READDIR);
	args.in.offset = ctx->pos;
	*err = fuse_bpf_run_readdir(&call, &args);
	if (*err == FUSE_BPF_DAEMON)
		*err = -EOPNOTSUPP;	/* the daemon never opened it */
	if (*err >= 0)
		*err = fuse_bpf_readdir_backing(ff, backing, ctx, &call, &args,
						*err == FUSE_BPF_BACKING_POST);
	fuse_bpf_call_done(&call, *err);
	return true;
}

/* What to create: the type is in @mode, a symlink's target in @link. */
struct fuse_bpf_cattr {
	umode_t mode;
	dev_t rdev;
	const char *link;
};

/*
 * New objects belong to the caller, as on a native filesystem: the
 * daemon's credentials with the caller's fsuid and fsgid.  The backing
 * filesystem applies the setgid-directory rule itself.  LSMs label the new
 * object as the caller's (security_dentry_create_files_as(), as overlayfs
 * does).
 */
struct fuse_bpf_creator {
	const struct cred *saved;
	struct cred *cred;
	struct vfsmount *mnt;
};

/*
 * Before a creation in @dfb's directory: INIT answered, write access to the
 * backing mount, and the creator's credentials in force.
 */
static int fuse_bpf_creator_begin(struct inode *dir, struct fuse_backing *dfb,
				  struct dentry *entry, umode_t mode,
				  struct fuse_bpf_creator *c)
{
	const struct cred *caller = current_cred();
	int err;

	c->mnt = dfb->file->f_path.mnt;
	err = fuse_bpf_wait_init(get_fuse_conn(dir));
	if (!err)
		err = mnt_want_write(c->mnt);
	if (err)
		return err;
	c->saved = fuse_bpf_override_creds(dfb->cred);
	c->cred = prepare_creds();
	fuse_bpf_revert_creds(c->saved);
	err = -ENOMEM;
	if (!c->cred)
		goto out_drop_write;
	c->cred->fsuid = caller->fsuid;
	c->cred->fsgid = caller->fsgid;
	err = security_dentry_create_files_as(entry, mode, &entry->d_name,
					      caller, c->cred);
	if (err) {
		put_cred(c->cred);
		goto out_drop_write;
	}
	c->saved = fuse_bpf_override_creds(c->cred);
	return 0;
out_drop_write:
	mnt_drop_write(c->mnt);
	return err;
}

static void fuse_bpf_creator_end(struct fuse_bpf_creator *c)
{
	fuse_bpf_revert_creds(c->saved);
	put_cred(c->cred);
	mnt_drop_write(c->mnt);
}

/*
 * A backing filesystem may leave the dentry of a new object unhashed or
 * negative (FUSE, NFS, 9p): the object exists, so look it up again, as
 * ovl_mkdir_real() does.  Replaces *@bdentry; called with the parent
 * locked.
 */
static int fuse_bpf_lookup_again(const struct path *parent,
				 const struct qstr *name,
				 struct dentry **bdentry)
{
	struct dentry *d;

	d = lookup_one(mnt_idmap(parent->mnt), name->name, parent->dentry,
		       name->len);
	if (IS_ERR(d))
		return PTR_ERR(d);
	if (d_is_negative(d)) {
		dput(d);
		return -ENOENT;
	}
	dput(*bdentry);
	*bdentry = d;
	return 0;
}

/* Make the object on the backing and its node; the dentry is left alone. */
static int fuse_bpf_create_object(struct inode *dir, struct fuse_backing *dfb,
				  struct dentry *entry,
				  const struct fuse_bpf_cattr *attr,
				  struct fuse_entry_out *outarg,
				  struct inode **inode)
{
	const struct path *parent = &dfb->file->f_path;
	struct mnt_idmap *idmap = mnt_idmap(parent->mnt);
	struct inode *bdir = d_inode(parent->dentry);
	struct fuse_bpf_creator c;
	struct dentry *bdentry;
	int err;

	err = fuse_bpf_creator_begin(dir, dfb, entry, attr->mode, &c);
	if (err)
		return err;
	inode_lock_nested(bdir, I_MUTEX_PARENT);
	bdentry = lookup_one(idmap, entry->d_name.name, parent->dentry,
			     entry->d_name.len);
	err = PTR_ERR(bdentry);
	if (IS_ERR(bdentry))
		goto out_unlock;
	err = -EEXIST;
	if (d_is_positive(bdentry))
		goto out_dput;
	switch (attr->mode & S_IFMT) {
	case S_IFDIR:
		err = vfs_mkdir(idmap, bdir, bdentry, attr->mode);
		break;
	case S_IFLNK:
		err = vfs_symlink(idmap, bdir, bdentry, attr->link);
		break;
	case S_IFREG:
		err = vfs_create(idmap, bdir, bdentry, attr->mode, true);
		break;
	default:
		err = vfs_mknod(idmap, bdir, bdentry, attr->mode, attr->rdev);
		break;
	}
	if (!err && (d_unhashed(bdentry) || d_is_negative(bdentry)))
		err = fuse_bpf_lookup_again(parent, &entry->d_name, &bdentry);
	if (!err)
		err = fuse_bpf_node_iget(dir, dfb, bdentry, outarg, inode);
out_dput:
	dput(bdentry);
out_unlock:
	inode_unlock(bdir);
	fuse_bpf_creator_end(&c);
	return err;
}

/* The opcode a request for the object would have had. */
static u32 fuse_bpf_create_opcode(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return FUSE_MKDIR;
	case S_IFLNK:
		return FUSE_SYMLINK;
	case S_IFREG:
		return FUSE_CREATE;
	}
	return FUSE_MKNOD;
}

/*
 * The filter's pre phase for a new object in @dir: FUSE_BPF_BACKING or
 * FUSE_BPF_BACKING_POST, with the permission bits of @attr->mode as the
 * filter left them; FUSE_BPF_DAEMON; or -errno.
 */
static int fuse_bpf_create_pre(struct fuse_bpf_call *call, struct inode *dir,
			       const struct qstr *name,
			       struct fuse_bpf_cattr *attr,
			       struct fuse_bpf_create_args *args, u32 opcode)
{
	int verdict;

	fuse_bpf_call_begin(call, dir, opcode);
	if (name)
		call->name[0] = *name;
	if (attr->link)
		call->name[1] = (struct qstr)QSTR_INIT(attr->link,
						       strlen(attr->link));
	args->in.mode = attr->mode;
	args->in.rdev = new_encode_dev(attr->rdev);
	args->in.umask = current_umask();
	verdict = fuse_bpf_run_create(call, args);
	attr->mode = (attr->mode & S_IFMT) | (args->in.mode & ~S_IFMT);
	return verdict;
}

/* The post phase: the result, which may now be an error. */
static int fuse_bpf_create_post(struct fuse_bpf_call *call,
				struct fuse_bpf_create_args *args,
				const struct fuse_entry_out *outarg, int err)
{
	if (!err)
		args->out = *outarg;
	fuse_bpf_call_post(call, err);
	return fuse_bpf_run_create(call, args);
}

/*
 * The end of a creation, or of a link, in @dir: @entry takes the new node
 * @inode, or, after a failure (@err), the node is dropped.
 */
static int fuse_bpf_create_finish(struct inode *dir, struct dentry *entry,
				  struct inode *inode,
				  struct fuse_entry_out *outarg, int err)
{
	if (err) {
		iput(inode);
		return err;
	}
	return fuse_entry_instantiate(dir, entry, inode, outarg);
}

static bool fuse_bpf_create(struct inode *dir, struct dentry *entry,
			    struct fuse_bpf_cattr *attr, int *err)
{
	struct fuse_bpf_create_args args = {};
	struct fuse_entry_out outarg;
	struct inode *inode = NULL;
	struct fuse_bpf_call call;
	struct fuse_backing *dfb;
	int verdict;

	if (!fuse_bpf_inode_backed(dir))
		return false;
	verdict = fuse_bpf_create_pre(&call, dir, &entry->d_name, attr, &args,
				      fuse_bpf_create_opcode(attr->mode));
	dfb = fuse_bpf_serve(dir, &call, verdict);
	if (!dfb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_create_object(dir, dfb, entry, attr, &outarg, &inode);
	if (verdict == FUSE_BPF_BACKING_POST)
		*err = fuse_bpf_create_post(&call, &args, &outarg, *err);
	*err = fuse_bpf_create_finish(dir, entry, inode, &outarg, *err);
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(dfb);
	return true;
}

/**
 * fuse_bpf_mknod() - create a file, device, fifo or socket on the backing
 * @dir: FUSE directory
 * @entry: negative dentry of the new name
 * @mode: type and permissions (umask applied)
 * @rdev: device number
 * @err: 0 or -errno
 *
 * Also serves O_CREAT opens: fuse_atomic_open() creates through mknod in
 * backed directories, and the file is then opened like any backed file.
 *
 * Return: true when @dir is backed.
 */
bool fuse_bpf_mknod(struct inode *dir, struct dentry *entry, umode_t mode,
		    dev_t rdev, int *err)
{
	struct fuse_bpf_cattr attr = { .mode = mode, .rdev = rdev };

	return fuse_bpf_create(dir, entry, &attr, err);
}

/**
 * fuse_bpf_mkdir() - make a directory on the backing
 * @dir: FUSE directory
 * @entry: negative dentry of the new name
 * @mode: permissions
 * @err: 0 or -errno
 *
 * Return: true when @dir is backed.
 */
bool fuse_bpf_mkdir(struct inode *dir, struct dentry *entry, umode_t mode,
		    int *err)
{
	struct fuse_bpf_cattr attr = { .mode = S_IFDIR | (mode & ~S_IFMT) };

	return fuse_bpf_create(dir, entry, &attr, err);
}

/**
 * fuse_bpf_symlink() - make a symbolic link on the backing
 * @dir: FUSE directory
 * @entry: negative dentry of the new name
 * @link: its target
 * @err: 0 or -errno
 *
 * Return: true when @dir is backed.
 */
bool fuse_bpf_symlink(struct inode *dir, struct dentry *entry,
		      const char *link, int *err)
{
	struct fuse_bpf_cattr attr = { .mode = S_IFLNK | 0777, .link = link };

	return fuse_bpf_create(dir, entry, &attr, err);
}

/* Make an unnamed file in @dfb's directory, owned by the caller. */
static int fuse_bpf_tmpfile_backing(struct inode *dir, struct fuse_backing *dfb,
				    struct file *file, umode_t mode,
				    struct fuse_entry_out *outarg,
				    struct inode **inode)
{
	const struct path *parent = &dfb->file->f_path;
	struct fuse_bpf_creator c;
	struct file *tmp;
	int err;

	err = fuse_bpf_creator_begin(dir, dfb, file->f_path.dentry, mode, &c);
	if (err)
		return err;
	tmp = kernel_tmpfile_open(mnt_idmap(parent->mnt), parent, mode,
				  O_RDWR | (file->f_flags & O_EXCL), dfb->cred);
	err = PTR_ERR_OR_ZERO(tmp);
	if (!err) {
		err = fuse_bpf_node_iget(dir, dfb, tmp->f_path.dentry, outarg,
					 inode);
		fput(tmp);
	}
	fuse_bpf_creator_end(&c);
	return err;
}

/*
 * The end of an O_TMPFILE open: @file's dentry takes the new node @inode
 * and the open is finished, or, after a failure (@err), the node is
 * dropped.
 */
static int fuse_bpf_tmpfile_finish(struct file *file, struct inode *inode,
				   int err)
{
	if (err) {
		iput(inode);
		return err;
	}
	/* nlink is already the backing's 0; vfs_tmpfile() marks it linkable */
	d_instantiate(file->f_path.dentry, inode);
	return finish_open_simple(file, 0);
}

/**
 * fuse_bpf_tmpfile() - O_TMPFILE in a backed directory
 * @dir: FUSE directory
 * @file: the FUSE file being opened, with its unhashed dentry
 * @mode: permissions
 * @err: 0 or -errno
 *
 * The unnamed file is made on the backing directory, owned by the caller,
 * and gets a kernel node; the FUSE file is then opened on it like any
 * backed file.  Without O_EXCL it can be linked in with linkat().
 *
 * Return: true when @dir is backed.
 */
bool fuse_bpf_tmpfile(struct inode *dir, struct file *file, umode_t mode,
		      int *err)
{
	struct fuse_bpf_cattr attr = { .mode = S_IFREG | mode };
	struct fuse_bpf_create_args args = {};
	struct fuse_entry_out outarg;
	struct inode *inode = NULL;
	struct fuse_bpf_call call;
	struct fuse_backing *dfb;
	int verdict;

	if (!fuse_bpf_inode_backed(dir))
		return false;
	verdict = fuse_bpf_create_pre(&call, dir, NULL, &attr, &args,
				      FUSE_TMPFILE);
	dfb = fuse_bpf_serve(dir, &call, verdict);
	if (!dfb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_tmpfile_backing(dir, dfb, file, attr.mode, &outarg,
					&inode);
	if (verdict == FUSE_BPF_BACKING_POST)
		*err = fuse_bpf_create_post(&call, &args, &outarg, *err);
	*err = fuse_bpf_tmpfile_finish(file, inode, *err);
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(dfb);
	return true;
}

/*
 * For link, unlink and rmdir: write access to the backing mount, the
 * daemon's credentials, and the backing directory locked as a parent.
 */
static int fuse_bpf_dir_lock(struct fuse_backing *dfb,
			     const struct cred **old)
{
	const struct path *parent = &dfb->file->f_path;
	int err = mnt_want_write(parent->mnt);

	if (err)
		return err;
	*old = fuse_bpf_override_creds(dfb->cred);
	inode_lock_nested(d_inode(parent->dentry), I_MUTEX_PARENT);
	return 0;
}

static void fuse_bpf_dir_unlock(struct fuse_backing *dfb,
				const struct cred *old)
{
	inode_unlock(d_inode(dfb->file->f_path.dentry));
	fuse_bpf_revert_creds(old);
	mnt_drop_write(dfb->file->f_path.mnt);
}

/* Both backings on one mount, as link and rename need; else -EXDEV. */
static int fuse_bpf_same_mnt(struct fuse_backing *a, struct fuse_backing *b)
{
	if (!a || !b || a->file->f_path.mnt != b->file->f_path.mnt)
		return -EXDEV;
	return 0;
}

/*
 * The backings of two nodes, either of which may be unbacked, to serve an
 * operation on; false, with @call ended, when the daemon is to be asked.
 */
static bool fuse_bpf_serve_two(struct inode *a, struct inode *b,
			       struct fuse_bpf_call *call, int verdict,
			       struct fuse_backing **afb,
			       struct fuse_backing **bfb)
{
	*afb = *bfb = NULL;
	if (verdict != FUSE_BPF_DAEMON) {
		*afb = fuse_bpf_backing_get(a);
		*bfb = fuse_bpf_backing_get(b);
	}
	if (*afb || *bfb)
		return true;
	fuse_bpf_call_daemon(call);
	return false;
}

/*
 * The pre phase of link: the new directory's filter, then, with
 * FUSE_BPF_F_BOTH_ENDS, the linked node's on its verdict.
 */
static int fuse_bpf_link_pre(struct fuse_bpf_call *call, struct inode *inode,
			     struct fuse_bpf_link_args *args)
{
	int verdict = fuse_bpf_run_link(call, args);
	struct fuse_bpf_call other;

	if (verdict < 0 || !fuse_bpf_call_other_end(&other, call, inode))
		return verdict;
	verdict = fuse_bpf_other_end_verdict(&other, verdict,
					     fuse_bpf_run_link(&other, args));
	fuse_bpf_call_end(&other);
	return verdict;
}

/*
 * Link @fb's backing into @dfb's directory as @newent, and get its node;
 * -EXDEV unless both are backed, on one mount.
 */
static int fuse_bpf_link_backing(struct fuse_backing *dfb,
				 struct fuse_backing *fb, struct inode *newdir,
				 struct dentry *newent,
				 struct fuse_entry_out *outarg,
				 struct inode **inode)
{
	const struct path *parent;
	struct mnt_idmap *idmap;
	struct dentry *bdentry;
	const struct cred *old;
	int err;

	err = fuse_bpf_same_mnt(dfb, fb);
	if (!err)
		err = fuse_bpf_wait_init(get_fuse_conn(newdir));
	if (!err)
		err = fuse_bpf_dir_lock(dfb, &old);
	if (err)
		return err;
	parent = &dfb->file->f_path;
	idmap = mnt_idmap(parent->mnt);
	bdentry = lookup_one(idmap, newent->d_name.name, parent->dentry,
			     newent->d_name.len);
	err = PTR_ERR(bdentry);
	if (!IS_ERR(bdentry)) {
		err = d_is_positive(bdentry) ? -EEXIST :
			vfs_link(fb->file->f_path.dentry, idmap,
				 d_inode(parent->dentry), bdentry, NULL);
		if (!err)
			err = fuse_bpf_node_iget(newdir, dfb, bdentry, outarg,
						 inode);
		dput(bdentry);
	}
	fuse_bpf_dir_unlock(dfb, old);
	return err;
}

/**
 * fuse_bpf_link() - make a hard link on the backing
 * @entry: the existing node
 * @newdir: FUSE directory of the new name
 * @newent: negative dentry of the new name
 * @err: 0 or -errno; -EXDEV when only one side is backed
 *
 * The new name gets a node of its own, as a lookup would give it.  The
 * filter of @newdir decides, then that of @entry if it asks to
 * (FUSE_BPF_F_BOTH_ENDS).
 *
 * Return: true when @newdir or @entry is backed.
 */
bool fuse_bpf_link(struct dentry *entry, struct inode *newdir,
		   struct dentry *newent, int *err)
{
	struct inode *oldinode = d_inode(entry);
	struct fuse_bpf_link_args args = {
		.in.oldnodeid = get_node_id(oldinode),
	};
	struct fuse_entry_out outarg;
	struct inode *inode = NULL;
	struct fuse_backing *dfb, *fb;
	struct fuse_bpf_call call;
	int verdict;

	if (!fuse_bpf_inode_backed(newdir) && !fuse_bpf_inode_backed(oldinode))
		return false;
	fuse_bpf_call_begin(&call, newdir, FUSE_LINK);
	call.name[0] = newent->d_name;
	verdict = fuse_bpf_link_pre(&call, oldinode, &args);
	if (!fuse_bpf_serve_two(newdir, oldinode, &call, verdict, &dfb, &fb))
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_link_backing(dfb, fb, newdir, newent, &outarg, &inode);
	if (fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_link(&call, &args);
	*err = fuse_bpf_create_finish(newdir, newent, inode, &outarg, *err);
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	fuse_backing_put(dfb);
	return true;
}

/*
 * Look @name up in the locked backing directory @parent and check that it
 * still leads to @fb's backing inode, as it did when the FUSE dentry was
 * revalidated: the backing filesystem may have changed behind our back.
 * The inode, not the dentry: a node is bound to one name of its backing
 * inode and serves its hard links too.
 */
static struct dentry *fuse_bpf_lookup_locked(const struct path *parent,
					     const struct qstr *name,
					     struct fuse_backing *fb)
{
	struct dentry *bdentry;

	bdentry = lookup_one(mnt_idmap(parent->mnt), name->name,
			     parent->dentry, name->len);
	if (IS_ERR(bdentry))
		return bdentry;
	if ((fb && d_inode(bdentry) != file_inode(fb->file)) ||
	    (!fb && d_is_positive(bdentry))) {
		dput(bdentry);
		return ERR_PTR(-ESTALE);
	}
	return bdentry;
}

/* Remove @entry's backing from @dfb's directory, which must still hold it. */
static int fuse_bpf_remove_backing(struct fuse_backing *dfb,
				   struct dentry *entry, bool isdir)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(d_inode(entry));
	const struct path *parent = &dfb->file->f_path;
	struct mnt_idmap *idmap = mnt_idmap(parent->mnt);
	struct inode *bdir = d_inode(parent->dentry);
	struct dentry *bdentry;
	const struct cred *old;
	int err;

	if (!fb)
		return -ESTALE;
	err = fuse_bpf_dir_lock(dfb, &old);
	if (err)
		goto out;
	bdentry = fuse_bpf_lookup_locked(parent, &entry->d_name, fb);
	err = PTR_ERR(bdentry);
	if (!IS_ERR(bdentry)) {
		if (isdir)
			err = vfs_rmdir(idmap, bdir, bdentry);
		else
			err = vfs_unlink(idmap, bdir, bdentry, NULL);
		dput(bdentry);
	}
	fuse_bpf_dir_unlock(dfb, old);
out:
	fuse_backing_put(fb);
	return err;
}

static int fuse_bpf_remove(struct fuse_mount *fm, struct fuse_args *args,
			   struct inode *dir, struct dentry *entry, bool isdir)
{
	struct fuse_bpf_call call;
	struct fuse_backing *dfb;
	int verdict, err;

	if (!fuse_bpf_inode_backed(dir))
		return fuse_simple_request(fm, args);
	fuse_bpf_call_begin(&call, dir, isdir ? FUSE_RMDIR : FUSE_UNLINK);
	call.name[0] = entry->d_name;
	verdict = fuse_bpf_run_unlink(&call);
	dfb = fuse_bpf_serve(dir, &call, verdict);
	if (!dfb)
		return fuse_simple_request(fm, args);
	err = verdict < 0 ? verdict : fuse_bpf_remove_backing(dfb, entry, isdir);
	if (fuse_bpf_post(&call, verdict, err))
		err = fuse_bpf_run_unlink(&call);
	fuse_bpf_call_done(&call, err);
	fuse_backing_put(dfb);
	return err;
}

/**
 * fuse_bpf_unlink() - unlink a name, on the backing or by the daemon
 * @fm: the mount
 * @args: the daemon's FUSE_UNLINK request
 * @dir: FUSE directory
 * @entry: the name
 *
 * Sends @args when @dir is not backed or its filter says so.
 *
 * Return: 0 or -errno; -ESTALE when the backing changed under the name.
 */
int fuse_bpf_unlink(struct fuse_mount *fm, struct fuse_args *args,
		    struct inode *dir, struct dentry *entry)
{
	return fuse_bpf_remove(fm, args, dir, entry, false);
}

/**
 * fuse_bpf_rmdir() - remove a directory, on the backing or by the daemon
 * @fm: the mount
 * @args: the daemon's FUSE_RMDIR request
 * @dir: FUSE directory
 * @entry: the name
 *
 * Sends @args when @dir is not backed or its filter says so.
 *
 * Return: 0 or -errno; -ESTALE when the backing changed under the name.
 */
int fuse_bpf_rmdir(struct fuse_mount *fm, struct fuse_args *args,
		   struct inode *dir, struct dentry *entry)
{
	return fuse_bpf_remove(fm, args, dir, entry, true);
}

/*
 * Rename on the backings, both parents locked by lock_rename(): both names
 * must still lead to the nodes' backings (@src, and @dst or nothing).
 */
static int fuse_bpf_rename_locked(struct fuse_backing *ofb,
				  struct fuse_backing *nfb,
				  struct fuse_backing *src,
				  struct fuse_backing *dst,
				  struct dentry *trap, unsigned int flags,
				  const struct qstr *oldname,
				  const struct qstr *newname)
{
	struct mnt_idmap *idmap = mnt_idmap(ofb->file->f_path.mnt);
	struct renamedata rd = {
		.old_mnt_idmap = idmap,
		.old_dir = d_inode(ofb->file->f_path.dentry),
		.new_mnt_idmap = idmap,
		.new_dir = d_inode(nfb->file->f_path.dentry),
		.flags = flags,
	};
	int err;

	rd.old_dentry = fuse_bpf_lookup_locked(&ofb->file->f_path, oldname,
					       src);
	if (IS_ERR(rd.old_dentry))
		return PTR_ERR(rd.old_dentry);
	rd.new_dentry = fuse_bpf_lookup_locked(&nfb->file->f_path, newname,
					       dst);
	err = PTR_ERR(rd.new_dentry);
	if (IS_ERR(rd.new_dentry))
		goto out_dput_old;
	/* As do_renameat2(): an ancestor is neither source nor target */
	err = -EINVAL;
	if (rd.old_dentry == trap)
		goto out_dput_new;
	err = (flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
	if (rd.new_dentry != trap)
		err = vfs_rename(&rd);
out_dput_new:
	dput(rd.new_dentry);
out_dput_old:
	dput(rd.old_dentry);
	return err;
}

/*
 * Rename @oldent to @newent from @ofb's directory to @nfb's; -EXDEV unless
 * both are backed, on one mount.
 */
static int fuse_bpf_rename_backing(struct fuse_backing *ofb,
				   struct fuse_backing *nfb,
				   struct dentry *oldent,
				   struct dentry *newent, unsigned int flags)
{
	bool replace = d_really_is_positive(newent);
	struct fuse_backing *src, *dst = NULL;
	struct vfsmount *mnt;
	const struct cred *old;
	struct dentry *trap;
	int err;

	err = fuse_bpf_same_mnt(ofb, nfb);
	if (err)
		return err;
	mnt = ofb->file->f_path.mnt;
	src = fuse_bpf_backing_get(d_inode(oldent));
	if (replace)
		dst = fuse_bpf_backing_get(d_inode(newent));
	err = -ESTALE;
	if (!src || (replace && !dst))
		goto out;
	err = mnt_want_write(mnt);
	if (err)
		goto out;
	old = fuse_bpf_override_creds(ofb->cred);
	trap = lock_rename(ofb->file->f_path.dentry, nfb->file->f_path.dentry);
	err = PTR_ERR(trap);
	if (!IS_ERR(trap)) {
		err = fuse_bpf_rename_locked(ofb, nfb, src, dst, trap, flags,
					     &oldent->d_name, &newent->d_name);
		unlock_rename(ofb->file->f_path.dentry,
			      nfb->file->f_path.dentry);
	}
	fuse_bpf_revert_creds(old);
	mnt_drop_write(mnt);
out:
	fuse_backing_put(dst);
	fuse_backing_put(src);
	return err;
}

/*
 * The pre phase of rename: the old directory's filter, then, with
 * FUSE_BPF_F_BOTH_ENDS, the new directory's on its verdict.
 */
static int fuse_bpf_rename_pre(struct fuse_bpf_call *call,
			       struct inode *newdir,
			       struct fuse_bpf_rename_args *args)
{
	int verdict = fuse_bpf_run_rename(call, args);
	struct fuse_bpf_call other;

	if (verdict < 0 || !fuse_bpf_call_other_end(&other, call, newdir))
		return verdict;
	verdict = fuse_bpf_other_end_verdict(&other, verdict,
					     fuse_bpf_run_rename(&other, args));
	fuse_bpf_call_end(&other);
	return verdict;
}

/**
 * fuse_bpf_rename() - rename, within backed directories or by the daemon
 * @idmap: idmap of the FUSE mount
 * @fm: the mount
 * @args: the daemon's FUSE_RENAME or FUSE_RENAME2 request
 * @olddir: FUSE directory of the old name
 * @oldent: the old name
 * @newdir: FUSE directory of the new name
 * @newent: the new name, negative or the node it replaces
 * @flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT
 *
 * Sends @args when neither directory is backed or the filter of @olddir
 * says so, or that of @newdir if it asks to decide (FUSE_BPF_F_BOTH_ENDS).
 * Both names are looked up again under lock_rename() and must still lead
 * to the nodes' backings.
 *
 * Return: 0 or -errno; -EXDEV when only one directory is backed or the
 * backings are on different mounts.
 */
int fuse_bpf_rename(struct mnt_idmap *idmap, struct fuse_mount *fm,
		    struct fuse_args *args,
		    struct inode *olddir, struct dentry *oldent,
		    struct inode *newdir, struct dentry *newent,
		    unsigned int flags)
{
	struct fuse_bpf_rename_args rargs = {
		.in.newdir = get_node_id(newdir), .in.flags = flags,
	};
	struct fuse_backing *ofb, *nfb;
	struct fuse_bpf_call call;
	int verdict, err;

	if (!fuse_bpf_inode_backed(olddir) && !fuse_bpf_inode_backed(newdir))
		return fuse_simple_idmap_request(idmap, fm, args);
	fuse_bpf_call_begin(&call, olddir, FUSE_RENAME2);
	call.name[0] = oldent->d_name;
	call.name[1] = newent->d_name;
	verdict = fuse_bpf_rename_pre(&call, newdir, &rargs);
	if (!fuse_bpf_serve_two(olddir, newdir, &call, verdict, &ofb, &nfb))
		return fuse_simple_idmap_request(idmap, fm, args);
	err = verdict < 0 ? verdict :
	      fuse_bpf_rename_backing(ofb, nfb, oldent, newent, flags);
	if (fuse_bpf_post(&call, verdict, err))
		err = fuse_bpf_run_rename(&call, &rargs);
	fuse_bpf_call_done(&call, err);
	fuse_backing_put(nfb);
	fuse_backing_put(ofb);
	return err;
}
