// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf core: binding backings to nodes, the LOOKUP reply extension,
 * nodes made by the kernel, attributes from the backing inode.
 *
 * A node's binding is a struct fuse_backing (passthrough.c) in
 * fi->bpf_backing: a file naming the backing inode (the daemon's
 * registered file, or an O_PATH file the kernel opened for a child of a
 * backed directory) and the daemon's credentials, captured when it
 * registered the backing and shared by every node below it.
 */

#include "fuse_i.h"

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/random.h>
#include <linux/siphash.h>

#define CREATE_TRACE_POINTS
#include <trace/events/fuse_bpf.h>

/* Kernel nodes' dentries are revalidated on the backing, never timed out. */
#define FUSE_BPF_ENTRY_VALID	BIT_ULL(31)

/**
 * fuse_bpf_backing_get() - get the backing bound to a FUSE inode
 * @inode: FUSE inode
 *
 * Context: any, including RCU path walk.
 * Return: a new reference to the inode's backing, or NULL when the node is
 * not backed or the connection is aborted.  Drop it with fuse_backing_put().
 */
struct fuse_backing *fuse_bpf_backing_get(struct inode *inode)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	struct fuse_backing *fb;

	if (!READ_ONCE(get_fuse_conn(inode)->connected))
		return NULL;

	rcu_read_lock();
	fb = fuse_backing_get(rcu_dereference(fi->bpf_backing));
	rcu_read_unlock();
	return fb;
}

/**
 * fuse_bpf_wait_init() - wait until the daemon has answered INIT
 * @fc: the connection
 *
 * A root backed at mount time is bound before INIT is answered.  Nodes
 * below it, and open files, are made only once INIT has negotiated
 * FUSE_BPF and passthrough; a failed INIT unbinds the root meanwhile.
 *
 * Context: may sleep.
 * Return: 0, or -EINTR when a fatal signal came first.
 */
int fuse_bpf_wait_init(struct fuse_conn *fc)
{
	if (likely(READ_ONCE(fc->initialized)))
		return 0;
	return wait_event_killable(fc->blocked_waitq,
				   READ_ONCE(fc->initialized)) ? -EINTR : 0;
}

/* Bind @fb (a reference the inode takes over, or NULL) to @fi. */
static void fuse_bpf_bind_fi(struct fuse_inode *fi, struct fuse_backing *fb)
{
	struct fuse_backing *old;

	old = unrcu_pointer(xchg(&fi->bpf_backing, RCU_INITIALIZER(fb)));
	fuse_backing_put(old);
}

static void fuse_bpf_bind(struct inode *inode, struct fuse_backing *fb)
{
	fuse_bpf_bind_fi(get_fuse_inode(inode), fb);
}

/*
 * The fuse_bpf_bind trace event for @inode, bound or about to be unbound
 * (&enum fuse_bpf_trace_bind @action): it names the inode's backing.
 */
static void fuse_bpf_trace_bind(struct inode *inode, int action)
{
	struct fuse_backing *fb;
	unsigned long ino = 0;

	if (!trace_fuse_bpf_bind_enabled())
		return;
	rcu_read_lock();
	fb = rcu_dereference(get_fuse_inode(inode)->bpf_backing);
	if (fb)
		ino = file_inode(fb->file)->i_ino;
	rcu_read_unlock();
	trace_fuse_bpf_bind(get_fuse_conn(inode)->dev, get_node_id(inode),
			    action, ino);
}

/**
 * fuse_bpf_refuse_background() - refuse a background request on a kernel node
 * @fc: the connection
 * @args: the request
 *
 * Return: -EOPNOTSUPP (logged and traced).
 */
int fuse_bpf_refuse_background(struct fuse_conn *fc, struct fuse_args *args)
{
	pr_warn_ratelimited("fuse-bpf: background opcode %u on kernel node 0x%llx\n",
			    args->opcode, args->nodeid);
	trace_fuse_bpf_refused(fc->dev, args->nodeid, args->opcode,
			       FUSE_BPF_REFUSED_BACKGROUND);
	return -EOPNOTSUPP;
}

/**
 * fuse_bpf_refuse_nodeid() - refuse a kernel node id in a daemon's message
 * @fc: the connection
 * @nodeid: the id, which has FUSE_NODEID_KERNEL
 * @opcode: the request the reply was for, or 0 for a notification
 *
 * Return: -EIO (logged and traced).
 */
int fuse_bpf_refuse_nodeid(struct fuse_conn *fc, u64 nodeid, u32 opcode)
{
	pr_warn_ratelimited("fuse-bpf: daemon used kernel node id 0x%llx\n",
			    nodeid);
	trace_fuse_bpf_refused(fc->dev, nodeid, opcode,
			       FUSE_BPF_REFUSED_KERNEL_ID);
	return -EIO;
}

/*
 * Called from fuse_evict_inode(): the binding goes with the inode, before
 * the connection can free the registered backings at unmount.  RCU walkers
 * that still see the inode find no backing, or one freed after a grace
 * period.
 */
void fuse_bpf_inode_evict(struct fuse_inode *fi)
{
	if (rcu_access_pointer(fi->bpf_backing))
		fuse_bpf_trace_bind(&fi->inode, FUSE_BPF_UNBIND_EVICT);
	fuse_bpf_bind_fi(fi, NULL);
	fuse_bpf_filter_evict(fi);
}

/**
 * fuse_bpf_backing_cred() - the credentials a backing's operations run with
 * @cred: prepare_creds() of the registering daemon or the mounter
 *
 * Callers are never let past disk quotas or into reserved space on the
 * daemon's CAP_SYS_RESOURCE, as overlayfs does with the mounter's.
 */
void fuse_bpf_backing_cred(struct cred *cred)
{
	cap_lower(cred->cap_effective, CAP_SYS_RESOURCE);
}

/**
 * fuse_bpf_lockdep_inode() - the lock classes of a new FUSE inode
 * @inode: the new inode, its type set
 * @fc: its connection
 *
 * fuse-bpf on fuse-bpf, or on plain FUSE, nests the locks of two FUSE
 * inodes, of one filesystem type and so of one lockdep class: the VFS
 * holds the upper directory's i_rwsem as a parent, and fuse_lookup() its
 * fuse_inode.mutex when the daemon did not ask for parallel dirops, while
 * fuse-bpf takes the lower inode's the same way.  Each connection gets
 * classes of its own, for the i_rwsem of directories and of the rest and
 * for fuse_inode.mutex, as overlayfs gives each nesting level its own.
 * The stacking depth check keeps the order between connections acyclic.
 * Without CONFIG_LOCKDEP this is nothing.
 */
void fuse_bpf_lockdep_inode(struct inode *inode, struct fuse_conn *fc)
{
	lockdep_set_class(&inode->i_rwsem,
			  &fc->bpf_keys.i_rwsem[S_ISDIR(inode->i_mode)]);
	lockdep_set_class(&get_fuse_inode(inode)->mutex, &fc->bpf_keys.fi_mutex);
}

/**
 * fuse_bpf_lockdep_sb() - the lock classes of a new FUSE superblock
 * @sb: the superblock, not yet visible
 * @fc: its connection
 *
 * Writing through a stacked mount holds the upper superblock's sb_writers
 * (mnt_want_write()) and, for a rename across directories, its
 * s_vfs_rename_mutex, while fuse-bpf takes the lower superblock's for the
 * backing operation.  When both are FUSE they share the filesystem type's
 * classes; give each connection its own, as fuse_bpf_lockdep_inode() does
 * for inodes.
 */
void fuse_bpf_lockdep_sb(struct super_block *sb, struct fuse_conn *fc)
{
	int i;

	for (i = 0; i < SB_FREEZE_LEVELS; i++)
		lockdep_set_class(&sb->s_writers.rw_sem[i],
				  &fc->bpf_keys.sb_writers[i]);
	lockdep_set_class(&sb->s_vfs_rename_mutex, &fc->bpf_keys.rename);
}

/* Register or unregister the lockdep keys of fuse_bpf_lockdep_inode/sb() */
static void fuse_bpf_lockdep_keys(struct fuse_conn *fc, bool reg)
{
	struct lock_class_key *keys[2 + 1 + SB_FREEZE_LEVELS + 1];
	int i, n = 0;

	keys[n++] = &fc->bpf_keys.i_rwsem[0];
	keys[n++] = &fc->bpf_keys.i_rwsem[1];
	keys[n++] = &fc->bpf_keys.fi_mutex;
	for (i = 0; i < SB_FREEZE_LEVELS; i++)
		keys[n++] = &fc->bpf_keys.sb_writers[i];
	keys[n++] = &fc->bpf_keys.rename;
	for (i = 0; i < n; i++) {
		if (reg)
			lockdep_register_key(keys[i]);
		else
			lockdep_unregister_key(keys[i]);
	}
}

/**
 * fuse_bpf_conn_init() - set up a connection's filter ids and lock classes
 * @fc: the connection
 */
void fuse_bpf_conn_init(struct fuse_conn *fc)
{
	idr_init(&fc->bpf_filter_ids);
	fuse_bpf_lockdep_keys(fc, true);
}

/**
 * fuse_bpf_conn_free() - drop a connection's filter ids and lock classes
 * @fc: the connection, going away
 */
void fuse_bpf_conn_free(struct fuse_conn *fc)
{
	struct fuse_bpf_filter *f;
	int id;

	idr_for_each_entry(&fc->bpf_filter_ids, f, id)
		fuse_bpf_filter_put(f);
	idr_destroy(&fc->bpf_filter_ids);
	fuse_bpf_ctl_conn_free(fc);
	/* The superblock, and so every inode of these classes, is gone */
	fuse_bpf_lockdep_keys(fc, false);
}

/**
 * fuse_bpf_backing_check() - may @file be registered as a backing?
 * @fc: the connection
 * @file: the file FUSE_DEV_IOC_BACKING_OPEN was given
 * @flags: fuse_backing_map.flags
 *
 * Regular files as for upstream passthrough; directories with
 * FUSE_BACKING_DIR once FUSE_BPF is negotiated.
 *
 * Return: 0, or the errno for the ioctl.
 */
int fuse_bpf_backing_check(struct fuse_conn *fc, struct file *file,
			   unsigned int flags)
{
	struct dentry *dentry = file->f_path.dentry;

	if (flags & ~FUSE_BACKING_DIR)
		return -EINVAL;
	if (flags & FUSE_BACKING_DIR) {
		if (!fc->bpf)
			return -EINVAL;
		if (is_idmapped_mnt(file->f_path.mnt))
			return -EINVAL;
		return d_is_dir(dentry) ? 0 : -ENOTDIR;
	}
	if (d_is_reg(dentry))
		return 0;
	return d_is_dir(dentry) ? -EISDIR : -EINVAL;
}

/**
 * fuse_bpf_entry_args() - let an entry request accept the extension
 * @fc: the connection
 * @args: the arguments of LOOKUP, MKNOD, MKDIR, SYMLINK, LINK (struct
 *	fuse_entry_out the only out arg) or CREATE (and struct fuse_open_out)
 * @ext: where the extension goes; zeroed, so that a plain reply is KEEP
 *
 * The extension becomes the last out arg, of variable size.
 */
void fuse_bpf_entry_args(struct fuse_conn *fc, struct fuse_args *args,
			 struct fuse_entry_bpf_out *ext)
{
	struct fuse_arg *arg = &args->out_args[args->out_numargs];

	memset(ext, 0, sizeof(*ext));
	if (!fc->bpf ||
	    WARN_ON_ONCE(args->out_numargs >= ARRAY_SIZE(args->out_args)))
		return;
	args->out_numargs++;
	args->out_argvar = true;
	arg->size = sizeof(*ext);
	arg->value = ext;
}

/**
 * fuse_bpf_entry_check() - validate an entry reply and its extension
 * @fc: the connection
 * @args: the request, prepared by fuse_bpf_entry_args()
 * @outarg: the entry reply
 * @err: what fuse_simple_request() returned: the extension's size
 *
 * Checked before anything of the reply is applied: a kernel node id, or an
 * action on the root (which only the mount options bind), is refused.
 *
 * Return: 0 when the reply may be used, -EIO for a malformed one (logged),
 * or the request's own error.
 */
int fuse_bpf_entry_check(struct fuse_conn *fc, struct fuse_args *args,
			 const struct fuse_entry_out *outarg, int err)
{
	const struct fuse_entry_bpf_out *ext;

	if (!fc->bpf || err < 0)
		return err;
	ext = args->out_args[args->out_numargs - 1].value;
	if (err && err != sizeof(*ext)) {
		pr_warn_ratelimited("fuse-bpf: entry extension of %d bytes, want 0 or %zu\n",
				    err, sizeof(*ext));
		trace_fuse_bpf_refused(fc->dev, outarg->nodeid, args->opcode,
				       FUSE_BPF_REFUSED_EXT_SIZE);
		return -EIO;
	}
	if (fuse_bpf_reply_nodeid(fc, outarg->nodeid, args->opcode))
		return -EIO;
	if (ext->backing_action > FUSE_BPF_ACTION_INHERIT ||
	    (ext->backing_action != FUSE_BPF_ACTION_SET && ext->backing_id) ||
	    ext->filter_action > FUSE_BPF_ACTION_REMOVE ||
	    (ext->filter_action != FUSE_BPF_ACTION_SET && ext->filter_id) ||
	    ((!outarg->nodeid || outarg->nodeid == FUSE_ROOT_ID) &&
	     (ext->backing_action || ext->filter_action)) ||
	    ext->flags || ext->reserved) {
		pr_warn_ratelimited("fuse-bpf: invalid entry extension (backing %u/%d, filter %u/%u)\n",
				    ext->backing_action, ext->backing_id,
				    ext->filter_action, ext->filter_id);
		trace_fuse_bpf_refused(fc->dev, outarg->nodeid, args->opcode,
				       FUSE_BPF_REFUSED_EXT_INVALID);
		return -EIO;
	}
	return 0;
}

/* The errno for binding a backing of type @bmode to a node of type @mode. */
static int fuse_bpf_type_error(umode_t mode, umode_t bmode)
{
	if (!((mode ^ bmode) & S_IFMT))
		return 0;
	if (S_ISDIR(mode))
		return -ENOTDIR;
	return S_ISDIR(bmode) ? -EISDIR : -EIO;
}

static struct fuse_backing *fuse_bpf_backing_new(const struct path *path,
						 struct cred *cred);

static int fuse_bpf_knode_eq(struct inode *inode, void *nodeidp);

/*
 * INHERIT: the backing of @parent's backing child called @name, as the
 * kernel would have bound it had it looked the name up itself.
 */
static struct fuse_backing *fuse_bpf_inherit(struct inode *inode, u64 parent,
					     const struct qstr *name)
{
	struct fuse_backing *dfb = NULL, *fb;
	struct inode *dir = NULL;
	const struct path *ppath;
	const struct cred *old;
	struct dentry *bdentry;
	struct path path;

	if (parent && name)
		dir = ilookup5(inode->i_sb, parent, fuse_bpf_knode_eq, &parent);
	if (dir)
		dfb = fuse_bpf_backing_get(dir);
	iput(dir);
	if (!dfb) {
		/* Revalidation: the node keeps what it has */
		fb = fuse_bpf_backing_get(inode);
		return fb ?: ERR_PTR(-EINVAL);
	}
	ppath = &dfb->file->f_path;
	old = fuse_bpf_override_creds(dfb->cred);
	bdentry = lookup_one_unlocked(mnt_idmap(ppath->mnt), name->name,
				      ppath->dentry, name->len);
	fuse_bpf_revert_creds(old);
	if (IS_ERR(bdentry)) {
		fb = ERR_CAST(bdentry);
	} else if (d_is_negative(bdentry)) {
		fb = ERR_PTR(-ENOENT);
	} else {
		path.mnt = ppath->mnt;
		path.dentry = bdentry;
		fb = fuse_bpf_backing_new(&path, dfb->cred);
	}
	if (!IS_ERR(bdentry))
		dput(bdentry);
	fuse_backing_put(dfb);
	return fb;
}

/**
 * fuse_bpf_entry_apply() - apply a checked extension to the node
 * @inode: the node the reply named
 * @ext: the extension, validated by fuse_bpf_entry_check()
 * @parent: the node id of the directory the reply was for, or 0
 * @name: the name it was for, or NULL (revalidation: INHERIT keeps the
 *	node's binding)
 * @opcode: the request the reply was for, for the trace events
 *
 * Return: 0, -EBADF for a backing or filter id the daemon did not register
 * (or closed), -ENOTDIR/-EISDIR/-EIO when the backing's type is not the
 * node's, -ENOENT or -EIO when INHERIT finds no backing child.  A refused
 * extension leaves the node as it was.
 */
int fuse_bpf_entry_apply(struct inode *inode,
			 const struct fuse_entry_bpf_out *ext, u64 parent,
			 const struct qstr *name, u32 opcode)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_backing *fb = NULL;
	struct fuse_bpf_filter *f;
	int reason, err;

	/* Resolve everything first: a refused reply changes nothing */
	err = fuse_bpf_filter_resolve(fc, ext, &f);
	if (err) {
		trace_fuse_bpf_refused(fc->dev, get_node_id(inode), opcode,
				       FUSE_BPF_REFUSED_NO_FILTER);
		return err;
	}
	switch (ext->backing_action) {
	case FUSE_BPF_ACTION_SET:
		rcu_read_lock();
		fb = fuse_backing_get(idr_find(&fc->backing_files_map,
					       ext->backing_id));
		rcu_read_unlock();
		if (!fb) {
			pr_warn_ratelimited("fuse-bpf: no backing with id %d\n",
					    ext->backing_id);
			reason = FUSE_BPF_REFUSED_NO_BACKING;
			err = -EBADF;
			goto out_put;
		}
		break;
	case FUSE_BPF_ACTION_INHERIT:
		fb = fuse_bpf_inherit(inode, parent, name);
		if (IS_ERR(fb)) {
			err = PTR_ERR(fb) == -ENOENT ? -ENOENT : -EIO;
			pr_warn_ratelimited("fuse-bpf: INHERIT for node 0x%llx: %ld\n",
					    get_node_id(inode), PTR_ERR(fb));
			reason = FUSE_BPF_REFUSED_INHERIT;
			fb = NULL;
			goto out_put;
		}
		break;
	}
	if (fb) {
		err = fuse_bpf_type_error(inode->i_mode,
					  file_inode(fb->file)->i_mode);
		if (err) {
			pr_warn_ratelimited("fuse-bpf: backing %d: wrong type for node 0x%llx\n",
					    ext->backing_id, get_node_id(inode));
			reason = FUSE_BPF_REFUSED_TYPE;
			goto out_put;
		}
	}
	fuse_bpf_filter_install(inode, ext, f);
	if (ext->backing_action == FUSE_BPF_ACTION_REMOVE &&
	    rcu_access_pointer(get_fuse_inode(inode)->bpf_backing))
		fuse_bpf_trace_bind(inode, FUSE_BPF_UNBIND_REMOVE);
	if (fb || ext->backing_action == FUSE_BPF_ACTION_REMOVE)
		fuse_bpf_bind(inode, fb);
	if (fb)
		fuse_bpf_trace_bind(inode,
				    ext->backing_action == FUSE_BPF_ACTION_SET ?
				    FUSE_BPF_BIND_SET : FUSE_BPF_BIND_INHERIT);
	return 0;

out_put:
	trace_fuse_bpf_refused(fc->dev, get_node_id(inode), opcode, reason);
	fuse_backing_put(fb);
	fuse_bpf_filter_put(f);
	return err;
}

/**
 * fuse_bpf_create_bind() - apply the extension of a CREATE reply
 * @dir: the directory the file was created in
 * @entry: the new file's dentry, not instantiated yet
 * @inode: the new file's node, from fuse_iget()
 * @ext: the extension, validated by fuse_bpf_entry_check()
 * @ff: the file the daemon opened
 * @flags: the open flags of the create
 *
 * The file the daemon opened stays the daemon's; the node is served on its
 * backing from then on.  When the extension cannot be applied, the create
 * fails as when fuse_iget() does: @ff is released (RELEASE reaches the
 * daemon) and @inode put (FORGET follows).
 *
 * Return: 0, or the error of fuse_bpf_entry_apply().
 */
int fuse_bpf_create_bind(struct inode *dir, struct dentry *entry,
			 struct inode *inode,
			 const struct fuse_entry_bpf_out *ext,
			 struct fuse_file *ff, unsigned int flags)
{
	int err = fuse_bpf_entry_apply(inode, ext, get_node_id(dir),
				       &entry->d_name, FUSE_CREATE);

	if (err) {
		fuse_sync_release(NULL, ff, flags & ~(O_CREAT | O_EXCL | O_TRUNC));
		iput(inode);
	}
	return err;
}

/**
 * fuse_bpf_fill_attr() - FUSE attributes from a backing inode's kstat
 * @fc: the connection (its user namespace maps the ids)
 * @st: attributes of the backing inode
 * @attr: result
 */
void fuse_bpf_fill_attr(struct fuse_conn *fc, const struct kstat *st,
			struct fuse_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = st->ino;
	attr->size = st->size;
	attr->blocks = st->blocks;
	attr->atime = st->atime.tv_sec;
	attr->atimensec = st->atime.tv_nsec;
	attr->mtime = st->mtime.tv_sec;
	attr->mtimensec = st->mtime.tv_nsec;
	attr->ctime = st->ctime.tv_sec;
	attr->ctimensec = st->ctime.tv_nsec;
	attr->mode = st->mode;
	attr->nlink = st->nlink;
	attr->uid = from_kuid_munged(fc->user_ns, st->uid);
	attr->gid = from_kgid_munged(fc->user_ns, st->gid);
	attr->rdev = new_encode_dev(st->rdev);
	attr->blksize = st->blksize;
}

/* A binding for @path, with the credentials of the binding it came from. */
static struct fuse_backing *fuse_bpf_backing_new(const struct path *path,
						 struct cred *cred)
{
	struct fuse_backing *fb;
	struct file *file;

	fb = kmalloc(sizeof(*fb), GFP_KERNEL);
	if (!fb)
		return ERR_PTR(-ENOMEM);
	file = dentry_open(path, O_PATH, cred);
	if (IS_ERR(file)) {
		kfree(fb);
		return ERR_CAST(file);
	}
	fb->file = file;
	fb->cred = get_new_cred(cred);
	refcount_set(&fb->count, 1);
	return fb;
}

/*
 * The kernel node id of @binode's node: a keyed hash of the backing inode,
 * so that a second name of it (a hard link) and a name looked up again
 * after its dentry was evicted find the inode the first one made, as on a
 * native file system (inotify watches, leases and locks are on it).
 */
static u64 fuse_bpf_knode_id(const struct inode *binode)
{
	static siphash_key_t key;

	get_random_once(&key, sizeof(key));
	return FUSE_NODEID_KERNEL |
	       (siphash_1u64((unsigned long)binode, &key) & ~FUSE_NODEID_KERNEL);
}

/*
 * Bind @inode, which fuse_iget() found or made under a kernel node id, to
 * @fb with @dir's filter, or share it.  A filter belongs to a place in the
 * tree: a hard link in a directory with another filter gets a node of its
 * own, and so does a hash collision.
 *
 * Return: 0 when @inode was unbound and now holds @fb, 1 when it is bound
 * to @fb's backing inode with @dir's filter already (the caller drops
 * @fb), -EEXIST when it is another backing inode's or filter's.
 */
static int fuse_bpf_knode_claim(struct inode *inode, struct inode *dir,
				struct fuse_backing *fb)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	struct fuse_backing *cur;
	int ret = -EEXIST;

	spin_lock(&fi->lock);
	fi->nlookup = 0;
	cur = unrcu_pointer(cmpxchg(&fi->bpf_backing, NULL,
				    RCU_INITIALIZER(fb)));
	if (!cur) {
		fuse_bpf_trace_bind(inode, FUSE_BPF_BIND_KERNEL);
		fuse_bpf_filter_inherit(inode, dir);
		ret = 0;
	} else if (file_inode(cur->file) == file_inode(fb->file) &&
		   fuse_bpf_filter_same(inode, dir)) {
		ret = 1;
	}
	spin_unlock(&fi->lock);
	return ret;
}

/**
 * fuse_bpf_node_iget() - the node for a child of a backed directory
 * @dir: the backed FUSE directory
 * @parent: @dir's backing
 * @bdentry: the positive child of the backing directory
 * @outarg: filled as a LOOKUP reply would be, for fuse_lookup()
 * @inode: the node, bound to @bdentry's inode
 *
 * One node per backing inode and filter: the node of another name of the
 * same backing inode, or of this name before its dentry was evicted, if it
 * is still in memory, else a new one bound to @bdentry.  The node has a
 * FUSE_NODEID_KERNEL id and a lookup count of zero: the daemon never saw
 * it, so it is never sent a FORGET for it.  A new node inherits @dir's
 * filter.
 *
 * Context: with @parent's credentials in force.
 * Return: 0 or -errno.
 */
int fuse_bpf_node_iget(struct inode *dir, struct fuse_backing *parent,
		       struct dentry *bdentry, struct fuse_entry_out *outarg,
		       struct inode **inode)
{
	struct path path = { .mnt = parent->file->f_path.mnt,
			     .dentry = bdentry };
	struct fuse_conn *fc = get_fuse_conn(dir);
	u64 attr_version = fuse_get_attr_version(fc);
	u64 evict_ctr = fuse_get_evict_ctr(fc);
	u64 nodeid = fuse_bpf_knode_id(d_inode(bdentry));
	struct fuse_backing *fb;
	struct kstat st;
	int err;

	err = vfs_getattr(&path, &st, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	if (err)
		return err;
	if (!fuse_valid_type(st.mode))
		return -EIO;
	fb = fuse_bpf_backing_new(&path, parent->cred);
	if (IS_ERR(fb))
		return PTR_ERR(fb);

	memset(outarg, 0, sizeof(*outarg));
	outarg->entry_valid = FUSE_BPF_ENTRY_VALID;
	fuse_bpf_fill_attr(fc, &st, &outarg->attr);
	for (;;) {
		outarg->nodeid = nodeid;
		*inode = fuse_iget(dir->i_sb, nodeid, 0, &outarg->attr, 0,
				   attr_version, evict_ctr);
		if (!*inode) {
			fuse_backing_put(fb);
			return -ENOMEM;
		}
		err = fuse_bpf_knode_claim(*inode, dir, fb);
		if (err >= 0)
			break;
		iput(*inode);
		nodeid = FUSE_NODEID_KERNEL |
			 atomic64_inc_return(&fc->bpf_knode_ctr);
	}
	if (err)
		fuse_backing_put(fb);
	fuse_bpf_copyflags(*inode, d_inode(bdentry));
	return 0;
}

/**
 * fuse_bpf_root_param() - the backing_root_fd= mount option
 * @fsc: the mount's context
 * @fd: a directory in the mounter's file table; O_PATH is enough
 * @fbp: where the backing goes until the INIT reply
 *
 * The descriptor is resolved here, in the mounter's context, and the
 * mounter's credentials are captured for the backing operations.
 *
 * Return: 0, -EPERM without CAP_SYS_ADMIN, -EBADF, -ENOTDIR, -EINVAL.
 */
int fuse_bpf_root_param(struct fs_context *fsc, unsigned int fd,
			struct fuse_backing **fbp)
{
	struct fuse_backing *fb;
	struct file *file;
	int err;

	if (*fbp)
		return invalfc(fsc, "backing_root_fd given twice");
	if (!capable(CAP_SYS_ADMIN)) {
		errorfc(fsc, "backing_root_fd needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	file = fget_raw(fd);
	if (!file) {
		errorfc(fsc, "backing_root_fd: bad file descriptor");
		return -EBADF;
	}
	err = -ENOTDIR;
	if (!d_is_dir(file->f_path.dentry))
		goto out_fput;
	err = -EINVAL;
	if (is_idmapped_mnt(file->f_path.mnt))
		goto out_fput;
	err = -ENOMEM;
	fb = kmalloc(sizeof(*fb), GFP_KERNEL);
	if (!fb)
		goto out_fput;
	fb->file = file;
	fb->cred = prepare_creds();
	if (!fb->cred) {
		kfree(fb);
		goto out_fput;
	}
	fuse_bpf_backing_cred(fb->cred);
	refcount_set(&fb->count, 1);
	*fbp = fb;
	return 0;

out_fput:
	fput(file);
	errorfc(fsc, "backing_root_fd: not a usable directory");
	return err;
}

/**
 * fuse_bpf_root_bind() - bind the mount options' backing and filter to the root
 * @root: the new root inode
 * @ctx: the mount's context; its backing_root_fd= backing and bpf_filter=
 *	filter, if any, are taken over
 *
 * Bound when the superblock is set up, so that nothing can reach the
 * root before it is backed: until INIT is answered, the root is served
 * with the mounter's credentials as the mounter asked (opening a file
 * waits for INIT, which negotiates passthrough).  fuse_bpf_root_init()
 * unbinds it again if the INIT reply does not allow it.  The mounter's
 * root directory is remembered for the paths of the fusectl files
 * (fuse_bpf_ctl_mount()).
 */
void fuse_bpf_root_bind(struct inode *root, struct fuse_fs_context *ctx)
{
	fuse_bpf_ctl_mount(get_fuse_conn(root));
	if (ctx->bpf_root) {
		fuse_bpf_bind(root, ctx->bpf_root);
		fuse_bpf_trace_bind(root, FUSE_BPF_BIND_ROOT);
	}
	ctx->bpf_root = NULL;
	fuse_bpf_filter_root(root, &ctx->bpf_filter);
}

/**
 * fuse_bpf_fsc_free() - drop what the mount options took
 * @ctx: the mount's context, going away
 */
void fuse_bpf_fsc_free(struct fuse_fs_context *ctx)
{
	fuse_backing_put(ctx->bpf_root);
	fuse_bpf_filter_put(ctx->bpf_filter);
}

/**
 * fuse_bpf_root_init() - check the root's backing against the INIT reply
 * @fm: the mount
 * @ok: whether the rest of the INIT reply was accepted
 *
 * Called from process_init_reply(), whatever the reply was; a connection
 * that negotiated FUSE_BPF gets its bpf_stats counters here.  Only the
 * mount option backs the root (the daemon never looks the root up).  A
 * backed root needs an accepted INIT with FUSE_BPF and a backing no deeper
 * than the negotiated max_stack_depth admits; otherwise the root is
 * unbound, so that a failed connection serves nothing with the mounter's
 * credentials, and the connection fails rather than run half-configured.
 *
 * Return: false when the connection must fail.
 */
bool fuse_bpf_root_init(struct fuse_mount *fm, bool ok)
{
	struct inode *root = d_inode(fm->sb->s_root);
	struct fuse_conn *fc = fm->fc;
	struct fuse_backing *fb;

	if (ok && fc->bpf)
		fuse_bpf_stats_alloc(fc);
	fb = fuse_bpf_backing_get(root);
	if (!fb)
		return ok;
	ok = ok && fc->bpf &&
	     file_inode(fb->file)->i_sb->s_stack_depth < fc->max_stack_depth;
	fuse_backing_put(fb);
	if (!ok) {
		pr_warn_ratelimited("fuse-bpf: backing_root_fd needs an accepted INIT with FUSE_BPF and a backing within max_stack_depth\n");
		trace_fuse_bpf_refused(fc->dev, FUSE_ROOT_ID, FUSE_INIT,
				       FUSE_BPF_REFUSED_ROOT_INIT);
		fuse_bpf_trace_bind(root, FUSE_BPF_UNBIND_ROOT);
		fuse_bpf_bind(root, NULL);
	}
	return ok;
}

/* ------------------------------------------ falling back to the daemon */

/*
 * Re-keying a kernel node to its daemon id is rare: one lock for all
 * connections keeps two resolutions of one node from both re-keying it.
 */
static DEFINE_MUTEX(fuse_bpf_rekey_lock);

static int fuse_bpf_knode_eq(struct inode *inode, void *nodeidp)
{
	return get_node_id(inode) == *(u64 *)nodeidp;
}

/*
 * Give kernel node @inode the daemon's id @nodeid, with the lookup count
 * of the LOOKUP that named it; @forget is the FORGET for that lookup,
 * sent at once if another resolution won.
 */
static void fuse_bpf_rekey(struct fuse_conn *fc, struct inode *inode,
			   u64 nodeid, struct fuse_forget_link *forget)
{
	struct fuse_inode *fi = get_fuse_inode(inode);

	mutex_lock(&fuse_bpf_rekey_lock);
	if (!(get_node_id(inode) & FUSE_NODEID_KERNEL)) {
		mutex_unlock(&fuse_bpf_rekey_lock);
		fuse_queue_forget(fc, forget, nodeid, 1);
		return;
	}
	remove_inode_hash(inode);
	spin_lock(&fi->lock);
	WRITE_ONCE(fi->nodeid, nodeid);
	fi->nlookup = 1;
	spin_unlock(&fi->lock);
	__insert_inode_hash(inode, nodeid);
	mutex_unlock(&fuse_bpf_rekey_lock);
	kfree(forget);
}

/*
 * Resolve @dentry, a kernel node whose parent @dir has a daemon id: ask the
 * daemon to look the name up, as a plain LOOKUP, and re-key the node.
 */
static int fuse_bpf_resolve_one(struct fuse_mount *fm, struct inode *dir,
				struct dentry *dentry)
{
	FUSE_ARGS(args);
	u64 knode = get_node_id(d_inode(dentry));
	struct fuse_forget_link *forget;
	struct fuse_entry_bpf_out ext;
	struct fuse_entry_out outarg;
	struct name_snapshot name;
	int err;

	forget = fuse_alloc_forget();
	if (!forget)
		return -ENOMEM;
	take_dentry_name_snapshot(&name, dentry);
	memset(&outarg, 0, sizeof(outarg));
	args.opcode = FUSE_LOOKUP;
	args.nodeid = get_node_id(dir);
	args.in_numargs = 1;
	args.in_args[0].size = name.name.len + 1;
	args.in_args[0].value = name.name.name;
	args.out_numargs = 1;
	args.out_args[0].size = sizeof(outarg);
	args.out_args[0].value = &outarg;
	fuse_bpf_entry_args(fm->fc, &args, &ext);
	err = fuse_simple_request(fm, &args);
	err = fuse_bpf_entry_check(fm->fc, &args, &outarg, err);
	release_dentry_name_snapshot(&name);
	if (!err && !outarg.nodeid)
		err = -ENOENT;
	if (!err && (inode_wrong_type(d_inode(dentry), outarg.attr.mode) ||
		     outarg.nodeid == FUSE_ROOT_ID)) {
		pr_warn_ratelimited("fuse-bpf: daemon named a kernel node with the wrong type or the root\n");
		trace_fuse_bpf_refused(fm->fc->dev, outarg.nodeid, FUSE_LOOKUP,
				       FUSE_BPF_REFUSED_RESOLVE);
		fuse_queue_forget(fm->fc, forget, outarg.nodeid, 1);
		err = -EIO;
	} else if (err) {
		kfree(forget);
	} else {
		/* The node keeps its binding: only its id changes */
		fuse_bpf_rekey(fm->fc, d_inode(dentry), outarg.nodeid, forget);
	}
	trace_fuse_bpf_resolve(fm->fc->dev, knode, err ? 0 : outarg.nodeid,
			       err);
	return err;
}

/*
 * Give @inode, a kernel node, a daemon id: resolve its kernel-made
 * ancestors top-down, then itself.  Each step re-keys one node, so the loop
 * ends; a node the VFS no longer reaches by a name cannot be resolved.
 */
static int fuse_bpf_resolve_inode(struct fuse_mount *fm, struct inode *inode)
{
	struct dentry *dentry, *parent;
	int err;

	while (get_node_id(inode) & FUSE_NODEID_KERNEL) {
		dentry = d_find_alias(inode);
		if (!dentry)
			return -ESTALE;
		for (;;) {
			parent = dget_parent(dentry);
			if (parent == dentry) {
				dput(parent);
				dput(dentry);
				return -EIO;
			}
			if (!(get_node_id(d_inode(parent)) & FUSE_NODEID_KERNEL))
				break;
			dput(dentry);
			dentry = parent;
		}
		err = fuse_bpf_resolve_one(fm, d_inode(parent), dentry);
		dput(parent);
		dput(dentry);
		if (err)
			return err;
	}
	return 0;
}

/**
 * fuse_bpf_resolve_node() - give a kernel node the daemon's id now
 * @fm: the mount
 * @inode: the node; nothing happens when it has a daemon id already
 *
 * For a request whose node id is kept beyond the request, as an open file
 * keeps it: the file must name the daemon's id from its OPEN on.
 *
 * Context: may sleep; holds no backing lock.
 * Return: 0 or -errno, as fuse_bpf_resolve().
 */
int fuse_bpf_resolve_node(struct fuse_mount *fm, struct inode *inode)
{
	return fuse_bpf_resolve_inode(fm, inode);
}

/**
 * fuse_bpf_resolve() - let a request about a kernel node reach the daemon
 * @fm: the mount
 * @args: the request; its node id is a FUSE_NODEID_KERNEL one
 *
 * The daemon never saw the node: it is asked to look up the node's path
 * from the nearest node it knows (section 4.2 of the documentation), the
 * node takes the daemon's id and lookup count, and the request goes out
 * with that id.  The node stays bound to its backing.
 *
 * Context: may sleep; holds no backing lock.
 * Return: 0 with @args->nodeid rewritten, or -errno: -ENOENT when the
 * daemon does not know a name on the path, -ESTALE when the node has no
 * name left.
 */
int fuse_bpf_resolve(struct fuse_mount *fm, struct fuse_args *args)
{
	u64 nodeid = args->nodeid;
	struct inode *inode;
	int err;

	inode = ilookup5(fm->sb, nodeid, fuse_bpf_knode_eq, &nodeid);
	if (!inode)
		return -ESTALE;
	err = fuse_bpf_resolve_inode(fm, inode);
	if (!err)
		args->nodeid = get_node_id(inode);
	iput(inode);
	return err;
}
