// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf: inode and file operations served on the backing inode.
 */

#include "fuse_i.h"

#include <linux/backing-file.h>
#include <linux/cred.h>
#include <linux/fileattr.h>
#include <linux/filelock.h>
#include <linux/poll.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/statfs.h>
#include <linux/xattr.h>
#include <trace/events/fuse_bpf.h>

/**
 * fuse_bpf_serve() - the backing to serve an operation on
 * @inode: a backed FUSE inode
 * @call: the operation's filter call, after its pre phase
 * @verdict: what the pre phase said
 *
 * Return: a reference to @inode's backing, for the kernel to serve the
 * operation (in RCU path walk, @call->nonblock, the backing without a
 * reference: see fuse_bpf_backing_rcu()); NULL when the daemon is to be
 * asked (the verdict was FUSE_BPF_DAEMON or the node was unbound
 * meanwhile), and @call is ended then.
 */
struct fuse_backing *fuse_bpf_serve(struct inode *inode,
				    struct fuse_bpf_call *call, int verdict)
{
	struct fuse_backing *fb = NULL;

	if (verdict != FUSE_BPF_DAEMON)
		fb = call->nonblock ? fuse_bpf_backing_rcu(inode) :
				      fuse_bpf_backing_get(inode);
	if (!fb)
		fuse_bpf_call_daemon(call);
	return fb;
}

/*
 * Take the attributes a getattr filter returned: the type and the inode
 * number stay the backing's, the rest is the filter's to report.
 */
static int fuse_bpf_attr_rewrite(struct fuse_conn *fc,
				 const struct fuse_attr *new,
				 struct fuse_attr *attr, struct kstat *st)
{
	kuid_t uid = make_kuid(fc->user_ns, new->uid);
	kgid_t gid = make_kgid(fc->user_ns, new->gid);

	if (((new->mode ^ attr->mode) & S_IFMT) || new->ino != attr->ino ||
	    !uid_valid(uid) || !gid_valid(gid) ||
	    new->atimensec >= NSEC_PER_SEC || new->mtimensec >= NSEC_PER_SEC ||
	    new->ctimensec >= NSEC_PER_SEC || (s64)new->size < 0) {
		pr_warn_ratelimited("fuse-bpf: filter returned invalid attributes\n");
		return -EIO;
	}
	*attr = *new;
	st->mode = new->mode;
	st->nlink = new->nlink;
	st->uid = uid;
	st->gid = gid;
	st->size = new->size;
	st->blocks = new->blocks;
	st->atime.tv_sec = new->atime;
	st->atime.tv_nsec = new->atimensec;
	st->mtime.tv_sec = new->mtime;
	st->mtime.tv_nsec = new->mtimensec;
	st->ctime.tv_sec = new->ctime;
	st->ctime.tv_nsec = new->ctimensec;
	return 0;
}

/*
 * Does the FUSE inode already have the attributes @st?  Then a stat need
 * not take fuse's attribute update path again: ctime moves with every
 * change of the others, and size and mtime guard the page cache.  Owners
 * the connection's user namespace cannot map never compare equal: those
 * take the update path every time.
 */
static bool fuse_bpf_attr_current(struct inode *inode, const struct kstat *st)
{
	struct timespec64 ctime = inode_get_ctime(inode);
	struct timespec64 mtime = inode_get_mtime(inode);

	return timespec64_equal(&ctime, &st->ctime) &&
	       timespec64_equal(&mtime, &st->mtime) &&
	       i_size_read(inode) == st->size &&
	       get_fuse_inode(inode)->orig_i_mode == st->mode &&
	       inode->i_nlink == st->nlink && uid_eq(inode->i_uid, st->uid) &&
	       gid_eq(inode->i_gid, st->gid) && inode->i_blocks == st->blocks;
}

/*
 * The backing's attributes, as a kstat in @st; its inode flags go to
 * @inode.  @attr_version is the FUSE inode's attribute version from before
 * they were read.
 */
static int fuse_bpf_getattr_backing(struct inode *inode,
				    struct fuse_backing *fb, struct kstat *st,
				    u64 *attr_version)
{
	const struct cred *old;
	int err;

	*attr_version = fuse_get_attr_version(get_fuse_conn(inode));
	old = fuse_bpf_override_creds(fb->cred);
	err = vfs_getattr(&fb->file->f_path, st,
			  STATX_BASIC_STATS | STATX_BTIME,
			  AT_STATX_SYNC_AS_STAT);
	fuse_bpf_revert_creds(old);
	if (err)
		return err;
	if (inode_wrong_type(inode, st->mode)) {
		fuse_make_bad(inode);
		return -EIO;
	}
	fuse_bpf_copyflags(inode, file_inode(fb->file));
	return 0;
}

/*
 * The post phase of getattr: the filter sees the result as FUSE's
 * attributes, @attr, and may change them.
 */
static int fuse_bpf_getattr_post(struct fuse_bpf_call *call,
				 struct fuse_bpf_attr_args *args,
				 struct fuse_conn *fc, int err,
				 struct fuse_attr *attr, struct kstat *st)
{
	if (!err) {
		fuse_bpf_fill_attr(fc, st, attr);
		args->out.attr = *attr;
	}
	fuse_bpf_call_post(call, err);
	err = fuse_bpf_run_getattr(call, args);
	if (err)
		return err;
	if (fuse_bpf_call_backing_attr(call)) {
		if (!memcmp(&args->out.attr, attr, sizeof(*attr)))
			return 0;
		pr_warn_ratelimited("fuse-bpf: a FUSE_BPF_F_BACKING_ATTR filter changed attributes\n");
		err = -EIO;
	} else {
		err = fuse_bpf_attr_rewrite(fc, &args->out.attr, attr, st);
	}
	if (err)
		trace_fuse_bpf_refused(call->conn, call->ctx.nodeid, FUSE_GETATTR,
				       FUSE_BPF_REFUSED_ATTR);
	return err;
}

/*
 * The attributes served, @st (and @attr when a post phase made it): the
 * FUSE inode takes them unless it has them already, and the caller gets
 * them in @stat if it asked.
 */
static void fuse_bpf_getattr_result(struct inode *inode,
				    struct fuse_attr *attr, bool have_attr,
				    const struct kstat *st, u64 attr_version,
				    struct kstat *stat)
{
	if (!fuse_bpf_attr_current(inode, st)) {
		if (!have_attr)
			fuse_bpf_fill_attr(get_fuse_conn(inode), st, attr);
		fuse_change_attributes(inode, attr, NULL, 0, attr_version);
	}
	if (stat) {
		*stat = *st;
		stat->dev = inode->i_sb->s_dev;
	}
}

/* fuse_bpf_getattr() of a node without a filter to call: no call to set up */
static bool fuse_bpf_getattr_unfiltered(struct inode *inode,
					struct kstat *stat, int *err)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	struct fuse_attr attr;
	u64 attr_version;
	struct kstat st;

	if (!fb) {
		fuse_bpf_count(inode, FUSE_GETATTR, FUSE_BPF_SERVED_DAEMON, 0);
		return false;
	}
	*err = fuse_bpf_getattr_backing(inode, fb, &st, &attr_version);
	if (!*err)
		fuse_bpf_getattr_result(inode, &attr, false, &st, attr_version,
					stat);
	fuse_bpf_count(inode, FUSE_GETATTR, FUSE_BPF_SERVED_BACKING, *err);
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_getattr() - attributes of a backed node, from its backing
 * @inode: FUSE inode
 * @stat: result, or NULL to refresh the inode only
 * @err: 0 or -errno
 *
 * The FUSE inode's attributes are refreshed too, and left expired, so that
 * the next getattr asks the backing again: changes made directly on the
 * backing filesystem show at once.  The node's filter may change the
 * attributes in its post phase, unless it has %FUSE_BPF_F_BACKING_ATTR:
 * then a change, or the daemon asked, fails the getattr with -EIO.
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_getattr(struct inode *inode, struct kstat *stat, int *err)
{
	struct fuse_bpf_attr_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	struct fuse_attr attr;
	u64 attr_version = 0;
	struct kstat st;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	if (fuse_bpf_unfiltered(inode, FUSE_GETATTR))
		return fuse_bpf_getattr_unfiltered(inode, stat, err);
	fuse_bpf_call_begin(&call, inode, FUSE_GETATTR);
	verdict = fuse_bpf_run_getattr(&call, &args);
	if (verdict == FUSE_BPF_DAEMON && fuse_bpf_call_backing_attr(&call)) {
		pr_warn_ratelimited("fuse-bpf: a FUSE_BPF_F_BACKING_ATTR filter sent getattr to the daemon\n");
		trace_fuse_bpf_refused(call.conn, call.ctx.nodeid, FUSE_GETATTR,
				       FUSE_BPF_REFUSED_ATTR);
		verdict = -EIO;
	}
	fb = fuse_bpf_serve(inode, &call, verdict);
	if (!fb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_getattr_backing(inode, fb, &st, &attr_version);
	if (verdict == FUSE_BPF_BACKING_POST)
		*err = fuse_bpf_getattr_post(&call, &args, get_fuse_conn(inode),
					     *err, &attr, &st);
	if (!*err)
		fuse_bpf_getattr_result(inode, &attr,
					verdict == FUSE_BPF_BACKING_POST, &st,
					attr_version, stat);
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	return true;
}

/*
 * Take a backed file's attributes, its size above all, from the backing
 * again after an operation changed them there (setattr, fallocate,
 * copy_file_range): the VFS checks ranges against the FUSE inode's size.
 */
static void fuse_bpf_refresh(struct inode *inode)
{
	int err;

	fuse_invalidate_attr(inode);
	fuse_bpf_getattr(inode, NULL, &err);
}

/*
 * Is the caller shown the backing's own attributes?  Yes when the node's
 * getattr pre phase, asked without blocking, serves the attributes on the
 * backing with no post phase: the caller was checked against them
 * already.  A post phase, the daemon, a userspace filter or an error say
 * no.  The getattr call takes the caller's ids from @access, the
 * permission check's own call.
 */
static bool fuse_bpf_permission_shows_backing(const struct fuse_bpf_call *access)
{
	struct fuse_bpf_attr_args args = {};
	struct fuse_bpf_call call;
	int verdict;

	fuse_bpf_call_begin_like(&call, access, FUSE_GETATTR);
	verdict = fuse_bpf_run_getattr(&call, &args);
	fuse_bpf_call_end(&call);
	return verdict == FUSE_BPF_BACKING;
}

/*
 * Has @inode the mode and owners of @fb's backing, as a getattr on the
 * backing would report them (through the backing mount's idmapping)?
 */
static bool fuse_bpf_permission_attr_current(struct inode *inode,
					     struct fuse_backing *fb)
{
	struct mnt_idmap *bidmap = mnt_idmap(fb->file->f_path.mnt);
	struct inode *binode = file_inode(fb->file);

	return get_fuse_inode(inode)->orig_i_mode == READ_ONCE(binode->i_mode) &&
	       vfsuid_eq_kuid(i_uid_into_vfsuid(bidmap, binode), inode->i_uid) &&
	       vfsgid_eq_kgid(i_gid_into_vfsgid(bidmap, binode), inode->i_gid);
}

/*
 * The caller against the attributes it is shown, when a getattr filter
 * may have rewritten them: they are what stat() reports and what the
 * VFS's own checks (setattr, sticky directories, ownership) use.  When
 * the filter shows the backing's, the caller was checked against those:
 * RCU path walk goes on, and ref-walk too if the FUSE inode has them
 * already (else it refreshes them for the checks that follow).
 */
static int fuse_bpf_permission_shown(struct inode *inode,
				     struct fuse_backing *fb, int mask,
				     const struct fuse_bpf_call *access)
{
	bool backing = fuse_bpf_permission_shows_backing(access);
	int err;

	if (mask & MAY_NOT_BLOCK)
		return backing ? 0 : -ECHILD;
	if (backing && fuse_bpf_permission_attr_current(inode, fb))
		return 0;
	err = fuse_update_attributes(inode, NULL, STATX_BASIC_STATS);
	return err ?: generic_permission(&nop_mnt_idmap, inode, mask);
}

/*
 * The caller's access to @fb's backing, @bpath and @binode, and the
 * daemon's (whose credentials do the operation), as overlayfs checks both
 * layers.
 */
static int fuse_bpf_permission_check(struct inode *inode,
				     struct fuse_backing *fb,
				     const struct path *bpath,
				     struct inode *binode, int mask)
{
	struct mnt_idmap *bidmap = mnt_idmap(bpath->mnt);
	const struct cred *old;
	int err;

	/* As for a read-only mount of our own; the backing sb checks itself */
	if ((mask & MAY_WRITE) && __mnt_is_readonly(bpath->mnt) &&
	    (S_ISREG(binode->i_mode) || S_ISDIR(binode->i_mode) ||
	     S_ISLNK(binode->i_mode)))
		return -EROFS;
	err = inode_permission(bidmap, binode, mask);
	if (err)
		return err;
	old = fuse_bpf_override_creds(fb->cred);
	err = inode_permission(bidmap, binode, mask);
	fuse_bpf_revert_creds(old);
	return err;
}

/*
 * fuse_bpf_permission_check() on @fb's backing, which gives its
 * append-only and immutable flags to @inode.  In RCU path walk @fb is
 * held by the node's binding only: -ECHILD unless that binding held
 * throughout, and the flags are taken only then.
 */
static int fuse_bpf_permission_backing(struct inode *inode,
				       struct fuse_backing *fb, int mask)
{
	struct inode *binode;
	struct path bpath;
	int err;

	if (!(mask & MAY_NOT_BLOCK)) {
		binode = file_inode(fb->file);
		fuse_bpf_copyflags(inode, binode);
		return fuse_bpf_permission_check(inode, fb, &fb->file->f_path,
						 binode, mask);
	}
	if (!fuse_bpf_backing_path_rcu(fb, &bpath, &binode))
		return -ECHILD;
	err = fuse_bpf_permission_check(inode, fb, &bpath, binode, mask);
	if (!fuse_bpf_backing_held(inode, fb))
		return -ECHILD;
	fuse_bpf_copyflags(inode, binode);
	return err;
}

/*
 * fuse_bpf_permission() of a node without a filter to call: no call to set
 * up.
 * RCU path walk counts what it served, not what it leaves to ref-walk.
 */
static bool fuse_bpf_permission_unfiltered(struct inode *inode, int mask,
					   int *err)
{
	bool rcu = mask & MAY_NOT_BLOCK;
	struct fuse_backing *fb;

	fb = rcu ? fuse_bpf_backing_rcu(inode) : fuse_bpf_backing_get(inode);
	if (!fb) {
		if (!rcu)
			fuse_bpf_count(inode, FUSE_ACCESS,
				       FUSE_BPF_SERVED_DAEMON, 0);
		return false;
	}
	*err = fuse_bpf_permission_backing(inode, fb, mask);
	if (*err != -ECHILD)
		fuse_bpf_count(inode, FUSE_ACCESS, FUSE_BPF_SERVED_BACKING,
			       *err);
	if (!rcu)
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
 * caller's own credentials (and, when the node's filter may rewrite the
 * attributes, against those it is shown too), then the daemon's
 * credentials against the backing inode: neither may get what it could
 * not get by itself.  The FUSE inode takes the backing's append-only and
 * immutable flags on the way, for the VFS checks that follow.  RCU path
 * walk takes no reference: the answer is -ECHILD if the node was rebound
 * meanwhile.
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_permission(struct mnt_idmap *idmap, struct inode *inode,
			 int mask, int *err)
{
	struct fuse_bpf_access_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	if (fuse_bpf_unfiltered(inode, FUSE_ACCESS))
		return fuse_bpf_permission_unfiltered(inode, mask, err);
	if (mask & MAY_NOT_BLOCK)
		fuse_bpf_call_begin_rcu(&call, inode, FUSE_ACCESS);
	else
		fuse_bpf_call_begin(&call, inode, FUSE_ACCESS);
	args.in.mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
	verdict = fuse_bpf_run_access(&call, &args);
	fb = fuse_bpf_serve(inode, &call, verdict);
	if (!fb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_permission_backing(inode, fb, mask);
	if (!*err && fuse_bpf_filter_rewrites_attr(inode))
		*err = fuse_bpf_permission_shown(inode, fb, mask, &call);
	if (*err != -ECHILD && fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_access(&call, &args);
	fuse_bpf_call_done(&call, *err);
	if (!call.nonblock)
		fuse_backing_put(fb);
	return true;
}

/*
 * May the caller, then the daemon, open @fb's backing inode as @file asks?
 * The VFS checked the node's backing before ->open; the daemon may have
 * bound another one since, and that is the one opened.
 */
static int fuse_bpf_may_open(struct fuse_backing *fb, struct file *file)
{
	struct mnt_idmap *idmap = mnt_idmap(fb->file->f_path.mnt);
	struct inode *binode = file_inode(fb->file);
	const struct cred *old;
	int mask = MAY_OPEN;
	int err;

	/*
	 * As do_open(): a file this open created is not checked again, and
	 * exec (__FMODE_EXEC in f_flags, read-only) asks for MAY_EXEC
	 * alone, as do_open_execat() does: a program need not be readable.
	 */
	if (!(file->f_mode & FMODE_CREATED)) {
		if (file->f_flags & __FMODE_EXEC)
			mask |= MAY_EXEC;
		else if (file->f_mode & FMODE_READ)
			mask |= MAY_READ;
		if (file->f_mode & FMODE_WRITE)
			mask |= MAY_WRITE;
	}
	err = inode_permission(idmap, binode, mask);
	if (err)
		return err;
	old = fuse_bpf_override_creds(fb->cred);
	err = inode_permission(idmap, binode, mask);
	fuse_bpf_revert_creds(old);
	return err;
}

/**
 * fuse_bpf_open_backing() - the backing a backed file is opened on
 * @file: the FUSE file being opened
 * @inode: its FUSE inode
 *
 * For fuse_passthrough_open() with backing id 0.  The backing is checked
 * for the caller and the daemon with the open's mode: the daemon may have
 * rebound the node since the VFS checked it.
 *
 * Return: a reference to the backing, NULL when the node is not backed, or
 * an ERR_PTR (-EACCES, ...; -ENOTCONN when the connection was aborted
 * since fuse_bpf_open() served the open).
 */
struct fuse_backing *fuse_bpf_open_backing(struct file *file,
					   struct inode *inode)
{
	struct fuse_backing *fb = fuse_bpf_backing_get(inode);
	int err;

	if (!fb) {
		/* Aborted since fuse_bpf_open() found the node backed */
		if (!READ_ONCE(get_fuse_conn(inode)->connected))
			return ERR_PTR(-ENOTCONN);
		return NULL;
	}
	err = fuse_bpf_may_open(fb, file);
	if (err) {
		fuse_backing_put(fb);
		return ERR_PTR(err);
	}
	return fb;
}

/*
 * The fuse_file of a file opened on @fb: a regular file is served by
 * passthrough on a backing file that fuse_passthrough_open() opens from
 * fuse_bpf_open_backing(); a directory gets its backing file here.
 */
static int fuse_bpf_file_new(struct fuse_mount *fm, struct file *file,
			     struct fuse_backing *fb, bool isdir,
			     struct fuse_file **ffp)
{
	struct fuse_file *ff;
	struct file *backing;
	int err;

	/*
	 * A write drops setuid and setgid by the FUSE inode's mode: make it
	 * the backing's current one (it may have changed behind the mount).
	 */
	if (!isdir && (file->f_mode & FMODE_WRITE) &&
	    !(file->f_mode & FMODE_CREATED))
		fuse_bpf_refresh(file_inode(file));
	ff = fuse_file_alloc(fm, true);
	if (!ff)
		return -ENOMEM;
	ff->nodeid = get_node_id(file_inode(file));
	ff->bpf_opened = true;
	if (!isdir) {
		fuse_bpf_filter_data(file_inode(file), ff);
		ff->open_flags = FOPEN_PASSTHROUGH | FOPEN_NOFLUSH;
		ff->args->open_outarg.backing_id = 0;
		*ffp = ff;
		return 0;
	}
	err = fuse_bpf_may_open(fb, file);
	backing = err ? ERR_PTR(err) :
		  backing_file_open(file, file->f_flags, &fb->file->f_path,
				    fb->cred);
	if (IS_ERR(backing)) {
		fuse_file_free(ff);
		return PTR_ERR(backing);
	}
	ff->passthrough = backing;
	ff->cred = get_cred(fb->cred);
	*ffp = ff;
	return 0;
}

/* Undo fuse_bpf_file_new() */
static void fuse_bpf_file_drop(struct fuse_file *ff)
{
	if (ff->passthrough) {
		fput(ff->passthrough);
		put_cred(ff->cred);
	}
	fuse_file_free(ff);
}

/*
 * The end of an open that made @ff: the filter's post phase, when it asked
 * for one; then @file takes @ff, or, when the filter failed the open, @ff
 * is dropped.
 */
static int fuse_bpf_open_finish(struct fuse_bpf_call *call,
				struct fuse_bpf_open_args *args, int verdict,
				struct file *file, struct fuse_file *ff)
{
	int err = 0;

	if (fuse_bpf_post(call, verdict, 0))
		err = fuse_bpf_run_open(call, args);
	if (err)
		fuse_bpf_file_drop(ff);
	else
		file->private_data = ff;
	return err;
}

/*
 * The filter sends the open to the daemon.  The file keeps the node id it
 * is opened with, so a kernel node takes the daemon's id first.
 *
 * Return: true when that failed (the error is in @err), false when fuse
 * goes on to send the open.
 */
static bool fuse_bpf_open_by_daemon(struct fuse_mount *fm, struct inode *inode,
				    int *err)
{
	*err = fuse_bpf_resolve_node(fm, inode);
	return *err != 0;
}

/**
 * fuse_bpf_open() - open a backed node without asking the daemon
 * @fm: the mount
 * @file: the FUSE file being opened; its private_data is set on success
 * @isdir: opendir rather than open
 * @err: 0 or -errno
 *
 * A directory gets its backing directory opened for readdir.  A regular
 * file is marked FOPEN_PASSTHROUGH with backing id 0: fuse_finish_open()
 * then opens the bound backing through passthrough.c, so read, write,
 * splice and mmap go to the backing file with no code of ours.  Neither
 * sends OPEN, FLUSH or RELEASE to the daemon.  When the filter sends the
 * open to the daemon, a kernel node is resolved first, so that the file
 * names the daemon's node id in every later request, RELEASE included.
 *
 * Return: true when the node is backed and the open was served (or failed).
 */
bool fuse_bpf_open(struct fuse_mount *fm, struct file *file, bool isdir,
		   int *err)
{
	struct fuse_bpf_open_args args = { .in.flags = file->f_flags };
	struct inode *inode = file_inode(file);
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	struct fuse_file *ff;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	/* Passthrough must have been negotiated, and the root may be unbound */
	*err = fuse_bpf_wait_init(fm->fc);
	if (*err)
		return true;
	fuse_bpf_call_begin(&call, inode, isdir ? FUSE_OPENDIR : FUSE_OPEN);
	verdict = fuse_bpf_run_open(&call, &args);
	fb = fuse_bpf_serve(inode, &call, verdict);
	if (!fb)
		return fuse_bpf_open_by_daemon(fm, inode, err);
	*err = verdict < 0 ? verdict :
	       fuse_bpf_file_new(fm, file, fb, isdir, &ff);
	if (!*err)
		*err = fuse_bpf_open_finish(&call, &args, verdict, file, ff);
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	return true;
}

/*
 * The filter's pre phase of an xattr operation on a backed node; the
 * backing as fuse_bpf_serve() gives it.
 */
static struct fuse_backing *fuse_bpf_xattr_pre(struct inode *inode,
					       struct fuse_bpf_call *call,
					       struct fuse_bpf_xattr_args *args,
					       u32 opcode, const char *name,
					       const void *value, size_t size,
					       int flags, int *verdict)
{
	fuse_bpf_call_begin(call, inode, opcode);
	call->value = value;
	call->value_len = value ? size : 0;
	if (name)
		call->name[0] = (struct qstr)QSTR_INIT(name, strlen(name));
	args->in.size = min_t(size_t, size, U32_MAX);
	args->in.flags = flags;
	*verdict = fuse_bpf_run_xattr(call, args);
	return fuse_bpf_serve(inode, call, *verdict);
}

/* The post phase, when asked for: the result, which may now be an error. */
static ssize_t fuse_bpf_xattr_post(struct fuse_bpf_call *call,
				   struct fuse_bpf_xattr_args *args,
				   int verdict, ssize_t ret)
{
	int err;

	if (verdict != FUSE_BPF_BACKING_POST)
		return ret;
	args->out.size = ret > 0 ? ret : 0;
	fuse_bpf_call_post(call, ret < 0 ? ret : 0);
	err = fuse_bpf_run_xattr(call, args);
	return err < 0 ? err : ret;
}

/*
 * The value of @name on @fb's backing, read as the daemon.  Before every
 * write, file_remove_privs() on the FUSE inode (which never gets S_NOSEC:
 * fuse's superblock has no SB_NOSEC) asks for security.capability.  A
 * backing inode with xattrs and S_NOSEC has none (its filesystem clears
 * the flag whenever one is set, or a setuid bit): that is answered here
 * without the lookup.
 */
static ssize_t fuse_bpf_getxattr_backing(struct fuse_backing *fb,
					 const char *name, void *value,
					 size_t size)
{
	const struct path *path = &fb->file->f_path;
	struct inode *binode = d_inode(path->dentry);
	const struct cred *old;
	ssize_t ret;

	if (IS_NOSEC(binode) && (binode->i_opflags & IOP_XATTR) &&
	    !strcmp(name, XATTR_NAME_CAPS))
		return -ENODATA;
	old = fuse_bpf_override_creds(fb->cred);
	ret = vfs_getxattr(mnt_idmap(path->mnt), path->dentry, name, value,
			   size);
	fuse_bpf_revert_creds(old);
	return ret;
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
	struct fuse_bpf_xattr_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fb = fuse_bpf_xattr_pre(inode, &call, &args, FUSE_GETXATTR, name,
				NULL, size, 0, &verdict);
	if (!fb)
		return false;
	*ret = verdict < 0 ? verdict :
	       fuse_bpf_getxattr_backing(fb, name, value, size);
	if (value && *ret > 0) {
		call.value = value;
		call.value_len = *ret;
	}
	*ret = fuse_bpf_xattr_post(&call, &args, verdict, *ret);
	fuse_bpf_call_done(&call, *ret);
	fuse_backing_put(fb);
	return true;
}

/*
 * Drop from @list the names the caller may not list, as ovl_listxattr()
 * does: the backing listed them with the daemon's credentials, and only
 * CAP_SYS_ADMIN sees trusted.* names.  Return: the new length, or -EIO.
 */
static ssize_t fuse_bpf_listxattr_filter(char *list, ssize_t len)
{
	ssize_t left = len;
	char *s = list;
	size_t slen;

	if (len <= 0 || ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN))
		return len;
	while (left > 0) {
		slen = strnlen(s, left) + 1;
		if (slen > left)
			return -EIO;
		left -= slen;
		if (!strncmp(s, XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN)) {
			len -= slen;
			memmove(s, s + slen, left);
		} else {
			s += slen;
		}
	}
	return len;
}

/**
 * fuse_bpf_listxattr() - list the extended attributes of a backed node
 * @inode: FUSE inode
 * @list: buffer, or NULL to ask for the size
 * @size: size of @list
 * @ret: size of the list or -errno, as for listxattr(2)
 *
 * The list leaves out what the caller could not list on the backing
 * itself (trusted.* without CAP_SYS_ADMIN); a size query (@size 0) may
 * count those names, as on overlayfs.
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_listxattr(struct inode *inode, char *list, size_t size,
			ssize_t *ret)
{
	struct fuse_bpf_xattr_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	const struct cred *old;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fb = fuse_bpf_xattr_pre(inode, &call, &args, FUSE_LISTXATTR, NULL,
				NULL, size, 0, &verdict);
	if (!fb)
		return false;
	*ret = verdict;
	if (verdict >= 0) {
		old = fuse_bpf_override_creds(fb->cred);
		*ret = vfs_listxattr(fb->file->f_path.dentry, list, size);
		fuse_bpf_revert_creds(old);
		if (size)
			*ret = fuse_bpf_listxattr_filter(list, *ret);
	}
	*ret = fuse_bpf_xattr_post(&call, &args, verdict, *ret);
	fuse_bpf_call_done(&call, *ret);
	fuse_backing_put(fb);
	return true;
}

/* Set @name on @fb's backing, or @remove it, as the daemon. */
static int fuse_bpf_xattr_change(struct fuse_backing *fb, struct inode *inode,
				 const char *name, const void *value,
				 size_t size, int flags, bool remove)
{
	const struct path *path = &fb->file->f_path;
	struct mnt_idmap *idmap = mnt_idmap(path->mnt);
	const struct cred *old;
	int err;

	err = mnt_want_write(path->mnt);
	if (err)
		return err;
	old = fuse_bpf_override_creds(fb->cred);
	if (remove)
		err = vfs_removexattr(idmap, path->dentry, name);
	else
		err = vfs_setxattr(idmap, path->dentry, name, value, size,
				   flags);
	fuse_bpf_revert_creds(old);
	mnt_drop_write(path->mnt);
	if (!err)
		fuse_invalidate_attr(inode);
	return err;
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
	struct fuse_bpf_xattr_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fb = fuse_bpf_xattr_pre(inode, &call, &args, FUSE_SETXATTR, name,
				value, size, flags, &verdict);
	if (!fb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_xattr_change(fb, inode, name, value, size, flags,
				     false);
	*err = fuse_bpf_xattr_post(&call, &args, verdict, *err);
	fuse_bpf_call_done(&call, *err);
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
	struct fuse_bpf_xattr_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fb = fuse_bpf_xattr_pre(inode, &call, &args, FUSE_REMOVEXATTR, name,
				NULL, 0, 0, &verdict);
	if (!fb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_xattr_change(fb, inode, name, NULL, 0, 0, true);
	*err = fuse_bpf_xattr_post(&call, &args, verdict, *err);
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	return true;
}

/* The target of @fb's backing symlink, read as the daemon. */
static const char *fuse_bpf_get_link_backing(struct fuse_backing *fb,
					     struct delayed_call *done)
{
	const struct cred *old = fuse_bpf_override_creds(fb->cred);
	const char *link;

	link = vfs_get_link(fb->file->f_path.dentry, done);
	fuse_bpf_revert_creds(old);
	return link;
}

/* The post phase of readlink: the filter sees the target and may fail it. */
static const char *fuse_bpf_get_link_post(struct fuse_bpf_call *call,
					  const char *link,
					  struct delayed_call *done)
{
	int err;

	if (!IS_ERR(link))
		call->name[0] = (struct qstr)QSTR_INIT(link, strlen(link));
	fuse_bpf_call_post(call, PTR_ERR_OR_ZERO(link));
	err = fuse_bpf_run_readlink(call);
	if (!err)
		return link;
	if (!IS_ERR(link)) {
		do_delayed_call(done);
		clear_delayed_call(done);
	}
	return ERR_PTR(err);
}

/**
 * fuse_bpf_get_link() - the target of a backed symlink
 * @dentry: the symlink, or NULL in RCU path walk
 * @inode: its FUSE inode
 * @done: how the caller releases the target
 * @link: the target or an ERR_PTR
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_get_link(struct dentry *dentry, struct inode *inode,
		       struct delayed_call *done, const char **link)
{
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	if (!dentry) {
		*link = ERR_PTR(-ECHILD);
		return true;
	}
	fuse_bpf_call_begin(&call, inode, FUSE_READLINK);
	verdict = fuse_bpf_run_readlink(&call);
	fb = fuse_bpf_serve(inode, &call, verdict);
	if (!fb)
		return false;
	*link = verdict < 0 ? ERR_PTR(verdict) :
		fuse_bpf_get_link_backing(fb, done);
	if (verdict == FUSE_BPF_BACKING_POST)
		*link = fuse_bpf_get_link_post(&call, *link, done);
	fuse_bpf_call_done(&call, PTR_ERR_OR_ZERO(*link));
	fuse_backing_put(fb);
	return true;
}

/* The FATTR_* bit of each ATTR_* change a filter sees. */
static const struct {
	unsigned int attr;
	u32 fattr;
} fuse_bpf_fattr[] = {
	{ ATTR_MODE, FATTR_MODE }, { ATTR_UID, FATTR_UID },
	{ ATTR_GID, FATTR_GID }, { ATTR_SIZE, FATTR_SIZE },
	{ ATTR_ATIME, FATTR_ATIME }, { ATTR_MTIME, FATTR_MTIME },
	{ ATTR_CTIME, FATTR_CTIME }, { ATTR_FILE, FATTR_FH },
};

static void fuse_bpf_setattr_in(struct fuse_conn *fc, const struct iattr *a,
				struct fuse_setattr_in *in)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(fuse_bpf_fattr); i++)
		if (a->ia_valid & fuse_bpf_fattr[i].attr)
			in->valid |= fuse_bpf_fattr[i].fattr;
	if ((a->ia_valid & ATTR_ATIME) && !(a->ia_valid & ATTR_ATIME_SET))
		in->valid |= FATTR_ATIME_NOW;
	if ((a->ia_valid & ATTR_MTIME) && !(a->ia_valid & ATTR_MTIME_SET))
		in->valid |= FATTR_MTIME_NOW;
	in->mode = a->ia_mode;
	in->uid = from_kuid(fc->user_ns, vfsuid_into_kuid(a->ia_vfsuid));
	in->gid = from_kgid(fc->user_ns, vfsgid_into_kgid(a->ia_vfsgid));
	in->size = a->ia_size;
	in->atime = a->ia_atime.tv_sec;
	in->atimensec = a->ia_atime.tv_nsec;
	in->mtime = a->ia_mtime.tv_sec;
	in->mtimensec = a->ia_mtime.tv_nsec;
	in->ctime = a->ia_ctime.tv_sec;
	in->ctimensec = a->ia_ctime.tv_nsec;
}

/*
 * The filter's pre phase for the change @attr, which it sees, and may edit,
 * as a FUSE_SETATTR request in @args; @orig keeps the change as asked.
 */
static int fuse_bpf_setattr_pre(struct fuse_bpf_call *call,
				struct inode *inode, const struct iattr *attr,
				struct fuse_bpf_setattr_args *args,
				struct fuse_setattr_in *orig)
{
	fuse_bpf_call_begin(call, inode, FUSE_SETATTR);
	fuse_bpf_setattr_in(get_fuse_conn(inode), attr, &args->in);
	*orig = args->in;
	return fuse_bpf_run_setattr(call, args);
}

/*
 * Take the change as a setattr filter left it: it may drop changes and
 * edit the values of those left, not add changes or change a file's type.
 */
static int fuse_bpf_setattr_apply(struct fuse_conn *fc,
				  const struct fuse_setattr_in *in,
				  const struct fuse_setattr_in *orig,
				  struct iattr *a)
{
	kuid_t uid = make_kuid(fc->user_ns, in->uid);
	kgid_t gid = make_kgid(fc->user_ns, in->gid);
	int i;

	if ((in->valid & ~orig->valid) || ((in->mode ^ orig->mode) & S_IFMT) ||
	    ((in->valid & FATTR_UID) && !uid_valid(uid)) ||
	    ((in->valid & FATTR_GID) && !gid_valid(gid)) ||
	    (s64)in->size < 0 || in->atimensec >= NSEC_PER_SEC ||
	    in->mtimensec >= NSEC_PER_SEC || in->ctimensec >= NSEC_PER_SEC) {
		pr_warn_ratelimited("fuse-bpf: setattr filter made an invalid change\n");
		return -EIO;
	}
	for (i = 0; i < ARRAY_SIZE(fuse_bpf_fattr); i++)
		if (!(in->valid & fuse_bpf_fattr[i].fattr))
			a->ia_valid &= ~fuse_bpf_fattr[i].attr;
	if (!(a->ia_valid & ATTR_ATIME))
		a->ia_valid &= ~ATTR_ATIME_SET;
	if (!(a->ia_valid & ATTR_MTIME))
		a->ia_valid &= ~ATTR_MTIME_SET;
	a->ia_mode = in->mode;
	a->ia_vfsuid = VFSUIDT_INIT(uid);
	a->ia_vfsgid = VFSGIDT_INIT(gid);
	a->ia_size = in->size;
	a->ia_atime = (struct timespec64){ in->atime, in->atimensec };
	a->ia_mtime = (struct timespec64){ in->mtime, in->mtimensec };
	a->ia_ctime = (struct timespec64){ in->ctime, in->ctimensec };
	return 0;
}

/*
 * What the VFS decides on the FUSE inode for the caller must hold on the
 * backing, where the change runs with the daemon's credentials (and so
 * with CAP_FSETID): @attr is checked and adjusted by setattr_prepare() on
 * attributes just refreshed (it drops an S_ISGID the caller may not set),
 * and a change the filter edited is checked again.  The result, for the
 * backing, is in @battr.
 */
static int fuse_bpf_setattr_prepare(struct dentry *entry, struct iattr *attr,
				    const struct fuse_setattr_in *orig,
				    const struct fuse_setattr_in *in,
				    struct iattr *battr)
{
	struct inode *inode = d_inode(entry);
	int err;

	err = fuse_update_attributes(inode, NULL, STATX_BASIC_STATS);
	/* The flags may have changed on the backing since the VFS looked */
	if (!err && (attr->ia_valid & ATTR_SIZE) &&
	    (IS_APPEND(inode) || IS_IMMUTABLE(inode)))
		err = -EPERM;
	if (!err)
		err = setattr_prepare(&nop_mnt_idmap, entry, attr);
	if (err)
		return err;
	*battr = *attr;
	if (!memcmp(orig, in, sizeof(*in)))
		return 0;
	err = fuse_bpf_setattr_apply(get_fuse_conn(inode), in, orig, battr);
	if (err) {
		trace_fuse_bpf_refused(get_fuse_conn(inode)->dev,
				       get_node_id(inode), FUSE_SETATTR,
				       FUSE_BPF_REFUSED_SETATTR);
		return err;
	}
	return setattr_prepare(&nop_mnt_idmap, entry, battr);
}

/* Make the change @battr on the backing, with the daemon's credentials. */
static int fuse_bpf_setattr_backing(struct fuse_backing *fb,
				    struct iattr *battr)
{
	const struct path *path = &fb->file->f_path;
	struct inode *binode = d_inode(path->dentry);
	const struct cred *old;
	int err;

	/* The backing filesystem recomputes the mode for these itself. */
	if (battr->ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		battr->ia_valid &= ~ATTR_MODE;
	if (battr->ia_valid & ATTR_FILE) {
		struct fuse_file *ff = battr->ia_file->private_data;
		struct file *backing = fuse_file_passthrough(ff);

		if (ff->bpf_opened && backing)
			battr->ia_file = backing;
		else
			battr->ia_valid &= ~ATTR_FILE;
	}
	/*
	 * The backing file was not opened with O_TRUNC: a backing that
	 * trusts ATTR_OPEN to mean "already truncated" (FUSE) must not see it.
	 */
	battr->ia_valid &= ~ATTR_OPEN;
	err = mnt_want_write(path->mnt);
	if (err)
		return err;
	if (battr->ia_valid & ATTR_SIZE) {
		/* ETXTBSY while the backing file is executed */
		err = get_write_access(binode);
		if (err)
			goto out_drop_write;
	}
	old = fuse_bpf_override_creds(fb->cred);
	inode_lock(binode);
	err = notify_change(mnt_idmap(path->mnt), path->dentry, battr, NULL);
	inode_unlock(binode);
	fuse_bpf_revert_creds(old);
	if (battr->ia_valid & ATTR_SIZE)
		put_write_access(binode);
out_drop_write:
	mnt_drop_write(path->mnt);
	return err;
}

/**
 * fuse_bpf_setattr() - chmod, chown, truncate, utimes on the backing
 * @entry: FUSE dentry
 * @attr: the change; ATTR_FILE names a FUSE file
 * @err: 0 or -errno
 *
 * The caller's right to the change is checked on the FUSE inode, with
 * attributes just refreshed (those the caller sees: section 5 of the
 * documentation); the change, as setattr_prepare() left it, is then made
 * with the daemon's credentials.  The node's filter may drop or edit the
 * change; what it leaves is checked for the caller again.
 *
 * Return: true when the node is backed and the change was served.
 */
bool fuse_bpf_setattr(struct dentry *entry, struct iattr *attr, int *err)
{
	struct inode *inode = d_inode(entry);
	struct fuse_bpf_setattr_args args = {};
	struct fuse_setattr_in orig;
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	struct iattr battr;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	verdict = fuse_bpf_setattr_pre(&call, inode, attr, &args, &orig);
	fb = fuse_bpf_serve(inode, &call, verdict);
	if (!fb)
		return false;
	*err = verdict < 0 ? verdict :
	       fuse_bpf_setattr_prepare(entry, attr, &orig, &args.in, &battr);
	if (*err)
		goto out;
	*err = fuse_bpf_setattr_backing(fb, &battr);
	fuse_bpf_refresh(inode);
	if (fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_setattr(&call, &args);
out:
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	return true;
}

/* The post phase of statfs: the filter sees and may change @buf. */
static int fuse_bpf_statfs_post(struct fuse_bpf_call *call,
				struct fuse_bpf_statfs_args *args,
				struct kstatfs *buf, int err)
{
	struct fuse_kstatfs *st = &args->out.st;

	if (!err)
		*st = (struct fuse_kstatfs) {
			.blocks = buf->f_blocks, .bfree = buf->f_bfree,
			.bavail = buf->f_bavail, .files = buf->f_files,
			.ffree = buf->f_ffree, .bsize = buf->f_bsize,
			.namelen = buf->f_namelen, .frsize = buf->f_frsize,
		};
	fuse_bpf_call_post(call, err);
	err = fuse_bpf_run_statfs(call, args);
	if (err)
		return err;
	buf->f_blocks = st->blocks;
	buf->f_bfree = st->bfree;
	buf->f_bavail = st->bavail;
	buf->f_files = st->files;
	buf->f_ffree = st->ffree;
	buf->f_bsize = st->bsize;
	buf->f_namelen = st->namelen;
	buf->f_frsize = st->frsize;
	return 0;
}

/**
 * fuse_bpf_statfs() - statfs of the backing filesystem
 * @dentry: FUSE dentry
 * @buf: result; f_type stays FUSE_SUPER_MAGIC
 * @err: 0 or -errno
 *
 * Return: true when the node is backed.
 */
bool fuse_bpf_statfs(struct dentry *dentry, struct kstatfs *buf, int *err)
{
	struct fuse_bpf_statfs_args args = {};
	struct inode *inode = d_inode(dentry);
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	const struct cred *old;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fuse_bpf_call_begin(&call, inode, FUSE_STATFS);
	verdict = fuse_bpf_run_statfs(&call, &args);
	fb = fuse_bpf_serve(inode, &call, verdict);
	if (!fb)
		return false;
	*err = verdict;
	if (verdict >= 0) {
		old = fuse_bpf_override_creds(fb->cred);
		*err = vfs_statfs(&fb->file->f_path, buf);
		fuse_bpf_revert_creds(old);
	}
	if (verdict == FUSE_BPF_BACKING_POST)
		*err = fuse_bpf_statfs_post(&call, &args, buf, *err);
	if (!*err)
		buf->f_type = FUSE_SUPER_MAGIC;
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	return true;
}

/*
 * The pre-phase verdict for an operation on a file the kernel opened: the
 * daemon never saw the file, so it cannot serve it.
 */
static int fuse_bpf_file_verdict(int verdict)
{
	return verdict == FUSE_BPF_DAEMON ? -EOPNOTSUPP : verdict;
}

/* The backing file of a FUSE file that fuse_bpf_open() opened, or NULL. */
static struct file *fuse_bpf_file(struct file *file)
{
	struct fuse_file *ff = file->private_data;

	return ff->bpf_opened ? fuse_file_passthrough(ff) : NULL;
}

/**
 * fuse_bpf_fsync() - fsync or fdatasync of a backed file or directory
 * @file: FUSE file
 * @start: first byte
 * @end: last byte
 * @datasync: fdatasync
 * @err: 0 or -errno
 *
 * Return: true when @file was opened by fuse-bpf.
 */
bool fuse_bpf_fsync(struct file *file, loff_t start, loff_t end,
		    int datasync, int *err)
{
	struct file *backing = fuse_bpf_file(file);
	struct fuse_file *ff = file->private_data;
	struct inode *inode = file_inode(file);
	struct fuse_bpf_fsync_args args = {};
	struct fuse_bpf_call call;
	const struct cred *old;
	int verdict;

	if (!backing)
		return false;
	fuse_bpf_call_begin(&call, inode,
			    S_ISDIR(inode->i_mode) ? FUSE_FSYNCDIR : FUSE_FSYNC);
	args.in.fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0;
	verdict = fuse_bpf_file_verdict(fuse_bpf_run_fsync(&call, &args));
	*err = min(verdict, 0);
	if (!*err) {
		old = fuse_bpf_override_creds(ff->cred);
		*err = vfs_fsync_range(backing, start, end, datasync);
		fuse_bpf_revert_creds(old);
	}
	if (fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_fsync(&call, &args);
	fuse_bpf_call_done(&call, *err);
	return true;
}

/**
 * fuse_bpf_lseek() - SEEK_DATA and SEEK_HOLE on the backing file
 * @file: FUSE file
 * @offset: where to start
 * @whence: SEEK_DATA or SEEK_HOLE
 * @pos: the new position of @file, or -errno
 *
 * Return: true when @file was opened by fuse-bpf.
 */
bool fuse_bpf_lseek(struct file *file, loff_t offset, int whence,
		    loff_t *pos)
{
	struct file *backing = fuse_bpf_file(file);
	struct fuse_bpf_lseek_args args = {};
	struct fuse_bpf_call call;
	int verdict, err;

	if (!backing)
		return false;
	fuse_bpf_call_begin(&call, file_inode(file), FUSE_LSEEK);
	args.in.offset = offset;
	args.in.whence = whence;
	verdict = fuse_bpf_file_verdict(fuse_bpf_run_lseek(&call, &args));
	*pos = verdict < 0 ? verdict : vfs_llseek(backing, offset, whence);
	if (verdict == FUSE_BPF_BACKING_POST) {
		if (*pos >= 0)
			args.out.offset = *pos;
		fuse_bpf_call_post(&call, *pos < 0 ? *pos : 0);
		err = fuse_bpf_run_lseek(&call, &args);
		if (err < 0)
			*pos = err;
	}
	fuse_bpf_call_done(&call, *pos);
	if (*pos >= 0)
		*pos = vfs_setpos(file, *pos, file_inode(file)->i_sb->s_maxbytes);
	return true;
}

/*
 * A change of a file's data drops setuid and setgid as a change by the
 * caller: decided with the caller's credentials on the backing inode's
 * current mode, then made with the daemon's, whose CAP_FSETID would keep
 * them (as backing_file_write_iter() and ovl_fallocate() do on the upper
 * file).  The backing drops file capabilities itself.
 */
static int fuse_bpf_remove_privs(struct file *file)
{
	struct fuse_file *ff = file->private_data;
	struct file *backing = fuse_bpf_file(file);
	struct mnt_idmap *idmap = file_mnt_idmap(backing);
	struct dentry *bdentry = file_dentry(backing);
	struct inode *binode = d_inode(bdentry);
	struct iattr kill = { .ia_valid = ATTR_FORCE };
	const struct cred *old;
	int err = 0;

	if (IS_NOSEC(binode) || !S_ISREG(binode->i_mode))
		return 0;
	/* The backing sb's freeze protection, as around any change of it */
	file_start_write(backing);
	inode_lock(binode);
	kill.ia_valid |= setattr_should_drop_suidgid(idmap, binode);
	if (kill.ia_valid != ATTR_FORCE) {
		old = fuse_bpf_override_creds(ff->cred);
		err = notify_change(idmap, bdentry, &kill, NULL);
		fuse_bpf_revert_creds(old);
	}
	inode_unlock(binode);
	file_end_write(backing);
	return err;
}

/*
 * fallocate on @backing, the backing file of @file, as the daemon, once
 * setuid and setgid are dropped as for the caller (as ovl_fallocate()).
 */
static int fuse_bpf_fallocate_backing(struct file *file, struct file *backing,
				      int mode, loff_t offset, loff_t length)
{
	struct fuse_file *ff = file->private_data;
	const struct cred *old;
	int err;

	err = fuse_bpf_remove_privs(file);
	if (err)
		return err;
	old = fuse_bpf_override_creds(ff->cred);
	err = vfs_fallocate(backing, mode, offset, length);
	fuse_bpf_revert_creds(old);
	fuse_bpf_refresh(file_inode(file));
	return err;
}

/**
 * fuse_bpf_fallocate() - fallocate on the backing file
 * @file: FUSE file
 * @mode: FALLOC_FL_* flags
 * @offset: start of the range
 * @length: its length
 * @err: 0 or -errno
 *
 * Return: true when @file was opened by fuse-bpf.
 */
bool fuse_bpf_fallocate(struct file *file, int mode, loff_t offset,
			loff_t length, int *err)
{
	struct fuse_bpf_fallocate_args args = {};
	struct file *backing = fuse_bpf_file(file);
	struct fuse_bpf_call call;
	int verdict;

	if (!backing)
		return false;
	fuse_bpf_call_begin(&call, file_inode(file), FUSE_FALLOCATE);
	args.in.offset = offset;
	args.in.length = length;
	args.in.mode = mode;
	verdict = fuse_bpf_file_verdict(fuse_bpf_run_fallocate(&call, &args));
	*err = verdict < 0 ? verdict :
	       fuse_bpf_fallocate_backing(file, backing, mode, offset, length);
	if (fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_fallocate(&call, &args);
	fuse_bpf_call_done(&call, *err);
	return true;
}

/* The post phase of copy_file_range: it may fail a copy, not resize it. */
static ssize_t
fuse_bpf_copy_file_range_post(struct fuse_bpf_call *call,
			      struct fuse_bpf_copy_file_range_args *args,
			      ssize_t ret)
{
	int err;

	if (ret > 0)
		args->out.size = min_t(ssize_t, ret, U32_MAX);
	fuse_bpf_call_post(call, ret < 0 ? ret : 0);
	err = fuse_bpf_run_copy_file_range(call, args);
	return err < 0 ? err : ret;
}

/*
 * The filter's pre phase of a copy from @file_in to @file_out; the verdict
 * as fuse_bpf_file_verdict() gives it.
 */
static int fuse_bpf_copy_pre(struct fuse_bpf_call *call,
			     struct fuse_bpf_copy_file_range_args *args,
			     struct file *file_in, loff_t pos_in,
			     struct file *file_out, loff_t pos_out,
			     size_t len, unsigned int flags)
{
	fuse_bpf_call_begin(call, file_inode(file_in), FUSE_COPY_FILE_RANGE);
	args->in.off_in = pos_in;
	args->in.nodeid_out = get_node_id(file_inode(file_out));
	args->in.off_out = pos_out;
	args->in.len = len;
	args->in.flags = flags;
	return fuse_bpf_file_verdict(fuse_bpf_run_copy_file_range(call, args));
}

/*
 * Copy between the backing files @in and @out, as the daemon, once setuid
 * and setgid of @out are dropped as for the caller (as ovl_copyfile());
 * @file_out is the FUSE file of @out, whose size the copy may change.
 */
static ssize_t fuse_bpf_copy_backing(struct file *in, loff_t pos_in,
				     struct file *file_out, struct file *out,
				     loff_t pos_out, size_t len,
				     unsigned int flags)
{
	struct fuse_file *ff = file_out->private_data;
	const struct cred *old;
	ssize_t ret;

	ret = fuse_bpf_remove_privs(file_out);
	if (ret)
		return ret;
	old = fuse_bpf_override_creds(ff->cred);
	ret = vfs_copy_file_range(in, pos_in, out, pos_out, len, flags);
	fuse_bpf_revert_creds(old);
	fuse_bpf_refresh(file_inode(file_out));
	return ret;
}

/**
 * fuse_bpf_copy_file_range() - copy between backed files on the backing
 * @file_in: source FUSE file
 * @pos_in: source offset
 * @file_out: destination FUSE file
 * @pos_out: destination offset
 * @len: bytes to copy
 * @flags: copy_file_range(2) flags
 * @ret: bytes copied or -errno; -EXDEV when only one file is backed, and
 *	the caller falls back to splice
 *
 * Return: true when either file was opened by fuse-bpf.
 */
bool fuse_bpf_copy_file_range(struct file *file_in, loff_t pos_in,
			      struct file *file_out, loff_t pos_out,
			      size_t len, unsigned int flags, ssize_t *ret)
{
	struct fuse_bpf_copy_file_range_args args = {};
	struct file *in = fuse_bpf_file(file_in);
	struct file *out = fuse_bpf_file(file_out);
	struct fuse_bpf_call call;
	int verdict;

	if (!in && !out)
		return false;
	if (!in || !out) {
		*ret = -EXDEV;
		return true;
	}
	verdict = fuse_bpf_copy_pre(&call, &args, file_in, pos_in, file_out,
				    pos_out, len, flags);
	*ret = verdict < 0 ? verdict :
	       fuse_bpf_copy_backing(in, pos_in, file_out, out, pos_out, len,
				     flags);
	if (verdict == FUSE_BPF_BACKING_POST)
		*ret = fuse_bpf_copy_file_range_post(&call, &args, *ret);
	fuse_bpf_call_done(&call, *ret);
	return true;
}

static const char *fuse_bpf_acl_name(int type)
{
	return type == ACL_TYPE_ACCESS ? XATTR_NAME_POSIX_ACL_ACCESS :
					 XATTR_NAME_POSIX_ACL_DEFAULT;
}

/* The ACL @name of @fb's backing, read as the daemon; NULL for none. */
static struct posix_acl *fuse_bpf_get_acl_backing(struct fuse_backing *fb,
						  const char *name)
{
	const struct path *path = &fb->file->f_path;
	const struct cred *old = fuse_bpf_override_creds(fb->cred);
	struct posix_acl *acl;

	acl = vfs_get_acl(mnt_idmap(path->mnt), path->dentry, name);
	fuse_bpf_revert_creds(old);
	return acl == ERR_PTR(-ENODATA) ? NULL : acl;
}

/**
 * fuse_bpf_get_acl() - a POSIX ACL of a backed node, from the backing
 * @inode: FUSE inode
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 * @acl: the ACL (a reference), NULL when there is none, or an ERR_PTR
 *
 * Access decisions do not use it: fuse_bpf_permission() asks the backing
 * inode, whose own ACLs apply.
 *
 * Return: true when @inode is backed.
 */
bool fuse_bpf_get_acl(struct inode *inode, int type, struct posix_acl **acl)
{
	struct fuse_bpf_xattr_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict, err;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fb = fuse_bpf_xattr_pre(inode, &call, &args, FUSE_GETXATTR,
				fuse_bpf_acl_name(type), NULL, 0, 0, &verdict);
	if (!fb)
		return false;
	*acl = ERR_PTR(verdict);
	if (verdict < 0)
		goto out;
	*acl = fuse_bpf_get_acl_backing(fb, fuse_bpf_acl_name(type));
	err = fuse_bpf_xattr_post(&call, &args, verdict, PTR_ERR_OR_ZERO(*acl));
	if (err < 0 && !IS_ERR(*acl)) {
		posix_acl_release(*acl);
		*acl = ERR_PTR(err);
	}
out:
	fuse_bpf_call_done(&call, PTR_ERR_OR_ZERO(*acl));
	fuse_backing_put(fb);
	return true;
}

/*
 * Setting an access ACL drops S_ISGID for a caller outside the file's
 * group without CAP_FSETID, in posix_acl_update_mode().  The backing runs
 * that with the daemon's capabilities, so it is decided here for the
 * caller, as ovl_set_or_remove_acl() does.
 */
static int fuse_bpf_acl_kill_sgid(struct fuse_backing *fb, struct inode *inode,
				  int type)
{
	struct iattr kill = { .ia_valid = ATTR_KILL_SGID };

	if (type != ACL_TYPE_ACCESS || !(inode->i_mode & S_ISGID) ||
	    in_group_p(inode->i_gid) ||
	    capable_wrt_inode_uidgid(&nop_mnt_idmap, inode, CAP_FSETID))
		return 0;
	return fuse_bpf_setattr_backing(fb, &kill);
}

/*
 * May the caller set or remove an ACL of @inode?  Decided on the
 * attributes it sees, refreshed: it must own the node, or be capable
 * (inode_owner_or_capable()).  The S_ISGID that setting an access ACL
 * would drop for it goes from the backing first.
 */
static int fuse_bpf_set_acl_prepare(struct fuse_backing *fb,
				    struct inode *inode, int type)
{
	int err;

	err = fuse_update_attributes(inode, NULL, STATX_BASIC_STATS);
	if (!err && !inode_owner_or_capable(&nop_mnt_idmap, inode))
		err = -EPERM;
	return err ?: fuse_bpf_acl_kill_sgid(fb, inode, type);
}

/* Set (or remove, @acl NULL) the ACL @name of @fb's backing. */
static int fuse_bpf_set_acl_backing(struct fuse_backing *fb,
				    const char *name, struct posix_acl *acl)
{
	const struct path *path = &fb->file->f_path;
	const struct cred *old;
	int err;

	err = mnt_want_write(path->mnt);
	if (err)
		return err;
	old = fuse_bpf_override_creds(fb->cred);
	if (acl) {
		err = vfs_set_acl(mnt_idmap(path->mnt), path->dentry, name, acl);
	} else {
		err = vfs_remove_acl(mnt_idmap(path->mnt), path->dentry, name);
		if (err == -ENODATA)
			err = 0;
	}
	fuse_bpf_revert_creds(old);
	mnt_drop_write(path->mnt);
	return err;
}

/**
 * fuse_bpf_set_acl() - set or remove a POSIX ACL of a backed node
 * @dentry: FUSE dentry
 * @acl: the ACL, or NULL to remove it
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 * @err: 0 or -errno; -EPERM unless the caller owns the node
 *
 * The caller's ownership, and whether S_ISGID goes, are decided for the
 * caller on the attributes it sees; the ACL is then set with the daemon's
 * credentials.
 *
 * Return: true when the node is backed.
 */
bool fuse_bpf_set_acl(struct dentry *dentry, struct posix_acl *acl, int type,
		      int *err)
{
	const char *name = fuse_bpf_acl_name(type);
	struct inode *inode = d_inode(dentry);
	struct fuse_bpf_xattr_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fb = fuse_bpf_xattr_pre(inode, &call, &args,
				acl ? FUSE_SETXATTR : FUSE_REMOVEXATTR, name,
				NULL, 0, 0, &verdict);
	if (!fb)
		return false;
	*err = verdict < 0 ? verdict : fuse_bpf_set_acl_prepare(fb, inode, type);
	if (*err)
		goto out;
	*err = fuse_bpf_set_acl_backing(fb, name, acl);
	forget_cached_acl(inode, type);
	fuse_invalidate_attr(inode);
	*err = fuse_bpf_xattr_post(&call, &args, verdict, *err);
out:
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	return true;
}

/**
 * fuse_bpf_flush() - close(2) of a backed file: flush and drop its locks
 * @file: FUSE file
 * @id: the closing files_struct
 * @err: 0 or -errno from the backing's ->flush
 *
 * The caller's POSIX locks live on the backing file (fuse_bpf_lock()), so
 * they go with every close, as they would on the backing itself.
 *
 * Return: true when @file was opened by fuse-bpf.
 */
bool fuse_bpf_flush(struct file *file, fl_owner_t id, int *err)
{
	struct file *backing = fuse_bpf_file(file);
	struct fuse_bpf_flush_args args = {};
	struct fuse_bpf_call call;
	int verdict;

	if (!backing)
		return false;
	fuse_bpf_call_begin(&call, file_inode(file), FUSE_FLUSH);
	if (call.filter)
		args.in.lock_owner =
			fuse_lock_owner_id(get_fuse_conn(file_inode(file)), id);
	verdict = fuse_bpf_file_verdict(fuse_bpf_run_flush(&call, &args));
	*err = min(verdict, 0);
	if (!*err && backing->f_op->flush)
		*err = backing->f_op->flush(backing, id);
	/* The caller's locks go with the close whatever the filter said */
	locks_remove_posix(backing, id);
	if (fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_flush(&call, &args);
	fuse_bpf_call_done(&call, *err);
	return true;
}

/* Take, test or drop the lock @fl on the backing file, as its own. */
static int fuse_bpf_lock_backing(struct file *backing, int cmd,
				 struct file_lock *fl, bool flock)
{
	fl->c.flc_file = backing;
	if (flock || (fl->c.flc_flags & FL_OFDLCK))
		fl->c.flc_owner = backing;
	if (flock)
		return locks_lock_file_wait(backing, fl);
	if (cmd == F_CANCELLK)
		return 0;
	if (IS_GETLK(cmd))
		return vfs_test_lock(backing, fl);
	return vfs_lock_file(backing, cmd, fl, NULL);
}

/**
 * fuse_bpf_lock() - POSIX, OFD and flock locks on the backing file
 * @file: FUSE file
 * @cmd: F_GETLK, F_SETLK, F_SETLKW or F_CANCELLK
 * @fl: the lock; retargeted to the backing file
 * @flock: an flock(2) lock rather than a POSIX or OFD one
 * @err: 0, FILE_LOCK_DEFERRED or -errno
 *
 * Locks taken through the FUSE mount and on the backing file directly
 * see each other.  flock and OFD locks belong to the open file: they are
 * owned by the backing file, which closes with the FUSE file.
 *
 * Return: true when @file was opened by fuse-bpf.
 */
bool fuse_bpf_lock(struct file *file, int cmd, struct file_lock *fl,
		   bool flock, int *err)
{
	struct file *backing = fuse_bpf_file(file);
	struct fuse_bpf_lock_args args = {};
	struct fuse_bpf_call call;
	int verdict;

	if (!backing)
		return false;
	fuse_bpf_call_begin(&call, file_inode(file),
			    IS_GETLK(cmd) ? FUSE_GETLK :
			    IS_SETLKW(cmd) ? FUSE_SETLKW : FUSE_SETLK);
	args.in.lk.start = fl->fl_start;
	args.in.lk.end = fl->fl_end;
	args.in.lk.type = fl->c.flc_type;
	args.in.lk.pid = pid_nr_ns(task_tgid(current),
				   get_fuse_conn(file_inode(file))->pid_ns);
	args.in.lk_flags = flock ? FUSE_LK_FLOCK : 0;
	verdict = fuse_bpf_file_verdict(fuse_bpf_run_lock(&call, &args));
	*err = verdict < 0 ? verdict :
	       fuse_bpf_lock_backing(backing, cmd, fl, flock);
	if (fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_lock(&call, &args);
	fuse_bpf_call_done(&call, *err);
	return true;
}

/**
 * fuse_bpf_poll() - poll a backed file
 * @file: FUSE file
 * @wait: the poll table
 * @mask: the events of the backing file
 *
 * Return: true when @file was opened by fuse-bpf.
 */
bool fuse_bpf_poll(struct file *file, poll_table *wait, __poll_t *mask)
{
	struct file *backing = fuse_bpf_file(file);

	if (!backing)
		return false;
	*mask = vfs_poll(backing, wait);
	return true;
}

/* Get, or @set, the inode flags of @fb's backing. */
static int fuse_bpf_fileattr_backing(struct inode *inode,
				     struct fuse_backing *fb, bool set,
				     struct fileattr *fa)
{
	const struct path *path = &fb->file->f_path;
	const struct cred *old;
	int err;

	if (set) {
		err = mnt_want_write(path->mnt);
		if (err)
			return err;
	}
	old = fuse_bpf_override_creds(fb->cred);
	if (set)
		err = vfs_fileattr_set(mnt_idmap(path->mnt), path->dentry, fa);
	else
		err = vfs_fileattr_get(path->dentry, fa);
	fuse_bpf_revert_creds(old);
	if (set) {
		mnt_drop_write(path->mnt);
		fuse_invalidate_attr(inode);
		fuse_bpf_copyflags(inode, d_inode(path->dentry));
	}
	return err;
}

/**
 * fuse_bpf_fileattr() - FS_IOC_[GS]ETFLAGS and FS_IOC_FS[GS]ETXATTR
 * @dentry: FUSE dentry
 * @idmap: the FUSE mount's idmap to set, or NULL to get
 * @fa: the attributes
 * @err: 0 or -errno
 *
 * The VFS checked the caller (ownership, CAP_LINUX_IMMUTABLE for the
 * append-only and immutable flags) on the FUSE inode; the backing applies
 * them with the daemon's credentials.  Other ioctls of backed files fail
 * with ENOTTY: they would run with the daemon's credentials.
 *
 * Return: true when the node is backed.
 */
bool fuse_bpf_fileattr(struct dentry *dentry, struct mnt_idmap *idmap,
		       struct fileattr *fa, int *err)
{
	struct inode *inode = d_inode(dentry);
	struct fuse_bpf_ioctl_args args = {};
	struct fuse_bpf_call call;
	struct fuse_backing *fb;
	int verdict;

	if (!fuse_bpf_inode_backed(inode))
		return false;
	fuse_bpf_call_begin(&call, inode, FUSE_IOCTL);
	args.in.cmd = idmap ? FS_IOC_FSSETXATTR : FS_IOC_FSGETXATTR;
	verdict = fuse_bpf_run_ioctl(&call, &args);
	fb = fuse_bpf_serve(inode, &call, verdict);
	if (!fb)
		return false;
	*err = min(verdict, 0);
	if (*err)
		goto out;
	*err = fuse_bpf_fileattr_backing(inode, fb, !!idmap, fa);
	if (fuse_bpf_post(&call, verdict, *err))
		*err = fuse_bpf_run_ioctl(&call, &args);
out:
	fuse_bpf_call_done(&call, *err);
	fuse_backing_put(fb);
	return true;
}

/*
 * What a read or write callback is told of the file's flags: its open(2)
 * flags, with O_APPEND and O_DIRECT as this I/O has them (@ki_flags).
 */
static u32 fuse_bpf_io_flags(const struct file *file, int ki_flags)
{
	u32 flags = file->f_flags & ~(O_APPEND | O_DIRECT);

	if (ki_flags & IOCB_APPEND)
		flags |= O_APPEND;
	if (ki_flags & IOCB_DIRECT)
		flags |= O_DIRECT;
	return flags;
}

/* The read's post phase, when asked for: the result, which may now fail. */
static ssize_t fuse_bpf_read_post(struct fuse_bpf_call *call,
				  struct fuse_bpf_read_args *args,
				  int verdict, ssize_t ret)
{
	int err;

	/* An asynchronous read completes later, without us */
	if (verdict != FUSE_BPF_BACKING_POST || ret == -EIOCBQUEUED)
		return ret;
	args->out.size = ret > 0 ? ret : 0;
	fuse_bpf_call_post(call, ret < 0 ? ret : 0);
	err = fuse_bpf_run_read(call, args);
	return err < 0 ? err : ret;
}

/**
 * fuse_bpf_read_iter() - read a backed file whose filter reads
 * @iocb: the read
 * @to: where the data goes
 *
 * For a file that fuse_bpf_open() opened while its node's filter had a
 * read callback (bpf_read); other files never come here.  The filter's
 * pre phase may fail the read; passthrough then reads the backing file,
 * and the post phase may fail the read (the file position is then left
 * where it was).  Splice from such a file goes through here too
 * (copy_splice_read()).
 *
 * Return: the number of bytes read, or -errno.
 */
ssize_t fuse_bpf_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct fuse_bpf_read_args args = {};
	struct file *file = iocb->ki_filp;
	struct fuse_bpf_call call;
	loff_t pos = iocb->ki_pos;
	ssize_t ret;
	int verdict;

	fuse_bpf_call_begin(&call, file_inode(file), FUSE_READ);
	args.in.offset = pos;
	args.in.size = min_t(size_t, iov_iter_count(to), U32_MAX);
	args.in.flags = fuse_bpf_io_flags(file, iocb->ki_flags);
	verdict = fuse_bpf_file_verdict(fuse_bpf_run_read(&call, &args));
	ret = verdict < 0 ? verdict : fuse_passthrough_read_iter(iocb, to);
	ret = fuse_bpf_read_post(&call, &args, verdict, ret);
	if (ret < 0 && ret != -EIOCBQUEUED)
		iocb->ki_pos = pos;
	fuse_bpf_call_done(&call, ret == -EIOCBQUEUED ? 0 : ret);
	return ret;
}

/* The write's pre phase: its verdict, or -errno to fail the write */
static int fuse_bpf_write_pre(struct fuse_bpf_call *call,
			      struct fuse_bpf_write_args *args,
			      struct file *file, loff_t pos, size_t len,
			      int ki_flags)
{
	struct fuse_file *ff = file->private_data;

	args->in.offset = pos;
	if (ki_flags & IOCB_APPEND)
		args->in.offset =
			i_size_read(file_inode(fuse_file_passthrough(ff)));
	args->in.size = min_t(size_t, len, U32_MAX);
	args->in.flags = fuse_bpf_io_flags(file, ki_flags);
	return fuse_bpf_file_verdict(fuse_bpf_run_write(call, args));
}

/*
 * The write's post phase, when asked for.  It only observes: the data is
 * written, so its verdict is ignored.  An asynchronous write completes
 * later, without us.
 */
static void fuse_bpf_write_post(struct fuse_bpf_call *call,
				struct fuse_bpf_write_args *args,
				int verdict, ssize_t ret)
{
	if (verdict != FUSE_BPF_BACKING_POST || ret == -EIOCBQUEUED)
		return;
	args->out.size = ret > 0 ? ret : 0;
	fuse_bpf_call_post(call, ret < 0 ? ret : 0);
	fuse_bpf_run_write(call, args);
}

/**
 * fuse_bpf_write_iter() - write to a backed file whose filter writes
 * @iocb: the write
 * @from: the data
 *
 * For a file that fuse_bpf_open() opened while its node's filter had a
 * write callback (bpf_write); other files never come here.  The filter's
 * pre phase may fail the write before anything is written (a quota, an
 * append-only policy); passthrough then writes the backing file.  The post
 * phase only observes: the data is written, so its verdict is ignored.
 * Splice to such a file goes through fuse_bpf_splice_write() instead.
 *
 * Return: the number of bytes written, or -errno.
 */
ssize_t fuse_bpf_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct fuse_bpf_write_args args = {};
	struct fuse_bpf_call call;
	ssize_t ret;
	int verdict;

	fuse_bpf_call_begin(&call, file_inode(iocb->ki_filp), FUSE_WRITE);
	verdict = fuse_bpf_write_pre(&call, &args, iocb->ki_filp, iocb->ki_pos,
				     iov_iter_count(from), iocb->ki_flags);
	ret = verdict < 0 ? verdict : fuse_passthrough_write_iter(iocb, from);
	fuse_bpf_write_post(&call, &args, verdict, ret);
	fuse_bpf_call_done(&call, ret == -EIOCBQUEUED ? 0 : ret);
	return ret;
}

/**
 * fuse_bpf_splice_write() - splice to a backed file whose filter writes
 * @pipe: the pipe to take the data from
 * @out: the file, with bpf_write set
 * @ppos: where to write; moved past what was written
 * @len: the most to write
 * @flags: SPLICE_F_*
 *
 * Passthrough's splice, between the filter's two phases, rather than
 * iter_file_splice_write() into fuse_bpf_write_iter(): that would take the
 * pipe's lock before the FUSE inode's, the reverse of passthrough's splice
 * (inode, backing superblock's write access, pipe), and two splices from
 * one pipe to files of one inode opened with and without the filter could
 * deadlock.  The pre phase sees @len, which bounds what the pipe gives; the
 * post phase sees what was written.  do_splice() and sendfile() refuse
 * O_APPEND files before this.
 *
 * Return: the number of bytes written, or -errno.
 */
ssize_t fuse_bpf_splice_write(struct pipe_inode_info *pipe, struct file *out,
			      loff_t *ppos, size_t len, unsigned int flags)
{
	struct fuse_bpf_write_args args = {};
	struct fuse_bpf_call call;
	ssize_t ret;
	int verdict;

	fuse_bpf_call_begin(&call, file_inode(out), FUSE_WRITE);
	verdict = fuse_bpf_write_pre(&call, &args, out, *ppos, len,
				     iocb_flags(out));
	ret = verdict < 0 ? verdict :
		fuse_passthrough_splice_write(pipe, out, ppos, len, flags);
	fuse_bpf_write_post(&call, &args, verdict, ret);
	fuse_bpf_call_done(&call, ret);
	return ret;
}
