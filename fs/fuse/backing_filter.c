// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf filters: the fuse_bpf_ops struct_ops, its registry of named
 * filters, the connection's filter ids, and the kfuncs filters use.
 *
 * A BPF program implements struct fuse_bpf_ops and names it.  Attaching
 * the struct_ops map registers the name here (reg); detaching it removes
 * the name and clears the filter's ops (unreg), after which nodes that
 * still use the filter are served as if it had no callbacks, or, with
 * FUSE_BPF_F_FAIL_CLOSED, fail with -EIO.  A daemon
 * turns a name into a connection-local id with FUSE_DEV_IOC_BPF_FILTER_OPEN
 * and sets a node's filter by id in its LOOKUP reply; kernel nodes inherit
 * their parent's filter.  Callbacks are called under RCU, which is what
 * unreg waits for.
 */

#include "fuse_i.h"

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/fs_context.h>
#include <linux/fuse_bpf_ops.h>
#include <linux/uaccess.h>
#include <trace/events/fuse_bpf.h>

/* The trace events print the verdicts by these values */
static_assert(FUSE_BPF_BACKING == 0 && FUSE_BPF_BACKING_POST == 1 &&
	      FUSE_BPF_DAEMON == 2 && FUSE_BPF_USER_PRE == 3 &&
	      FUSE_BPF_USER_POST == 4);

/*
 * A registered filter.  The struct_ops map owns @ops; nodes and connection
 * ids own references to this wrapper, which outlives the map.
 */
struct fuse_bpf_filter {
	refcount_t count;
	struct fuse_bpf_ops __rcu *ops;
	u32 flags;			/* FUSE_BPF_F_*, from the ops */
	struct list_head list;		/* in fuse_bpf_filters while registered */
	struct rcu_head rcu;
	char name[FUSE_BPF_NAME_MAX];
};

static LIST_HEAD(fuse_bpf_filters);
static DEFINE_MUTEX(fuse_bpf_filters_lock);

/**
 * fuse_bpf_filter_get() - take a reference to a filter
 * @f: the filter, or NULL; under RCU when no reference is held
 *
 * Return: @f, or NULL when it is NULL or being freed.
 */
struct fuse_bpf_filter *fuse_bpf_filter_get(struct fuse_bpf_filter *f)
{
	if (f && !refcount_inc_not_zero(&f->count))
		f = NULL;
	return f;
}

/**
 * fuse_bpf_filter_put() - drop a reference to a filter
 * @f: the filter, or NULL
 */
void fuse_bpf_filter_put(struct fuse_bpf_filter *f)
{
	if (f && refcount_dec_and_test(&f->count))
		kfree_rcu(f, rcu);
}

/**
 * fuse_bpf_filter_name() - the name a filter registered with
 * @f: the filter; its name stays after it is unregistered
 *
 * Return: the name, NUL-terminated.
 */
const char *fuse_bpf_filter_name(const struct fuse_bpf_filter *f)
{
	return f->name;
}

/* A registered filter by name, with a new reference, or NULL. */
static struct fuse_bpf_filter *fuse_bpf_filter_find(const char *name)
{
	struct fuse_bpf_filter *f, *found = NULL;

	mutex_lock(&fuse_bpf_filters_lock);
	list_for_each_entry(f, &fuse_bpf_filters, list) {
		if (!strcmp(f->name, name)) {
			found = fuse_bpf_filter_get(f);
			break;
		}
	}
	mutex_unlock(&fuse_bpf_filters_lock);
	return found;
}

/* ------------------------------------------------------------ nodes */

/* Replace @fi's filter with @f, a reference the inode takes over. */
static void fuse_bpf_filter_set_fi(struct fuse_inode *fi,
				   struct fuse_bpf_filter *f)
{
	fuse_bpf_filter_put(unrcu_pointer(xchg(&fi->bpf_filter,
					       RCU_INITIALIZER(f))));
}

/**
 * fuse_bpf_filter_evict() - drop the filter of an inode going away
 * @fi: the inode
 */
void fuse_bpf_filter_evict(struct fuse_inode *fi)
{
	fuse_bpf_filter_set_fi(fi, NULL);
}

/**
 * fuse_bpf_filter_of() - the filter of a node
 * @inode: the node
 *
 * Return: a new reference to @inode's filter, or NULL.
 */
struct fuse_bpf_filter *fuse_bpf_filter_of(struct inode *inode)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	struct fuse_bpf_filter *f;

	if (!rcu_access_pointer(fi->bpf_filter))
		return NULL;
	rcu_read_lock();
	f = fuse_bpf_filter_get(rcu_dereference(fi->bpf_filter));
	rcu_read_unlock();
	return f;
}

/**
 * fuse_bpf_filter_calls() - has a node's filter a say in an operation?
 * @inode: a node with a filter
 * @opcode: %FUSE_ACCESS (a permission check) or %FUSE_GETATTR
 *
 * A registered filter without the operation's callback would say
 * %FUSE_BPF_BACKING unasked; for a permission check, it must not have a
 * getattr callback to ask about the attributes shown either
 * (fuse_bpf_filter_rewrites_attr()).  A detached filter is called, for
 * %FUSE_BPF_F_FAIL_CLOSED.
 *
 * Context: any, including RCU path walk.
 * Return: false when the operation may be served as without a filter.
 */
bool fuse_bpf_filter_calls(struct inode *inode, u32 opcode)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	const struct fuse_bpf_ops *ops;
	struct fuse_bpf_filter *f;
	bool calls = false;

	rcu_read_lock();
	f = rcu_dereference(fi->bpf_filter);
	if (f) {
		ops = rcu_dereference(f->ops);
		if (!ops)
			calls = true;
		else if (opcode == FUSE_GETATTR)
			calls = ops->getattr;
		else
			calls = ops->access ||
				(ops->getattr &&
				 !(f->flags & FUSE_BPF_F_BACKING_ATTR));
	}
	rcu_read_unlock();
	return calls;
}

/*
 * fuse_bpf_filter_rewrites_attr() of a node that has a filter: a getattr
 * callback, unless the filter declared it shows the backing's attributes
 */
bool fuse_bpf_filter_has_getattr(struct inode *inode)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	const struct fuse_bpf_ops *ops = NULL;
	struct fuse_bpf_filter *f;

	rcu_read_lock();
	f = rcu_dereference(fi->bpf_filter);
	if (f && !(f->flags & FUSE_BPF_F_BACKING_ATTR))
		ops = rcu_dereference(f->ops);
	rcu_read_unlock();
	return ops && ops->getattr;
}

/**
 * fuse_bpf_filter_data() - which data callbacks a file being opened calls
 * @inode: the node being opened
 * @ff: its new FUSE file, on which bpf_read, bpf_write and
 *	bpf_no_shared_mmap are set
 *
 * Decided once per open: a file whose node's filter has no read (write)
 * callback now never calls the filter for its reads (writes), even if the
 * node gets another filter later.
 */
void fuse_bpf_filter_data(struct inode *inode, struct fuse_file *ff)
{
	struct fuse_inode *fi = get_fuse_inode(inode);
	const struct fuse_bpf_ops *ops = NULL;
	struct fuse_bpf_filter *f;

	if (!rcu_access_pointer(fi->bpf_filter))
		return;
	rcu_read_lock();
	f = rcu_dereference(fi->bpf_filter);
	if (f)
		ops = rcu_dereference(f->ops);
	ff->bpf_read = ops && ops->read;
	ff->bpf_write = ops && ops->write;
	ff->bpf_no_shared_mmap = ff->bpf_write &&
				 !(f->flags & FUSE_BPF_F_SHARED_MMAP);
	rcu_read_unlock();
}

/*
 * Does @inode have @dir's filter (or both none)?  Pointers compared, no
 * reference taken.
 */
bool fuse_bpf_filter_same(struct inode *inode, struct inode *dir)
{
	return rcu_access_pointer(get_fuse_inode(inode)->bpf_filter) ==
	       rcu_access_pointer(get_fuse_inode(dir)->bpf_filter);
}

/**
 * fuse_bpf_filter_inherit() - give a kernel node its parent's filter
 * @inode: the new node
 * @dir: its parent
 */
void fuse_bpf_filter_inherit(struct inode *inode, struct inode *dir)
{
	struct fuse_bpf_filter *f = fuse_bpf_filter_of(dir);

	if (f)
		trace_fuse_bpf_filter_install(get_fuse_conn(inode)->dev,
					      get_node_id(inode),
					      FUSE_BPF_FILTER_INHERIT, f->name);
	fuse_bpf_filter_set_fi(get_fuse_inode(inode), f);
}

/**
 * fuse_bpf_filter_resolve() - the filter a LOOKUP extension sets
 * @fc: the connection
 * @ext: the extension, validated by fuse_bpf_entry_check()
 * @fp: a new reference to the filter for SET, else NULL
 *
 * Return: 0, or -EBADF for a filter id the daemon did not open (or closed).
 */
int fuse_bpf_filter_resolve(struct fuse_conn *fc,
			    const struct fuse_entry_bpf_out *ext,
			    struct fuse_bpf_filter **fp)
{
	*fp = NULL;
	if (ext->filter_action != FUSE_BPF_ACTION_SET)
		return 0;
	rcu_read_lock();
	*fp = fuse_bpf_filter_get(idr_find(&fc->bpf_filter_ids,
					   ext->filter_id));
	rcu_read_unlock();
	if (!*fp) {
		pr_warn_ratelimited("fuse-bpf: no filter with id %u\n",
				    ext->filter_id);
		return -EBADF;
	}
	return 0;
}

/**
 * fuse_bpf_filter_install() - apply the filter part of a LOOKUP extension
 * @inode: the node the reply named
 * @ext: the extension
 * @f: the filter from fuse_bpf_filter_resolve(), taken over
 */
void fuse_bpf_filter_install(struct inode *inode,
			     const struct fuse_entry_bpf_out *ext,
			     struct fuse_bpf_filter *f)
{
	if (ext->filter_action == FUSE_BPF_ACTION_SET ||
	    ext->filter_action == FUSE_BPF_ACTION_REMOVE) {
		trace_fuse_bpf_filter_install(get_fuse_conn(inode)->dev,
					      get_node_id(inode),
					      f ? FUSE_BPF_FILTER_SET :
						  FUSE_BPF_FILTER_REMOVE,
					      f ? f->name : "");
		fuse_bpf_filter_set_fi(get_fuse_inode(inode), f);
	} else {
		fuse_bpf_filter_put(f);
	}
}

/* ------------------------------------------------ connection filter ids */

/**
 * fuse_bpf_filter_open() - FUSE_DEV_IOC_BPF_FILTER_OPEN
 * @fc: the connection
 * @map: the request: a registered filter's name
 *
 * Return: a new filter id (> 0), -EPERM without CAP_SYS_ADMIN, -EINVAL
 * before FUSE_BPF is negotiated or for a malformed request, -ENOENT when no
 * filter has that name.
 */
static int fuse_bpf_filter_open(struct fuse_conn *fc,
				const struct fuse_bpf_filter_map *map)
{
	struct fuse_bpf_filter *f;
	int id;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!fc->bpf || map->flags || map->padding ||
	    !memchr(map->name, '\0', sizeof(map->name)) || !map->name[0])
		return -EINVAL;
	f = fuse_bpf_filter_find(map->name);
	if (!f)
		return -ENOENT;
	idr_preload(GFP_KERNEL);
	spin_lock(&fc->lock);
	id = idr_alloc_cyclic(&fc->bpf_filter_ids, f, 1, 0, GFP_ATOMIC);
	/* Under the lock: once it is dropped, closing the id may free @f */
	if (id > 0)
		trace_fuse_bpf_filter(fc->dev, FUSE_BPF_FILTER_OPEN, id,
				      f->name);
	spin_unlock(&fc->lock);
	idr_preload_end();
	if (id < 0)
		fuse_bpf_filter_put(f);
	return id;
}

/**
 * fuse_bpf_filter_close() - FUSE_DEV_IOC_BPF_FILTER_CLOSE
 * @fc: the connection
 * @id: a filter id from fuse_bpf_filter_open()
 *
 * Nodes that use the filter keep it.
 *
 * Return: 0, -EPERM without CAP_SYS_ADMIN, -ENOENT for an unknown id.
 */
static int fuse_bpf_filter_close(struct fuse_conn *fc, u32 id)
{
	struct fuse_bpf_filter *f;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (id > INT_MAX)
		return -ENOENT;
	spin_lock(&fc->lock);
	f = idr_remove(&fc->bpf_filter_ids, id);
	spin_unlock(&fc->lock);
	if (!f)
		return -ENOENT;
	trace_fuse_bpf_filter(fc->dev, FUSE_BPF_FILTER_CLOSE, id, f->name);
	fuse_bpf_filter_put(f);
	return 0;
}

/**
 * fuse_bpf_dev_ioctl() - the filter ioctls of /dev/fuse
 * @fc: the connection of the /dev/fuse file
 * @cmd: FUSE_DEV_IOC_BPF_FILTER_OPEN or FUSE_DEV_IOC_BPF_FILTER_CLOSE
 * @argp: its argument
 *
 * Return: as fuse_bpf_filter_open() and fuse_bpf_filter_close(), -EFAULT,
 * or -ENOTTY for another @cmd.
 */
long fuse_bpf_dev_ioctl(struct fuse_conn *fc, unsigned int cmd,
			void __user *argp)
{
	struct fuse_bpf_filter_map map;
	u32 id;

	switch (cmd) {
	case FUSE_DEV_IOC_BPF_FILTER_OPEN:
		if (copy_from_user(&map, argp, sizeof(map)))
			return -EFAULT;
		return fuse_bpf_filter_open(fc, &map);
	case FUSE_DEV_IOC_BPF_FILTER_CLOSE:
		if (get_user(id, (u32 __user *)argp))
			return -EFAULT;
		return fuse_bpf_filter_close(fc, id);
	}
	return -ENOTTY;
}

/**
 * fuse_bpf_filter_param() - the bpf_filter= mount option
 * @fsc: the mount's context
 * @name: a registered filter's name
 * @fp: where the filter goes until the root inode exists
 *
 * Return: 0, -EPERM without CAP_SYS_ADMIN, -ENOENT, -EINVAL.
 */
int fuse_bpf_filter_param(struct fs_context *fsc, const char *name,
			  struct fuse_bpf_filter **fp)
{
	if (*fp)
		return invalfc(fsc, "bpf_filter given twice");
	if (!capable(CAP_SYS_ADMIN)) {
		errorfc(fsc, "bpf_filter needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	*fp = fuse_bpf_filter_find(name);
	if (!*fp) {
		errorfc(fsc, "bpf_filter: no filter named %s", name);
		return -ENOENT;
	}
	return 0;
}

/**
 * fuse_bpf_filter_root() - give the root the bpf_filter= filter
 * @root: the new root inode
 * @fp: the filter from fuse_bpf_filter_param(), or NULL; taken over
 */
void fuse_bpf_filter_root(struct inode *root, struct fuse_bpf_filter **fp)
{
	if (*fp) {
		trace_fuse_bpf_filter_install(get_fuse_conn(root)->dev,
					      get_node_id(root),
					      FUSE_BPF_FILTER_ROOT, (*fp)->name);
		fuse_bpf_filter_set_fi(get_fuse_inode(root), *fp);
	}
	*fp = NULL;
}

/* ------------------------------------------------------------ calls */

/* Begin a call of @filter, a reference or (in RCU path walk) not */
static void fuse_bpf_call_init(struct fuse_bpf_call *call, struct inode *inode,
			       u32 opcode, struct fuse_bpf_filter *filter)
{
	struct fuse_conn *fc = get_fuse_conn(inode);

	memset(call, 0, sizeof(*call));
	call->conn = fc->dev;
	call->ctx.opcode = opcode;
	call->ctx.phase = FUSE_BPF_PRE;
	call->ctx.nodeid = get_node_id(inode);
	call->stats = fuse_bpf_stats_of(fc);
	call->filter = filter;
	if (!filter)
		return;
	call->fm = get_fuse_mount(inode);
	call->ctx.uid = from_kuid(fc->user_ns, current_fsuid());
	call->ctx.gid = from_kgid(fc->user_ns, current_fsgid());
	call->ctx.pid = pid_nr_ns(task_tgid(current), fc->pid_ns);
}

/**
 * fuse_bpf_call_begin() - prepare a filter call for an operation
 * @call: the call, on the caller's stack
 * @inode: the node the filter is taken from
 * @opcode: the operation's FUSE opcode
 *
 * Must be paired with fuse_bpf_call_done() when the kernel served the
 * operation, fuse_bpf_call_daemon() when the daemon is asked, or
 * fuse_bpf_call_end().  Without a filter on @inode, the fuse_bpf_run_*()
 * functions return at once.
 */
void fuse_bpf_call_begin(struct fuse_bpf_call *call, struct inode *inode,
			 u32 opcode)
{
	fuse_bpf_call_init(call, inode, opcode, fuse_bpf_filter_of(inode));
}

/**
 * fuse_bpf_call_begin_rcu() - fuse_bpf_call_begin() for RCU path walk
 * @call: the call, on the caller's stack
 * @inode: the node the filter is taken from
 * @opcode: the operation's FUSE opcode
 *
 * The call is @call->nonblock: no userspace filter request, and no
 * reference to the filter, which is freed only after a grace period.
 *
 * Context: RCU path walk (rcu_read_lock() held throughout the call).
 */
void fuse_bpf_call_begin_rcu(struct fuse_bpf_call *call, struct inode *inode,
			     u32 opcode)
{
	fuse_bpf_call_init(call, inode, opcode,
			   rcu_dereference(get_fuse_inode(inode)->bpf_filter));
	call->nonblock = true;
}

/**
 * fuse_bpf_call_begin_like() - another call of a running call's caller
 * @call: the call, on the caller's stack
 * @from: a call begun on the node, still running
 * @opcode: the new call's FUSE opcode
 *
 * A call on @from's node, with @from's filter and the caller's ids it
 * computed, for an operation that asks another callback of the same
 * filter for the same caller (a permission check asking getattr's pre
 * phase).  It is @call->nonblock: no userspace filter request, and no
 * filter reference (@from holds one, or runs in RCU path walk).
 *
 * Context: within @from.
 */
void fuse_bpf_call_begin_like(struct fuse_bpf_call *call,
			      const struct fuse_bpf_call *from, u32 opcode)
{
	memset(call, 0, sizeof(*call));
	call->conn = from->conn;
	call->ctx.opcode = opcode;
	call->ctx.phase = FUSE_BPF_PRE;
	call->ctx.nodeid = from->ctx.nodeid;
	call->ctx.uid = from->ctx.uid;
	call->ctx.gid = from->ctx.gid;
	call->ctx.pid = from->ctx.pid;
	call->stats = from->stats;
	call->filter = from->filter;
	call->fm = from->fm;
	call->nonblock = true;
}

/**
 * fuse_bpf_call_backing_attr() - must the call show the backing's attributes?
 * @call: a getattr call
 *
 * Return: true when the call's filter has %FUSE_BPF_F_BACKING_ATTR.
 */
bool fuse_bpf_call_backing_attr(const struct fuse_bpf_call *call)
{
	return call->filter && (call->filter->flags & FUSE_BPF_F_BACKING_ATTR);
}

/**
 * fuse_bpf_call_end() - release what fuse_bpf_call_begin() took
 * @call: the call
 */
void fuse_bpf_call_end(struct fuse_bpf_call *call)
{
	if (!call->filter)
		return;
	if (!call->nonblock)
		fuse_bpf_filter_put(call->filter);
	call->filter = NULL;
}

/*
 * The end of a call: its fuse_bpf_op trace event and its counts in
 * bpf_stats (&enum fuse_bpf_trace_served @served), unless it is an RCU
 * path walk's attempt that the VFS retries in ref-walk mode, which has
 * its own then.
 */
static void fuse_bpf_call_account(struct fuse_bpf_call *call, int served,
				  int err)
{
	if (call->nonblock && (served == FUSE_BPF_SERVED_DAEMON ||
			       err == -ECHILD))
		return;
	fuse_bpf_stats_add(call, served, err);
	trace_fuse_bpf_op(call->conn, call->ctx.nodeid, call->ctx.opcode,
			  call->pre, call->post, served, err);
}

/**
 * fuse_bpf_call_daemon() - end a call whose operation goes to the daemon
 * @call: the call
 */
void fuse_bpf_call_daemon(struct fuse_bpf_call *call)
{
	fuse_bpf_call_account(call, FUSE_BPF_SERVED_DAEMON, 0);
	fuse_bpf_call_end(call);
}

/**
 * fuse_bpf_call_done() - end a call whose operation the kernel served
 * @call: the call
 * @ret: the operation's result: -errno, or 0 or more for a success
 *
 * Served on the backing, or failed by the filter's pre phase (which
 * includes a file the kernel opened that the filter sends to the daemon).
 */
void fuse_bpf_call_done(struct fuse_bpf_call *call, long ret)
{
	int served = FUSE_BPF_SERVED_BACKING;

	if (call->denied || call->pre == FUSE_BPF_DAEMON)
		served = call->user_pre ? FUSE_BPF_SERVED_USER :
					  FUSE_BPF_SERVED_FILTER;
	fuse_bpf_call_account(call, served, ret < 0 ? ret : 0);
	fuse_bpf_call_end(call);
}

/**
 * fuse_bpf_call_post() - switch a call to its post phase
 * @call: the call
 * @err: the backing operation's result, 0 or -errno
 */
void fuse_bpf_call_post(struct fuse_bpf_call *call, int err)
{
	call->ctx.phase = FUSE_BPF_POST;
	call->ctx.error = err;
	call->post = call->user_post ? FUSE_BPF_POST_USER : FUSE_BPF_POST_BPF;
}

/**
 * fuse_bpf_call_other_end() - prepare the other end's call of a rename or link
 * @call: the call to prepare, on the caller's stack
 * @main: the operation's call, pre phase done; its names are copied
 * @inode: the other end: a rename's new directory, the node a link links
 *
 * Only a filter with %FUSE_BPF_F_BOTH_ENDS, other than @main's, is called
 * at the other end.  fuse_bpf_call_end() must follow a true return.
 *
 * Return: true when @inode's filter is to be called.
 */
bool fuse_bpf_call_other_end(struct fuse_bpf_call *call,
			     const struct fuse_bpf_call *main,
			     struct inode *inode)
{
	fuse_bpf_call_begin(call, inode, main->ctx.opcode);
	if (!call->filter || call->filter == main->filter ||
	    !(call->filter->flags & FUSE_BPF_F_BOTH_ENDS)) {
		fuse_bpf_call_end(call);
		return false;
	}
	memcpy(call->name, main->name, sizeof(call->name));
	return true;
}

/**
 * fuse_bpf_other_end_verdict() - join the verdicts of both ends
 * @call: the other end's call, for the log
 * @verdict: the operation's pre phase verdict, not an errno
 * @other: the other end's: FUSE_BPF_BACKING, FUSE_BPF_BACKING_POST,
 *	FUSE_BPF_DAEMON or -errno
 *
 * Return: @other when it is an errno or FUSE_BPF_DAEMON, -EIO for a post
 * phase the other end cannot have, else @verdict.
 */
int fuse_bpf_other_end_verdict(const struct fuse_bpf_call *call, int verdict,
			       int other)
{
	if (other < 0 || other == FUSE_BPF_DAEMON)
		return other;
	if (other != FUSE_BPF_BACKING) {
		pr_warn_ratelimited("fuse-bpf: filter %s asked for a post phase at the other end of opcode %u\n",
				    call->filter->name, call->ctx.opcode);
		return -EIO;
	}
	return verdict;
}

/*
 * What a callback's return value means in the call's phase: in the pre
 * phase a verdict (BACKING, BACKING_POST, DAEMON, USER_PRE, USER_POST) or
 * -errno; in the post phase the operation's result, or SKIP for a
 * directory entry.
 */
static int fuse_bpf_verdict(const struct fuse_bpf_call *call, int ret)
{
	/* Errnos a system call may return; not the kernel's own (>= 512) */
	if (ret < 0 && ret > -ERESTARTSYS)
		return ret;
	if (call->ctx.phase == FUSE_BPF_POST) {
		if (ret == FUSE_BPF_BACKING)
			return call->ctx.error;
		if (ret == FUSE_BPF_SKIP && call->entry)
			return FUSE_BPF_SKIP;
	} else if (ret >= FUSE_BPF_BACKING && ret <= FUSE_BPF_USER_POST) {
		return ret;
	}
	pr_warn_ratelimited("fuse-bpf: filter %s returned %d for opcode %u (phase %u)\n",
			    call->filter->name, ret, call->ctx.opcode,
			    call->ctx.phase);
	trace_fuse_bpf_refused(call->conn, call->ctx.nodeid, call->ctx.opcode,
			       FUSE_BPF_REFUSED_VERDICT);
	return -EIO;
}

/*
 * The operation's arguments as a userspace filter request carries them:
 * the FUSE in and out structures of the callback's argument.
 */
struct fuse_bpf_user_args {
	void *in;
	u32 in_size;
	void *out;
	u32 out_size;
	bool in_writable;	/* a pre-filter reply may replace @in */
	bool no_post;		/* no post-filter request (readdir entries) */
};

/*
 * Send the daemon the pre- or post-filter request of the call's phase.
 * Return: pre phase, FUSE_BPF_BACKING or -errno; post phase, the result.
 */
static int fuse_bpf_user_filter(struct fuse_bpf_call *call,
				const struct fuse_bpf_user_args *ua)
{
	FUSE_ARGS(args);
	bool post = call->ctx.phase == FUSE_BPF_POST;
	u32 out_size = post ? ua->out_size : 0;
	struct fuse_filter_in *fin;
	size_t len, off;
	void *reply;
	u32 reply_size;
	ssize_t ret;
	char *buf;
	int i;

	/* Requests sleep: never from RCU path walk */
	if (call->nonblock)
		return -ECHILD;
	if (!post)
		call->user_pre = true;
	len = sizeof(*fin) + ua->in_size + out_size;
	for (i = 0; i < ARRAY_SIZE(call->name); i++)
		if (call->name[i].name)
			len += call->name[i].len + 1;
	buf = kzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	fin = (struct fuse_filter_in *)buf;
	fin->error = post ? call->ctx.error : 0;
	fin->in_size = ua->in_size;
	fin->out_size = out_size;
	off = sizeof(*fin);
	memcpy(buf + off, ua->in, ua->in_size);
	off += ua->in_size;
	memcpy(buf + off, ua->out, out_size);
	off += out_size;
	for (i = 0; i < ARRAY_SIZE(call->name); i++) {
		if (!call->name[i].name)
			continue;
		memcpy(buf + off, call->name[i].name, call->name[i].len);
		off += call->name[i].len + 1;
		fin->names++;
	}

	args.opcode = call->ctx.opcode | (post ? FUSE_POSTFILTER :
						 FUSE_PREFILTER);
	args.nodeid = call->ctx.nodeid;
	args.in_numargs = 1;
	args.in_args[0].size = len;
	args.in_args[0].value = buf;
	reply = post ? ua->out : (ua->in_writable ? ua->in : NULL);
	reply_size = post ? ua->out_size : (ua->in_writable ? ua->in_size : 0);
	if (reply_size) {
		args.out_numargs = 1;
		args.out_argvar = true;
		args.out_args[0].size = reply_size;
		args.out_args[0].value = reply;
	}
	ret = fuse_simple_request(call->fm, &args);
	kfree(buf);
	if (ret < 0)
		return ret;
	if (ret && ret != reply_size) {
		pr_warn_ratelimited("fuse-bpf: filter reply of %zd bytes for opcode %u, want 0 or %u\n",
				    ret, call->ctx.opcode, reply_size);
		trace_fuse_bpf_refused(call->conn, call->ctx.nodeid,
				       call->ctx.opcode,
				       FUSE_BPF_REFUSED_FILTER_REPLY);
		return -EIO;
	}
	if (!post)
		return FUSE_BPF_BACKING;
	/* A body replaces the out-args of a success; else keep the result */
	if (ret && call->ctx.error) {
		pr_warn_ratelimited("fuse-bpf: post filter sent out-args for a failed opcode %u\n",
				    call->ctx.opcode);
		trace_fuse_bpf_refused(call->conn, call->ctx.nodeid,
				       call->ctx.opcode,
				       FUSE_BPF_REFUSED_FILTER_OUTARGS);
		return -EIO;
	}
	return call->ctx.error;
}

/*
 * The outcome of a callback's return value @ret: userspace filter requests
 * are sent from here, so that the hooks see BACKING, BACKING_POST, DAEMON,
 * a result or -errno only.
 */
static int fuse_bpf_outcome(struct fuse_bpf_call *call, int ret,
			    const struct fuse_bpf_user_args *ua)
{
	if (call->ctx.phase == FUSE_BPF_POST && call->user_post)
		return fuse_bpf_user_filter(call, ua);
	ret = fuse_bpf_verdict(call, ret);
	if (call->ctx.phase == FUSE_BPF_PRE)
		call->pre = ret;
	if (ret == FUSE_BPF_USER_PRE)
		return fuse_bpf_user_filter(call, ua);
	if (ret == FUSE_BPF_USER_POST) {
		if (ua->no_post)
			return -EOPNOTSUPP;
		call->user_post = true;
		return FUSE_BPF_BACKING_POST;
	}
	return ret;
}

/* The arguments of a callback that has none but the context */
static const struct fuse_bpf_user_args fuse_bpf_no_args;

/* The callbacks of a filter that was unregistered: none */
static const struct fuse_bpf_ops fuse_bpf_no_ops;

/*
 * The callbacks of the call's filter, under RCU (&fuse_bpf_no_ops when it
 * was unregistered: fuse_bpf_ops_put() then fails the call with -EIO if
 * the filter asked for FUSE_BPF_F_FAIL_CLOSED); or NULL, without RCU, when
 * the call skips its BPF callback: without a filter it is served as if
 * there were none, and a post phase the filter gave to userspace goes
 * there without it.
 * fuse_bpf_ops_put() must follow either way.
 */
static const struct fuse_bpf_ops *fuse_bpf_ops_get(struct fuse_bpf_call *call)
{
	const struct fuse_bpf_ops *ops;

	if (!call->filter ||
	    (call->user_post && call->ctx.phase == FUSE_BPF_POST))
		return NULL;
	rcu_read_lock();
	ops = rcu_dereference(call->filter->ops);
	return ops ?: &fuse_bpf_no_ops;
}

/* fuse_bpf_ops_put() of a call with a filter */
static noinline int fuse_bpf_ops_put_filter(struct fuse_bpf_call *call,
					    const struct fuse_bpf_ops *ops,
					    int ret,
					    const struct fuse_bpf_user_args *ua)
{
	if (ops) {
		rcu_read_unlock();
		if (ops == &fuse_bpf_no_ops &&
		    (call->filter->flags & FUSE_BPF_F_FAIL_CLOSED))
			ret = -EIO;
		else
			ret = fuse_bpf_outcome(call, ret, ua);
	} else {
		ret = fuse_bpf_user_filter(call, ua);
	}
	if (call->ctx.phase == FUSE_BPF_PRE && ret < 0)
		call->denied = true;
	return ret;
}

/*
 * The outcome of the callback's return value @ret (ignored when @ops is
 * NULL), with @ua for a request to a userspace filter.  Without a filter,
 * what the operation would be without one, at the cost of a test.
 */
static __always_inline int
fuse_bpf_ops_put(struct fuse_bpf_call *call, const struct fuse_bpf_ops *ops,
		 int ret, const struct fuse_bpf_user_args *ua)
{
	if (likely(!call->filter))
		return call->ctx.phase == FUSE_BPF_POST ? call->ctx.error :
							  FUSE_BPF_BACKING;
	return fuse_bpf_ops_put_filter(call, ops, ret, ua);
}

/*
 * One typed caller per callback.  Each returns, in the pre phase,
 * FUSE_BPF_BACKING, FUSE_BPF_BACKING_POST, FUSE_BPF_DAEMON or -errno; in
 * the post phase, the operation's result (or FUSE_BPF_SKIP for a
 * directory entry).
 */
int fuse_bpf_run_lookup(struct fuse_bpf_call *call,
			struct fuse_bpf_entry_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->lookup ? ops->lookup(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

int fuse_bpf_run_getattr(struct fuse_bpf_call *call,
			 struct fuse_bpf_attr_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->getattr ? ops->getattr(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

int fuse_bpf_run_setattr(struct fuse_bpf_call *call,
			 struct fuse_bpf_setattr_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->setattr ? ops->setattr(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.in_writable = true,
	});
}

int fuse_bpf_run_access(struct fuse_bpf_call *call,
			struct fuse_bpf_access_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->access ? ops->access(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_open(struct fuse_bpf_call *call,
		      struct fuse_bpf_open_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->open ? ops->open(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_create(struct fuse_bpf_call *call,
			struct fuse_bpf_create_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->create ? ops->create(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.out = &args->out, .out_size = sizeof(args->out),
		.in_writable = true,
	});
}

int fuse_bpf_run_link(struct fuse_bpf_call *call,
		      struct fuse_bpf_link_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->link ? ops->link(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_unlink(struct fuse_bpf_call *call)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->unlink ? ops->unlink(&call->ctx) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &fuse_bpf_no_args);
}

int fuse_bpf_run_rename(struct fuse_bpf_call *call,
			struct fuse_bpf_rename_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->rename ? ops->rename(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_readdir(struct fuse_bpf_call *call,
			 struct fuse_bpf_readdir_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->readdir ? ops->readdir(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.no_post = true,
	});
}

int fuse_bpf_run_readlink(struct fuse_bpf_call *call)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->readlink ? ops->readlink(&call->ctx) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &fuse_bpf_no_args);
}

int fuse_bpf_run_xattr(struct fuse_bpf_call *call,
		       struct fuse_bpf_xattr_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->xattr ? ops->xattr(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

int fuse_bpf_run_statfs(struct fuse_bpf_call *call,
			struct fuse_bpf_statfs_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->statfs ? ops->statfs(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

int fuse_bpf_run_fsync(struct fuse_bpf_call *call,
		       struct fuse_bpf_fsync_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->fsync ? ops->fsync(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_lseek(struct fuse_bpf_call *call,
		       struct fuse_bpf_lseek_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->lseek ? ops->lseek(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

int fuse_bpf_run_fallocate(struct fuse_bpf_call *call,
			   struct fuse_bpf_fallocate_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->fallocate ? ops->fallocate(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_copy_file_range(struct fuse_bpf_call *call,
				 struct fuse_bpf_copy_file_range_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->copy_file_range ?
		  ops->copy_file_range(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

int fuse_bpf_run_flush(struct fuse_bpf_call *call,
		       struct fuse_bpf_flush_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->flush ? ops->flush(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_lock(struct fuse_bpf_call *call,
		      struct fuse_bpf_lock_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->lock ? ops->lock(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_ioctl(struct fuse_bpf_call *call,
		       struct fuse_bpf_ioctl_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->ioctl ? ops->ioctl(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
	});
}

int fuse_bpf_run_read(struct fuse_bpf_call *call,
		      struct fuse_bpf_read_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->read ? ops->read(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

int fuse_bpf_run_write(struct fuse_bpf_call *call,
		       struct fuse_bpf_write_args *args)
{
	const struct fuse_bpf_ops *ops = fuse_bpf_ops_get(call);
	int ret = ops && ops->write ? ops->write(&call->ctx, args) : 0;

	return fuse_bpf_ops_put(call, ops, ret, &(struct fuse_bpf_user_args){
		.in = &args->in, .in_size = sizeof(args->in),
		.out = &args->out, .out_size = sizeof(args->out),
	});
}

/*
 * The argument types of the callbacks, by BTF id (resolved at build time,
 * for vmlinux or fuse.ko alike), and what a filter may write in each: the
 * in-arguments the hooks read back after the pre phase, and the
 * out-arguments they read back after the post phase.  Everything else,
 * the context included, is read-only.
 */
enum fuse_bpf_arg_type {
	FUSE_BPF_ARG_CTX,
	FUSE_BPF_ARG_ENTRY,
	FUSE_BPF_ARG_ATTR,
	FUSE_BPF_ARG_SETATTR,
	FUSE_BPF_ARG_ACCESS,
	FUSE_BPF_ARG_OPEN,
	FUSE_BPF_ARG_CREATE,
	FUSE_BPF_ARG_LINK,
	FUSE_BPF_ARG_RENAME,
	FUSE_BPF_ARG_READDIR,
	FUSE_BPF_ARG_XATTR,
	FUSE_BPF_ARG_STATFS,
	FUSE_BPF_ARG_READ,
	FUSE_BPF_ARG_WRITE,
	FUSE_BPF_ARG_OPS,
	FUSE_BPF_NR_ARG_TYPES
};

/* The BTF holding them: vmlinux's, or fuse.ko's */
static const struct btf *fuse_bpf_btf;

BTF_ID_LIST(fuse_bpf_btf_ids)
BTF_ID(struct, fuse_bpf_ctx)
BTF_ID(struct, fuse_bpf_entry_args)
BTF_ID(struct, fuse_bpf_attr_args)
BTF_ID(struct, fuse_bpf_setattr_args)
BTF_ID(struct, fuse_bpf_access_args)
BTF_ID(struct, fuse_bpf_open_args)
BTF_ID(struct, fuse_bpf_create_args)
BTF_ID(struct, fuse_bpf_link_args)
BTF_ID(struct, fuse_bpf_rename_args)
BTF_ID(struct, fuse_bpf_readdir_args)
BTF_ID(struct, fuse_bpf_xattr_args)
BTF_ID(struct, fuse_bpf_statfs_args)
BTF_ID(struct, fuse_bpf_read_args)
BTF_ID(struct, fuse_bpf_write_args)
BTF_ID(struct, fuse_bpf_ops)

static const char *const fuse_bpf_arg_names[FUSE_BPF_NR_ARG_TYPES] = {
	"fuse_bpf_ctx", "fuse_bpf_entry_args", "fuse_bpf_attr_args",
	"fuse_bpf_setattr_args", "fuse_bpf_access_args", "fuse_bpf_open_args",
	"fuse_bpf_create_args", "fuse_bpf_link_args", "fuse_bpf_rename_args",
	"fuse_bpf_readdir_args", "fuse_bpf_xattr_args", "fuse_bpf_statfs_args",
	"fuse_bpf_read_args", "fuse_bpf_write_args", "fuse_bpf_ops",
};

/* ------------------------------------------------------------ kfuncs */

__bpf_kfunc_start_defs();

/**
 * bpf_fuse_get_name() - copy one of the operation's names
 * @ctx: the callback's context
 * @index: 0 for the name operated on (the new name of a link, the old
 *	name of a rename, a directory entry's name, a symlink's target in
 *	the readlink post phase), 1 for the second name (the new name of a
 *	rename, the target of a new symlink)
 * @buf: where the name goes, NUL-terminated
 * @buf__sz: size of @buf; the verifier checks it against @buf
 *
 * Return: the name's length without the NUL, -ENOENT when the operation
 * has no such name, -E2BIG when @buf is too small (nothing is copied).
 */
__bpf_kfunc int bpf_fuse_get_name(struct fuse_bpf_ctx *ctx, u32 index,
				  char *buf, u32 buf__sz)
{
	struct fuse_bpf_call *call = container_of(ctx, struct fuse_bpf_call,
						  ctx);
	const struct qstr *name;

	if (index >= ARRAY_SIZE(call->name) || !call->name[index].name)
		return -ENOENT;
	name = &call->name[index];
	if (name->len >= buf__sz)
		return -E2BIG;
	memcpy(buf, name->name, name->len);
	buf[name->len] = '\0';
	return name->len;
}

/**
 * bpf_fuse_set_name() - rename the directory entry being returned
 * @ctx: the readdir callback's context, in the post phase
 * @buf: the new name, up to a NUL or the end of @buf
 * @buf__sz: size of @buf; the verifier checks it against @buf
 *
 * Only the listing changes: lookups still use the backing's names.
 *
 * Return: 0; -EINVAL outside the readdir post phase, and for an empty
 * name, one with a '/', "." or "..", or one longer than NAME_MAX.
 */
__bpf_kfunc int bpf_fuse_set_name(struct fuse_bpf_ctx *ctx, const char *buf,
				  u32 buf__sz)
{
	struct fuse_bpf_call *call = container_of(ctx, struct fuse_bpf_call,
						  ctx);
	u32 len = strnlen(buf, buf__sz);

	if (!call->entry || !len || len > NAME_MAX || memchr(buf, '/', len) ||
	    (buf[0] == '.' && (len == 1 || (len == 2 && buf[1] == '.'))))
		return -EINVAL;
	memcpy(call->entry->name, buf, len);
	call->entry->len = len;
	return 0;
}

/**
 * bpf_fuse_get_value() - copy part of the operation's xattr value
 * @ctx: the xattr callback's context: setxattr (either phase), or the
 *	getxattr post phase of a successful read into a buffer
 * @offset: where in the value to start
 * @buf: where the bytes go
 * @buf__sz: size of @buf; the verifier checks it against @buf
 *
 * Return: the number of bytes copied (0 at or past the end of the value),
 * or -ENOENT when the operation has no value.
 */
__bpf_kfunc int bpf_fuse_get_value(struct fuse_bpf_ctx *ctx, u32 offset,
				   void *buf, u32 buf__sz)
{
	struct fuse_bpf_call *call = container_of(ctx, struct fuse_bpf_call,
						  ctx);
	size_t n;

	if (!call->value)
		return -ENOENT;
	if (offset >= call->value_len)
		return 0;
	n = min_t(size_t, buf__sz, call->value_len - offset);
	memcpy(buf, call->value + offset, n);
	return n;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(fuse_bpf_kfunc_ids)
BTF_ID_FLAGS(func, bpf_fuse_get_name, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_fuse_set_name, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, bpf_fuse_get_value, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(fuse_bpf_kfunc_ids)

/* The kfuncs are for fuse_bpf_ops programs only. */
static int fuse_bpf_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&fuse_bpf_kfunc_ids, kfunc_id))
		return 0;
	if (prog->type == BPF_PROG_TYPE_STRUCT_OPS &&
	    prog->aux->attach_btf == fuse_bpf_btf &&
	    prog->aux->attach_btf_id == fuse_bpf_btf_ids[FUSE_BPF_ARG_OPS])
		return 0;
	return -EACCES;
}

static const struct btf_kfunc_id_set fuse_bpf_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &fuse_bpf_kfunc_ids,
	.filter = fuse_bpf_kfunc_filter,
};

/* ------------------------------------------------ struct_ops plumbing */

struct fuse_bpf_write_range {
	enum fuse_bpf_arg_type type;
	u32 start;
	u32 end;
};

#define FUSE_BPF_WRITABLE(_type, _struct, _field) {			\
	.type = _type,							\
	.start = offsetof(struct _struct, _field),			\
	.end = offsetofend(struct _struct, _field),			\
}

static const struct fuse_bpf_write_range fuse_bpf_writable[] = {
	FUSE_BPF_WRITABLE(FUSE_BPF_ARG_ATTR, fuse_bpf_attr_args, out.attr),
	FUSE_BPF_WRITABLE(FUSE_BPF_ARG_SETATTR, fuse_bpf_setattr_args, in),
	FUSE_BPF_WRITABLE(FUSE_BPF_ARG_CREATE, fuse_bpf_create_args, in.mode),
	FUSE_BPF_WRITABLE(FUSE_BPF_ARG_STATFS, fuse_bpf_statfs_args, out),
};

static int fuse_bpf_ops_btf_struct_access(struct bpf_verifier_log *log,
					  const struct bpf_reg_state *reg,
					  int off, int size)
{
	const char *tname = "this type";
	int i;

	if (reg->btf == fuse_bpf_btf) {
		for (i = 0; i < ARRAY_SIZE(fuse_bpf_writable); i++) {
			const struct fuse_bpf_write_range *w =
				&fuse_bpf_writable[i];

			if (reg->btf_id == fuse_bpf_btf_ids[w->type] &&
			    off >= w->start && off + size <= w->end)
				return NOT_INIT;
		}
		for (i = 0; i < FUSE_BPF_NR_ARG_TYPES; i++)
			if (reg->btf_id == fuse_bpf_btf_ids[i])
				tname = fuse_bpf_arg_names[i];
	}
	bpf_log(log, "fuse-bpf: no write to %s at offset %d size %d\n",
		tname, off, size);
	return -EACCES;
}

static const struct bpf_verifier_ops fuse_bpf_verifier_ops = {
	.get_func_proto = bpf_base_func_proto,
	.is_valid_access = bpf_tracing_btf_ctx_access,
	.btf_struct_access = fuse_bpf_ops_btf_struct_access,
};

static int fuse_bpf_ops_init(struct btf *btf)
{
	fuse_bpf_btf = btf;
	return 0;
}

/* Filters run in the caller's context under RCU: no sleepable programs. */
static int fuse_bpf_ops_check_member(const struct btf_type *t,
				     const struct btf_member *member,
				     const struct bpf_prog *prog)
{
	return prog->sleepable ? -EINVAL : 0;
}

static int fuse_bpf_ops_init_member(const struct btf_type *t,
				    const struct btf_member *member,
				    void *kdata, const void *udata)
{
	const struct fuse_bpf_ops *uops = udata;
	struct fuse_bpf_ops *kops = kdata;
	u32 off = __btf_member_bit_offset(t, member) / 8;

	if (off == offsetof(struct fuse_bpf_ops, flags)) {
		if (uops->flags & ~FUSE_BPF_F_ALL)
			return -EINVAL;
		kops->flags = uops->flags;
		return 1;
	}
	if (off != offsetof(struct fuse_bpf_ops, name))
		return 0;
	if (!memchr(uops->name, '\0', sizeof(uops->name)) || !uops->name[0])
		return -EINVAL;
	strscpy(kops->name, uops->name, sizeof(kops->name));
	return 1;
}

static int fuse_bpf_ops_reg(void *kdata, struct bpf_link *link)
{
	struct fuse_bpf_ops *ops = kdata;
	struct fuse_bpf_filter *f, *other;
	int err = 0;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	refcount_set(&f->count, 1);
	strscpy(f->name, ops->name, sizeof(f->name));
	f->flags = ops->flags;
	RCU_INIT_POINTER(f->ops, ops);
	mutex_lock(&fuse_bpf_filters_lock);
	list_for_each_entry(other, &fuse_bpf_filters, list) {
		if (!strcmp(other->name, f->name)) {
			err = -EEXIST;
			break;
		}
	}
	if (!err)
		list_add_tail(&f->list, &fuse_bpf_filters);
	mutex_unlock(&fuse_bpf_filters_lock);
	if (err)
		kfree(f);
	else
		trace_fuse_bpf_filter(0, FUSE_BPF_FILTER_REG, 0, f->name);
	return err;
}

static void fuse_bpf_ops_unreg(void *kdata, struct bpf_link *link)
{
	struct fuse_bpf_filter *f, *found = NULL;

	mutex_lock(&fuse_bpf_filters_lock);
	list_for_each_entry(f, &fuse_bpf_filters, list) {
		if (rcu_access_pointer(f->ops) == kdata) {
			list_del(&f->list);
			found = f;
			break;
		}
	}
	mutex_unlock(&fuse_bpf_filters_lock);
	if (!found)
		return;
	trace_fuse_bpf_filter(0, FUSE_BPF_FILTER_UNREG, 0, found->name);
	RCU_INIT_POINTER(found->ops, NULL);
	/* No callback of the map's programs runs once this returns. */
	synchronize_rcu();
	fuse_bpf_filter_put(found);
}

/* CFI stubs: the types of the callbacks, never called. */
static int fuse_bpf_stub_lookup(struct fuse_bpf_ctx *ctx,
				struct fuse_bpf_entry_args *args)
{
	return 0;
}

static int fuse_bpf_stub_getattr(struct fuse_bpf_ctx *ctx,
				 struct fuse_bpf_attr_args *args)
{
	return 0;
}

static int fuse_bpf_stub_setattr(struct fuse_bpf_ctx *ctx,
				 struct fuse_bpf_setattr_args *args)
{
	return 0;
}

static int fuse_bpf_stub_access(struct fuse_bpf_ctx *ctx,
				struct fuse_bpf_access_args *args)
{
	return 0;
}

static int fuse_bpf_stub_open(struct fuse_bpf_ctx *ctx,
			      struct fuse_bpf_open_args *args)
{
	return 0;
}

static int fuse_bpf_stub_create(struct fuse_bpf_ctx *ctx,
				struct fuse_bpf_create_args *args)
{
	return 0;
}

static int fuse_bpf_stub_link(struct fuse_bpf_ctx *ctx,
			      struct fuse_bpf_link_args *args)
{
	return 0;
}

static int fuse_bpf_stub_name(struct fuse_bpf_ctx *ctx)
{
	return 0;
}

static int fuse_bpf_stub_rename(struct fuse_bpf_ctx *ctx,
				struct fuse_bpf_rename_args *args)
{
	return 0;
}

static int fuse_bpf_stub_readdir(struct fuse_bpf_ctx *ctx,
				 struct fuse_bpf_readdir_args *args)
{
	return 0;
}

static int fuse_bpf_stub_xattr(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_xattr_args *args)
{
	return 0;
}

static int fuse_bpf_stub_statfs(struct fuse_bpf_ctx *ctx,
				struct fuse_bpf_statfs_args *args)
{
	return 0;
}

static int fuse_bpf_stub_fsync(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_fsync_args *args)
{
	return 0;
}

static int fuse_bpf_stub_lseek(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_lseek_args *args)
{
	return 0;
}

static int fuse_bpf_stub_fallocate(struct fuse_bpf_ctx *ctx,
				   struct fuse_bpf_fallocate_args *args)
{
	return 0;
}

static int fuse_bpf_stub_copy_file_range(struct fuse_bpf_ctx *ctx,
					 struct fuse_bpf_copy_file_range_args *args)
{
	return 0;
}

static int fuse_bpf_stub_flush(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_flush_args *args)
{
	return 0;
}

static int fuse_bpf_stub_lock(struct fuse_bpf_ctx *ctx,
			      struct fuse_bpf_lock_args *args)
{
	return 0;
}

static int fuse_bpf_stub_ioctl(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_ioctl_args *args)
{
	return 0;
}

static int fuse_bpf_stub_read(struct fuse_bpf_ctx *ctx,
			      struct fuse_bpf_read_args *args)
{
	return 0;
}

static int fuse_bpf_stub_write(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_write_args *args)
{
	return 0;
}

static struct fuse_bpf_ops fuse_bpf_ops_stubs = {
	.lookup = fuse_bpf_stub_lookup,
	.getattr = fuse_bpf_stub_getattr,
	.setattr = fuse_bpf_stub_setattr,
	.access = fuse_bpf_stub_access,
	.open = fuse_bpf_stub_open,
	.create = fuse_bpf_stub_create,
	.link = fuse_bpf_stub_link,
	.unlink = fuse_bpf_stub_name,
	.rename = fuse_bpf_stub_rename,
	.readdir = fuse_bpf_stub_readdir,
	.readlink = fuse_bpf_stub_name,
	.xattr = fuse_bpf_stub_xattr,
	.statfs = fuse_bpf_stub_statfs,
	.fsync = fuse_bpf_stub_fsync,
	.lseek = fuse_bpf_stub_lseek,
	.fallocate = fuse_bpf_stub_fallocate,
	.copy_file_range = fuse_bpf_stub_copy_file_range,
	.flush = fuse_bpf_stub_flush,
	.lock = fuse_bpf_stub_lock,
	.ioctl = fuse_bpf_stub_ioctl,
	.read = fuse_bpf_stub_read,
	.write = fuse_bpf_stub_write,
};

static struct bpf_struct_ops fuse_bpf_struct_ops = {
	.verifier_ops = &fuse_bpf_verifier_ops,
	.init = fuse_bpf_ops_init,
	.check_member = fuse_bpf_ops_check_member,
	.init_member = fuse_bpf_ops_init_member,
	.reg = fuse_bpf_ops_reg,
	.unreg = fuse_bpf_ops_unreg,
	.cfi_stubs = &fuse_bpf_ops_stubs,
	.name = "fuse_bpf_ops",
	.owner = THIS_MODULE,
};

/**
 * fuse_bpf_filters_init() - register the struct_ops and the kfuncs
 *
 * Called when fuse is initialised.  Without them fuse-bpf still serves
 * backing nodes; only filters are missing, and that is logged.
 */
void fuse_bpf_filters_init(void)
{
	BTF_TYPE_EMIT(enum fuse_bpf_verdict);
	BTF_TYPE_EMIT(enum fuse_bpf_phase);
	BTF_TYPE_EMIT(enum fuse_bpf_ops_flags);
	fuse_bpf_stats_init();
	if (register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
				      &fuse_bpf_kfunc_set) ||
	    register_bpf_struct_ops(&fuse_bpf_struct_ops, fuse_bpf_ops))
		pr_warn("fuse-bpf: BPF filters are not available\n");
}
