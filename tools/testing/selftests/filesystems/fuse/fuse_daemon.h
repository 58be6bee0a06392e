/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small FUSE daemon for selftests that speaks the raw /dev/fuse protocol
 * (no libfuse).  It serves an in-memory tree, logs every request it
 * receives, and lets a test script the reply to any request.
 */
#ifndef FUSE_DAEMON_H
#define FUSE_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/fuse.h>

#define TD_ROOT_ID	FUSE_ROOT_ID
#define TD_MAX_NODES	256
#define TD_MAX_LOG	4096
#define TD_NAME_MAX	255

/* One request as the daemon received it. */
struct td_req {
	uint32_t opcode;
	uint64_t unique;
	uint64_t nodeid;
	uint32_t uid, gid, pid;
	/* First name argument of name-based ops (lookup, mkdir, ...). */
	char name[TD_NAME_MAX + 1];
};

struct td_node {
	uint64_t nodeid;
	uint64_t parent;
	char name[TD_NAME_MAX + 1];
	uint32_t mode;
	char *data;
	size_t size;
	uint64_t lookups;	/* nlookup, decremented by FORGET */
	/* fuse-bpf: the extension LOOKUP replies carry for this node */
	bool bpf_ext;
	uint32_t bpf_action;
	int32_t bpf_id;
	uint32_t bpf_filter_action;
	uint32_t bpf_filter_id;
};

struct td;

/*
 * A scripted reply: called for every request before the default handler.
 * @arg and @arglen are the request's argument bytes after the header.
 * Return 0 when the request was answered (with td_reply() or td_write()),
 * or TD_DEFAULT to let the built-in handler answer it.
 */
#define TD_DEFAULT 1
typedef int (*td_handler_t)(struct td *d, const struct fuse_in_header *in,
			    const void *arg, size_t arglen);

struct td_opts {
	/* Extra mount options, appended after fd=,rootmode=,user_id=,group_id=. */
	const char *mount_opts;
	/* FUSE_INIT flags the daemon accepts (ANDed with the kernel's offer). */
	uint64_t init_flags;
	/* Timeouts in the replies, in seconds. */
	uint64_t entry_timeout;
	uint64_t attr_timeout;
	/* open_flags in OPEN/OPENDIR replies (FOPEN_*). */
	uint32_t open_flags;
	/* Reply ENOSYS to FLUSH (the kernel then stops sending it). */
	bool no_flush;
	/* max_stack_depth in the INIT reply (FUSE_PASSTHROUGH needs >= 1). */
	uint32_t max_stack_depth;
	/* Answer INIT with this negative errno instead (a failed INIT). */
	int init_error;
	/*
	 * A handler (and its d->priv) in place from the first request on,
	 * INIT included; d->handler may also be set after td_mount().
	 */
	td_handler_t handler;
	void *priv;
};

struct td {
	int fuse_fd;
	char mnt[256];
	struct td_opts opts;
	pthread_t thread;
	bool running;
	uint32_t minor;			/* protocol minor the kernel sent */
	uint64_t kernel_flags;		/* FUSE_INIT flags the kernel offered */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct td_req log[TD_MAX_LOG];
	size_t nlog;
	size_t dropped;			/* requests past TD_MAX_LOG */
	size_t received, handled;	/* requests read, and answered */

	struct td_node nodes[TD_MAX_NODES];
	size_t nnodes;

	td_handler_t handler;
	void *priv;
	/* Errors the daemon saw (failed writes and the like). */
	int last_write_errno;
	unsigned int write_errors;
	/* Requests naming a FUSE_NODEID_KERNEL node: must stay 0. */
	unsigned int kernel_ids;
	/* the first of them: its opcode and id */
	uint32_t kernel_id_opcode;
	uint64_t kernel_id;
};

/*
 * Move the calling process into a private mount namespace, so that the
 * mounts a test makes vanish with it.  Returns 0 or -errno.
 */
int td_isolate(void);

/*
 * The FUSE_INIT flags this kernel offers (0 on failure): mounts a
 * throw-away daemon in the caller's mount namespace to ask.
 */
uint64_t td_kernel_init_flags(void);

/* Default options: 1 s entry/attr timeouts, no flags. */
void td_default_opts(struct td_opts *o);

/*
 * Mount a new daemon on @mnt and start serving.  The tree has only the root
 * directory; add nodes before the first access.  Returns NULL with errno set.
 */
struct td *td_mount(const char *mnt, const struct td_opts *opts);
/* Unmount, stop the thread, free everything. */
void td_umount(struct td *d);

uint64_t td_add_file(struct td *d, uint64_t parent, const char *name,
		     uint32_t mode, const void *data, size_t size);
uint64_t td_add_dir(struct td *d, uint64_t parent, const char *name,
		    uint32_t mode);
struct td_node *td_node(struct td *d, uint64_t nodeid);

/* Answer request @unique with @err (negative errno or 0) and @len bytes. */
int td_reply(struct td *d, uint64_t unique, int err, const void *data,
	     size_t len);
/* Write @len raw bytes to /dev/fuse; returns 0 or -errno from write(). */
int td_write(struct td *d, const void *buf, size_t len);

/*
 * Register @fd as a backing (FUSE_DEV_IOC_BACKING_OPEN with @flags).
 * Returns the backing id, or -errno.
 */
int td_backing_open(struct td *d, int fd, uint32_t flags);
int td_backing_close(struct td *d, int id);
/* Make the node answer LOOKUP with a fuse-bpf extension. */
void td_set_backing(struct td *d, uint64_t nodeid, uint32_t action,
		    int32_t id);
/*
 * A connection id for the registered BPF filter @name
 * (FUSE_DEV_IOC_BPF_FILTER_OPEN); returns the id or -errno.
 */
int td_filter_open(struct td *d, const char *name);
int td_filter_close(struct td *d, uint32_t id);
/* The filter part of the node's LOOKUP extension. */
void td_set_filter(struct td *d, uint64_t nodeid, uint32_t action,
		   uint32_t id);
/* FUSE_NOTIFY_INVAL_ENTRY for @name in @parent; returns 0 or -errno. */
int td_inval_entry(struct td *d, uint64_t parent, const char *name);
/*
 * Make sure every request the kernel queued so far reached the daemon:
 * looks up TD_BARRIER, which the daemon answers ENOENT and the log
 * rendering leaves out.  Returns true when it went through.
 */
#define TD_BARRIER ".td-barrier"
bool td_barrier(struct td *d);

/* The request log. */
size_t td_log_count(struct td *d, uint32_t opcode);
void td_log_reset(struct td *d);
/*
 * Wait up to @timeout_ms until at least @n requests with @opcode were
 * logged (for asynchronous requests such as RELEASE and FORGET).
 * Returns true when they were.
 */
bool td_log_wait(struct td *d, uint32_t opcode, size_t n, int timeout_ms);
/*
 * Wait up to @timeout_ms until the daemon has finished handling every
 * request it read: a reply's write() returns to the daemon only after the
 * kernel has already woken the caller.  Returns true when it has.
 */
bool td_settle(struct td *d, int timeout_ms);
/*
 * Render the log as "OPCODE OPCODE(name) ..." into @buf, leaving out
 * the opcodes in @skip (zero-terminated list, may be NULL).
 */
const char *td_log_str(struct td *d, char *buf, size_t size,
		       const uint32_t *skip);

const char *td_opname(uint32_t opcode);

/* Requests whose timing the kernel decides: left out of exact sequences. */
extern const uint32_t td_async_ops[];

/* Create or truncate @path with @mode and write @data: 0 or -1 (errno). */
int td_write_file(const char *path, const char *data, mode_t mode);
int td_write_bytes(const char *path, const void *data, size_t len,
		   mode_t mode);

/* Read at most @size - 1 bytes of @path into @buf and end them: n or -1. */
ssize_t td_read_file(const char *path, char *buf, size_t size);

/*
 * Systematic fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB):
 * td_failnth_open() lets failslab fail sleeping allocations without a
 * console dump and opens the calling thread's fail-nth file (an fd, or
 * -ENOENT when the kernel cannot inject).  td_failnth_arm(fd, n) makes
 * the n-th slab allocation of that thread fail, once; td_failnth_hit(fd)
 * says whether it did, and disarms it if not.  Neither allocates.
 */
int td_failnth_open(void);
int td_failnth_arm(int fd, unsigned int n);
bool td_failnth_hit(int fd);

#endif /* FUSE_DAEMON_H */
