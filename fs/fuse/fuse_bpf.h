/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-bpf: FUSE nodes served by the kernel on backing inodes.
 *
 * A daemon that negotiated FUSE_BPF binds a backing (registered with
 * FUSE_DEV_IOC_BACKING_OPEN) to a node in its LOOKUP reply.  The kernel
 * then serves the node, and every child of a backed directory, on the
 * backing inodes.  The hooks below sit at the entry of fuse's operations:
 * each returns true when it handled the operation (its result in the last
 * argument) and false when fuse goes on to ask the daemon.
 *
 * Included at the end of fuse_i.h.
 */
#ifndef _FS_FUSE_BPF_H
#define _FS_FUSE_BPF_H

struct fuse_entry_bpf_out;
struct fuse_fs_context;
struct fs_context;
struct seq_file;
struct pipe_inode_info;

#if IS_ENABLED(CONFIG_FUSE_BPF)

#include <linux/fuse_bpf_ops.h>

struct fuse_bpf_filter;

/* A directory entry's name in readdir's post phase; bpf_fuse_set_name() */
struct fuse_bpf_dirname {
	u32 len;
	char name[NAME_MAX + 1];
};

/**
 * struct fuse_bpf_call - one operation's calls of a filter
 * @ctx: what the callbacks see; the kfuncs find the call from it
 * @filter: the node's filter, or NULL: then the calls return at once
 * @fm: the mount, for userspace filter requests
 * @name: the operation's names, for bpf_fuse_get_name()
 * @entry: readdir post phase: the entry's name, which the filter may change
 * @value: an xattr value, for bpf_fuse_get_value(): the value being set,
 *	or in the getxattr post phase the value read
 * @value_len: its length
 * @user_post: the pre phase asked for a userspace post filter
 * @nonblock: RCU path walk: no userspace filter request (-ECHILD), no
 *	reference to the filter or the backing
 * @conn: for the fuse_bpf_op trace event: the connection's fusectl number
 * @stats: the connection's counters (bpf_stats), or NULL
 * @pre: the pre phase's verdict (&enum fuse_bpf_verdict, or -errno)
 * @post: &enum fuse_bpf_trace_post: what ran in the post phase
 * @user_pre: a userspace pre filter request was sent
 * @denied: the pre phase failed the operation
 */
struct fuse_bpf_call {
	struct fuse_bpf_ctx ctx;
	struct fuse_bpf_filter *filter;
	struct fuse_mount *fm;
	struct qstr name[2];
	struct fuse_bpf_dirname *entry;
	const void *value;
	size_t value_len;
	bool user_post;
	bool nonblock;
	u32 conn;
	struct fuse_bpf_stats __percpu *stats;
	int pre;
	u8 post;
	bool user_pre;
	bool denied;
};

static inline void fuse_bpf_inode_init(struct fuse_inode *fi)
{
	RCU_INIT_POINTER(fi->bpf_backing, NULL);
	RCU_INIT_POINTER(fi->bpf_filter, NULL);
}

/*
 * Is a backing bound to @inode right now?  Not once the connection is
 * aborted or the daemon gone: fuse then fails the operations as for any
 * node (-ENOTCONN), the backed ones included.
 */
static inline bool fuse_bpf_inode_backed(struct inode *inode)
{
	return rcu_access_pointer(get_fuse_inode(inode)->bpf_backing) &&
	       READ_ONCE(get_fuse_conn(inode)->connected);
}

/*
 * The backing bound to @inode, without a reference: for a caller in an RCU
 * read-side critical section that does not sleep (RCU path walk,
 * revalidation).  The binding and its credentials are freed only after a
 * grace period, but the binding's file may be closed, and its memory
 * reused, as soon as the node is rebound: the caller reads the backing's
 * path with fuse_bpf_backing_path_rcu() only, and must see
 * fuse_bpf_backing_held() before it trusts what it found or changes
 * anything after it.
 *
 * Return: the backing, or NULL when @inode is not backed.
 */
static inline struct fuse_backing *fuse_bpf_backing_rcu(struct inode *inode)
{
	if (!READ_ONCE(get_fuse_conn(inode)->connected))
		return NULL;
	return rcu_dereference(get_fuse_inode(inode)->bpf_backing);
}

/*
 * The path and inode of @fb's backing, from fuse_bpf_backing_rcu(), read
 * under RCU.  Files are SLAB_TYPESAFE_BY_RCU: once the binding is gone,
 * its file's memory may hold another file, or one being set up, so each
 * pointer is read once and a NULL one refused; the dentries, inodes and
 * mounts it may point to are freed after the caller's grace period.  What
 * was read is @fb's own only if fuse_bpf_backing_held() says so after.
 *
 * Return: false when a pointer read was NULL (the binding is going).
 */
static inline bool fuse_bpf_backing_path_rcu(struct fuse_backing *fb,
					     struct path *path,
					     struct inode **binode)
{
	path->mnt = READ_ONCE(fb->file->f_path.mnt);
	path->dentry = READ_ONCE(fb->file->f_path.dentry);
	if (!path->mnt || !path->dentry)
		return false;
	*binode = d_inode_rcu(path->dentry);
	return *binode;
}

/*
 * Is @fb, from fuse_bpf_backing_rcu(), still @inode's backing after the
 * caller read through it?  Then the binding's reference kept its file
 * open throughout: a binding whose last reference is gone is never bound
 * again, and its memory is not reused before the caller's grace period
 * ends.
 */
static inline bool fuse_bpf_backing_held(struct inode *inode,
					 struct fuse_backing *fb)
{
	/* The reads through @fb come before the binding is read again */
	smp_rmb();
	return rcu_access_pointer(get_fuse_inode(inode)->bpf_backing) == fb;
}

/*
 * Act with @cred until fuse_bpf_revert_creds(@old): a binding's or an open
 * file's credentials, which the caller keeps alive until then.  As
 * override_creds(), without the reference to @cred that it takes in this
 * kernel (later kernels dropped it too): the operations run meanwhile are
 * synchronous, and anything that keeps current_cred() takes its own
 * reference.  In RCU path walk @cred may be a binding's that is being
 * released: its memory outlives the walk, and the walk's result is thrown
 * away unless the binding held (fuse_bpf_backing_held()).
 */
static inline const struct cred *fuse_bpf_override_creds(const struct cred *cred)
{
	return rcu_replace_pointer(current->cred, cred, true);
}

static inline void fuse_bpf_revert_creds(const struct cred *old)
{
	rcu_assign_pointer(current->cred, old);
}

/**
 * fuse_bpf_copyflags() - take the backing inode's append-only and immutable flags
 * @inode: FUSE inode
 * @binode: its backing inode
 *
 * The VFS refuses truncation, writes without O_APPEND and changes of an
 * append-only or immutable file by looking at the inode it was given, the
 * FUSE inode: it must carry the backing's flags (as ovl_copyflags() does).
 *
 * Context: any, including RCU path walk.
 */
static inline void fuse_bpf_copyflags(struct inode *inode,
				      const struct inode *binode)
{
	unsigned int mask = S_APPEND | S_IMMUTABLE;
	unsigned int flags = READ_ONCE(binode->i_flags) & mask;

	if (unlikely((READ_ONCE(inode->i_flags) & mask) != flags))
		inode_set_flags(inode, flags, mask);
}

bool fuse_bpf_filter_calls(struct inode *inode, u32 opcode);

/*
 * Has @inode no filter to call for @opcode, %FUSE_ACCESS (a permission
 * check) or %FUSE_GETATTR?  None at all, or one that has nothing to say
 * (fuse_bpf_filter_calls()).  Then the hot hooks (permission, getattr)
 * serve it without setting a filter call up, and count it with
 * fuse_bpf_count().  A filter installed meanwhile applies from the next
 * operation on, as it would had it come just after fuse_bpf_call_begin().
 */
static inline bool fuse_bpf_unfiltered(struct inode *inode, u32 opcode)
{
	return !rcu_access_pointer(get_fuse_inode(inode)->bpf_filter) ||
	       !fuse_bpf_filter_calls(inode, opcode);
}

/**
 * fuse_bpf_stats_of() - the counters to count a connection's operations in
 * @fc: the connection
 *
 * Return: the per-CPU counters, or NULL before INIT negotiated FUSE_BPF.
 */
static inline struct fuse_bpf_stats __percpu *
fuse_bpf_stats_of(struct fuse_conn *fc)
{
	/* Pairs with fuse_bpf_stats_alloc(): the counters are zeroed first */
	return smp_load_acquire(&fc->bpf_stats);
}

int fuse_bpf_refuse_background(struct fuse_conn *fc, struct fuse_args *args);
int fuse_bpf_refuse_nodeid(struct fuse_conn *fc, u64 nodeid, u32 opcode);

int fuse_bpf_resolve(struct fuse_mount *fm, struct fuse_args *args);

/*
 * A request about a kernel node would name an id the daemon never saw.
 * A synchronous one first resolves the node (fuse_bpf_resolve()): the
 * daemon looks its path up and the node takes the daemon's id.  A
 * background one, which must not wait for that, is refused.
 *
 * Return: 0 when the request may go, or -errno.
 */
static inline int fuse_bpf_request_check(struct fuse_mount *fm,
					 struct fuse_args *args, bool sync)
{
	struct fuse_conn *fc = fm->fc;

	/* Before INIT is answered, no daemon id can have the bit. */
	if (likely(!(args->nodeid & FUSE_NODEID_KERNEL) ||
		   !(fc->bpf || !READ_ONCE(fc->initialized))))
		return 0;
	/* Userspace filters name kernel nodes on purpose */
	if (args->opcode & (FUSE_PREFILTER | FUSE_POSTFILTER))
		return 0;
	if (sync)
		return fuse_bpf_resolve(fm, args);
	return fuse_bpf_refuse_background(fc, args);
}

/*
 * A node id in a daemon's reply (LOOKUP, CREATE, MKNOD..., READDIRPLUS: the
 * request's @opcode) or notification (INVAL_INODE, INVAL_ENTRY's parent,
 * STORE, RETRIEVE: fuse_ilookup(), @opcode 0): never one the kernel made,
 * which the daemon could otherwise pre-claim, or guess, and so alias or
 * act on a kernel node.
 *
 * Return: 0, or -EIO (logged and traced).
 */
static inline int fuse_bpf_reply_nodeid(struct fuse_conn *fc, u64 nodeid,
					u32 opcode)
{
	if (likely(!(nodeid & FUSE_NODEID_KERNEL) || !fc->bpf))
		return 0;
	return fuse_bpf_refuse_nodeid(fc, nodeid, opcode);
}

/* backing_core.c */
struct fuse_backing *fuse_bpf_backing_get(struct inode *inode);
void fuse_bpf_backing_cred(struct cred *cred);
void fuse_bpf_lockdep_inode(struct inode *inode, struct fuse_conn *fc);
void fuse_bpf_lockdep_sb(struct super_block *sb, struct fuse_conn *fc);
void fuse_bpf_conn_init(struct fuse_conn *fc);
void fuse_bpf_conn_free(struct fuse_conn *fc);
int fuse_bpf_resolve_node(struct fuse_mount *fm, struct inode *inode);
int fuse_bpf_wait_init(struct fuse_conn *fc);
void fuse_bpf_inode_evict(struct fuse_inode *fi);
void fuse_bpf_entry_args(struct fuse_conn *fc, struct fuse_args *args,
			 struct fuse_entry_bpf_out *ext);
int fuse_bpf_entry_check(struct fuse_conn *fc, struct fuse_args *args,
			 const struct fuse_entry_out *outarg, int err);
int fuse_bpf_entry_apply(struct inode *inode,
			 const struct fuse_entry_bpf_out *ext, u64 parent,
			 const struct qstr *name, u32 opcode);
int fuse_bpf_create_bind(struct inode *dir, struct dentry *entry,
			 struct inode *inode,
			 const struct fuse_entry_bpf_out *ext,
			 struct fuse_file *ff, unsigned int flags);
int fuse_bpf_backing_check(struct fuse_conn *fc, struct file *file,
			   unsigned int flags);
void fuse_bpf_fill_attr(struct fuse_conn *fc, const struct kstat *st,
			struct fuse_attr *attr);
int fuse_bpf_root_param(struct fs_context *fsc, unsigned int fd,
			struct fuse_backing **fbp);
void fuse_bpf_root_bind(struct inode *root, struct fuse_fs_context *ctx);
void fuse_bpf_fsc_free(struct fuse_fs_context *ctx);
bool fuse_bpf_root_init(struct fuse_mount *fm, bool ok);
int fuse_bpf_node_iget(struct inode *dir, struct fuse_backing *parent,
		       struct dentry *bdentry, struct fuse_entry_out *outarg,
		       struct inode **inode);

/* backing_ctl.c */
void fuse_bpf_stats_init(void);
void fuse_bpf_stats_add(const struct fuse_bpf_call *call, int served,
			int err);
void fuse_bpf_count(struct inode *inode, u32 opcode, int served, int err);
void fuse_bpf_stats_alloc(struct fuse_conn *fc);
int fuse_bpf_ctl_add_conn(struct dentry *parent, struct fuse_conn *fc);
void fuse_bpf_ctl_mount(struct fuse_conn *fc);
void fuse_bpf_ctl_conn_free(struct fuse_conn *fc);
void fuse_bpf_show_options(struct seq_file *m, struct dentry *root);

/* backing_filter.c */
void fuse_bpf_filters_init(void);
struct fuse_bpf_filter *fuse_bpf_filter_get(struct fuse_bpf_filter *f);
struct fuse_bpf_filter *fuse_bpf_filter_of(struct inode *inode);
const char *fuse_bpf_filter_name(const struct fuse_bpf_filter *f);
long fuse_bpf_dev_ioctl(struct fuse_conn *fc, unsigned int cmd,
			void __user *argp);
int fuse_bpf_filter_param(struct fs_context *fsc, const char *name,
			  struct fuse_bpf_filter **fp);
void fuse_bpf_filter_root(struct inode *root, struct fuse_bpf_filter **fp);
void fuse_bpf_filter_put(struct fuse_bpf_filter *f);
void fuse_bpf_filter_evict(struct fuse_inode *fi);
bool fuse_bpf_filter_has_getattr(struct inode *inode);

/**
 * fuse_bpf_filter_rewrites_attr() - may a node's filter rewrite its attributes?
 * @inode: the node
 *
 * Context: any, including RCU path walk.
 * Return: true when the node's filter has a getattr callback and not
 * %FUSE_BPF_F_BACKING_ATTR.
 */
static inline bool fuse_bpf_filter_rewrites_attr(struct inode *inode)
{
	return rcu_access_pointer(get_fuse_inode(inode)->bpf_filter) &&
	       fuse_bpf_filter_has_getattr(inode);
}

void fuse_bpf_filter_data(struct inode *inode, struct fuse_file *ff);
void fuse_bpf_filter_inherit(struct inode *inode, struct inode *dir);
bool fuse_bpf_filter_same(struct inode *inode, struct inode *dir);
int fuse_bpf_filter_resolve(struct fuse_conn *fc,
			    const struct fuse_entry_bpf_out *ext,
			    struct fuse_bpf_filter **fp);
void fuse_bpf_filter_install(struct inode *inode,
			     const struct fuse_entry_bpf_out *ext,
			     struct fuse_bpf_filter *f);
void fuse_bpf_call_begin(struct fuse_bpf_call *call, struct inode *inode,
			 u32 opcode);
void fuse_bpf_call_begin_rcu(struct fuse_bpf_call *call, struct inode *inode,
			     u32 opcode);
void fuse_bpf_call_begin_like(struct fuse_bpf_call *call,
			      const struct fuse_bpf_call *from, u32 opcode);
bool fuse_bpf_call_backing_attr(const struct fuse_bpf_call *call);
void fuse_bpf_call_end(struct fuse_bpf_call *call);
void fuse_bpf_call_daemon(struct fuse_bpf_call *call);
void fuse_bpf_call_done(struct fuse_bpf_call *call, long ret);
void fuse_bpf_call_post(struct fuse_bpf_call *call, int err);

/**
 * fuse_bpf_post() - switch a call to its post phase, if it has one
 * @call: the call
 * @verdict: what its pre phase said
 * @err: the backing operation's result, 0 or -errno
 *
 * The usual end of a hook is: if (fuse_bpf_post(&call, verdict, err))
 * err = fuse_bpf_run_X(&call, &args);
 *
 * Return: true when @verdict was FUSE_BPF_BACKING_POST: the caller runs the
 * callback again, now in the post phase.
 */
static inline bool fuse_bpf_post(struct fuse_bpf_call *call, int verdict,
				 int err)
{
	if (verdict != FUSE_BPF_BACKING_POST)
		return false;
	fuse_bpf_call_post(call, err);
	return true;
}

bool fuse_bpf_call_other_end(struct fuse_bpf_call *call,
			     const struct fuse_bpf_call *main,
			     struct inode *inode);
int fuse_bpf_other_end_verdict(const struct fuse_bpf_call *call, int verdict,
			       int other);
int fuse_bpf_run_lookup(struct fuse_bpf_call *call,
			struct fuse_bpf_entry_args *args);
int fuse_bpf_run_getattr(struct fuse_bpf_call *call,
			 struct fuse_bpf_attr_args *args);
int fuse_bpf_run_setattr(struct fuse_bpf_call *call,
			 struct fuse_bpf_setattr_args *args);
int fuse_bpf_run_access(struct fuse_bpf_call *call,
			struct fuse_bpf_access_args *args);
int fuse_bpf_run_open(struct fuse_bpf_call *call,
		      struct fuse_bpf_open_args *args);
int fuse_bpf_run_create(struct fuse_bpf_call *call,
			struct fuse_bpf_create_args *args);
int fuse_bpf_run_link(struct fuse_bpf_call *call,
		      struct fuse_bpf_link_args *args);
int fuse_bpf_run_unlink(struct fuse_bpf_call *call);
int fuse_bpf_run_rename(struct fuse_bpf_call *call,
			struct fuse_bpf_rename_args *args);
int fuse_bpf_run_readdir(struct fuse_bpf_call *call,
			 struct fuse_bpf_readdir_args *args);
int fuse_bpf_run_readlink(struct fuse_bpf_call *call);
int fuse_bpf_run_xattr(struct fuse_bpf_call *call,
		       struct fuse_bpf_xattr_args *args);
int fuse_bpf_run_statfs(struct fuse_bpf_call *call,
			struct fuse_bpf_statfs_args *args);
int fuse_bpf_run_fsync(struct fuse_bpf_call *call,
		       struct fuse_bpf_fsync_args *args);
int fuse_bpf_run_lseek(struct fuse_bpf_call *call,
		       struct fuse_bpf_lseek_args *args);
int fuse_bpf_run_fallocate(struct fuse_bpf_call *call,
			   struct fuse_bpf_fallocate_args *args);
int fuse_bpf_run_copy_file_range(struct fuse_bpf_call *call,
				 struct fuse_bpf_copy_file_range_args *args);
int fuse_bpf_run_flush(struct fuse_bpf_call *call,
		       struct fuse_bpf_flush_args *args);
int fuse_bpf_run_lock(struct fuse_bpf_call *call,
		      struct fuse_bpf_lock_args *args);
int fuse_bpf_run_ioctl(struct fuse_bpf_call *call,
		       struct fuse_bpf_ioctl_args *args);
int fuse_bpf_run_read(struct fuse_bpf_call *call,
		      struct fuse_bpf_read_args *args);
int fuse_bpf_run_write(struct fuse_bpf_call *call,
		       struct fuse_bpf_write_args *args);

/* backing_dir.c */
bool fuse_bpf_lookup(struct inode *dir, struct dentry *entry,
		     struct fuse_entry_out *outarg, struct inode **inode,
		     int *err);
bool fuse_bpf_revalidate(struct dentry *entry, unsigned int flags, int *ret);
bool fuse_bpf_readdir(struct file *file, struct dir_context *ctx, int *err);
bool fuse_bpf_mknod(struct inode *dir, struct dentry *entry, umode_t mode,
		    dev_t rdev, int *err);
bool fuse_bpf_mkdir(struct inode *dir, struct dentry *entry, umode_t mode,
		    int *err);
bool fuse_bpf_symlink(struct inode *dir, struct dentry *entry,
		      const char *link, int *err);
bool fuse_bpf_tmpfile(struct inode *dir, struct file *file, umode_t mode,
		      int *err);
bool fuse_bpf_link(struct dentry *entry, struct inode *newdir,
		   struct dentry *newent, int *err);
int fuse_bpf_unlink(struct fuse_mount *fm, struct fuse_args *args,
		    struct inode *dir, struct dentry *entry);
int fuse_bpf_rmdir(struct fuse_mount *fm, struct fuse_args *args,
		   struct inode *dir, struct dentry *entry);
int fuse_bpf_rename(struct mnt_idmap *idmap, struct fuse_mount *fm,
		    struct fuse_args *args,
		    struct inode *olddir, struct dentry *oldent,
		    struct inode *newdir, struct dentry *newent,
		    unsigned int flags);

/* backing_inode.c */
struct fuse_backing *fuse_bpf_serve(struct inode *inode,
				    struct fuse_bpf_call *call, int verdict);
bool fuse_bpf_getattr(struct inode *inode, struct kstat *stat, int *err);
bool fuse_bpf_permission(struct mnt_idmap *idmap, struct inode *inode,
			 int mask, int *err);
bool fuse_bpf_open(struct fuse_mount *fm, struct file *file, bool isdir,
		   int *err);
struct fuse_backing *fuse_bpf_open_backing(struct file *file,
					   struct inode *inode);
bool fuse_bpf_getxattr(struct inode *inode, const char *name, void *value,
		       size_t size, ssize_t *ret);
bool fuse_bpf_listxattr(struct inode *inode, char *list, size_t size,
			ssize_t *ret);
bool fuse_bpf_setxattr(struct inode *inode, const char *name,
		       const void *value, size_t size, int flags, int *err);
bool fuse_bpf_removexattr(struct inode *inode, const char *name, int *err);
bool fuse_bpf_flush(struct file *file, fl_owner_t id, int *err);
bool fuse_bpf_poll(struct file *file, poll_table *wait, __poll_t *mask);
bool fuse_bpf_fileattr(struct dentry *dentry, struct mnt_idmap *idmap,
		       struct fileattr *fa, int *err);
bool fuse_bpf_lock(struct file *file, int cmd, struct file_lock *fl,
		   bool flock, int *err);
bool fuse_bpf_get_acl(struct inode *inode, int type, struct posix_acl **acl);
bool fuse_bpf_set_acl(struct dentry *dentry, struct posix_acl *acl, int type,
		      int *err);
bool fuse_bpf_get_link(struct dentry *dentry, struct inode *inode,
		       struct delayed_call *done, const char **link);
bool fuse_bpf_setattr(struct dentry *entry, struct iattr *attr, int *err);
bool fuse_bpf_statfs(struct dentry *dentry, struct kstatfs *buf, int *err);
bool fuse_bpf_fsync(struct file *file, loff_t start, loff_t end,
		    int datasync, int *err);
bool fuse_bpf_lseek(struct file *file, loff_t offset, int whence,
		    loff_t *pos);
bool fuse_bpf_fallocate(struct file *file, int mode, loff_t offset,
			loff_t length, int *err);
bool fuse_bpf_copy_file_range(struct file *file_in, loff_t pos_in,
			      struct file *file_out, loff_t pos_out,
			      size_t len, unsigned int flags, ssize_t *ret);
ssize_t fuse_bpf_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t fuse_bpf_write_iter(struct kiocb *iocb, struct iov_iter *from);
ssize_t fuse_bpf_splice_write(struct pipe_inode_info *pipe, struct file *out,
			      loff_t *ppos, size_t len, unsigned int flags);

#else /* !CONFIG_FUSE_BPF */

static inline void fuse_bpf_inode_init(struct fuse_inode *fi)
{
}

static inline bool fuse_bpf_inode_backed(struct inode *inode)
{
	return false;
}

static inline int fuse_bpf_request_check(struct fuse_mount *fm,
					 struct fuse_args *args, bool sync)
{
	return 0;
}

static inline int fuse_bpf_reply_nodeid(struct fuse_conn *fc, u64 nodeid,
					u32 opcode)
{
	return 0;
}

static inline struct fuse_backing *fuse_bpf_backing_get(struct inode *inode)
{
	return NULL;
}

static inline void fuse_bpf_backing_cred(struct cred *cred)
{
}

static inline void fuse_bpf_lockdep_inode(struct inode *inode,
					  struct fuse_conn *fc)
{
}

static inline void fuse_bpf_lockdep_sb(struct super_block *sb,
				       struct fuse_conn *fc)
{
}

static inline struct fuse_backing *fuse_bpf_open_backing(struct file *file,
							 struct inode *inode)
{
	return NULL;
}

static inline void fuse_bpf_inode_evict(struct fuse_inode *fi)
{
}

static inline void fuse_bpf_entry_args(struct fuse_conn *fc,
				       struct fuse_args *args,
				       struct fuse_entry_bpf_out *ext)
{
}

static inline int fuse_bpf_entry_check(struct fuse_conn *fc,
				       struct fuse_args *args,
				       const struct fuse_entry_out *outarg,
				       int err)
{
	return err;
}

static inline int fuse_bpf_entry_apply(struct inode *inode,
				       const struct fuse_entry_bpf_out *ext,
				       u64 parent, const struct qstr *name,
				       u32 opcode)
{
	return 0;
}

static inline int fuse_bpf_create_bind(struct inode *dir,
				       struct dentry *entry,
				       struct inode *inode,
				       const struct fuse_entry_bpf_out *ext,
				       struct fuse_file *ff, unsigned int flags)
{
	return 0;
}

static inline int fuse_bpf_backing_check(struct fuse_conn *fc,
					 struct file *file, unsigned int flags)
{
	if (flags)
		return -EINVAL;
	/* read/write/splice/mmap passthrough only relevant for regular files */
	if (d_is_reg(file->f_path.dentry))
		return 0;
	return d_is_dir(file->f_path.dentry) ? -EISDIR : -EINVAL;
}

static inline int fuse_bpf_root_param(struct fs_context *fsc, unsigned int fd,
				      struct fuse_backing **fbp)
{
	return -EINVAL;
}

static inline void fuse_bpf_root_bind(struct inode *root,
				      struct fuse_fs_context *ctx)
{
}

static inline void fuse_bpf_fsc_free(struct fuse_fs_context *ctx)
{
}

static inline void fuse_bpf_filters_init(void)
{
}

static inline int fuse_bpf_ctl_add_conn(struct dentry *parent,
					struct fuse_conn *fc)
{
	return 0;
}

static inline void fuse_bpf_show_options(struct seq_file *m,
					 struct dentry *root)
{
}

static inline void fuse_bpf_conn_init(struct fuse_conn *fc)
{
}

static inline void fuse_bpf_conn_free(struct fuse_conn *fc)
{
}

static inline long fuse_bpf_dev_ioctl(struct fuse_conn *fc, unsigned int cmd,
				      void __user *argp)
{
	return -ENOTTY;
}

static inline int fuse_bpf_filter_param(struct fs_context *fsc,
					const char *name,
					struct fuse_bpf_filter **fp)
{
	return -EINVAL;
}

static inline bool fuse_bpf_root_init(struct fuse_mount *fm, bool ok)
{
	return ok;
}

static inline bool fuse_bpf_lookup(struct inode *dir, struct dentry *entry,
				   struct fuse_entry_out *outarg,
				   struct inode **inode, int *err)
{
	return false;
}

static inline bool fuse_bpf_revalidate(struct dentry *entry,
				       unsigned int flags, int *ret)
{
	return false;
}

static inline bool fuse_bpf_readdir(struct file *file,
				    struct dir_context *ctx, int *err)
{
	return false;
}

static inline bool fuse_bpf_mknod(struct inode *dir, struct dentry *entry,
				  umode_t mode, dev_t rdev, int *err)
{
	return false;
}

static inline bool fuse_bpf_mkdir(struct inode *dir, struct dentry *entry,
				  umode_t mode, int *err)
{
	return false;
}

static inline bool fuse_bpf_symlink(struct inode *dir, struct dentry *entry,
				    const char *link, int *err)
{
	return false;
}

static inline bool fuse_bpf_tmpfile(struct inode *dir, struct file *file,
				    umode_t mode, int *err)
{
	return false;
}

static inline bool fuse_bpf_link(struct dentry *entry, struct inode *newdir,
				 struct dentry *newent, int *err)
{
	return false;
}

static inline int fuse_bpf_unlink(struct fuse_mount *fm,
				  struct fuse_args *args, struct inode *dir,
				  struct dentry *entry)
{
	return fuse_simple_request(fm, args);
}

static inline int fuse_bpf_rmdir(struct fuse_mount *fm,
				 struct fuse_args *args, struct inode *dir,
				 struct dentry *entry)
{
	return fuse_simple_request(fm, args);
}

static inline int fuse_bpf_rename(struct mnt_idmap *idmap,
				  struct fuse_mount *fm,
				  struct fuse_args *args,
				  struct inode *olddir, struct dentry *oldent,
				  struct inode *newdir, struct dentry *newent,
				  unsigned int flags)
{
	return fuse_simple_idmap_request(idmap, fm, args);
}

static inline bool fuse_bpf_getattr(struct inode *inode, struct kstat *stat,
				    int *err)
{
	return false;
}

static inline bool fuse_bpf_permission(struct mnt_idmap *idmap,
				       struct inode *inode, int mask, int *err)
{
	return false;
}

static inline bool fuse_bpf_open(struct fuse_mount *fm, struct file *file,
				 bool isdir, int *err)
{
	return false;
}

static inline bool fuse_bpf_getxattr(struct inode *inode, const char *name,
				     void *value, size_t size, ssize_t *ret)
{
	return false;
}

static inline bool fuse_bpf_listxattr(struct inode *inode, char *list,
				      size_t size, ssize_t *ret)
{
	return false;
}

static inline bool fuse_bpf_setxattr(struct inode *inode, const char *name,
				     const void *value, size_t size, int flags,
				     int *err)
{
	return false;
}

static inline bool fuse_bpf_removexattr(struct inode *inode,
					const char *name, int *err)
{
	return false;
}

static inline bool fuse_bpf_flush(struct file *file, fl_owner_t id, int *err)
{
	return false;
}

static inline bool fuse_bpf_poll(struct file *file, poll_table *wait,
				 __poll_t *mask)
{
	return false;
}

static inline bool fuse_bpf_fileattr(struct dentry *dentry,
				     struct mnt_idmap *idmap,
				     struct fileattr *fa, int *err)
{
	return false;
}

static inline bool fuse_bpf_lock(struct file *file, int cmd,
				 struct file_lock *fl, bool flock, int *err)
{
	return false;
}

static inline bool fuse_bpf_get_acl(struct inode *inode, int type,
				    struct posix_acl **acl)
{
	return false;
}

static inline bool fuse_bpf_set_acl(struct dentry *dentry,
				    struct posix_acl *acl, int type, int *err)
{
	return false;
}

static inline bool fuse_bpf_get_link(struct dentry *dentry,
				     struct inode *inode,
				     struct delayed_call *done,
				     const char **link)
{
	return false;
}

static inline bool fuse_bpf_setattr(struct dentry *entry, struct iattr *attr,
				    int *err)
{
	return false;
}

static inline bool fuse_bpf_statfs(struct dentry *dentry,
				   struct kstatfs *buf, int *err)
{
	return false;
}

static inline bool fuse_bpf_fsync(struct file *file, loff_t start,
				  loff_t end, int datasync, int *err)
{
	return false;
}

static inline bool fuse_bpf_lseek(struct file *file, loff_t offset,
				  int whence, loff_t *pos)
{
	return false;
}

static inline bool fuse_bpf_fallocate(struct file *file, int mode,
				      loff_t offset, loff_t length, int *err)
{
	return false;
}

static inline bool fuse_bpf_copy_file_range(struct file *file_in,
					    loff_t pos_in,
					    struct file *file_out,
					    loff_t pos_out, size_t len,
					    unsigned int flags, ssize_t *ret)
{
	return false;
}

/* Never called: no file has bpf_read or bpf_write set */
static inline ssize_t fuse_bpf_read_iter(struct kiocb *iocb,
					 struct iov_iter *to)
{
	return -EIO;
}

static inline ssize_t fuse_bpf_write_iter(struct kiocb *iocb,
					  struct iov_iter *from)
{
	return -EIO;
}

static inline ssize_t fuse_bpf_splice_write(struct pipe_inode_info *pipe,
					    struct file *out, loff_t *ppos,
					    size_t len, unsigned int flags)
{
	return -EIO;
}

#endif /* CONFIG_FUSE_BPF */

#endif /* _FS_FUSE_BPF_H */
