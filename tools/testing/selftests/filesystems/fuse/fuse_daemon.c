// SPDX-License-Identifier: GPL-2.0
/*
 * Raw-protocol FUSE test daemon; see fuse_daemon.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fuse_daemon.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The errno that tells the kernel an op is not implemented by the daemon. */
#define TD_NOSYS	ENOSYS

/* max_write is 128 KiB; the kernel wants room for any request. */
#define TD_BUFSIZE	(1024 * 1024 + 4096)

static const char * const opnames[] = {
	[FUSE_LOOKUP] = "LOOKUP", [FUSE_FORGET] = "FORGET",
	[FUSE_GETATTR] = "GETATTR", [FUSE_SETATTR] = "SETATTR",
	[FUSE_READLINK] = "READLINK", [FUSE_SYMLINK] = "SYMLINK",
	[FUSE_MKNOD] = "MKNOD", [FUSE_MKDIR] = "MKDIR",
	[FUSE_UNLINK] = "UNLINK", [FUSE_RMDIR] = "RMDIR",
	[FUSE_RENAME] = "RENAME", [FUSE_LINK] = "LINK", [FUSE_OPEN] = "OPEN",
	[FUSE_READ] = "READ", [FUSE_WRITE] = "WRITE", [FUSE_STATFS] = "STATFS",
	[FUSE_RELEASE] = "RELEASE", [FUSE_FSYNC] = "FSYNC",
	[FUSE_SETXATTR] = "SETXATTR", [FUSE_GETXATTR] = "GETXATTR",
	[FUSE_LISTXATTR] = "LISTXATTR", [FUSE_REMOVEXATTR] = "REMOVEXATTR",
	[FUSE_FLUSH] = "FLUSH", [FUSE_INIT] = "INIT",
	[FUSE_OPENDIR] = "OPENDIR", [FUSE_READDIR] = "READDIR",
	[FUSE_RELEASEDIR] = "RELEASEDIR", [FUSE_FSYNCDIR] = "FSYNCDIR",
	[FUSE_GETLK] = "GETLK", [FUSE_SETLK] = "SETLK",
	[FUSE_SETLKW] = "SETLKW", [FUSE_ACCESS] = "ACCESS",
	[FUSE_CREATE] = "CREATE", [FUSE_INTERRUPT] = "INTERRUPT",
	[FUSE_BMAP] = "BMAP", [FUSE_DESTROY] = "DESTROY",
	[FUSE_IOCTL] = "IOCTL", [FUSE_POLL] = "POLL",
	[FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET", [FUSE_FALLOCATE] = "FALLOCATE",
	[FUSE_READDIRPLUS] = "READDIRPLUS", [FUSE_RENAME2] = "RENAME2",
	[FUSE_LSEEK] = "LSEEK", [FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
	[FUSE_SETUPMAPPING] = "SETUPMAPPING",
	[FUSE_REMOVEMAPPING] = "REMOVEMAPPING", [FUSE_SYNCFS] = "SYNCFS",
	[FUSE_TMPFILE] = "TMPFILE", [FUSE_STATX] = "STATX",
};

const char *td_opname(uint32_t opcode)
{
	static __thread char buf[32];
	uint32_t op = opcode & ~(FUSE_PREFILTER | FUSE_POSTFILTER);

	if (op < ARRAY_SIZE(opnames) && opnames[op]) {
		if (op == opcode)
			return opnames[op];
		/* fuse-bpf userspace filter requests: "PRE:LOOKUP" */
		snprintf(buf, sizeof(buf), "%s:%s",
			 opcode & FUSE_PREFILTER ? "PRE" : "POST", opnames[op]);
		return buf;
	}
	snprintf(buf, sizeof(buf), "OP%u", opcode);
	return buf;
}

int td_isolate(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return 0;
}

uint64_t td_kernel_init_flags(void)
{
	char mnt[] = "/tmp/fuse-probe-XXXXXX";
	uint64_t flags = 0;
	struct td *d;

	if (!mkdtemp(mnt))
		return 0;
	d = td_mount(mnt, NULL);
	if (d) {
		if (td_barrier(d))
			flags = d->kernel_flags;
		td_umount(d);
	}
	rmdir(mnt);
	return flags;
}

void td_default_opts(struct td_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->entry_timeout = 1;
	o->attr_timeout = 1;
}

struct td_node *td_node(struct td *d, uint64_t nodeid)
{
	size_t i;

	for (i = 0; i < d->nnodes; i++)
		if (d->nodes[i].nodeid == nodeid)
			return &d->nodes[i];
	return NULL;
}

static struct td_node *td_child(struct td *d, uint64_t parent, const char *name)
{
	size_t i;

	for (i = 0; i < d->nnodes; i++)
		if (d->nodes[i].parent == parent && d->nodes[i].nodeid != parent &&
		    !strcmp(d->nodes[i].name, name))
			return &d->nodes[i];
	return NULL;
}

static uint64_t td_add(struct td *d, uint64_t parent, const char *name,
		       uint32_t mode, const void *data, size_t size)
{
	struct td_node *n;
	uint64_t id = 0;

	pthread_mutex_lock(&d->lock);
	if (d->nnodes == TD_MAX_NODES || strlen(name) > TD_NAME_MAX)
		goto out;
	n = &d->nodes[d->nnodes];
	memset(n, 0, sizeof(*n));
	n->nodeid = d->nnodes + 1;
	n->parent = parent;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->mode = mode;
	if (size) {
		n->data = malloc(size);
		if (!n->data)
			goto out;
		memcpy(n->data, data, size);
		n->size = size;
	}
	d->nnodes++;
	id = n->nodeid;
out:
	pthread_mutex_unlock(&d->lock);
	return id;
}

uint64_t td_add_file(struct td *d, uint64_t parent, const char *name,
		     uint32_t mode, const void *data, size_t size)
{
	return td_add(d, parent, name, S_IFREG | (mode & 07777), data, size);
}

uint64_t td_add_dir(struct td *d, uint64_t parent, const char *name,
		    uint32_t mode)
{
	return td_add(d, parent, name, S_IFDIR | (mode & 07777), NULL, 0);
}

int td_write(struct td *d, const void *buf, size_t len)
{
	ssize_t ret = write(d->fuse_fd, buf, len);
	int err = ret < 0 ? -errno : 0;

	if (err) {
		pthread_mutex_lock(&d->lock);
		d->last_write_errno = -err;
		d->write_errors++;
		pthread_mutex_unlock(&d->lock);
	}
	return err;
}

int td_reply(struct td *d, uint64_t unique, int err, const void *data,
	     size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + (err ? 0 : len),
		.error = err,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = (void *)data, .iov_len = err ? 0 : len },
	};
	ssize_t ret = writev(d->fuse_fd, iov, 2);

	if (ret < 0) {
		pthread_mutex_lock(&d->lock);
		d->last_write_errno = errno;
		d->write_errors++;
		pthread_mutex_unlock(&d->lock);
		return -errno;
	}
	return 0;
}

static void td_fill_attr(struct td_node *n, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = n->nodeid;
	a->mode = n->mode;
	a->size = n->size;
	a->blocks = (n->size + 511) / 512;
	a->nlink = S_ISDIR(n->mode) ? 2 : 1;
	a->blksize = 4096;
}

/* Offset of the first name in the arguments of name-based requests. */
static long td_name_offset(struct td *d, uint32_t opcode)
{
	switch (opcode) {
	case FUSE_LOOKUP: case FUSE_UNLINK: case FUSE_RMDIR:
	case FUSE_SYMLINK: case FUSE_REMOVEXATTR:
		return 0;
	case FUSE_MKDIR:
		return sizeof(struct fuse_mkdir_in);
	case FUSE_MKNOD:
		return sizeof(struct fuse_mknod_in);
	case FUSE_CREATE: case FUSE_TMPFILE:
		return sizeof(struct fuse_create_in);
	case FUSE_RENAME:
		return sizeof(struct fuse_rename_in);
	case FUSE_RENAME2:
		return sizeof(struct fuse_rename2_in);
	case FUSE_LINK:
		return sizeof(struct fuse_link_in);
	case FUSE_GETXATTR:
		return sizeof(struct fuse_getxattr_in);
	case FUSE_SETXATTR:
		return (d->kernel_flags & FUSE_SETXATTR_EXT) &&
		       (d->opts.init_flags & FUSE_SETXATTR_EXT) ?
			sizeof(struct fuse_setxattr_in) :
			FUSE_COMPAT_SETXATTR_IN_SIZE;
	default:
		return -1;
	}
}

static void td_log(struct td *d, const struct fuse_in_header *in,
		   const char *arg, size_t arglen)
{
	bool filter = in->opcode & (FUSE_PREFILTER | FUSE_POSTFILTER);
	long off = td_name_offset(d, in->opcode);
	struct td_req *r;

	/* A userspace filter request: its first name follows the args */
	if (filter && arglen >= sizeof(struct fuse_filter_in)) {
		const struct fuse_filter_in *f = (const void *)arg;

		off = f->names ? (long)(sizeof(*f) + f->in_size + f->out_size) :
				 -1;
	}

	pthread_mutex_lock(&d->lock);
	d->received++;
	if (d->nlog == TD_MAX_LOG) {
		d->dropped++;
		goto out;
	}
	r = &d->log[d->nlog++];
	memset(r, 0, sizeof(*r));
	r->opcode = in->opcode;
	r->unique = in->unique;
	r->nodeid = in->nodeid;
	r->uid = in->uid;
	r->gid = in->gid;
	r->pid = in->pid;
	/* Filter requests name kernel nodes on purpose */
	if ((in->nodeid & FUSE_NODEID_KERNEL) && !filter &&
	    !d->kernel_ids++) {
		d->kernel_id_opcode = in->opcode;
		d->kernel_id = in->nodeid;
	}
	if (in->opcode == FUSE_BATCH_FORGET &&
	    arglen >= sizeof(struct fuse_batch_forget_in)) {
		const struct fuse_batch_forget_in *b = (const void *)arg;
		const struct fuse_forget_one *one = (const void *)(b + 1);
		uint32_t i;

		for (i = 0; i < b->count &&
		     (char *)(one + i + 1) <= arg + arglen; i++)
			if ((one[i].nodeid & FUSE_NODEID_KERNEL) &&
			    !d->kernel_ids++) {
				d->kernel_id_opcode = in->opcode;
				d->kernel_id = one[i].nodeid;
			}
	}
	if (off >= 0 && (size_t)off < arglen)
		snprintf(r->name, sizeof(r->name), "%.*s",
			 (int)(arglen - off), arg + off);
	pthread_cond_broadcast(&d->cond);
out:
	pthread_mutex_unlock(&d->lock);
}

static void td_do_init(struct td *d, const struct fuse_in_header *in,
		       const struct fuse_init_in *ii)
{
	struct fuse_init_out out = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
		.max_readahead = ii->max_readahead,
		.max_write = 128 * 1024,
		.time_gran = 1,
		.max_pages = 32,
		.max_background = 16,
		.congestion_threshold = 12,
		.max_stack_depth = d->opts.max_stack_depth,
	};
	uint64_t offered = ii->flags;
	uint64_t flags;

	if (ii->flags & FUSE_INIT_EXT)
		offered |= (uint64_t)ii->flags2 << 32;
	d->minor = ii->minor;
	d->kernel_flags = offered;
	flags = offered & d->opts.init_flags;
	if (flags >> 32)
		flags |= FUSE_INIT_EXT;
	out.flags = (uint32_t)flags;
	out.flags2 = (uint32_t)(flags >> 32);
	if (d->opts.init_error)
		td_reply(d, in->unique, d->opts.init_error, NULL, 0);
	else
		td_reply(d, in->unique, 0, &out, sizeof(out));
}

static void td_do_readdir(struct td *d, const struct fuse_in_header *in,
			  const struct fuse_read_in *ri)
{
	char *buf = calloc(1, ri->size);
	size_t used = 0, i;
	uint64_t off = 0;

	if (!buf) {
		td_reply(d, in->unique, -ENOMEM, NULL, 0);
		return;
	}
	/* Offsets: 1 ".", 2 "..", then 3 + index in the node table. */
	for (i = 0; i < d->nnodes + 2; i++) {
		struct fuse_dirent *de = (struct fuse_dirent *)(buf + used);
		const char *name;
		uint64_t ino;
		uint32_t type;
		size_t len;

		if (i == 0) {
			name = ".", ino = in->nodeid, type = DT_DIR;
		} else if (i == 1) {
			name = "..", ino = 1, type = DT_DIR;
		} else {
			struct td_node *n = &d->nodes[i - 2];

			if (n->parent != in->nodeid || n->nodeid == in->nodeid)
				continue;
			name = n->name;
			ino = n->nodeid;
			type = S_ISDIR(n->mode) ? DT_DIR : S_ISREG(n->mode) ?
				DT_REG : DT_UNKNOWN;
		}
		off = i + 1;
		if (off <= ri->offset)
			continue;
		len = FUSE_DIRENT_SIZE(&(struct fuse_dirent){
			.namelen = strlen(name) });
		if (used + len > ri->size)
			break;
		de->ino = ino;
		de->off = off;
		de->namelen = strlen(name);
		de->type = type;
		memcpy(de->name, name, de->namelen);
		used += len;
	}
	td_reply(d, in->unique, 0, buf, used);
	free(buf);
}

/* FORGET: the kernel gives back @nlookup lookups of @nodeid. */
static void td_forget(struct td *d, uint64_t nodeid, uint64_t nlookup)
{
	struct td_node *n;

	pthread_mutex_lock(&d->lock);
	n = td_node(d, nodeid);
	if (n)
		n->lookups = n->lookups > nlookup ? n->lookups - nlookup : 0;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void td_default(struct td *d, const struct fuse_in_header *in,
		       const void *arg, size_t arglen)
{
	struct td_node *n = td_node(d, in->nodeid);

	switch (in->opcode) {
	case FUSE_INIT:
		td_do_init(d, in, arg);
		return;
	case FUSE_FORGET:
		if (arglen >= sizeof(struct fuse_forget_in))
			td_forget(d, in->nodeid,
				  ((const struct fuse_forget_in *)arg)->nlookup);
		return;		/* no reply */
	case FUSE_BATCH_FORGET:
		if (arglen >= sizeof(struct fuse_batch_forget_in)) {
			const struct fuse_batch_forget_in *b = arg;
			const struct fuse_forget_one *one = (const void *)(b + 1);
			uint32_t i;

			for (i = 0; i < b->count &&
			     (const char *)(one + i + 1) <= (const char *)arg + arglen;
			     i++)
				td_forget(d, one[i].nodeid, one[i].nlookup);
		}
		return;		/* no reply */
	case FUSE_INTERRUPT:
		return;		/* no reply */
	case FUSE_DESTROY:
		td_reply(d, in->unique, 0, NULL, 0);
		return;
	}
	if (!n) {
		td_reply(d, in->unique, -ESTALE, NULL, 0);
		return;
	}
	switch (in->opcode) {
	case FUSE_LOOKUP: {
		struct fuse_entry_out e = {
			.entry_valid = d->opts.entry_timeout,
			.attr_valid = d->opts.attr_timeout,
		};
		struct td_node *c;

		struct {
			struct fuse_entry_out e;
			struct fuse_entry_bpf_out x;
		} ex = { };
		bool ext = false;

		pthread_mutex_lock(&d->lock);
		c = td_child(d, n->nodeid, arg);
		if (c) {
			c->lookups++;
			e.nodeid = c->nodeid;
			e.generation = 1;
			td_fill_attr(c, &e.attr);
			ext = c->bpf_ext;
			ex.e = e;
			ex.x.backing_action = c->bpf_action;
			ex.x.backing_id = c->bpf_id;
			ex.x.filter_action = c->bpf_filter_action;
			ex.x.filter_id = c->bpf_filter_id;
		}
		pthread_mutex_unlock(&d->lock);
		if (c && ext)
			td_reply(d, in->unique, 0, &ex, sizeof(ex));
		else if (c)
			td_reply(d, in->unique, 0, &e, sizeof(e));
		else
			td_reply(d, in->unique, -ENOENT, NULL, 0);
		return;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out a = { .attr_valid = d->opts.attr_timeout };

		td_fill_attr(n, &a.attr);
		td_reply(d, in->unique, 0, &a, sizeof(a));
		return;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		struct fuse_open_out o = {
			.fh = n->nodeid,
			.open_flags = d->opts.open_flags,
		};

		if (S_ISDIR(n->mode) != (in->opcode == FUSE_OPENDIR)) {
			td_reply(d, in->unique, S_ISDIR(n->mode) ? -EISDIR :
				 -ENOTDIR, NULL, 0);
			return;
		}
		td_reply(d, in->unique, 0, &o, sizeof(o));
		return;
	}
	case FUSE_READ: {
		const struct fuse_read_in *ri = arg;
		size_t len = 0;

		if (ri->offset < n->size)
			len = n->size - ri->offset;
		if (len > ri->size)
			len = ri->size;
		td_reply(d, in->unique, 0, n->data + ri->offset, len);
		return;
	}
	case FUSE_READDIR:
		td_do_readdir(d, in, arg);
		return;
	case FUSE_FLUSH:
		td_reply(d, in->unique, d->opts.no_flush ? -TD_NOSYS : 0, NULL, 0);
		return;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_ACCESS:
		td_reply(d, in->unique, 0, NULL, 0);
		return;
	case FUSE_STATFS: {
		struct fuse_statfs_out s = {
			.st = { .bsize = 4096, .frsize = 4096, .namelen = 255 },
		};

		td_reply(d, in->unique, 0, &s, sizeof(s));
		return;
	}
	default:
		td_reply(d, in->unique, -TD_NOSYS, NULL, 0);
	}
}

static void *td_thread(void *p)
{
	struct td *d = p;
	char *buf = malloc(TD_BUFSIZE);

	if (!buf)
		return NULL;
	for (;;) {
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		ssize_t n = read(d->fuse_fd, buf, TD_BUFSIZE);
		size_t arglen;
		int ret = TD_DEFAULT;

		if (n < 0) {
			if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
				continue;
			break;	/* ENODEV: unmounted or aborted */
		}
		if ((size_t)n < sizeof(*in) || in->len != (size_t)n)
			break;
		arglen = n - sizeof(*in);
		td_log(d, in, buf + sizeof(*in), arglen);
		if (d->handler)
			ret = d->handler(d, in, buf + sizeof(*in), arglen);
		if (ret == TD_DEFAULT)
			td_default(d, in, buf + sizeof(*in), arglen);
		pthread_mutex_lock(&d->lock);
		d->handled++;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
	}
	free(buf);
	return NULL;
}

struct td *td_mount(const char *mnt, const struct td_opts *opts)
{
	struct td *d = calloc(1, sizeof(*d));
	char mo[512];
	int err;

	if (!d)
		return NULL;
	if (opts)
		d->opts = *opts;
	else
		td_default_opts(&d->opts);
	snprintf(d->mnt, sizeof(d->mnt), "%s", mnt);
	d->handler = d->opts.handler;
	d->priv = d->opts.priv;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->nodes[0].nodeid = TD_ROOT_ID;
	d->nodes[0].parent = TD_ROOT_ID;
	d->nodes[0].mode = S_IFDIR | 0755;
	d->nnodes = 1;

	d->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (d->fuse_fd < 0)
		goto fail;
	snprintf(mo, sizeof(mo),
		 "fd=%d,rootmode=40755,user_id=0,group_id=0,allow_other%s%s",
		 d->fuse_fd, d->opts.mount_opts ? "," : "",
		 d->opts.mount_opts ? d->opts.mount_opts : "");
	if (mount("test-daemon", mnt, "fuse.test", 0, mo))
		goto fail_close;
	err = pthread_create(&d->thread, NULL, td_thread, d);
	if (err) {
		umount2(mnt, MNT_DETACH);
		errno = err;
		goto fail_close;
	}
	d->running = true;
	return d;

fail_close:
	err = errno;
	close(d->fuse_fd);
	errno = err;
fail:
	free(d);
	return NULL;
}

void td_umount(struct td *d)
{
	struct timespec ts;
	size_t i;

	if (!d)
		return;
	umount2(d->mnt, MNT_DETACH);
	if (d->running) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		/* A lazily detached but busy mount keeps the thread reading. */
		if (pthread_timedjoin_np(d->thread, NULL, &ts)) {
			pthread_cancel(d->thread);
			pthread_join(d->thread, NULL);
		}
	}
	close(d->fuse_fd);
	for (i = 0; i < d->nnodes; i++)
		free(d->nodes[i].data);
	free(d);
}

size_t td_log_count(struct td *d, uint32_t opcode)
{
	size_t i, n = 0;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nlog; i++)
		n += d->log[i].opcode == opcode;
	pthread_mutex_unlock(&d->lock);
	return n;
}

void td_log_reset(struct td *d)
{
	pthread_mutex_lock(&d->lock);
	d->nlog = 0;
	d->dropped = 0;
	pthread_mutex_unlock(&d->lock);
}

static void td_deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool td_settle(struct td *d, int timeout_ms)
{
	struct timespec ts;
	bool ok;

	td_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&d->lock);
	while (!(ok = d->handled == d->received))
		if (pthread_cond_timedwait(&d->cond, &d->lock, &ts))
			break;
	ok = d->handled == d->received;
	pthread_mutex_unlock(&d->lock);
	return ok;
}

bool td_log_wait(struct td *d, uint32_t opcode, size_t n, int timeout_ms)
{
	struct timespec ts;
	bool ok;

	td_deadline(&ts, timeout_ms);
	for (;;) {
		size_t i, c = 0;

		pthread_mutex_lock(&d->lock);
		for (i = 0; i < d->nlog; i++)
			c += d->log[i].opcode == opcode;
		ok = c >= n;
		if (!ok && pthread_cond_timedwait(&d->cond, &d->lock, &ts)) {
			pthread_mutex_unlock(&d->lock);
			return td_log_count(d, opcode) >= n;
		}
		pthread_mutex_unlock(&d->lock);
		if (ok)
			return true;
	}
}

int td_backing_open(struct td *d, int fd, uint32_t flags)
{
	struct fuse_backing_map map = { .fd = fd, .flags = flags };
	int id = ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);

	return id < 0 ? -errno : id;
}

int td_backing_close(struct td *d, int id)
{
	uint32_t i = id;

	return ioctl(d->fuse_fd, FUSE_DEV_IOC_BACKING_CLOSE, &i) ? -errno : 0;
}

void td_set_backing(struct td *d, uint64_t nodeid, uint32_t action,
		    int32_t id)
{
	struct td_node *n;

	pthread_mutex_lock(&d->lock);
	n = td_node(d, nodeid);
	if (n) {
		n->bpf_ext = true;
		n->bpf_action = action;
		n->bpf_id = id;
	}
	pthread_mutex_unlock(&d->lock);
}

int td_filter_open(struct td *d, const char *name)
{
	struct fuse_bpf_filter_map map = { 0 };
	int id;

	snprintf(map.name, sizeof(map.name), "%s", name);
	id = ioctl(d->fuse_fd, FUSE_DEV_IOC_BPF_FILTER_OPEN, &map);
	return id < 0 ? -errno : id;
}

int td_filter_close(struct td *d, uint32_t id)
{
	return ioctl(d->fuse_fd, FUSE_DEV_IOC_BPF_FILTER_CLOSE, &id) ?
		-errno : 0;
}

void td_set_filter(struct td *d, uint64_t nodeid, uint32_t action,
		   uint32_t id)
{
	struct td_node *n;

	pthread_mutex_lock(&d->lock);
	n = td_node(d, nodeid);
	if (n) {
		n->bpf_ext = true;
		n->bpf_filter_action = action;
		n->bpf_filter_id = id;
	}
	pthread_mutex_unlock(&d->lock);
}

int td_inval_entry(struct td *d, uint64_t parent, const char *name)
{
	struct fuse_notify_inval_entry_out inval = {
		.parent = parent,
		.namelen = strlen(name),
	};
	struct fuse_out_header oh = {
		.len = sizeof(oh) + sizeof(inval) + inval.namelen + 1,
		.error = FUSE_NOTIFY_INVAL_ENTRY,
	};
	struct iovec iov[3] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = &inval, .iov_len = sizeof(inval) },
		{ .iov_base = (void *)name, .iov_len = inval.namelen + 1 },
	};

	return writev(d->fuse_fd, iov, 3) < 0 ? -errno : 0;
}

bool td_barrier(struct td *d)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" TD_BARRIER, d->mnt);
	return stat(path, &st) == -1 && errno == ENOENT;
}

const char *td_log_str(struct td *d, char *buf, size_t size,
		       const uint32_t *skip)
{
	size_t i, used = 0;

	buf[0] = '\0';
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nlog && used < size; i++) {
		const struct td_req *r = &d->log[i];
		const uint32_t *s;
		bool skipped = false;

		for (s = skip; s && *s; s++)
			skipped |= *s == r->opcode;
		if (skipped || !strcmp(r->name, TD_BARRIER))
			continue;
		used += snprintf(buf + used, size - used, "%s%s%s%s%s",
				 used ? " " : "", td_opname(r->opcode),
				 r->name[0] ? "(" : "", r->name,
				 r->name[0] ? ")" : "");
	}
	if (d->dropped && used < size)
		snprintf(buf + used, size - used, " ...+%zu", d->dropped);
	pthread_mutex_unlock(&d->lock);
	return buf;
}

const uint32_t td_async_ops[] = { FUSE_FORGET, FUSE_BATCH_FORGET,
				  FUSE_INTERRUPT, 0 };

int td_write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

/* Write @len bytes of @data to a new or truncated @path; 0 or -errno */
int td_write_bytes(const char *path, const void *data, size_t len,
		   mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (close(fd) || n != (ssize_t)len)
		return -EIO;
	return 0;
}

ssize_t td_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

int td_failnth_open(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/failslab/probability", "0" },
	};
	size_t i;
	int ret;

	if (access("/proc/thread-self/fail-nth", W_OK))
		return -ENOENT;
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		ret = write_str(knobs[i][0], knobs[i][1]);
		if (ret)
			return ret == -EACCES || ret == -ENOENT ? -ENOENT : ret;
	}
	ret = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

int td_failnth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

bool td_failnth_hit(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n > 0) {
		buf[n] = '\0';
		if (strtoul(buf, NULL, 10) == 0)
			return true;
	}
	td_failnth_arm(fd, 0);
	return false;
}
