// SPDX-License-Identifier: LGPL-2.1
/*
 * libfuse-bpf: see fuse_bpf.h.  Built against the fuse-bpf uapi
 * <linux/fuse.h> (FUSE_BPF, FUSE_BACKING_DIR, struct fuse_entry_bpf_out,
 * the filter ioctls), which the build puts ahead of the system headers,
 * and against the in-tree libbpf (LIBBPF_DIR).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fuse_bpf.h"
#include "fuse_bpf_uapi.h"

static_assert(FUSE_BPF_BACKING_KEEP == FUSE_BPF_ACTION_KEEP, "uapi");
static_assert(FUSE_BPF_BACKING_SET == FUSE_BPF_ACTION_SET, "uapi");
static_assert(FUSE_BPF_BACKING_REMOVE == FUSE_BPF_ACTION_REMOVE, "uapi");
static_assert(FUSE_BPF_BACKING_INHERIT == FUSE_BPF_ACTION_INHERIT, "uapi");
static_assert(FUSE_BPF_FILTER_KEEP == FUSE_BPF_ACTION_KEEP, "uapi");
static_assert(FUSE_BPF_FILTER_SET == FUSE_BPF_ACTION_SET, "uapi");
static_assert(FUSE_BPF_FILTER_REMOVE == FUSE_BPF_ACTION_REMOVE, "uapi");
static_assert(FUSE_BPF_BACKING_DIR == FUSE_BACKING_DIR, "uapi");
static_assert(FUSE_BPF_PREFILTER == FUSE_PREFILTER, "uapi");
static_assert(FUSE_BPF_POSTFILTER == FUSE_POSTFILTER, "uapi");
static_assert(FUSE_BPF_NODEID_KERNEL == FUSE_NODEID_KERNEL, "uapi");
static_assert(sizeof(struct fuse_entry_bpf_out) == 32, "uapi");
/* The replies below are structs of these, which must need no padding. */
static_assert(sizeof(struct fuse_entry_out) % 8 == 0, "uapi");
static_assert(sizeof(struct fuse_open_out) % 8 == 0, "uapi");

#define FUSE_BPF_DEFAULT_FSNAME	"fuse-bpf"

#define FILTER_BITS	(FUSE_PREFILTER | FUSE_POSTFILTER)
/* The most names a userspace filter request carries */
#define FILTER_NAMES	2

/* A filter fuse_bpf_conn_want_filter() listed, and its id once opened */
struct init_filter {
	char name[FUSE_BPF_FILTER_NAME_MAX];
	int id;			/* set before init_done, read after */
};

struct fuse_bpf_conn {
	unsigned int want;
	unsigned int max_stack_depth;
	int fd;				/* -1 until attached */
	struct fuse_bpf_conn *next;	/* in conns */

	_Atomic uint64_t init_unique;	/* 0: INIT not read yet */
	_Atomic uint64_t kernel_flags;
	atomic_bool init_done;
	atomic_bool passthrough;
	atomic_bool bpf;

	/* [FUSE_BPF_MAX_OPCODE] counts every larger opcode */
	_Atomic uint64_t count[FUSE_BPF_MAX_OPCODE + 1];
	/* userspace filter requests: [0] pre, [1] post, per opcode */
	_Atomic uint64_t filter_count[2][FUSE_BPF_MAX_OPCODE + 1];

	struct fuse_bpf_user_filter_ops user_filter;
	void *user_filter_data;

	unsigned int init_filters;
	struct init_filter init_filter[FUSE_BPF_MAX_INIT_FILTERS];

	/* the kernel's counters: bpf_stats, opened by fuse_bpf_mount() */
	pthread_mutex_t stats_lock;
	int stats_fd;
	int stats_err;			/* -errno when stats_fd is -1 */
};

/*
 * The custom I/O hooks get the daemon's userdata, not ours: they find
 * their connection by descriptor.  A descriptor libfuse cloned for a
 * worker thread (clone_fd) is not in the list; with one connection, as in
 * every daemon so far, that one is used.
 */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fuse_bpf_conn *_Atomic conns;

static struct fuse_bpf_conn *conn_of_fd(int fd)
{
	struct fuse_bpf_conn *c, *first = atomic_load(&conns);

	for (c = first; c; c = c->next)
		if (c->fd == fd)
			return c;
	return first && !first->next ? first : NULL;
}

static const char *const opcode_names[FUSE_BPF_MAX_OPCODE] = {
	[FUSE_LOOKUP] = "LOOKUP",
	[FUSE_FORGET] = "FORGET",
	[FUSE_GETATTR] = "GETATTR",
	[FUSE_SETATTR] = "SETATTR",
	[FUSE_READLINK] = "READLINK",
	[FUSE_SYMLINK] = "SYMLINK",
	[FUSE_MKNOD] = "MKNOD",
	[FUSE_MKDIR] = "MKDIR",
	[FUSE_UNLINK] = "UNLINK",
	[FUSE_RMDIR] = "RMDIR",
	[FUSE_RENAME] = "RENAME",
	[FUSE_LINK] = "LINK",
	[FUSE_OPEN] = "OPEN",
	[FUSE_READ] = "READ",
	[FUSE_WRITE] = "WRITE",
	[FUSE_STATFS] = "STATFS",
	[FUSE_RELEASE] = "RELEASE",
	[FUSE_FSYNC] = "FSYNC",
	[FUSE_SETXATTR] = "SETXATTR",
	[FUSE_GETXATTR] = "GETXATTR",
	[FUSE_LISTXATTR] = "LISTXATTR",
	[FUSE_REMOVEXATTR] = "REMOVEXATTR",
	[FUSE_FLUSH] = "FLUSH",
	[FUSE_INIT] = "INIT",
	[FUSE_OPENDIR] = "OPENDIR",
	[FUSE_READDIR] = "READDIR",
	[FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_FSYNCDIR] = "FSYNCDIR",
	[FUSE_GETLK] = "GETLK",
	[FUSE_SETLK] = "SETLK",
	[FUSE_SETLKW] = "SETLKW",
	[FUSE_ACCESS] = "ACCESS",
	[FUSE_CREATE] = "CREATE",
	[FUSE_INTERRUPT] = "INTERRUPT",
	[FUSE_BMAP] = "BMAP",
	[FUSE_DESTROY] = "DESTROY",
	[FUSE_IOCTL] = "IOCTL",
	[FUSE_POLL] = "POLL",
	[FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET",
	[FUSE_FALLOCATE] = "FALLOCATE",
	[FUSE_READDIRPLUS] = "READDIRPLUS",
	[FUSE_RENAME2] = "RENAME2",
	[FUSE_LSEEK] = "LSEEK",
	[FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
	[FUSE_SETUPMAPPING] = "SETUPMAPPING",
	[FUSE_REMOVEMAPPING] = "REMOVEMAPPING",
	[FUSE_SYNCFS] = "SYNCFS",
	[FUSE_TMPFILE] = "TMPFILE",
	[FUSE_STATX] = "STATX",
};

const char *fuse_bpf_opcode_name(uint32_t opcode)
{
	if (opcode < FUSE_BPF_MAX_OPCODE && opcode_names[opcode])
		return opcode_names[opcode];
	return "OTHER";
}

int fuse_bpf_conn_new(struct fuse_bpf_conn **connp, unsigned int want,
		      unsigned int max_stack_depth)
{
	struct fuse_bpf_conn *c;

	if (want & ~(FUSE_BPF_WANT_PASSTHROUGH | FUSE_BPF_WANT_BPF) ||
	    max_stack_depth > 2) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: bad want %#x or stack depth %u\n",
			 want, max_stack_depth);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		return -ENOMEM;
	}
	if (want & FUSE_BPF_WANT_BPF)
		want |= FUSE_BPF_WANT_PASSTHROUGH;
	c->want = want;
	c->max_stack_depth = max_stack_depth ? max_stack_depth : 1;
	c->fd = -1;
	pthread_mutex_init(&c->stats_lock, NULL);
	c->stats_fd = -1;
	c->stats_err = -ENOTCONN;
	*connp = c;
	return 0;
}

static void conn_unlist(struct fuse_bpf_conn *conn)
{
	struct fuse_bpf_conn *c, *prev = NULL;

	pthread_mutex_lock(&conns_lock);
	for (c = atomic_load(&conns); c; prev = c, c = c->next) {
		if (c != conn)
			continue;
		if (prev)
			prev->next = c->next;
		else
			atomic_store(&conns, c->next);
		break;
	}
	pthread_mutex_unlock(&conns_lock);
}

void fuse_bpf_conn_destroy(struct fuse_bpf_conn *conn)
{
	if (!conn)
		return;
	conn_unlist(conn);
	if (conn->stats_fd >= 0)
		close(conn->stats_fd);
	pthread_mutex_destroy(&conn->stats_lock);
	free(conn);
}

static void count_request(struct fuse_bpf_conn *c, const void *buf,
			  ssize_t len)
{
	const struct fuse_in_header *in = buf;
	const struct fuse_init_in *init;
	uint32_t op, phase;
	uint64_t flags;

	if (len < (ssize_t)sizeof(*in))
		return;
	op = in->opcode & ~FILTER_BITS;
	if (op >= FUSE_BPF_MAX_OPCODE)
		op = FUSE_BPF_MAX_OPCODE;
	if (in->opcode & FILTER_BITS) {
		phase = !!(in->opcode & FUSE_POSTFILTER);
		atomic_fetch_add_explicit(&c->filter_count[phase][op], 1,
					  memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&c->count[op], 1, memory_order_relaxed);
	if (op != FUSE_INIT ||
	    len < (ssize_t)(sizeof(*in) + offsetof(struct fuse_init_in, unused)))
		return;
	init = (const void *)(in + 1);
	flags = init->flags;
	if (flags & FUSE_INIT_EXT)
		flags |= (uint64_t)init->flags2 << 32;
	atomic_store(&c->kernel_flags, flags);
	atomic_store(&c->init_unique, in->unique);
}

/* May a pre filter's reply replace the in-arguments of @opcode? */
static bool in_writable(uint32_t opcode)
{
	switch (opcode) {
	case FUSE_SETATTR:
	case FUSE_CREATE:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_TMPFILE:
		return true;
	}
	return false;
}

/*
 * Parse a userspace filter request: struct fuse_filter_in, the in-args,
 * the out-args (post filter), then the names.  false for a malformed one.
 */
static bool filter_req_parse(struct fuse_bpf_filter_req *r, void *buf,
			     size_t len)
{
	const struct fuse_in_header *in = buf;
	const struct fuse_filter_in *fin = (const void *)(in + 1);
	char *p = (char *)(fin + 1), *end = (char *)buf + len;
	const char *nul;
	unsigned int i;

	if (len < sizeof(*in) + sizeof(*fin) ||
	    (uint64_t)fin->in_size + fin->out_size > (size_t)(end - p) ||
	    fin->names > FILTER_NAMES ||
	    (!(in->opcode & FUSE_POSTFILTER) && (fin->out_size || fin->error)))
		return false;
	memset(r, 0, sizeof(*r));
	r->opcode = in->opcode & ~FILTER_BITS;
	r->post = in->opcode & FUSE_POSTFILTER;
	r->nodeid = in->nodeid;
	r->uid = in->uid;
	r->gid = in->gid;
	r->pid = in->pid;
	r->error = fin->error;
	r->in_size = fin->in_size;
	r->in = fin->in_size ? p : NULL;
	p += fin->in_size;
	r->out_size = fin->out_size;
	r->out = fin->out_size ? p : NULL;
	p += fin->out_size;
	for (i = 0; i < fin->names; i++) {
		nul = memchr(p, '\0', end - p);
		if (!nul)
			return false;
		r->name[i] = p;
		p = (char *)nul + 1;
	}
	r->names = fin->names;
	return true;
}

/*
 * A userspace filter request for which the daemon has a callback: answer
 * it here.  Return: false when libfuse should see the request (it
 * answers ENOSYS).
 */
static bool user_filter(struct fuse_bpf_conn *c, int fd, void *buf,
			size_t len)
{
	const struct fuse_in_header *in = buf;
	int (*cb)(void *data, struct fuse_bpf_filter_req *req);
	struct fuse_out_header oh = { .unique = in->unique };
	struct fuse_bpf_filter_req r;
	struct iovec iov[2];
	int err, n = 1;
	bool post;

	if (!(in->opcode & FILTER_BITS))
		return false;
	post = in->opcode & FUSE_POSTFILTER;
	cb = post ? c->user_filter.post : c->user_filter.pre;
	if (!cb)
		return false;
	if (!filter_req_parse(&r, buf, len)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: malformed %s request of %zu bytes for opcode %u\n",
			 post ? "FUSE_POSTFILTER" : "FUSE_PREFILTER", len,
			 in->opcode & ~FILTER_BITS);
		err = -EIO;
		goto reply;
	}
	err = cb(c->user_filter_data, &r);
	if (err > 0 || err < -511) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: %s filter for %s returned %d, not 0 or -errno: EIO\n",
			 post ? "post" : "pre", fuse_bpf_opcode_name(r.opcode),
			 err);
		err = -EIO;
	} else if (!err && r.changed && post && r.error) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: post filter for %s changed the out-args of a failed operation (%d): EIO\n",
			 fuse_bpf_opcode_name(r.opcode), r.error);
		err = -EIO;
	} else if (!err && r.changed && !post && !in_writable(r.opcode)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: pre filter for %s changed in-args the kernel does not take: EIO\n",
			 fuse_bpf_opcode_name(r.opcode));
		err = -EIO;
	} else if (!err && r.changed) {
		iov[1].iov_base = post ? r.out : r.in;
		iov[1].iov_len = post ? r.out_size : r.in_size;
		n = iov[1].iov_len ? 2 : 1;
	}
reply:
	oh.error = err;
	oh.len = sizeof(oh) + (n == 2 ? iov[1].iov_len : 0);
	iov[0].iov_base = &oh;
	iov[0].iov_len = sizeof(oh);
	/* ENOENT: the request was interrupted, nobody waits for the answer */
	if (writev(fd, iov, n) < 0 && errno != ENOENT)
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s filter reply for %s: %s\n",
			 post ? "post" : "pre",
			 fuse_bpf_opcode_name(in->opcode & ~FILTER_BITS),
			 strerror(errno));
	return true;
}

/*
 * Count every request; answer the userspace filter requests the daemon
 * has callbacks for and read on, so that libfuse sees only the others.
 */
static ssize_t hook_read(int fd, void *buf, size_t len, void *userdata)
{
	struct fuse_bpf_conn *c = conn_of_fd(fd);
	ssize_t res;

	for (;;) {
		res = read(fd, buf, len);
		if (res <= 0 || !c)
			return res;
		count_request(c, buf, res);
		if (res < (ssize_t)sizeof(struct fuse_in_header) ||
		    !user_filter(c, fd, buf, res))
			return res;
	}
}

static int filter_open_fd(int fd, const char *name);

/*
 * Right after the INIT reply: FUSE_BPF is negotiated now (the kernel
 * processed the reply within our write()), open the wanted filters.
 */
static void open_init_filters(struct fuse_bpf_conn *c, int fd)
{
	struct init_filter *f;
	unsigned int i;

	for (i = 0; i < c->init_filters; i++) {
		f = &c->init_filter[i];
		if (!atomic_load(&c->bpf)) {
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: filter %s not opened: FUSE_BPF not negotiated\n",
				 f->name);
			f->id = -EOPNOTSUPP;
			continue;
		}
		f->id = filter_open_fd(fd, f->name);
	}
}

/* Patch libfuse's INIT reply; false when there is nothing to patch. */
static bool patch_init(struct fuse_bpf_conn *c, struct fuse_init_out *out)
{
	uint64_t kflags = atomic_load(&c->kernel_flags);
	uint64_t flags;

	flags = out->flags;
	if (flags & FUSE_INIT_EXT)
		flags |= (uint64_t)out->flags2 << 32;

	if ((c->want & FUSE_BPF_WANT_PASSTHROUGH) && (kflags & FUSE_INIT_EXT) &&
	    (kflags & FUSE_PASSTHROUGH)) {
		flags |= FUSE_INIT_EXT | FUSE_PASSTHROUGH;
		flags &= ~(uint64_t)FUSE_WRITEBACK_CACHE;
		FUSE_BPF_INIT_MAX_STACK_DEPTH(out) = c->max_stack_depth;
		atomic_store(&c->passthrough, true);
		if ((c->want & FUSE_BPF_WANT_BPF) && (kflags & FUSE_BPF)) {
			flags |= FUSE_BPF;
			atomic_store(&c->bpf, true);
		}
	}
	if ((c->want & FUSE_BPF_WANT_PASSTHROUGH) && !atomic_load(&c->passthrough))
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: the kernel does not offer FUSE_PASSTHROUGH\n");
	if ((c->want & FUSE_BPF_WANT_BPF) && !atomic_load(&c->bpf))
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: the kernel does not offer FUSE_BPF\n");
	if (!atomic_load(&c->passthrough))
		return false;
	out->flags = (uint32_t)flags;
	out->flags2 = (uint32_t)(flags >> 32);
	return true;
}

static ssize_t hook_writev(int fd, struct iovec *iov, int count,
			   void *userdata)
{
	struct fuse_bpf_conn *c = conn_of_fd(fd);
	const struct fuse_out_header *oh = iov[0].iov_base;
	uint64_t unique = c ? atomic_load(&c->init_unique) : 0;
	struct fuse_init_out out;
	struct iovec iov2[2];
	ssize_t res;

	if (!unique || count != 2 || iov[0].iov_len != sizeof(*oh) ||
	    oh->unique != unique)
		return writev(fd, iov, count);

	/* The INIT reply: patch a copy, once. */
	atomic_store(&c->init_unique, 0);
	if (oh->error || iov[1].iov_len < offsetof(struct fuse_init_out, unused) ||
	    iov[1].iov_len > sizeof(out)) {
		res = writev(fd, iov, count);
		open_init_filters(c, fd);
		atomic_store(&c->init_done, true);
		return res;
	}
	memset(&out, 0, sizeof(out));
	memcpy(&out, iov[1].iov_base, iov[1].iov_len);
	iov2[0] = iov[0];
	iov2[1] = iov[1];
	if (patch_init(c, &out))
		iov2[1].iov_base = &out;
	res = writev(fd, iov2, 2);
	if (res < 0) {
		atomic_store(&c->passthrough, false);
		atomic_store(&c->bpf, false);
	}
	open_init_filters(c, fd);
	atomic_store(&c->init_done, true);
	return res;
}

int fuse_bpf_conn_attach(struct fuse_bpf_conn *conn, struct fuse_session *se,
			 int fd)
{
	static const struct fuse_custom_io io = {
		.read = hook_read,
		.writev = hook_writev,
	};
	int err;

	if (conn->fd >= 0) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: connection attached twice\n");
		return -EINVAL;
	}
	conn->fd = fd;
	pthread_mutex_lock(&conns_lock);
	conn->next = atomic_load(&conns);
	atomic_store(&conns, conn);
	pthread_mutex_unlock(&conns_lock);
	err = fuse_session_custom_io(se, &io, fd);
	if (err) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: fuse_session_custom_io: %s\n",
			 strerror(-err));
		conn_unlist(conn);
		conn->fd = -1;
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

void fuse_bpf_conn_set_user_filter(struct fuse_bpf_conn *conn,
				   const struct fuse_bpf_user_filter_ops *ops,
				   void *data)
{
	memset(&conn->user_filter, 0, sizeof(conn->user_filter));
	if (ops)
		conn->user_filter = *ops;
	conn->user_filter_data = data;
}

static bool filter_name_ok(const char *name)
{
	return name && *name && strlen(name) < FUSE_BPF_FILTER_NAME_MAX;
}

int fuse_bpf_conn_want_filter(struct fuse_bpf_conn *conn, const char *name)
{
	unsigned int i;

	if (!filter_name_ok(name)) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: bad filter name '%s' (1 to %d bytes)\n",
			 name ? name : "(null)", FUSE_BPF_FILTER_NAME_MAX - 1);
		return -EINVAL;
	}
	if (atomic_load(&conn->init_done)) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: filter %s wanted after INIT\n",
			 name);
		return -EBUSY;
	}
	for (i = 0; i < conn->init_filters; i++)
		if (!strcmp(conn->init_filter[i].name, name))
			return 0;
	if (i == FUSE_BPF_MAX_INIT_FILTERS) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: more than %d filters wanted\n",
			 FUSE_BPF_MAX_INIT_FILTERS);
		return -E2BIG;
	}
	memcpy(conn->init_filter[i].name, name, strlen(name) + 1);
	conn->init_filter[i].id = -EAGAIN;
	conn->init_filters++;
	return 0;
}

int fuse_bpf_conn_filter_id(const struct fuse_bpf_conn *conn,
			    const char *name)
{
	unsigned int i;

	for (i = 0; name && i < conn->init_filters; i++) {
		if (strcmp(conn->init_filter[i].name, name))
			continue;
		/* init_done is stored after the ids */
		return atomic_load(&conn->init_done) ?
		       conn->init_filter[i].id : -EAGAIN;
	}
	return -EINVAL;
}

bool fuse_bpf_init_done(const struct fuse_bpf_conn *conn)
{
	return atomic_load(&conn->init_done);
}

uint64_t fuse_bpf_kernel_flags(const struct fuse_bpf_conn *conn)
{
	return atomic_load(&conn->kernel_flags);
}

bool fuse_bpf_kernel_offers(const struct fuse_bpf_conn *conn,
			    unsigned int want)
{
	uint64_t kflags = atomic_load(&conn->kernel_flags);
	uint64_t need = FUSE_INIT_EXT;

	if (want & (FUSE_BPF_WANT_PASSTHROUGH | FUSE_BPF_WANT_BPF))
		need |= FUSE_PASSTHROUGH;
	if (want & FUSE_BPF_WANT_BPF)
		need |= FUSE_BPF;
	return (kflags & need) == need;
}

bool fuse_bpf_passthrough_enabled(const struct fuse_bpf_conn *conn)
{
	return atomic_load(&conn->init_done) && atomic_load(&conn->passthrough);
}

bool fuse_bpf_enabled(const struct fuse_bpf_conn *conn)
{
	return atomic_load(&conn->init_done) && atomic_load(&conn->bpf);
}

uint64_t fuse_bpf_request_count(const struct fuse_bpf_conn *conn,
				uint32_t opcode)
{
	uint32_t op = opcode & ~FILTER_BITS, phase;

	if (op > FUSE_BPF_MAX_OPCODE)
		op = FUSE_BPF_MAX_OPCODE;
	if (opcode & FILTER_BITS) {
		phase = !!(opcode & FUSE_POSTFILTER);
		return atomic_load_explicit(&conn->filter_count[phase][op],
					    memory_order_relaxed);
	}
	return atomic_load_explicit(&conn->count[op], memory_order_relaxed);
}

int fuse_bpf_stats_write(const struct fuse_bpf_conn *conn, FILE *f)
{
	uint32_t op, phase;
	uint64_t n;

	for (op = 0; op <= FUSE_BPF_MAX_OPCODE; op++) {
		n = fuse_bpf_request_count(conn, op);
		if (n && fprintf(f, "%s %llu\n", fuse_bpf_opcode_name(op),
				 (unsigned long long)n) < 0)
			return -EIO;
	}
	for (phase = 0; phase < 2; phase++) {
		for (op = 0; op <= FUSE_BPF_MAX_OPCODE; op++) {
			n = fuse_bpf_request_count(conn, op | (phase ?
					FUSE_POSTFILTER : FUSE_PREFILTER));
			if (n && fprintf(f, "%s:%s %llu\n",
					 phase ? "POSTFILTER" : "PREFILTER",
					 fuse_bpf_opcode_name(op),
					 (unsigned long long)n) < 0)
				return -EIO;
		}
	}
	return fflush(f) ? -EIO : 0;
}

/* ------------------------------------------------- the kernel's counters */

#define FUSECTL_SUPER_MAGIC	0x65735543
#define FUSECTL_DIR		"/sys/fs/fuse/connections"
#define STATS_MAX_BYTES		(1024 * 1024)
#define STATS_MAX_COLUMNS	64

/* What a header column of bpf_stats holds */
#define COL_OPCODE		(-1)
#define COL_NAME		(-2)
#define COL_UNKNOWN		(-3)

static const char *const stat_names[FUSE_BPF_NR_STATS] = {
	[FUSE_BPF_STAT_KERNEL] = "kernel",
	[FUSE_BPF_STAT_DAEMON] = "daemon",
	[FUSE_BPF_STAT_FILTER] = "filter",
	[FUSE_BPF_STAT_USER] = "user",
	[FUSE_BPF_STAT_ERRORS] = "errors",
	[FUSE_BPF_STAT_PRE_BACKING] = "pre_backing",
	[FUSE_BPF_STAT_PRE_BACKING_POST] = "pre_backing_post",
	[FUSE_BPF_STAT_PRE_DAEMON] = "pre_daemon",
	[FUSE_BPF_STAT_PRE_USER_PRE] = "pre_user_pre",
	[FUSE_BPF_STAT_PRE_USER_POST] = "pre_user_post",
	[FUSE_BPF_STAT_POST_BPF] = "post_bpf",
	[FUSE_BPF_STAT_POST_USER] = "post_user",
};

static_assert(FUSE_BPF_NR_STATS <= FUSE_BPF_STAT_SLOTS,
	      "struct fuse_bpf_op_stats has no slot left");
static_assert(sizeof(struct fuse_bpf_op_stats) == 296,
	      "struct fuse_bpf_op_stats is ABI");

const char *fuse_bpf_stat_name(unsigned int stat)
{
	return stat < FUSE_BPF_NR_STATS ? stat_names[stat] : NULL;
}

/* The next field of @line (@len bytes) from *@pos: its length, 0 at the end */
static size_t next_field(const char *line, size_t len, size_t *pos,
			 const char **field)
{
	size_t p = *pos, start;

	while (p < len && line[p] == ' ')
		p++;
	start = p;
	while (p < len && line[p] != ' ')
		p++;
	*field = line + start;
	*pos = p;
	return p - start;
}

/* Decimal digits only, within 64 bits */
static bool parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	unsigned int d;
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		d = (unsigned char)s[i] - '0';
		if (d > 9 || n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*v = n;
	return true;
}

/* The header: what each column holds, in @col; the number of columns */
static int stats_header(const char *line, size_t len, int *col)
{
	bool seen[FUSE_BPF_NR_STATS] = { false };
	bool opcode = false, name = false;
	size_t pos = 0, flen;
	const char *f;
	int ncol = 0;
	unsigned int i;

	while ((flen = next_field(line, len, &pos, &f))) {
		if (ncol == STATS_MAX_COLUMNS)
			return -1;
		col[ncol] = COL_UNKNOWN;
		if (flen == 6 && !memcmp(f, "opcode", 6)) {
			if (opcode)
				return -1;
			opcode = true;
			col[ncol] = COL_OPCODE;
		} else if (flen == 4 && !memcmp(f, "name", 4)) {
			if (name)
				return -1;
			name = true;
			col[ncol] = COL_NAME;
		}
		for (i = 0; i < FUSE_BPF_NR_STATS; i++) {
			if (strlen(stat_names[i]) != flen ||
			    memcmp(f, stat_names[i], flen))
				continue;
			if (seen[i])
				return -1;
			seen[i] = true;
			col[ncol] = i;
		}
		ncol++;
	}
	return opcode && name ? ncol : -1;
}

/* One opcode line into @st, by the header's columns */
static bool stats_line(const char *line, size_t len, const int *col,
		       int ncol, struct fuse_bpf_op_stats *st)
{
	size_t pos = 0, flen;
	const char *f;
	uint64_t v;
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < ncol; i++) {
		flen = next_field(line, len, &pos, &f);
		if (!flen)
			return false;
		switch (col[i]) {
		case COL_OPCODE:
			if (!parse_u64(f, flen, &v) || v > UINT32_MAX)
				return false;
			st->opcode = v;
			break;
		case COL_NAME:
			if (flen >= sizeof(st->name))
				return false;
			memcpy(st->name, f, flen);
			break;
		case COL_UNKNOWN:
			break;
		default:
			if (!parse_u64(f, flen, &v))
				return false;
			st->count[col[i]] = v;
			st->present |= 1u << col[i];
			break;
		}
	}
	/* no field past the header's */
	return !next_field(line, len, &pos, &f);
}

int fuse_bpf_kernel_stats_parse(const char *text, size_t len,
				struct fuse_bpf_op_stats *out, size_t n)
{
	struct fuse_bpf_op_stats tmp;
	int col[STATS_MAX_COLUMNS];
	const char *line, *nl;
	int ncol = 0, count = 0;
	unsigned int lineno = 0;
	size_t i, llen;

	for (i = 0; i < len; i++)
		if (text[i] != '\n' && (text[i] < ' ' || text[i] > '~'))
			goto bad;
	line = text;
	while (line < text + len) {
		lineno++;
		nl = memchr(line, '\n', text + len - line);
		if (!nl)
			goto bad;	/* truncated */
		llen = nl - line;
		if (lineno == 1) {
			ncol = stats_header(line, llen, col);
			if (ncol < 0)
				goto bad;
		} else {
			if (count == INT_MAX ||
			    !stats_line(line, llen, col, ncol,
					(size_t)count < n ? &out[count] : &tmp))
				goto bad;
			count++;
		}
		line = nl + 1;
	}
	if (!lineno)
		goto bad;
	return count;
bad:
	fuse_log(FUSE_LOG_ERR, "fuse-bpf: bpf_stats: malformed line %u\n",
		 lineno ? lineno : 1);
	return -EBADMSG;
}

/*
 * Reads what @fd (bpf_stats) gives from offset 0: a seq_file that
 * builds its text again at each read from there.  The caller frees
 * *@bufp.
 */
static int stats_read(int fd, char **bufp, size_t *lenp)
{
	size_t size = 16384, len = 0;
	char *buf, *nbuf;
	ssize_t r;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == size) {
			nbuf = size < STATS_MAX_BYTES ? realloc(buf, size * 2) :
			       NULL;
			if (!nbuf) {
				free(buf);
				return size < STATS_MAX_BYTES ? -ENOMEM : -EFBIG;
			}
			buf = nbuf;
			size *= 2;
		}
		r = pread(fd, buf + len, size - len, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return r;
		}
		if (!r)
			break;
		len += r;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* Read @fd and parse it, logging the failure as @what */
static int stats_fd_parse(int fd, const char *what,
			  struct fuse_bpf_op_stats *out, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = stats_read(fd, &buf, &len);
	if (ret) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: read %s: %s\n", what,
			 strerror(-ret));
		return ret;
	}
	ret = fuse_bpf_kernel_stats_parse(buf, len, out, n);
	free(buf);
	return ret;
}

/* The mount id of the mount @fd is on, from /proc/self/fdinfo */
static int fd_mount_id(int fd)
{
	char path[64], line[256];
	int id = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %d", &id) == 1)
			break;
	fclose(f);
	return id;
}

/*
 * The fusectl name of the connection of mount @id: its kernel device
 * number, (major << 20) | minor, from /proc/self/mountinfo.  -EINVAL for
 * a mount that is not FUSE's.
 */
static int mount_conn(int id, unsigned int *connp)
{
	unsigned int major, minor;
	char *line = NULL, *sep;
	int err = -ENOENT, mid;
	size_t size = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &size, f) > 0) {
		if (sscanf(line, "%d %*d %u:%u", &mid, &major, &minor) != 3 ||
		    mid != id)
			continue;
		/* the optional fields end with " - ", then the type */
		sep = strstr(line, " - ");
		err = -EINVAL;
		if (sep && major < (1u << 12) && minor < (1u << 20) &&
		    (!strncmp(sep + 3, "fuse ", 5) ||
		     !strncmp(sep + 3, "fuse.", 5) ||
		     !strncmp(sep + 3, "fuseblk ", 8))) {
			*connp = major << 20 | minor;
			err = 0;
		}
		break;
	}
	free(line);
	fclose(f);
	return err;
}

/* Open the bpf_stats of the connection mounted at (or above) @path */
static int stats_open(const char *path)
{
	unsigned int conn = 0;
	char name[128];
	struct statfs sfs;
	int fd, err;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = fd_mount_id(fd);
	close(fd);
	if (err >= 0)
		err = mount_conn(err, &conn);
	if (err)
		return err;
	if (statfs(FUSECTL_DIR, &sfs) || sfs.f_type != FUSECTL_SUPER_MAGIC)
		return -ENOENT;
	snprintf(name, sizeof(name), FUSECTL_DIR "/%u/bpf_stats", conn);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = -errno;
	/* the connection is there, without fuse-bpf's files */
	snprintf(name, sizeof(name), FUSECTL_DIR "/%u", conn);
	if (err == -ENOENT && !access(name, F_OK))
		err = -EOPNOTSUPP;
	return err;
}

int fuse_bpf_kernel_stats_at(const char *path, struct fuse_bpf_op_stats *out,
			     size_t n)
{
	int fd, ret;

	fd = stats_open(path);
	if (fd < 0) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: bpf_stats of %s: %s\n", path,
			 strerror(-fd));
		return fd;
	}
	ret = stats_fd_parse(fd, path, out, n);
	close(fd);
	return ret;
}

/* fuse_bpf_mount(): keep the new connection's bpf_stats open */
static void conn_stats_open(struct fuse_bpf_conn *conn, const char *mountpoint)
{
	int fd = stats_open(mountpoint);

	pthread_mutex_lock(&conn->stats_lock);
	if (conn->stats_fd >= 0)
		close(conn->stats_fd);
	conn->stats_fd = fd < 0 ? -1 : fd;
	conn->stats_err = fd < 0 ? fd : 0;
	pthread_mutex_unlock(&conn->stats_lock);
}

int fuse_bpf_kernel_stats(const struct fuse_bpf_conn *conn,
			  struct fuse_bpf_op_stats *out, size_t n)
{
	/* the lock serializes the reads of one descriptor from offset 0 */
	struct fuse_bpf_conn *c = (struct fuse_bpf_conn *)conn;
	int ret;

	pthread_mutex_lock(&c->stats_lock);
	if (c->stats_fd >= 0) {
		ret = stats_fd_parse(c->stats_fd, "bpf_stats", out, n);
	} else {
		ret = c->stats_err;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: bpf_stats: %s\n",
			 ret == -ENOTCONN ? "not mounted by fuse_bpf_mount()" :
			 strerror(-ret));
	}
	pthread_mutex_unlock(&c->stats_lock);
	return ret;
}

int fuse_bpf_backing_open(struct fuse_session *se, int fd,
			  unsigned int flags)
{
	struct fuse_backing_map map = { .fd = fd };
	struct stat st;
	int id;

	if (flags & ~FUSE_BPF_BACKING_DIR) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: backing_open: bad flags %#x\n",
			 flags);
		return -EINVAL;
	}
	if (!fstat(fd, &st) && S_ISDIR(st.st_mode))
		flags |= FUSE_BPF_BACKING_DIR;
	map.flags = flags;
	id = ioctl(fuse_session_fd(se), FUSE_DEV_IOC_BACKING_OPEN, &map);
	if (id < 0) {
		id = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: FUSE_DEV_IOC_BACKING_OPEN(fd %d%s): %s\n",
			 fd, flags ? ", dir" : "", strerror(-id));
		return id;
	}
	if (id == 0) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: FUSE_DEV_IOC_BACKING_OPEN returned 0\n");
		return -EPROTO;
	}
	return id;
}

int fuse_bpf_backing_close(struct fuse_session *se, int backing_id)
{
	uint32_t id = backing_id;

	if (ioctl(fuse_session_fd(se), FUSE_DEV_IOC_BACKING_CLOSE, &id)) {
		int err = -errno;

		fuse_log(FUSE_LOG_ERR, "fuse-bpf: FUSE_DEV_IOC_BACKING_CLOSE(%d): %s\n",
			 backing_id, strerror(-err));
		return err;
	}
	return 0;
}

/* As libfuse does: clamp to [0, ULONG_MAX] seconds. */
static uint64_t timeout_sec(double t)
{
	if (t > (double)ULONG_MAX)
		return ULONG_MAX;
	if (t < 0.0)
		return 0;
	return (uint64_t)t;
}

static uint32_t timeout_nsec(double t)
{
	double f = t - (double)timeout_sec(t);

	if (f < 0.0)
		return 0;
	if (f >= 0.999999999)
		return 999999999;
	return (uint32_t)(f * 1.0e9);
}

static void fill_attr(struct fuse_attr *a, const struct stat *st)
{
	a->ino = st->st_ino;
	a->mode = st->st_mode;
	a->nlink = st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = st->st_rdev;
	a->size = st->st_size;
	a->blksize = st->st_blksize;
	a->blocks = st->st_blocks;
	a->atime = st->st_atim.tv_sec;
	a->mtime = st->st_mtim.tv_sec;
	a->ctime = st->st_ctim.tv_sec;
	a->atimensec = st->st_atim.tv_nsec;
	a->mtimensec = st->st_mtim.tv_nsec;
	a->ctimensec = st->st_ctim.tv_nsec;
}

static void fill_entry(struct fuse_entry_out *o, const struct fuse_entry_param *e)
{
	memset(o, 0, sizeof(*o));
	o->nodeid = e->ino;
	o->generation = e->generation;
	o->entry_valid = timeout_sec(e->entry_timeout);
	o->entry_valid_nsec = timeout_nsec(e->entry_timeout);
	o->attr_valid = timeout_sec(e->attr_timeout);
	o->attr_valid_nsec = timeout_nsec(e->attr_timeout);
	fill_attr(&o->attr, &e->attr);
}

static void fill_open(struct fuse_open_out *o, const struct fuse_file_info *fi,
		      int32_t passthrough_id)
{
	memset(o, 0, sizeof(*o));
	o->fh = fi->fh;
	if (fi->direct_io)
		o->open_flags |= FOPEN_DIRECT_IO;
	if (fi->keep_cache)
		o->open_flags |= FOPEN_KEEP_CACHE;
	if (fi->nonseekable)
		o->open_flags |= FOPEN_NONSEEKABLE;
	if (fi->cache_readdir)
		o->open_flags |= FOPEN_CACHE_DIR;
	if (fi->noflush)
		o->open_flags |= FOPEN_NOFLUSH;
	if (passthrough_id) {
		o->open_flags |= FOPEN_PASSTHROUGH;
		FUSE_BPF_OPEN_BACKING_ID(o) = passthrough_id;
	}
}

/* INHERIT is a backing action only: a filter has no parent's to take */
static bool action_ok(uint32_t action, int64_t id, bool backing)
{
	switch (action) {
	case FUSE_BPF_ACTION_KEEP:
	case FUSE_BPF_ACTION_REMOVE:
		return !id;
	case FUSE_BPF_ACTION_SET:
		return id > 0 && id <= INT32_MAX;
	case FUSE_BPF_ACTION_INHERIT:
		return backing && !id;
	}
	return false;
}

/* false for a malformed entry extension; *ext false means send none */
static bool fill_bpf(struct fuse_entry_bpf_out *o,
		     const struct fuse_bpf_entry *bpf, bool *ext)
{
	memset(o, 0, sizeof(*o));
	*ext = false;
	if (!bpf)
		return true;
	if (!action_ok(bpf->backing_action, bpf->backing_id, true) ||
	    !action_ok(bpf->filter_action, bpf->filter_id, false)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: bad entry extension: backing %u/%d, filter %u/%u\n",
			 bpf->backing_action, bpf->backing_id,
			 bpf->filter_action, bpf->filter_id);
		return false;
	}
	*ext = bpf->backing_action != FUSE_BPF_ACTION_KEEP ||
	       bpf->filter_action != FUSE_BPF_ACTION_KEEP;
	o->backing_action = bpf->backing_action;
	o->backing_id = bpf->backing_id;
	o->filter_action = bpf->filter_action;
	o->filter_id = bpf->filter_id;
	return true;
}

static int reply_buf(fuse_req_t req, const void *buf, size_t size,
		     const char *what)
{
	int err = fuse_reply_buf(req, buf, size);

	if (err && err != -ENOENT)
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s reply of %zu bytes: %s\n",
			 what, size, strerror(-err));
	return err;
}

/*
 * Node ids with FUSE_NODEID_KERNEL are the kernel's own: it refuses a
 * reply naming one (EIO to the caller).  Say why before it does.
 */
static bool nodeid_ok(uint64_t ino, const char *what)
{
	if (!(ino & FUSE_NODEID_KERNEL))
		return true;
	fuse_log(FUSE_LOG_ERR,
		 "fuse-bpf: %s reply names node %#llx: ids with bit 63 (FUSE_NODEID_KERNEL) are the kernel's, a daemon may not use them\n",
		 what, (unsigned long long)ino);
	return false;
}

int fuse_bpf_reply_entry(fuse_req_t req, const struct fuse_entry_param *e,
			 const struct fuse_bpf_entry *bpf)
{
	struct {
		struct fuse_entry_out entry;
		struct fuse_entry_bpf_out bpf;
	} r;
	bool ext;

	if (!nodeid_ok(e->ino, "LOOKUP")) {
		fuse_reply_err(req, EIO);
		return -ERANGE;
	}
	if (!fill_bpf(&r.bpf, bpf, &ext)) {
		fuse_reply_err(req, EIO);
		return -EINVAL;
	}
	fill_entry(&r.entry, e);
	return reply_buf(req, &r, ext ? sizeof(r) : sizeof(r.entry), "LOOKUP");
}

int fuse_bpf_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
			  const struct fuse_file_info *fi,
			  int32_t passthrough_id,
			  const struct fuse_bpf_entry *bpf)
{
	struct {
		struct fuse_entry_out entry;
		struct fuse_open_out open;
		struct fuse_entry_bpf_out bpf;
	} r;
	bool ext;

	if (!nodeid_ok(e->ino, "CREATE")) {
		fuse_reply_err(req, EIO);
		return -ERANGE;
	}
	if (passthrough_id < 0 || !fill_bpf(&r.bpf, bpf, &ext)) {
		fuse_reply_err(req, EIO);
		return -EINVAL;
	}
	fill_entry(&r.entry, e);
	fill_open(&r.open, fi, passthrough_id);
	return reply_buf(req, &r, ext ? sizeof(r) : offsetof(typeof(r), bpf),
			 "CREATE");
}

int fuse_bpf_reply_open(fuse_req_t req, const struct fuse_file_info *fi,
			int32_t passthrough_id)
{
	struct fuse_open_out o;

	if (passthrough_id < 0) {
		fuse_reply_err(req, EIO);
		return -EINVAL;
	}
	fill_open(&o, fi, passthrough_id);
	return reply_buf(req, &o, sizeof(o), "OPEN");
}

int fuse_bpf_mount(struct fuse_session *se, struct fuse_bpf_conn *conn,
		   const char *mountpoint,
		   const struct fuse_bpf_mount_opts *opts)
{
	char data[1024], fstype[256], devfd[32];
	mode_t rootmode = S_IFDIR | 0755;
	struct stat st;
	int fd, err, n;

	if (opts->backing_root_fd >= 0) {
		if (fstat(opts->backing_root_fd, &st)) {
			err = -errno;
			fuse_log(FUSE_LOG_ERR, "fuse-bpf: backing root: %s\n",
				 strerror(-err));
			return err;
		}
		rootmode = S_IFDIR | (st.st_mode & 07777);
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: open /dev/fuse: %s\n",
			 strerror(-err));
		return err;
	}
	n = snprintf(data, sizeof(data), "fd=%d,rootmode=%o,user_id=%u,group_id=%u",
		     fd, rootmode, getuid(), getgid());
	if (opts->allow_other)
		n += snprintf(data + n, sizeof(data) - n, ",allow_other");
	if (opts->default_permissions && n < (int)sizeof(data))
		n += snprintf(data + n, sizeof(data) - n, ",default_permissions");
	if (opts->max_read && n < (int)sizeof(data))
		n += snprintf(data + n, sizeof(data) - n, ",max_read=%u",
			      opts->max_read);
	if (opts->backing_root_fd >= 0 && n < (int)sizeof(data))
		n += snprintf(data + n, sizeof(data) - n, ",backing_root_fd=%d",
			      opts->backing_root_fd);
	if (opts->bpf_filter) {
		if (!*opts->bpf_filter ||
		    strlen(opts->bpf_filter) >= FUSE_BPF_FILTER_NAME_MAX ||
		    strchr(opts->bpf_filter, ',')) {
			fuse_log(FUSE_LOG_ERR, "fuse-bpf: bad filter name '%s'\n",
				 opts->bpf_filter);
			err = -EINVAL;
			goto out_close;
		}
		if (n < (int)sizeof(data))
			n += snprintf(data + n, sizeof(data) - n,
				      ",bpf_filter=%s", opts->bpf_filter);
	}
	if (opts->extra && *opts->extra && n < (int)sizeof(data))
		n += snprintf(data + n, sizeof(data) - n, ",%s", opts->extra);
	if (opts->subtype && *opts->subtype)
		err = snprintf(fstype, sizeof(fstype), "fuse.%s", opts->subtype);
	else
		err = snprintf(fstype, sizeof(fstype), "fuse");
	if (n >= (int)sizeof(data) || err >= (int)sizeof(fstype)) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: mount options too long\n");
		err = -E2BIG;
		goto out_close;
	}
	if (mount(opts->fsname ? opts->fsname : FUSE_BPF_DEFAULT_FSNAME,
		  mountpoint, fstype, opts->mount_flags, data)) {
		err = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: mount %s on %s (%s): %s%s\n",
			 fstype, mountpoint, data, strerror(-err),
			 err == -EINVAL && (opts->backing_root_fd >= 0 ||
					    opts->bpf_filter) ?
			 " (a kernel without fuse-bpf?)" :
			 err == -ENOENT && opts->bpf_filter ?
			 " (is the filter attached?)" : "");
		goto out_close;
	}
	if (conn) {
		err = fuse_bpf_conn_attach(conn, se, fd);
		if (err)
			goto out_umount;
		conn_stats_open(conn, mountpoint);
	}
	snprintf(devfd, sizeof(devfd), "/dev/fd/%d", fd);
	if (fuse_session_mount(se, devfd)) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: fuse_session_mount(%s) failed\n",
			 devfd);
		err = -EIO;
		/* once attached, the session owns the descriptor */
		if (conn)
			fd = -1;
		goto out_umount;
	}
	return 0;

out_umount:
	umount2(mountpoint, MNT_DETACH);
out_close:
	if (fd >= 0)
		close(fd);
	return err;
}

int fuse_bpf_unmount(const char *mountpoint)
{
	int err;

	if (!umount2(mountpoint, MNT_DETACH) || errno == EINVAL)
		return 0;
	err = -errno;
	fuse_log(FUSE_LOG_ERR, "fuse-bpf: umount %s: %s\n", mountpoint,
		 strerror(-err));
	return err;
}

/* ------------------------------------------------------------ filters */

#define FUSE_BPF_OPS_TYPE	"fuse_bpf_ops"
#define MAX_FILTERS		16

struct fuse_bpf_filter {
	struct bpf_object *obj;
	bool own_obj;		/* fuse_bpf_filter_load*(): closed at unload */
	unsigned int count;
	struct bpf_link *links[MAX_FILTERS];
	char names[MAX_FILTERS][FUSE_BPF_FILTER_NAME_MAX];
};

/* Does the running kernel (or its fuse module) know struct fuse_bpf_ops? */
static bool kernel_has_ops(void)
{
	static const char vtype[] = "bpf_struct_ops_" FUSE_BPF_OPS_TYPE;
	struct btf *vmlinux, *mod;
	bool found;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return false;
	found = btf__find_by_name_kind(vmlinux, vtype, BTF_KIND_STRUCT) > 0;
	if (!found) {
		mod = btf__load_module_btf("fuse", vmlinux);
		if (mod) {
			found = btf__find_by_name_kind(mod, vtype,
						       BTF_KIND_STRUCT) > 0;
			btf__free(mod);
		}
	}
	btf__free(vmlinux);
	return found;
}

/*
 * libbpf's messages go through fuse_log(), as the library's own do; the
 * first warning of the thread since the library's call began is kept as
 * the cause of the error that follows (the later ones say what failed
 * because of it).
 */
static __thread char libbpf_last[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char msg[512];
	size_t len;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return n;
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (level == LIBBPF_WARN && !libbpf_last[0])
		snprintf(libbpf_last, sizeof(libbpf_last), "%s", msg);
	fuse_log(level == LIBBPF_WARN ? FUSE_LOG_WARNING : FUSE_LOG_INFO,
		 "%s\n", msg);
	return n;
}

static void libbpf_print_init(void)
{
	libbpf_set_print(libbpf_print);
}

/*
 * libbpf's error: its message in @buf, with the first warning libbpf
 * printed (the cause, e.g. which program the verifier refused, or why
 * the file is no BPF object), and an errno (libbpf's own: -EINVAL)
 */
static int bpf_err(int err, char *buf, size_t size)
{
	size_t n;

	libbpf_strerror(err, buf, size);
	n = strlen(buf);
	if (libbpf_last[0] && n < size)
		snprintf(buf + n, size - n, " (%s)", libbpf_last);
	libbpf_last[0] = '\0';
	return err <= -__LIBBPF_ERRNO__START ? -EINVAL : err;
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/*
 * The name of a struct fuse_bpf_ops map, from its initial value: 1 and
 * @name filled, 0 for a struct_ops map of another type, -EINVAL for a
 * missing or malformed name.
 */
static int ops_name(const struct btf *btf, const struct bpf_map *map,
		    char name[FUSE_BPF_FILTER_NAME_MAX], const char *path,
		    const char *rename)
{
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	const char *data;
	size_t size, off, len;
	__s64 msize;
	int i;

	t = btf ? skip_mods(btf, bpf_map__btf_value_type_id(map)) : NULL;
	if (!t || !btf_is_struct(t) ||
	    strcmp(btf__name_by_offset(btf, t->name_off), FUSE_BPF_OPS_TYPE))
		return 0;
	data = bpf_map__initial_value(map, &size);
	for (i = 0, m = btf_members(t); data && i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), "name"))
			continue;
		mt = skip_mods(btf, m->type);
		msize = btf__resolve_size(btf, m->type);
		off = btf_member_bit_offset(t, i) / 8;
		if (!mt || !btf_is_array(mt) || msize <= 0 ||
		    off + msize > size)
			break;
		if (rename) {
			/* the object's copy, which libbpf loads */
			len = strlen(rename);
			if (len >= (size_t)msize)
				break;
			memset((char *)data + off, 0, msize);
			memcpy((char *)data + off, rename, len);
		}
		len = strnlen(data + off, msize);
		if (!len || len >= FUSE_BPF_FILTER_NAME_MAX || len == (size_t)msize)
			break;
		memcpy(name, data + off, len + 1);
		return 1;
	}
	fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: map %s: no filter name (.name, 1 to %d bytes)\n",
		 path, bpf_map__name(map), FUSE_BPF_FILTER_NAME_MAX - 1);
	return -EINVAL;
}

void fuse_bpf_filter_unload(struct fuse_bpf_filter *filter)
{
	unsigned int i;

	if (!filter)
		return;
	for (i = 0; i < filter->count; i++)
		bpf_link__destroy(filter->links[i]);
	if (filter->own_obj)
		bpf_object__close(filter->obj);
	free(filter);
}

static void libbpf_print_once(void)
{
	static pthread_once_t print_once = PTHREAD_ONCE_INIT;

	pthread_once(&print_once, libbpf_print_init);
}

static bool is_ops_map(const struct bpf_map *map)
{
	return bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS &&
	       bpf_map__autocreate(map);
}

/*
 * Loaded?  Programs get their descriptors at load (maps have placeholder
 * descriptors from open on, in libbpf 1.3 and later).
 */
static bool obj_loaded(const struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (bpf_program__fd(prog) >= 0)
			return true;
	return false;
}

/* @name with every "%p" replaced by the process id, checked */
static int name_expand(char out[FUSE_BPF_FILTER_NAME_MAX], const char *name)
{
	char pid[24];
	size_t n = 0, len;
	const char *p;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (p = name; p && *p; p++) {
		const char *add = p;

		len = 1;
		if (p[0] == '%' && p[1] == 'p') {
			add = pid;
			len = strlen(pid);
			p++;
		}
		if (n + len >= FUSE_BPF_FILTER_NAME_MAX)
			goto bad;
		memcpy(out + n, add, len);
		n += len;
	}
	out[n] = '\0';
	if (n && !strchr(out, ','))
		return 0;
bad:
	fuse_log(FUSE_LOG_ERR,
		 "fuse-bpf: bad filter name '%s' (1 to %d bytes once %%p is the process id, no comma)\n",
		 name ? name : "(null)", FUSE_BPF_FILTER_NAME_MAX - 1);
	return -EINVAL;
}

/*
 * Check (and with @rename, rename) the fuse_bpf_ops maps of an object
 * that is not loaded yet; @path names it in messages.
 */
static int names_check(struct bpf_object *obj, const char *path,
		       const char *rename)
{
	char name[FUSE_BPF_FILTER_NAME_MAX];
	struct bpf_map *map;
	unsigned int n = 0, found = 0;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (!is_ops_map(map))
			continue;
		if (++n > MAX_FILTERS) {
			fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: more than %d struct_ops maps\n",
				 path, MAX_FILTERS);
			return -E2BIG;
		}
		/* @rename renames the first filter only */
		err = ops_name(bpf_object__btf(obj), map, name, path,
			       found ? NULL : rename);
		if (err < 0)
			return err;
		found += err;
	}
	if (!found) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: no struct %s in the object\n",
			 path, FUSE_BPF_OPS_TYPE);
		return -EINVAL;
	}
	return 0;
}

/* Attach the fuse_bpf_ops maps of a loaded object to @f */
static int attach_loaded(struct fuse_bpf_filter *f, const char *path)
{
	struct bpf_map *map;
	char msg[512];
	int err;

	bpf_object__for_each_map(map, f->obj) {
		if (!is_ops_map(map))
			continue;
		if (f->count == MAX_FILTERS)
			return -E2BIG;
		/* the object's copy of the initial value: the name loaded */
		err = ops_name(bpf_object__btf(f->obj), map,
			       f->names[f->count], path, NULL);
		if (err < 0)
			return err;
		if (!err)
			continue;
		libbpf_last[0] = '\0';
		f->links[f->count] = bpf_map__attach_struct_ops(map);
		if (!f->links[f->count]) {
			err = bpf_err(-errno, msg, sizeof(msg));
			if (err == -EEXIST)
				fuse_log(FUSE_LOG_ERR,
					 "fuse-bpf: %s: attaching filter %s: a filter of that name is attached already (filter names are system-wide: another daemon, or another instance of this one?); give each instance a name of its own, e.g. fuse_bpf_filter_set_name(obj, \"%.10s-%%p\") or fuse-bpf-passthrough --filter-name %.10s-%%p\n",
					 path, f->names[f->count],
					 f->names[f->count], f->names[f->count]);
			else
				fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: attaching filter %s: %s\n",
					 path, f->names[f->count], msg);
			return err;
		}
		f->count++;
	}
	if (!f->count) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: no struct %s in the object\n",
			 path, FUSE_BPF_OPS_TYPE);
		return -EINVAL;
	}
	return 0;
}

int fuse_bpf_filter_load(struct fuse_bpf_filter **filterp, const char *path)
{
	return fuse_bpf_filter_load_as(filterp, path, NULL);
}

int fuse_bpf_filter_load_as(struct fuse_bpf_filter **filterp,
			    const char *path, const char *name)
{
	char as[FUSE_BPF_FILTER_NAME_MAX];
	struct fuse_bpf_filter *f;
	char msg[512];
	int err, fd;

	if (name && name_expand(as, name))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		return -ENOMEM;
	}
	f->own_obj = true;
	libbpf_print_once();
	/* the file's own errors apart from libbpf's, which may be ENOENT too */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: BPF object %s: %s\n", path,
			 strerror(-err));
		free(f);
		return err;
	}
	close(fd);
	libbpf_last[0] = '\0';
	f->obj = bpf_object__open_file(path, NULL);
	if (!f->obj) {
		err = bpf_err(-errno, msg, sizeof(msg));
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: BPF object %s: libbpf cannot open it: %s\n",
			 path, msg);
		free(f);
		return err;
	}
	/* names first: the initial values are the object's own until load */
	err = names_check(f->obj, path, name ? as : NULL);
	if (err)
		goto out;
	if (!kernel_has_ops()) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: %s: the kernel has no struct %s (no fuse-bpf filters)\n",
			 path, FUSE_BPF_OPS_TYPE);
		err = -EOPNOTSUPP;
		goto out;
	}
	libbpf_last[0] = '\0';
	err = bpf_object__load(f->obj);
	if (err) {
		err = bpf_err(err, msg, sizeof(msg));
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: loading the BPF object: %s\n",
			 path, msg);
		goto out;
	}
	err = attach_loaded(f, path);
	if (err)
		goto out;
	*filterp = f;
	return 0;

out:
	fuse_bpf_filter_unload(f);
	return err;
}

int fuse_bpf_filter_set_name(struct bpf_object *obj, const char *name)
{
	char as[FUSE_BPF_FILTER_NAME_MAX];

	libbpf_print_once();
	if (name_expand(as, name))
		return -EINVAL;
	if (obj_loaded(obj)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: %s: loaded already: name the filter between open and load\n",
			 bpf_object__name(obj));
		return -EBUSY;
	}
	return names_check(obj, bpf_object__name(obj), as);
}

int fuse_bpf_filter_attach(struct fuse_bpf_filter **filterp,
			   struct bpf_object *obj)
{
	struct fuse_bpf_filter *f;
	int err;

	libbpf_print_once();
	f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		return -ENOMEM;
	}
	f->obj = obj;
	if (!obj_loaded(obj)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: %s: the object is not loaded (attach after bpf_object__load())\n",
			 bpf_object__name(obj));
		err = -EINVAL;
		goto out;
	}
	err = attach_loaded(f, bpf_object__name(obj));
	if (err)
		goto out;
	*filterp = f;
	return 0;

out:
	fuse_bpf_filter_unload(f);
	return err;
}

const char *fuse_bpf_filter_name(const struct fuse_bpf_filter *filter,
				 unsigned int index)
{
	return index < filter->count ? filter->names[index] : NULL;
}

struct bpf_object *fuse_bpf_filter_object(const struct fuse_bpf_filter *filter)
{
	return filter->obj;
}

int fuse_bpf_filter_open(struct fuse_session *se, const char *name)
{
	return filter_open_fd(fuse_session_fd(se), name);
}

static int filter_open_fd(int fd, const char *name)
{
	struct fuse_bpf_filter_map map;
	size_t len = name ? strlen(name) : 0;
	int id;

	memset(&map, 0, sizeof(map));
	if (!len || len >= sizeof(map.name)) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: bad filter name '%s'\n",
			 name ? name : "(null)");
		return -EINVAL;
	}
	/* the NUL is the memset's */
	memcpy(map.name, name, len);
	id = ioctl(fd, FUSE_DEV_IOC_BPF_FILTER_OPEN, &map);
	if (id < 0) {
		id = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: FUSE_DEV_IOC_BPF_FILTER_OPEN(%s): %s%s\n",
			 name, strerror(-id),
			 id == -ENOENT ? " (is the filter attached?)" :
			 id == -EINVAL ? " (FUSE_BPF not negotiated yet?)" : "");
		return id;
	}
	if (id == 0) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: FUSE_DEV_IOC_BPF_FILTER_OPEN returned 0\n");
		return -EPROTO;
	}
	return id;
}

int fuse_bpf_filter_close(struct fuse_session *se, int filter_id)
{
	uint32_t id = filter_id;

	if (ioctl(fuse_session_fd(se), FUSE_DEV_IOC_BPF_FILTER_CLOSE, &id)) {
		int err = -errno;

		fuse_log(FUSE_LOG_ERR, "fuse-bpf: FUSE_DEV_IOC_BPF_FILTER_CLOSE(%d): %s\n",
			 filter_id, strerror(-err));
		return err;
	}
	return 0;
}
