// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf-passthrough: mirror SOURCE at MOUNTPOINT, three ways.
 *
 *   plain        every operation is served here, in userspace
 *   passthrough  as plain, but OPEN and CREATE answer FOPEN_PASSTHROUGH
 *                with a backing id: the kernel reads and writes the
 *                files itself (upstream passthrough, Linux 6.9+)
 *   bpf          the root is backed by SOURCE (backing_root_fd=): the
 *                kernel serves the whole tree; LOOKUPs that still arrive
 *                are answered with a backing (SET; with --inherit, under
 *                backed directories, INHERIT).  With
 *                --no-root-backing the daemon serves the root itself and
 *                binds what its LOOKUPs find instead.
 *
 * bpf mode takes a BPF filter (--filter PROG.bpf.o, a struct fuse_bpf_ops
 * object): the daemon loads and attaches it, gives it to the root with
 * the bpf_filter= mount option and sets it in every LOOKUP reply that
 * binds a backing; kernel nodes inherit it.  With --no-root-backing the
 * root is the daemon's, so the filter starts below it, at the nodes its
 * LOOKUPs bind.  The library opens the filter's id right after INIT
 * (fuse_bpf_conn_want_filter()).  The daemon registers no userspace
 * filter: requests a filter sends there (FUSE_PREFILTER,
 * FUSE_POSTFILTER) get ENOSYS from libfuse, and the operation fails
 * with ENOSYS.
 *
 * Nodes are kept in a table keyed by (st_dev, st_ino), each with an
 * O_PATH descriptor and the kernel's lookup count.  Objects are created
 * with the caller's fsuid and fsgid; the kernel applies the caller's
 * umask (no FUSE_CAP_DONT_MASK; the daemon runs with umask 0).  Mounted
 * with allow_other and default_permissions: the kernel checks
 * permissions, the daemon acts as root.
 *
 * One thread serves requests, or up to --threads N: the node table and
 * the backing ids are under one lock, fsuid and fsgid are per thread
 * and the umask is never changed.  Request counts per opcode go to --stats
 * FILE (or stderr) at exit and on SIGUSR1, one "NAME count" line each,
 * then "backing_opens N", the backing ids the daemon registered, with
 * --filter "filter_id N", the id the library opened at INIT (or -errno),
 * and, once FUSE_BPF is negotiated (bpf mode), the kernel's side from
 * its fusectl bpf_stats: "bpf_stats N" (the opcodes the kernel counted,
 * or -errno) and a "bpf_stats.COLUMN:NAME count" line for each non-zero
 * count ("bpf_stats.kernel:LOOKUP 3": 3 lookups served on the backing).
 *
 * Options also come as mount options (-o mode=bpf,filter=PATH,...), so
 * that mount(8) can start the daemon through mount.fuse3:
 * "mount -t fuse.fuse-bpf-passthrough SOURCE MNT -o OPTS" and fstab lines
 * of that type run "fuse-bpf-passthrough SOURCE MNT -o OPTS", which must
 * return once the file system is mounted.  Without -f the daemon forks
 * first; the parent waits until the child has mounted (or failed) and
 * exits with the child's status.
 *
 * Exit status: 0 after unmount or SIGINT/SIGTERM/SIGHUP, 1 on errors,
 * 2 for bad usage, 3 when the kernel lacks what --mode (or --filter) needs.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 314
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <fuse_lowlevel.h>
#include "fuse_bpf.h"

#define EXIT_USAGE	2
#define EXIT_NOKERNEL	3

#define SELF		"fuse-bpf-passthrough"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum mode { MODE_PLAIN, MODE_PASSTHROUGH, MODE_BPF };
static const char *const mode_names[] = { "plain", "passthrough", "bpf" };

struct node {
	struct node *next;	/* hash chain */
	dev_t dev;
	ino_t ino;
	int fd;			/* O_PATH */
	uint64_t nlookup;
	/*
	 * One backing id per node, for passthrough opens and LOOKUP
	 * bindings alike (the kernel allows one backing per inode while
	 * files are open): a reference per open file, one while bound.
	 */
	int backing_id;
	unsigned int backing_refs;
	bool bound;		/* bpf: named in a LOOKUP reply's SET */
	bool inherited;		/* bpf: named in a LOOKUP reply's INHERIT */
};

struct file_h {
	int fd;
	bool passthrough;	/* holds a reference on node->backing_id */
};

struct dir_h {
	DIR *dp;
	off_t offset;
	struct dirent *entry;
};

static struct {
	enum mode mode;
	const char *source;
	const char *mountpoint;
	const char *stats_path;
	const char *filter_path;	/* --filter */
	const char *filter_as;	/* --filter-name, %p expanded */
	struct fuse_bpf_filter *filter;
	char *filter_name;	/* the filter's registered name */
	double timeout;
	unsigned int threads;	/* > 1: libfuse's multi-threaded loop */
	bool no_root_backing;	/* bpf: bind at LOOKUP only */
	bool inherit;		/* bpf: INHERIT under backed directories */
	bool exiting;		/* we ended the session ourselves */
	struct fuse_session *se;
	struct fuse_bpf_conn *conn;
	struct node root;
	pthread_mutex_t lock;	/* the table, lookup counts, backing ids */
	unsigned long backing_opens;	/* ids registered, under lock */
	struct node **table;
	size_t nbuckets;
	size_t count;
	pthread_mutex_t stats_lock;
	bool passthrough_warned;
	/* mount options */
	const char *fsname;	/* NULL: SOURCE */
	const char *subtype;	/* "": plain "fuse" */
	unsigned long mount_flags;
	unsigned int max_read;
	bool remount;		/* -o remount: change flags, serve nothing */
} fs = {
	.subtype = SELF,
	.mount_flags = MS_NOSUID | MS_NODEV,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.stats_lock = PTHREAD_MUTEX_INITIALIZER,
	.timeout = 1.0,
};

/* ------------------------------------------------------------ node table */

static size_t hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;

	return (h ^ (h >> 29)) & (fs.nbuckets - 1);
}

static int table_grow(void)
{
	size_t old = fs.nbuckets, i;
	struct node **t = fs.table, *n, *next;

	fs.nbuckets = old ? old * 2 : 1024;
	fs.table = calloc(fs.nbuckets, sizeof(*fs.table));
	if (!fs.table) {
		fs.table = t;
		fs.nbuckets = old;
		return -ENOMEM;
	}
	for (i = 0; i < old; i++) {
		for (n = t[i]; n; n = next) {
			next = n->next;
			n->next = fs.table[hash(n->dev, n->ino)];
			fs.table[hash(n->dev, n->ino)] = n;
		}
	}
	free(t);
	return 0;
}

static struct node *table_find(dev_t dev, ino_t ino)
{
	struct node *n;

	for (n = fs.table[hash(dev, ino)]; n; n = n->next)
		if (n->dev == dev && n->ino == ino)
			return n;
	return NULL;
}

static void table_remove(struct node *n)
{
	struct node **p = &fs.table[hash(n->dev, n->ino)];

	while (*p != n)
		p = &(*p)->next;
	*p = n->next;
	fs.count--;
}

static struct node *node_of(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &fs.root : (struct node *)(uintptr_t)ino;
}

static fuse_ino_t ino_of(struct node *n)
{
	return n == &fs.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

static int fd_of(fuse_ino_t ino)
{
	return node_of(ino)->fd;
}

static void proc_path(char *buf, int fd)
{
	sprintf(buf, "/proc/self/fd/%d", fd);
}

/*
 * The node's backing id, registered with @fd at the first reference and
 * closed with the last.  The kernel resolves an id after the reply that
 * named it was written, so an id lives as long as what refers to it:
 * the open file (until RELEASE) or the binding (until FORGET).
 */
static int backing_get_locked(struct node *n, int fd)
{
	int id;

	if (n->backing_refs) {
		n->backing_refs++;
		return n->backing_id;
	}
	id = fuse_bpf_backing_open(fs.se, fd, 0);
	if (id > 0) {
		fs.backing_opens++;
		n->backing_id = id;
		n->backing_refs = 1;
	}
	return id;
}

static int backing_get(struct node *n, int fd)
{
	int id;

	pthread_mutex_lock(&fs.lock);
	id = backing_get_locked(n, fd);
	pthread_mutex_unlock(&fs.lock);
	return id;
}

/* bpf: the id for a LOOKUP reply's SET; the node holds it until FORGET */
static int backing_bind(struct node *n)
{
	int id;

	pthread_mutex_lock(&fs.lock);
	if (n->bound) {
		id = n->backing_id;
	} else {
		id = backing_get_locked(n, n->fd);
		n->bound = id > 0;
	}
	pthread_mutex_unlock(&fs.lock);
	return id;
}

static void backing_put(struct node *n)
{
	pthread_mutex_lock(&fs.lock);
	if (!--n->backing_refs) {
		fuse_bpf_backing_close(fs.se, n->backing_id);
		n->backing_id = 0;
	}
	pthread_mutex_unlock(&fs.lock);
}

static void forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	struct node *n = node_of(ino);

	if (n == &fs.root)
		return;
	pthread_mutex_lock(&fs.lock);
	if (nlookup > n->nlookup)
		nlookup = n->nlookup;
	n->nlookup -= nlookup;
	if (n->nlookup) {
		pthread_mutex_unlock(&fs.lock);
		return;
	}
	table_remove(n);
	pthread_mutex_unlock(&fs.lock);
	if (n->bound)
		backing_put(n);
	close(n->fd);
	free(n);
}

/* Look @name up in @parent and count one lookup of the node found. */
static int do_lookup(fuse_ino_t parent, const char *name,
		     struct fuse_entry_param *e)
{
	struct node *n;
	int fd, err;

	memset(e, 0, sizeof(*e));
	e->attr_timeout = fs.timeout;
	e->entry_timeout = fs.timeout;
	fd = openat(fd_of(parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		err = errno;
		close(fd);
		return err;
	}
	pthread_mutex_lock(&fs.lock);
	if (e->attr.st_dev == fs.root.dev && e->attr.st_ino == fs.root.ino)
		n = &fs.root;
	else
		n = table_find(e->attr.st_dev, e->attr.st_ino);
	if (n) {
		n->nlookup++;
		pthread_mutex_unlock(&fs.lock);
		close(fd);
		e->ino = ino_of(n);
		return 0;
	}
	err = fs.count >= 2 * fs.nbuckets ? -table_grow() : 0;
	if (!err) {
		n = calloc(1, sizeof(*n));
		err = n ? 0 : errno;
	}
	if (err) {
		pthread_mutex_unlock(&fs.lock);
		close(fd);
		return err;
	}
	n->dev = e->attr.st_dev;
	n->ino = e->attr.st_ino;
	n->fd = fd;
	n->nlookup = 1;
	n->next = fs.table[hash(n->dev, n->ino)];
	fs.table[hash(n->dev, n->ino)] = n;
	fs.count++;
	pthread_mutex_unlock(&fs.lock);
	e->ino = ino_of(n);
	return 0;
}

/* -------------------------------------------------- caller's credentials */

#define MAX_GROUPS	64

struct creds {
	uid_t uid;
	gid_t gid;
	bool groups;		/* the caller's groups were set */
};

/* The daemon's supplementary groups, restored after each creation. */
static gid_t daemon_groups[MAX_GROUPS];
static int daemon_ngroups = -1;

/*
 * Per-thread setgroups: glibc's setgroups() would change every thread
 * of the process, the system call changes only the calling one.
 */
static int thread_setgroups(int n, const gid_t *list)
{
	return syscall(SYS_setgroups, n, list);
}

/*
 * New objects belong to the caller: create with its fsuid, fsgid and
 * supplementary groups, so that the backing filesystem checks the
 * parent's permissions and applies the setgid-directory rule for it.
 * Capabilities of the file system class drop with a non-zero fsuid.
 */
static void as_caller(fuse_req_t req, struct creds *old)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t list[MAX_GROUPS];
	int n;

	old->groups = false;
	n = fuse_req_getgroups(req, MAX_GROUPS, list);
	if (n >= 0 && n <= MAX_GROUPS && daemon_ngroups >= 0)
		old->groups = !thread_setgroups(n, list);
	old->gid = setfsgid(ctx->gid);
	old->uid = setfsuid(ctx->uid);
}

static void as_daemon(const struct creds *old)
{
	setfsuid(old->uid);
	setfsgid(old->gid);
	if (old->groups)
		thread_setgroups(daemon_ngroups, daemon_groups);
}

/* ------------------------------------------------------------ operations */

static void pt_init(void *userdata, struct fuse_conn_info *conn)
{
	/* passthrough excludes the writeback cache; we write as root */
	conn->want &= ~(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_HANDLE_KILLPRIV);
	/* the custom I/O does not splice */
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
			FUSE_CAP_SPLICE_MOVE);
	/*
	 * bpf: entries READDIRPLUS would make are never bound; without it
	 * every name the daemon serves comes through LOOKUP and is.
	 */
	if (fs.mode == MODE_BPF)
		conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	if (fs.mode == MODE_BPF &&
	    !fuse_bpf_kernel_offers(fs.conn, FUSE_BPF_WANT_BPF)) {
		fuse_log(FUSE_LOG_ERR, "the kernel does not offer FUSE_BPF\n");
		fs.exiting = true;
		fuse_session_exit(fs.se);
	}
}

/*
 * The connection's id for --filter, which the library opened right after
 * the INIT reply (the kernel accepts FUSE_DEV_IOC_BPF_FILTER_OPEN only
 * once FUSE_BPF is negotiated).  The id stays open as long as the
 * session.  -errno when the filter could not be opened.
 */
static int filter_id(void)
{
	return fuse_bpf_conn_filter_id(fs.conn, fs.filter_name);
}

/*
 * bpf: does the kernel serve @parent from a backing?  The root when it is
 * backed at mount, and the nodes a LOOKUP reply bound or inherited.
 */
static bool parent_backed(fuse_ino_t parent)
{
	struct node *n = node_of(parent);
	bool backed;

	if (n == &fs.root)
		return !fs.no_root_backing;
	pthread_mutex_lock(&fs.lock);
	backed = n->bound || n->inherited;
	pthread_mutex_unlock(&fs.lock);
	return backed;
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_entry bpf = { .backing_action = FUSE_BPF_BACKING_SET };
	struct fuse_entry_param e;
	int err, id = 0;

	err = do_lookup(parent, name, &e);
	if (err) {
		if (err == ENOENT) {
			/* a negative entry, cached for the timeout */
			memset(&e, 0, sizeof(e));
			e.entry_timeout = fs.timeout;
			fuse_reply_entry(req, &e);
		} else {
			fuse_reply_err(req, err);
		}
		return;
	}
	/* the root (found again through "..") is never looked up */
	if (fs.mode != MODE_BPF || !fuse_bpf_enabled(fs.conn) ||
	    e.ino == FUSE_ROOT_ID ||
	    !(S_ISDIR(e.attr.st_mode) || S_ISREG(e.attr.st_mode))) {
		fuse_reply_entry(req, &e);
		return;
	}
	/*
	 * bpf: the node gets the filter with its backing.  Without its
	 * filter the kernel would serve the subtree unfiltered: fail the
	 * LOOKUP instead.
	 */
	if (fs.filter) {
		id = filter_id();
		if (id < 0) {
			forget_one(e.ino, 1);
			fuse_reply_err(req, EIO);
			return;
		}
		bpf.filter_action = FUSE_BPF_FILTER_SET;
		bpf.filter_id = id;
	}
	/*
	 * bpf --inherit: under a directory the kernel serves from its
	 * backing, let the kernel bind the backing's child of this name
	 * itself: no descriptor to register, no id to keep.
	 */
	if (fs.inherit && parent_backed(parent)) {
		bpf.backing_action = FUSE_BPF_BACKING_INHERIT;
		if (fuse_bpf_reply_entry(req, &e, &bpf))
			forget_one(e.ino, 1);
		else
			node_of(e.ino)->inherited = true;
		return;
	}
	/*
	 * bpf: hand the node to the kernel.  The id stays registered as
	 * long as the node: the kernel resolves it after our write(), in
	 * the context of the process that sent the LOOKUP.
	 */
	id = backing_bind(node_of(e.ino));
	if (id < 0 && fs.filter) {
		forget_one(e.ino, 1);
		fuse_reply_err(req, EIO);
		return;
	}
	if (id < 0) {
		fuse_reply_entry(req, &e);
		return;
	}
	bpf.backing_id = id;
	if (fuse_bpf_reply_entry(req, &e, &bpf))
		forget_one(e.ino, 1);
}

static void pt_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(ino, nlookup);
	fuse_reply_none(req);
}

static void pt_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		forget_one(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	if (fstatat(fd_of(ino), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, fs.timeout);
}

static void pt_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int valid, struct fuse_file_info *fi)
{
	int fd = fi ? ((struct file_h *)(uintptr_t)fi->fh)->fd : -1;
	int ifd = fd_of(ino), res;
	char path[64];

	proc_path(path, ifd);
	if (valid & FUSE_SET_ATTR_MODE) {
		res = fd >= 0 ? fchmod(fd, attr->st_mode) :
				chmod(path, attr->st_mode);
		if (res)
			goto out_err;
	}
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = valid & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid = valid & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

		if (fchownat(ifd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			goto out_err;
	}
	if (valid & FUSE_SET_ATTR_SIZE) {
		res = fd >= 0 ? ftruncate(fd, attr->st_size) :
				truncate(path, attr->st_size);
		if (res)
			goto out_err;
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		struct timespec tv[2] = {
			{ .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT },
		};

		if (valid & FUSE_SET_ATTR_ATIME_NOW)
			tv[0].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_ATIME)
			tv[0] = attr->st_atim;
		if (valid & FUSE_SET_ATTR_MTIME_NOW)
			tv[1].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_MTIME)
			tv[1] = attr->st_mtim;
		res = fd >= 0 ? futimens(fd, tv) :
				utimensat(AT_FDCWD, path, tv, 0);
		if (res)
			goto out_err;
	}
	pt_getattr(req, ino, fi);
	return;

out_err:
	fuse_reply_err(req, errno);
}

static void pt_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	ssize_t n;

	n = readlinkat(fd_of(ino), "", buf, sizeof(buf));
	if (n < 0) {
		fuse_reply_err(req, errno);
	} else if (n >= (ssize_t)sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
	} else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
}

/* mknod, mkdir and symlink: make the object as the caller, then look it up */
static void make_node(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, dev_t rdev, const char *link)
{
	struct fuse_entry_param e;
	struct creds old;
	int res, err, pfd = fd_of(parent);

	as_caller(req, &old);
	if (link)
		res = symlinkat(link, pfd, name);
	else if (S_ISDIR(mode))
		res = mkdirat(pfd, name, mode);
	else
		res = mknodat(pfd, name, mode, rdev);
	err = res ? errno : 0;
	as_daemon(&old);
	if (!err)
		err = do_lookup(parent, name, &e);
	if (err)
		fuse_reply_err(req, err);
	else if (fuse_reply_entry(req, &e))
		forget_one(e.ino, 1);
}

static void pt_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	make_node(req, parent, name, mode, rdev, NULL);
}

static void pt_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	make_node(req, parent, name, S_IFDIR | mode, 0, NULL);
}

static void pt_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	make_node(req, parent, name, S_IFLNK, 0, link);
}

static void pt_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct fuse_entry_param e;
	char path[64];
	int err;

	proc_path(path, fd_of(ino));
	if (linkat(AT_FDCWD, path, fd_of(newparent), newname,
		   AT_SYMLINK_FOLLOW)) {
		fuse_reply_err(req, errno);
		return;
	}
	err = do_lookup(newparent, newname, &e);
	if (err)
		fuse_reply_err(req, err);
	else if (fuse_reply_entry(req, &e))
		forget_one(e.ino, 1);
}

static void pt_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(fd_of(parent), name, 0) ? errno : 0);
}

static void pt_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(fd_of(parent), name, AT_REMOVEDIR) ?
		       errno : 0);
}

static void pt_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	fuse_reply_err(req, renameat2(fd_of(parent), name, fd_of(newparent),
				      newname, flags) ? errno : 0);
}

static bool want_passthrough(void)
{
	if (fs.mode == MODE_PLAIN)
		return false;
	if (fuse_bpf_passthrough_enabled(fs.conn))
		return true;
	if (!fs.passthrough_warned) {
		fs.passthrough_warned = true;
		fuse_log(FUSE_LOG_WARNING,
			 "passthrough not negotiated: serving I/O in userspace\n");
	}
	return false;
}

static void release_file(struct node *n, struct file_h *fh)
{
	if (fh->passthrough)
		backing_put(n);
	close(fh->fd);
	free(fh);
}

/* Make the file handle and, for passthrough, get the backing id. */
static int new_file(struct node *n, int fd, struct fuse_file_info *fi,
		    int *backing_id)
{
	struct file_h *fh = calloc(1, sizeof(*fh));

	*backing_id = 0;
	if (!fh) {
		int err = errno;

		close(fd);
		return err;
	}
	fh->fd = fd;
	if (want_passthrough()) {
		int id = backing_get(n, fd);

		if (id > 0) {
			fh->passthrough = true;
			*backing_id = id;
		}
	}
	fi->fh = (uintptr_t)fh;
	return 0;
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	char path[64];
	int fd, err, id;

	proc_path(path, n->fd);
	fd = open(path, (fi->flags | O_CLOEXEC) & ~(O_NOFOLLOW | O_CREAT | O_EXCL));
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	err = new_file(n, fd, fi, &id);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	if (fuse_bpf_reply_open(req, fi, id))
		release_file(n, (struct file_h *)(uintptr_t)fi->fh);
}

static void pt_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct creds old;
	int fd, err, id;

	as_caller(req, &old);
	fd = openat(fd_of(parent), name,
		    (fi->flags | O_CREAT | O_CLOEXEC) & ~O_NOFOLLOW, mode);
	err = fd < 0 ? errno : 0;
	as_daemon(&old);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	err = do_lookup(parent, name, &e);
	if (err) {
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	err = new_file(node_of(e.ino), fd, fi, &id);
	if (err) {
		forget_one(e.ino, 1);
		fuse_reply_err(req, err);
		return;
	}
	if (fuse_bpf_reply_create(req, &e, fi, id, NULL)) {
		release_file(node_of(e.ino), (struct file_h *)(uintptr_t)fi->fh);
		forget_one(e.ino, 1);
	}
}

static int file_fd(struct fuse_file_info *fi)
{
	return ((struct file_h *)(uintptr_t)fi->fh)->fd;
}

static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = file_fd(fi);
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void pt_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n = pwrite(file_fd(fi), buf, size, off);

	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, n);
}

static void pt_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* closing a duplicate drops the POSIX locks as close(2) would */
	int fd = dup(file_fd(fi));

	fuse_reply_err(req, fd < 0 || close(fd) ? errno : 0);
}

static void pt_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	release_file(node_of(ino), (struct file_h *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void pt_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int fd = file_fd(fi);

	fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
}

static void pt_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct dir_h *d = calloc(1, sizeof(*d));
	int fd, err;

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = openat(fd_of(ino), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto out_err;
	d->dp = fdopendir(fd);
	if (!d->dp) {
		err = errno;
		close(fd);
		errno = err;
		goto out_err;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi)) {
		closedir(d->dp);
		free(d);
	}
	return;

out_err:
	err = errno;
	free(d);
	fuse_reply_err(req, err);
}

static bool is_dot(const char *name)
{
	return name[0] == '.' &&
	       (!name[1] || (name[1] == '.' && !name[2]));
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi, bool plus)
{
	struct dir_h *d = (struct dir_h *)(uintptr_t)fi->fh;
	char *buf = malloc(size), *p = buf;
	size_t rem = size, len;
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e;
		const char *name;
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		name = d->entry->d_name;
		next = d->entry->d_off;
		if (plus && !is_dot(name)) {
			err = do_lookup(ino, name, &e);
			if (err)
				break;
			len = fuse_add_direntry_plus(req, p, rem, name, &e, next);
			if (len > rem) {
				forget_one(e.ino, 1);
				break;
			}
		} else if (plus) {
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = d->entry->d_ino;
			e.attr.st_mode = DTTOIF(d->entry->d_type);
			len = fuse_add_direntry_plus(req, p, rem, name, &e, next);
			if (len > rem)
				break;
		} else {
			struct stat st = {
				.st_ino = d->entry->d_ino,
				.st_mode = DTTOIF(d->entry->d_type),
			};

			len = fuse_add_direntry(req, p, rem, name, &st, next);
			if (len > rem)
				break;
		}
		p += len;
		rem -= len;
		d->entry = NULL;
		d->offset = next;
	}
	/* an error after some entries: return those, the next call fails */
	if (err && rem == size)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, size - rem);
	free(buf);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void pt_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void pt_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct dir_h *d = (struct dir_h *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void pt_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct dir_h *d = (struct dir_h *)(uintptr_t)fi->fh;
	int fd = dirfd(d->dp);

	fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
}

static void pt_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;

	if (fstatvfs(fd_of(ino), &st))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &st);
}

/*
 * xattrs through /proc/self/fd: the O_PATH descriptors cannot be used
 * with the f*xattr() calls.
 */
static void pt_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	char path[64];

	proc_path(path, fd_of(ino));
	fuse_reply_err(req, setxattr(path, name, value, size, flags) ?
		       errno : 0);
}

static void reply_xattr(fuse_req_t req, size_t size, ssize_t n, char *buf)
{
	if (n < 0)
		fuse_reply_err(req, errno);
	else if (!size)
		fuse_reply_xattr(req, n);
	else
		fuse_reply_buf(req, buf, n);
}

static void pt_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	char path[64], *buf = NULL;
	ssize_t n;

	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	proc_path(path, fd_of(ino));
	n = getxattr(path, name, buf, size);
	reply_xattr(req, size, n, buf);
	free(buf);
}

static void pt_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char path[64], *buf = NULL;
	ssize_t n;

	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	proc_path(path, fd_of(ino));
	n = listxattr(path, buf, size);
	reply_xattr(req, size, n, buf);
	free(buf);
}

static void pt_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	char path[64];

	proc_path(path, fd_of(ino));
	fuse_reply_err(req, removexattr(path, name) ? errno : 0);
}

/* With default_permissions the kernel checks; this only sees existence. */
static void pt_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	char path[64];

	proc_path(path, fd_of(ino));
	fuse_reply_err(req, faccessat(AT_FDCWD, path, mask, AT_EACCESS) ?
		       errno : 0);
}

static void pt_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			 off_t offset, off_t length, struct fuse_file_info *fi)
{
	fuse_reply_err(req, fallocate(file_fd(fi), mode, offset, length) ?
		       errno : 0);
}

static void pt_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t res = lseek(file_fd(fi), off, whence);

	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

static void pt_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
			       off_t off_in, struct fuse_file_info *fi_in,
			       fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len,
			       int flags)
{
	ssize_t n = copy_file_range(file_fd(fi_in), &off_in, file_fd(fi_out),
				    &off_out, len, flags);

	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, n);
}

static const struct fuse_lowlevel_ops pt_ops = {
	.init		= pt_init,
	.lookup		= pt_lookup,
	.forget		= pt_forget,
	.forget_multi	= pt_forget_multi,
	.getattr	= pt_getattr,
	.setattr	= pt_setattr,
	.readlink	= pt_readlink,
	.mknod		= pt_mknod,
	.mkdir		= pt_mkdir,
	.symlink	= pt_symlink,
	.link		= pt_link,
	.unlink		= pt_unlink,
	.rmdir		= pt_rmdir,
	.rename		= pt_rename,
	.open		= pt_open,
	.create		= pt_create,
	.read		= pt_read,
	.write		= pt_write,
	.flush		= pt_flush,
	.release	= pt_release,
	.fsync		= pt_fsync,
	.opendir	= pt_opendir,
	.readdir	= pt_readdir,
	.readdirplus	= pt_readdirplus,
	.releasedir	= pt_releasedir,
	.fsyncdir	= pt_fsyncdir,
	.statfs		= pt_statfs,
	.setxattr	= pt_setxattr,
	.getxattr	= pt_getxattr,
	.listxattr	= pt_listxattr,
	.removexattr	= pt_removexattr,
	.access		= pt_access,
	.fallocate	= pt_fallocate,
	.lseek		= pt_lseek,
	.copy_file_range = pt_copy_file_range,
};

/* ----------------------------------------------------------------- stats */

/*
 * The kernel's counts of the connection, once FUSE_BPF is negotiated
 * (else the kernel counts nothing): its fusectl bpf_stats, which the
 * library keeps open, readable after the unmount too.  "bpf_stats N",
 * the number of opcode lines or -errno, then one "bpf_stats.COLUMN:NAME
 * count" line per non-zero count, in the file's order.
 */
static int write_kernel_stats(FILE *f)
{
	static struct fuse_bpf_op_stats st[FUSE_BPF_MAX_OPCODE];
	unsigned int s;
	int n, i;

	if (!fuse_bpf_enabled(fs.conn))
		return 0;
	n = fuse_bpf_kernel_stats(fs.conn, st, ARRAY_SIZE(st));
	if (fprintf(f, "bpf_stats %d\n", n) < 0)
		return -EIO;
	for (i = 0; i < n && i < (int)ARRAY_SIZE(st); i++)
		for (s = 0; s < FUSE_BPF_NR_STATS; s++)
			if (st[i].count[s] &&
			    fprintf(f, "bpf_stats.%s:%s %llu\n",
				    fuse_bpf_stat_name(s), st[i].name,
				    (unsigned long long)st[i].count[s]) < 0)
				return -EIO;
	return 0;
}

/* Replaces --stats FILE atomically: readers see a whole snapshot. */
static void write_stats(void)
{
	unsigned long opens;
	char tmp[PATH_MAX];
	FILE *f = stderr;
	int err = 0;

	pthread_mutex_lock(&fs.stats_lock);
	if (fs.stats_path) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", fs.stats_path);
		f = fopen(tmp, "w");
		if (!f) {
			err = errno;
			goto out;
		}
	}
	pthread_mutex_lock(&fs.lock);
	opens = fs.backing_opens;
	pthread_mutex_unlock(&fs.lock);
	/* the backings this daemon registered, after the request counts */
	if (fuse_bpf_stats_write(fs.conn, f) ||
	    fprintf(f, "backing_opens %lu\n", opens) < 0 ||
	    (fs.filter_name &&
	     fprintf(f, "filter_id %d\n", filter_id()) < 0) ||
	    write_kernel_stats(f) || fflush(f))
		err = EIO;
	if (f != stderr) {
		if (fclose(f) && !err)
			err = errno;
		if (!err && rename(tmp, fs.stats_path))
			err = errno;
	}
out:
	if (err)
		fprintf(stderr, "fuse-bpf-passthrough: %s: %s\n",
			fs.stats_path ?: "stderr", strerror(err));
	pthread_mutex_unlock(&fs.stats_lock);
}

/* SIGUSR1 is blocked everywhere; this thread takes it. */
static void *stats_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;)
		if (!sigwait(set, &sig))
			write_stats();
	return NULL;
}

/* ------------------------------------------------------------------ main */

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: fuse-bpf-passthrough SOURCE MOUNTPOINT [options] [-o OPT[,OPT...]]\n"
		"  --mode bpf|passthrough|plain  who serves what (default: bpf)\n"
		"      plain        every operation in this daemon\n"
		"      passthrough  as plain, file I/O in the kernel (FOPEN_PASSTHROUGH)\n"
		"      bpf          the root is backed by SOURCE: the kernel serves all\n"
		"  --filter PROG.bpf.o  bpf: load and attach this BPF filter (struct\n"
		"                   fuse_bpf_ops) and put it on the root (bpf_filter=) and\n"
		"                   on every node a LOOKUP binds; kernel nodes inherit it\n"
		"  --filter-name NAME  register the filter as NAME (filter names are\n"
		"                   global; %%p in NAME is the daemon's process id)\n"
		"  --stats FILE     write request counts there (default: stderr) at exit\n"
		"                   and on SIGUSR1; the kernel's counts follow (bpf_stats.*)\n"
		"  --timeout SECS   entry and attribute cache timeout (default: 1)\n"
		"  --no-root-backing  bpf: serve the root here and bind its entries in\n"
		"                   LOOKUP replies (files and directories) instead\n"
		"  --inherit        bpf: answer LOOKUPs under backed directories (those a\n"
		"                   filter sends here) with INHERIT: the kernel binds the\n"
		"                   backing's child itself, no backing is registered\n"
		"  --threads N      serve requests with up to N threads (default: 1)\n"
		"  -f               stay in the foreground (else: return once mounted)\n"
		"  -d               debug: log every request (implies -f)\n"
		"  -o OPTS          mount(8) style, as mount.fuse3 passes them:\n"
		"      mode=M, filter=PATH, filter_name=NAME, stats=FILE, timeout=SECS,\n"
		"      threads=N, no_root_backing, inherit, debug: as the long options\n"
		"                   above\n"
		"      fsname=NAME  the source /proc/mounts shows (default: SOURCE)\n"
		"      subtype=NAME the type is fuse.NAME (default fuse-bpf-passthrough;\n"
		"                   empty: plain fuse, whose source is then shown as\n"
		"                   fuse-bpf-passthrough#SOURCE, for mount.fuse3)\n"
		"      max_read=N   the kernel's max_read\n"
		"      remount      apply the flags to the mount at MOUNTPOINT and exit\n"
		"      ro, rw, [no]suid, [no]dev, [no]exec, [no]atime, [no]diratime,\n"
		"      [no]relatime, strictatime, [no]lazytime, sync, async, dirsync:\n"
		"                   mount flags (default: nosuid,nodev)\n"
		"      allow_other, default_permissions: always on; defaults, auto,\n"
		"      noauto, user, nouser, users, nofail, _netdev, x-*, comment=,\n"
		"      and the kernel's user_id=, group_id=, rootmode=, fd=, blksize=,\n"
		"      backing_root_fd=, bpf_filter=: accepted and ignored (mount(8),\n"
		"                   fstab, remount)\n"
		"Exit status: 0 unmounted or signalled, 1 error, 2 usage, 3 the kernel\n"
		"lacks what --mode (or --filter) needs.\n");
}

static int set_mode(const char *name)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (!strcmp(name, mode_names[i])) {
			fs.mode = i;
			return 0;
		}
	}
	fprintf(stderr, "fuse-bpf-passthrough: unknown mode '%s'\n", name);
	return EXIT_USAGE;
}

/* Mount flags by name: set (or, for the inverse name, clear) @flag. */
static const struct {
	const char *name;
	unsigned long flag;
	bool set;
} mount_flag_opts[] = {
	{ "ro", MS_RDONLY, true },	{ "rw", MS_RDONLY, false },
	{ "nosuid", MS_NOSUID, true },	{ "suid", MS_NOSUID, false },
	{ "nodev", MS_NODEV, true },	{ "dev", MS_NODEV, false },
	{ "noexec", MS_NOEXEC, true },	{ "exec", MS_NOEXEC, false },
	{ "noatime", MS_NOATIME, true }, { "atime", MS_NOATIME, false },
	{ "nodiratime", MS_NODIRATIME, true },
	{ "diratime", MS_NODIRATIME, false },
	{ "relatime", MS_RELATIME, true }, { "norelatime", MS_RELATIME, false },
	{ "strictatime", MS_STRICTATIME, true },
	{ "lazytime", MS_LAZYTIME, true }, { "nolazytime", MS_LAZYTIME, false },
	{ "sync", MS_SYNCHRONOUS, true }, { "async", MS_SYNCHRONOUS, false },
	{ "dirsync", MS_DIRSYNC, true },
};

/* Options of mount(8) and fstab that are not the file system's. */
static const char *const ignored_opts[] = {
	"defaults", "auto", "noauto", "user", "nouser", "users", "owner",
	"group", "nofail", "_netdev", "allow_other", "default_permissions",
	NULL
};

static int parse_long(int c, char *arg, bool *foreground, bool *debug);

/* One -o option: NAME or NAME=VALUE; @opt may be modified. */
static int parse_mount_opt(char *opt, bool *foreground, bool *debug)
{
	static const struct {
		const char *name;
		int c;
	} valued[] = {
		{ "mode", 'm' }, { "filter", 'F' }, { "filter_name", 'N' },
		{ "stats", 's' }, { "timeout", 't' }, { "threads", 'T' },
	};
	char *val = strchr(opt, '=');
	size_t i;

	if (val)
		*val++ = '\0';
	for (i = 0; i < ARRAY_SIZE(valued); i++)
		if (val && !strcmp(opt, valued[i].name))
			return parse_long(valued[i].c, val, foreground, debug);
	if (val && !strcmp(opt, "fsname")) {
		fs.fsname = val;
		return 0;
	}
	if (val && !strcmp(opt, "subtype")) {
		fs.subtype = val;
		return 0;
	}
	if (val && !strcmp(opt, "max_read")) {
		fs.max_read = strtoul(val, NULL, 10);
		return 0;
	}
	if (val && (!strncmp(opt, "x-", 2) || !strcmp(opt, "comment")))
		return 0;
	/*
	 * The kernel's own options, which the daemon sets itself: mount(8)
	 * repeats them from /proc/self/mountinfo on remount.
	 */
	if (val && (!strcmp(opt, "user_id") || !strcmp(opt, "group_id") ||
		    !strcmp(opt, "rootmode") || !strcmp(opt, "fd") ||
		    !strcmp(opt, "blksize") || !strcmp(opt, "backing_root_fd") ||
		    !strcmp(opt, "bpf_filter")))
		return 0;
	if (!val) {
		if (!strcmp(opt, "inherit"))
			return parse_long('I', NULL, foreground, debug);
		if (!strcmp(opt, "no_root_backing"))
			return parse_long('R', NULL, foreground, debug);
		if (!strcmp(opt, "debug"))
			return parse_long('d', NULL, foreground, debug);
		if (!strcmp(opt, "remount")) {
			fs.remount = true;
			return 0;
		}
		if (!strncmp(opt, "x-", 2))
			return 0;
		for (i = 0; ignored_opts[i]; i++)
			if (!strcmp(opt, ignored_opts[i]))
				return 0;
		for (i = 0; i < ARRAY_SIZE(mount_flag_opts); i++) {
			if (strcmp(opt, mount_flag_opts[i].name))
				continue;
			if (mount_flag_opts[i].set)
				fs.mount_flags |= mount_flag_opts[i].flag;
			else
				fs.mount_flags &= ~mount_flag_opts[i].flag;
			return 0;
		}
	}
	fprintf(stderr, "fuse-bpf-passthrough: unknown mount option '%s%s%s'\n",
		opt, val ? "=" : "", val ? val : "");
	return EXIT_USAGE;
}

/* -o A,B=C,...: a copy is split, the values live as long as the process */
static int parse_mount_opts(const char *list, bool *foreground, bool *debug)
{
	char *copy = strdup(list), *opt, *save = NULL;
	int ret = 0;

	if (!copy) {
		fprintf(stderr, "fuse-bpf-passthrough: out of memory\n");
		return EXIT_FAILURE;
	}
	for (opt = strtok_r(copy, ",", &save); opt && !ret;
	     opt = strtok_r(NULL, ",", &save))
		ret = parse_mount_opt(opt, foreground, debug);
	return ret;
}

/* A long option (or its -o twin) by getopt code. */
static int parse_long(int c, char *arg, bool *foreground, bool *debug)
{
	switch (c) {
	case 'm':
		return set_mode(arg);
	case 'F':
		fs.filter_path = arg;
		return 0;
	case 'N':
		fs.filter_as = arg;
		return 0;
	case 's':
		fs.stats_path = arg;
		return 0;
	case 't':
		fs.timeout = strtod(arg, NULL);
		return 0;
	case 'R':
		fs.no_root_backing = true;
		return 0;
	case 'I':
		fs.inherit = true;
		return 0;
	case 'T':
		fs.threads = strtoul(arg, NULL, 10);
		return 0;
	case 'f':
		*foreground = true;
		return 0;
	case 'd':
		*debug = *foreground = true;
		return 0;
	case 'o':
		return parse_mount_opts(arg, foreground, debug);
	}
	print_usage(stderr);
	return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, bool *foreground, bool *debug)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "filter", required_argument, NULL, 'F' },
		{ "filter-name", required_argument, NULL, 'N' },
		{ "stats", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-root-backing", no_argument, NULL, 'R' },
		{ "inherit", no_argument, NULL, 'I' },
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, ret;

	fs.mode = MODE_BPF;
	while ((c = getopt_long(argc, argv, "fdho:", opts, NULL)) != -1) {
		if (c == 'h') {
			print_usage(stdout);
			exit(0);
		}
		ret = parse_long(c, optarg, foreground, debug);
		if (ret)
			return ret;
	}
	if (argc - optind != 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	/* "fuse-bpf-passthrough#SOURCE", the type "fuse" form of mount(8) */
	fs.source = argv[optind];
	if (!strncmp(fs.source, SELF "#", strlen(SELF "#")))
		fs.source += strlen(SELF "#");
	/* absolute: the daemon changes to / */
	fs.mountpoint = realpath(argv[optind + 1], NULL);
	if (!fs.mountpoint) {
		fprintf(stderr, "fuse-bpf-passthrough: %s: %s\n",
			argv[optind + 1], strerror(errno));
		return EXIT_FAILURE;
	}
	if (fs.stats_path && fs.stats_path[0] != '/') {
		char *cwd = getcwd(NULL, 0), *abs;

		if (!cwd || asprintf(&abs, "%s/%s", cwd, fs.stats_path) < 0) {
			fprintf(stderr, "fuse-bpf-passthrough: out of memory\n");
			return EXIT_FAILURE;
		}
		free(cwd);
		fs.stats_path = abs;
	}
	if (fs.filter_path && fs.mode != MODE_BPF) {
		fprintf(stderr,
			"fuse-bpf-passthrough: --filter needs --mode bpf: BPF filters run on the operations the kernel serves on backed nodes, and --mode %s backs none\n",
			mode_names[fs.mode]);
		return EXIT_USAGE;
	}
	if (fs.filter_as && !fs.filter_path) {
		fprintf(stderr, "fuse-bpf-passthrough: --filter-name needs --filter\n");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * --filter-name with every %p replaced by our process id (called in the
 * process that keeps the filter, so the name is unique while it lives).
 */
static char *filter_name_expand(const char *tmpl)
{
	char buf[256], pid[24];
	size_t n = 0, len;
	const char *p;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (p = tmpl; *p && n < sizeof(buf) - 1; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			len = strlen(pid);
			if (n + len >= sizeof(buf))
				break;
			memcpy(buf + n, pid, len);
			n += len;
			p++;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return strdup(buf);
}

/*
 * Without -f: fork now, before anything is set up, so that the process
 * that mounts is the one that serves (and holds the filter).  The parent
 * waits for a byte from the child (0: mounted) or for its exit, and
 * exits with the child's status, as mount.fuse3 expects of a file system
 * that "daemonizes".  Return: in the child, the pipe's write end.
 */
static int daemonize_start(void)
{
	int pfd[2], status;
	char c;
	pid_t pid;

	if (pipe(pfd)) {
		perror("fuse-bpf-passthrough: pipe");
		exit(EXIT_FAILURE);
	}
	pid = fork();
	if (pid < 0) {
		perror("fuse-bpf-passthrough: fork");
		exit(EXIT_FAILURE);
	}
	if (pid) {
		close(pfd[1]);
		if (read(pfd[0], &c, 1) == 1)
			_exit(c);
		/* it died before it was mounted: its status is ours */
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status));
		_exit(EXIT_FAILURE);
	}
	close(pfd[0]);
	setsid();
	return pfd[1];
}

/* The child is mounted: let the parent go, and leave the terminal. */
static void daemonize_done(int fd)
{
	char c = 0;
	int null;

	/*
	 * Every path is absolute by now: the daemon works in the mount's
	 * directories only, and a failure leaves it where it was.
	 */
	(void)!chdir("/");
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	/* a failure means the parent is gone: nobody waits */
	(void)!write(fd, &c, 1);
	close(fd);
}

/*
 * mount -o remount MNT runs the helper again, with "remount" and the new
 * flags: apply them to the mount and leave its daemon alone.  FUSE takes
 * no file system options on remount.
 */
static int apply_remount(void)
{
	if (mount(NULL, fs.mountpoint, NULL, MS_REMOUNT | fs.mount_flags,
		  NULL)) {
		fprintf(stderr, "fuse-bpf-passthrough: remount %s: %s\n",
			fs.mountpoint, strerror(errno));
		return EXIT_FAILURE;
	}
	return 0;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct fuse_bpf_mount_opts mo = {
		.allow_other = true,
		.default_permissions = true,
		.backing_root_fd = -1,
	};
	char *fuse_argv[3] = { argv[0], NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fuse_argv);
	bool foreground = false, debug = false, unmount = true;
	int daemon_fd = -1;
	char *fsname = NULL;
	unsigned int want = 0;
	pthread_t stats_tid;
	sigset_t usr1, all, old;
	struct stat st;
	int ret, err;

	ret = parse_args(argc, argv, &foreground, &debug);
	if (ret)
		return ret;
	if (fs.remount)
		return apply_remount();
	if (!foreground)
		daemon_fd = daemonize_start();
	if (debug) {
		fuse_argv[1] = "-d";
		args.argc = 2;
	}
	raise_nofile();
	daemon_ngroups = getgroups(MAX_GROUPS, daemon_groups);
	/* the kernel applies the caller's umask; objects get the caller's ids */
	umask(0);

	fs.root.fd = open(fs.source, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs.root.fd < 0 || fstat(fs.root.fd, &st)) {
		fprintf(stderr, "fuse-bpf-passthrough: %s: %s\n", fs.source,
			strerror(errno));
		return EXIT_FAILURE;
	}
	fs.root.dev = st.st_dev;
	fs.root.ino = st.st_ino;
	fs.root.nlookup = 2;
	if (table_grow())
		return EXIT_FAILURE;

	if (fs.mode == MODE_PASSTHROUGH)
		want = FUSE_BPF_WANT_PASSTHROUGH;
	else if (fs.mode == MODE_BPF)
		want = FUSE_BPF_WANT_BPF | FUSE_BPF_WANT_PASSTHROUGH;
	if (fuse_bpf_conn_new(&fs.conn, want, 1))
		return EXIT_FAILURE;

	/* attached before the mount, which names it (bpf_filter=) */
	if (fs.filter_path) {
		char *as = fs.filter_as ? filter_name_expand(fs.filter_as) : NULL;

		err = fuse_bpf_filter_load_as(&fs.filter, fs.filter_path, as);
		free(as);
		if (err) {
			fprintf(stderr, "fuse-bpf-passthrough: --filter %s: %s\n",
				fs.filter_path, strerror(-err));
			return err == -EOPNOTSUPP ? EXIT_NOKERNEL : EXIT_FAILURE;
		}
		/* a copy: write_stats() names it after the unload */
		fs.filter_name = strdup(fuse_bpf_filter_name(fs.filter, 0));
		if (!fs.filter_name) {
			fuse_bpf_filter_unload(fs.filter);
			return EXIT_FAILURE;
		}
		if (fuse_bpf_filter_name(fs.filter, 1))
			fprintf(stderr,
				"fuse-bpf-passthrough: %s holds several filters: using the first, %s\n",
				fs.filter_path, fs.filter_name);
		/* the library opens its id right after INIT */
		err = fuse_bpf_conn_want_filter(fs.conn, fs.filter_name);
		if (err) {
			fuse_bpf_filter_unload(fs.filter);
			return EXIT_FAILURE;
		}
	}

	fs.se = fuse_session_new(&args, &pt_ops, sizeof(pt_ops), NULL);
	if (!fs.se) {
		fuse_bpf_filter_unload(fs.filter);
		return EXIT_FAILURE;
	}
	if (fs.mode == MODE_BPF && !fs.no_root_backing) {
		mo.backing_root_fd = fs.root.fd;
		mo.bpf_filter = fs.filter_name;
	}
	/*
	 * A plain "fuse" mount shows "fuse-bpf-passthrough#SOURCE": that is
	 * how mount.fuse3 finds the daemon of type "fuse" again (remount).
	 */
	if (fs.fsname)
		mo.fsname = fs.fsname;
	else if (!*fs.subtype && asprintf(&fsname, SELF "#%s", fs.source) > 0)
		mo.fsname = fsname;
	else
		mo.fsname = fs.source;
	mo.subtype = fs.subtype;
	mo.mount_flags = fs.mount_flags;
	mo.max_read = fs.max_read;
	err = fuse_bpf_mount(fs.se, fs.conn, fs.mountpoint, &mo);
	if (err) {
		fuse_session_destroy(fs.se);
		fuse_bpf_filter_unload(fs.filter);
		return fs.mode == MODE_BPF && err == -EINVAL ?
			EXIT_NOKERNEL : EXIT_FAILURE;
	}
	if (fuse_set_signal_handlers(fs.se)) {
		ret = EXIT_FAILURE;
		goto out_unmount;
	}
	if (daemon_fd >= 0)
		daemonize_done(daemon_fd);
	/*
	 * The stats thread starts with every signal blocked, so that
	 * SIGINT and friends interrupt the session loop's read(); it takes
	 * SIGUSR1 with sigwait(), which stays blocked here too.
	 */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&stats_tid, NULL, stats_thread, &usr1);
	sigaddset(&old, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		ret = EXIT_FAILURE;
		goto out_signals;
	}
	pthread_detach(stats_tid);

	if (fs.threads > 1) {
		struct fuse_loop_config *cfg = fuse_loop_cfg_create();

		if (!cfg) {
			ret = EXIT_FAILURE;
			goto out_signals;
		}
		fuse_loop_cfg_set_max_threads(cfg, fs.threads);
		fuse_loop_cfg_set_clone_fd(cfg, 0);
		ret = fuse_session_loop_mt(fs.se, cfg);
		fuse_loop_cfg_destroy(cfg);
	} else {
		ret = fuse_session_loop(fs.se);
	}
	/*
	 * The loop returns 0 when the kernel ended the connection (unmount
	 * or abort): then the mount point is none of our business any more.
	 * A signal or our own exit leaves the mount to us.
	 */
	unmount = ret != 0 || fs.exiting;
	if (fs.mode == MODE_BPF && fuse_bpf_kernel_flags(fs.conn) &&
	    !fuse_bpf_kernel_offers(fs.conn, FUSE_BPF_WANT_BPF))
		ret = EXIT_NOKERNEL;
	else if (ret < 0)
		ret = EXIT_FAILURE;
	else
		ret = 0;
out_signals:
	fuse_remove_signal_handlers(fs.se);
out_unmount:
	if (unmount)
		fuse_bpf_unmount(fs.mountpoint);
	fuse_session_destroy(fs.se);
	/* after the unmount: no node is served with the filter any more */
	fuse_bpf_filter_unload(fs.filter);
	write_stats();
	return ret;
}
