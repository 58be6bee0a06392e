/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libfuse-bpf: fuse-bpf backing nodes and upstream passthrough for daemons
 * built on the libfuse 3 low-level API (3.14 or later), which knows
 * neither.
 *
 * The library wraps the daemon's /dev/fuse reads and writes with
 * fuse_session_custom_io() to negotiate FUSE_PASSTHROUGH and FUSE_BPF in
 * the INIT reply, open the daemon's BPF filters right after it, count
 * requests per opcode and answer userspace filter requests
 * (FUSE_PREFILTER, FUSE_POSTFILTER) with the daemon's callbacks, which
 * libfuse does not know; it registers backing
 * files and directories, loads and attaches BPF filters (struct
 * fuse_bpf_ops, with the in-tree libbpf linked in), sends LOOKUP, CREATE
 * and OPEN replies that libfuse cannot build, and mounts with a backed
 * root and a root filter.
 *
 * Errors: every function returning int returns 0 (or a non-negative
 * value where documented) on success and a negative errno on failure.
 * A failing function also logs one line at FUSE_LOG_ERR through
 * fuse_log(), so fuse_set_log_func() decides where messages go.
 *
 * Threads: the I/O hooks, the userspace filter callbacks, the reply,
 * backing and filter id functions, the negotiation queries and the
 * counters may be used from any number of session threads at once
 * (the connection's state they read is atomic, or written once before
 * INIT is answered).  Set-up and tear-down functions (attach, mount,
 * set_user_filter, want_filter, the filter loaders, the destructors)
 * are not thread-safe: call them before the session loop starts or
 * after it has returned.  Each function's comment says which it is.
 */
#ifndef FUSE_BPF_H
#define FUSE_BPF_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 314
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <fuse_lowlevel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What fuse_bpf_conn_new() should negotiate (@want). */
#define FUSE_BPF_WANT_PASSTHROUGH	(1u << 0)	/* FOPEN_PASSTHROUGH */
#define FUSE_BPF_WANT_BPF		(1u << 1)	/* backing nodes */

/*
 * Backing actions of fuse_bpf_reply_entry(): the values of the kernel's
 * FUSE_BPF_ACTION_* (uapi), renamed so that this header does not need
 * the fuse-bpf <linux/fuse.h>.
 */
#define FUSE_BPF_BACKING_KEEP		0	/* leave the node's backing */
#define FUSE_BPF_BACKING_SET		1	/* bind backing_id */
#define FUSE_BPF_BACKING_REMOVE		2	/* unbind: daemon serves it */
/*
 * Bind the child of the same name of the parent's backing, with the
 * parent binding's credentials (backing_id 0): a daemon's slow path says
 * "allowed, serve it from the backing" without registering a backing.
 * The parent must be backed (else the kernel fails the LOOKUP with EIO).
 */
#define FUSE_BPF_BACKING_INHERIT	3

/*
 * Filter actions of fuse_bpf_reply_entry(), likewise: the same
 * FUSE_BPF_ACTION_* values, for the node's BPF filter.
 */
#define FUSE_BPF_FILTER_KEEP		0	/* leave the node's filter */
#define FUSE_BPF_FILTER_SET		1	/* set filter_id */
#define FUSE_BPF_FILTER_REMOVE		2	/* no filter any more */

/* Flag of fuse_bpf_backing_open(): the kernel's FUSE_BACKING_DIR. */
#define FUSE_BPF_BACKING_DIR		(1u << 0)

/* Opcodes fuse_bpf_request_count() knows; larger ones count as one. */
#define FUSE_BPF_MAX_OPCODE		64

/*
 * Userspace filter requests: the operation's opcode with one of these
 * bits (the kernel's FUSE_PREFILTER and FUSE_POSTFILTER), for
 * fuse_bpf_request_count() and struct fuse_bpf_filter_req.
 */
#define FUSE_BPF_PREFILTER		0x10000
#define FUSE_BPF_POSTFILTER		0x20000

/* Most filters fuse_bpf_conn_want_filter() opens at INIT */
#define FUSE_BPF_MAX_INIT_FILTERS	16

/* The kernel's node ids (FUSE_NODEID_KERNEL): no reply may name one */
#define FUSE_BPF_NODEID_KERNEL		(1ULL << 63)

/**
 * struct fuse_bpf_conn - one /dev/fuse connection seen by the library
 *
 * Opaque.  Made by fuse_bpf_conn_new(), attached to a session by
 * fuse_bpf_conn_attach() or fuse_bpf_mount(), freed by
 * fuse_bpf_conn_destroy() after the session loop has returned.
 */
struct fuse_bpf_conn;

/**
 * struct fuse_bpf_filter - BPF filters loaded from one object file
 *
 * Opaque.  Made by fuse_bpf_filter_load(), which attaches every struct
 * fuse_bpf_ops of the object, or by fuse_bpf_filter_attach() for an
 * object the caller loaded (a skeleton's); freed, and the filters
 * detached, by fuse_bpf_filter_unload().
 */
struct fuse_bpf_filter;

/* libbpf's object, for fuse_bpf_filter_object() (<bpf/libbpf.h>) */
struct bpf_object;

/**
 * struct fuse_bpf_entry - the backing part of a LOOKUP or CREATE reply
 * @backing_action: FUSE_BPF_BACKING_KEEP, _SET, _REMOVE or _INHERIT
 * @backing_id: with SET, an id from fuse_bpf_backing_open(); else 0
 * @filter_action: FUSE_BPF_FILTER_KEEP, _SET or _REMOVE
 * @filter_id: with SET, an id from fuse_bpf_filter_open(); else 0
 *
 * Becomes the kernel's struct fuse_entry_bpf_out, whose flags and
 * reserved words the library keeps zero.  The backing and the filter
 * actions are independent: a SET filter on a node that is not backed
 * takes effect once the node is (the kernel runs filters only on the
 * operations it serves on backing inodes).
 */
struct fuse_bpf_entry {
	uint32_t backing_action;
	int32_t backing_id;
	uint32_t filter_action;
	uint32_t filter_id;
};

/**
 * struct fuse_bpf_filter_req - a userspace pre- or post-filter request
 * @opcode: the operation's FUSE opcode (FUSE_GETATTR, FUSE_MKDIR, ...),
 *	without FUSE_BPF_PREFILTER or FUSE_BPF_POSTFILTER
 * @post: false for a pre filter (before the kernel serves the operation
 *	on the backing), true for a post filter (after)
 * @nodeid: the node operated on, as the BPF filter's ctx->nodeid: the
 *	directory for name operations; a kernel node's id
 *	(FUSE_BPF_NODEID_KERNEL set) for nodes the daemon never saw
 * @uid: the caller's fsuid, from the request header
 * @gid: the caller's fsgid, likewise
 * @pid: the caller's thread group id, likewise
 * @error: post filter: the backing operation's result, 0 or -errno; 0 in
 *	a pre filter
 * @in: the operation's in structure as the BPF filter sees it (struct
 *	fuse_getattr_in for FUSE_GETATTR, struct fuse_setattr_in, struct
 *	fuse_mknod_in for the create family, ...; see struct fuse_bpf_*_args
 *	in the kernel's <linux/fuse_bpf_ops.h>), @in_size bytes, writable
 * @in_size: its size; 0 for operations without one (lookup, unlink, ...)
 * @out: post filter: the operation's out structure (struct fuse_attr_out
 *	for FUSE_GETATTR, struct fuse_entry_out for FUSE_LOOKUP, ...),
 *	@out_size bytes, writable; NULL in a pre filter
 * @out_size: its size; 0 in a pre filter
 * @names: how many of @name are set (0 to 2)
 * @name: the operation's names, NUL-terminated: name 0 is the entry's
 *	(a lookup's, a new object's, a rename's old name), name 1 a
 *	symlink's target or a rename's new name
 * @changed: set by the callback to reply with the changed @in (pre
 *	filter: FUSE_SETATTR and the create family only, whose in-arguments
 *	the kernel takes from the reply) or @out (post filter, for a
 *	successful operation only); left false, the reply is empty
 *
 * Valid during the callback only: @in, @out and @name point into the
 * request buffer.
 */
struct fuse_bpf_filter_req {
	uint32_t opcode;
	bool post;
	uint64_t nodeid;
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	int32_t error;
	void *in;
	uint32_t in_size;
	void *out;
	uint32_t out_size;
	unsigned int names;
	const char *name[2];
	bool changed;
};

/**
 * struct fuse_bpf_user_filter_ops - the daemon's userspace filters
 * @pre: answers FUSE_PREFILTER requests, or NULL
 * @post: answers FUSE_POSTFILTER requests, or NULL
 *
 * A BPF filter returning FUSE_BPF_USER_PRE from its pre phase makes the
 * kernel send the operation to @pre before serving it on the backing;
 * FUSE_BPF_USER_POST serves it and then sends it to @post.  Each returns
 * 0 or a negative errno (-1 to -511; anything else is answered -EIO and
 * logged).  @pre: an errno fails the operation with it; 0 lets the
 * kernel go on (with @req->in if @req->changed).  @post: an errno
 * becomes the operation's result; 0 keeps the backing's result (with
 * @req->out if @req->changed and the operation succeeded).
 *
 * A phase without a callback is left to libfuse, which answers ENOSYS:
 * the kernel then fails the operation with ENOSYS (a pre filter's
 * operation is not served; a post filter's already was, on the backing).
 *
 * Callbacks run in the session thread that read the request, before
 * libfuse sees it, possibly in several threads at once with the
 * multi-threaded loop; they must not use the mount themselves (the
 * caller may hold locks of the directory concerned).
 */
struct fuse_bpf_user_filter_ops {
	int (*pre)(void *data, struct fuse_bpf_filter_req *req);
	int (*post)(void *data, struct fuse_bpf_filter_req *req);
};

/**
 * fuse_bpf_conn_new() - prepare the negotiation of one connection
 * @connp: where the new connection goes
 * @want: FUSE_BPF_WANT_PASSTHROUGH and/or FUSE_BPF_WANT_BPF (BPF implies
 *	passthrough, which the kernel requires with it); 0 only counts
 * @max_stack_depth: the max_stack_depth offered with passthrough, 1 or 2
 *	(0 means 1): how deep the backing filesystems may stack
 *
 * Thread-safe (it touches no shared state).
 *
 * Return: 0, -EINVAL for bad arguments, -ENOMEM.
 */
int fuse_bpf_conn_new(struct fuse_bpf_conn **connp, unsigned int want,
		      unsigned int max_stack_depth);

/**
 * fuse_bpf_conn_attach() - hook a connection's /dev/fuse I/O
 * @conn: from fuse_bpf_conn_new()
 * @se: a session from fuse_session_new(), not mounted yet
 * @fd: its open /dev/fuse descriptor; the session owns it from now on
 *	(fuse_session_destroy() closes it)
 *
 * Installs fuse_session_custom_io() read and writev hooks.  The read hook
 * counts every request by opcode and remembers the kernel's INIT flags;
 * the writev hook patches the INIT reply: it adds FUSE_INIT_EXT, the
 * wanted flags2 bits the kernel offered (FUSE_PASSTHROUGH, and FUSE_BPF
 * when passthrough was granted), max_stack_depth, and drops
 * FUSE_WRITEBACK_CACHE, which passthrough excludes.  Every other choice
 * of libfuse and of the daemon's init() stays.  The hooks do not splice:
 * libfuse then does not offer splice either.  Not thread-safe: call it
 * once, before the session loop starts (fuse_bpf_mount() calls it).
 *
 * Return: 0 or the error of fuse_session_custom_io().
 */
int fuse_bpf_conn_attach(struct fuse_bpf_conn *conn, struct fuse_session *se,
			 int fd);

/**
 * fuse_bpf_conn_set_user_filter() - answer userspace filter requests
 * @conn: from fuse_bpf_conn_new()
 * @ops: the callbacks (copied), or NULL to leave every such request to
 *	libfuse (ENOSYS), the default
 * @data: passed to the callbacks
 *
 * See struct fuse_bpf_user_filter_ops.  Only connections whose daemon
 * sets BPF filters (or mounts with bpf_filter=) get these requests.
 * Not thread-safe: call before the session loop starts.
 */
void fuse_bpf_conn_set_user_filter(struct fuse_bpf_conn *conn,
				   const struct fuse_bpf_user_filter_ops *ops,
				   void *data);

/**
 * fuse_bpf_conn_want_filter() - open a BPF filter's id at INIT
 * @conn: from fuse_bpf_conn_new(), wanting FUSE_BPF_WANT_BPF
 * @name: a filter name (1 to 15 bytes), attached before INIT by any
 *	process (fuse_bpf_filter_load(), fuse_bpf_filter_name())
 *
 * The kernel opens filter ids (FUSE_DEV_IOC_BPF_FILTER_OPEN) only once
 * FUSE_BPF is negotiated, which libfuse has no hook for: the library
 * opens every listed name right after its INIT reply is written, before
 * the session reads the next request, and fuse_bpf_conn_filter_id()
 * gives the ids from then on.  They stay open as long as the connection.
 * Not thread-safe: call before the session loop starts.
 *
 * Return: 0; -EINVAL for a bad @name; -EBUSY once INIT was answered;
 * -E2BIG past FUSE_BPF_MAX_INIT_FILTERS names.  A name listed twice is
 * opened once.
 */
int fuse_bpf_conn_want_filter(struct fuse_bpf_conn *conn, const char *name);

/**
 * fuse_bpf_conn_filter_id() - the id a wanted filter got at INIT
 * @conn: the connection
 * @name: a name given to fuse_bpf_conn_want_filter()
 *
 * Thread-safe (session threads, after INIT).
 *
 * Return: the filter id (> 0), for FUSE_BPF_FILTER_SET; -EAGAIN before
 * the INIT reply; -EINVAL for a name never listed; -EOPNOTSUPP when
 * FUSE_BPF was not negotiated; else the open's error (-ENOENT: no filter
 * of that name was attached at INIT), which was logged then.
 */
int fuse_bpf_conn_filter_id(const struct fuse_bpf_conn *conn,
			    const char *name);

/**
 * fuse_bpf_conn_destroy() - free a connection
 * @conn: the connection, or NULL
 *
 * Call after fuse_session_destroy(): the hooks must not run any more.
 * Not thread-safe: the hooks of every connection of the process look
 * theirs up in one list without a lock, so with several connections in
 * one process, destroy none while another one's session loop runs.
 */
void fuse_bpf_conn_destroy(struct fuse_bpf_conn *conn);

/**
 * fuse_bpf_init_done() - has the INIT reply been sent?
 * @conn: the connection
 *
 * Thread-safe.
 *
 * Return: true once the daemon answered INIT; the flag functions below
 * mean something only then (from the daemon's init() callback on,
 * fuse_bpf_kernel_flags() already does).
 */
bool fuse_bpf_init_done(const struct fuse_bpf_conn *conn);

/**
 * fuse_bpf_kernel_flags() - the kernel's INIT flags
 * @conn: the connection
 *
 * Thread-safe.
 *
 * Return: flags | flags2 << 32 of the kernel's INIT request (flags2 only
 * with FUSE_INIT_EXT), 0 before INIT.  FUSE_BPF is bit 63.
 */
uint64_t fuse_bpf_kernel_flags(const struct fuse_bpf_conn *conn);

/**
 * fuse_bpf_kernel_offers() - does the kernel offer what @want needs?
 * @conn: the connection
 * @want: FUSE_BPF_WANT_PASSTHROUGH and/or FUSE_BPF_WANT_BPF
 *
 * Usable from the daemon's init() callback on, before the INIT reply.
 * Thread-safe.
 *
 * Return: true when the kernel's INIT request offered FUSE_PASSTHROUGH
 * (with FUSE_INIT_EXT) and, for FUSE_BPF_WANT_BPF, FUSE_BPF.
 */
bool fuse_bpf_kernel_offers(const struct fuse_bpf_conn *conn,
			    unsigned int want);

/**
 * fuse_bpf_passthrough_enabled() - was FUSE_PASSTHROUGH negotiated?
 * @conn: the connection
 *
 * Thread-safe.
 *
 * Return: true when it was wanted, the kernel offered it and the INIT
 * reply asked for it.
 */
bool fuse_bpf_passthrough_enabled(const struct fuse_bpf_conn *conn);

/**
 * fuse_bpf_enabled() - was FUSE_BPF negotiated?
 * @conn: the connection
 *
 * Thread-safe.
 *
 * Return: true when FUSE_BPF was wanted, the kernel offered it and the
 * INIT reply asked for it (with passthrough, which it needs).
 */
bool fuse_bpf_enabled(const struct fuse_bpf_conn *conn);

/**
 * fuse_bpf_request_count() - requests read so far with one opcode
 * @conn: the connection
 * @opcode: a FUSE opcode; any opcode of FUSE_BPF_MAX_OPCODE or more
 *	(CUSE_INIT included) reads the shared "other" counter.  With
 *	FUSE_BPF_PREFILTER or FUSE_BPF_POSTFILTER, the userspace filter
 *	requests of that phase for the opcode, whether a callback answered
 *	them or libfuse did (ENOSYS).
 *
 * Thread-safe.
 *
 * Return: the count.  FORGET and BATCH_FORGET count as requests too.
 */
uint64_t fuse_bpf_request_count(const struct fuse_bpf_conn *conn,
				uint32_t opcode);

/**
 * fuse_bpf_opcode_name() - the name of a FUSE opcode
 * @opcode: a FUSE opcode
 *
 * Thread-safe.
 *
 * Return: "LOOKUP", "READDIRPLUS", ...; "OTHER" for unknown opcodes.
 */
const char *fuse_bpf_opcode_name(uint32_t opcode);

/**
 * fuse_bpf_stats_write() - print the non-zero request counters
 * @conn: the connection
 * @f: where to print
 *
 * One line per opcode seen, "NAME count", in opcode order, then one
 * per userspace filter request seen, "PREFILTER:NAME count" and
 * "POSTFILTER:NAME count".  Thread-safe: the counters are read one by
 * one while session threads may go on counting (no snapshot).
 *
 * Return: 0, or -EIO when printing failed.
 */
int fuse_bpf_stats_write(const struct fuse_bpf_conn *conn, FILE *f);

/*
 * The kernel's counters: /sys/fs/fuse/connections/N/bpf_stats
 * (Documentation/filesystems/fuse-bpf.rst, section 13), one line per
 * opcode the fuse-bpf hooks handled, parsed into struct
 * fuse_bpf_op_stats.  Its count[] is indexed by enum fuse_bpf_stat, the
 * file's columns; FUSE_BPF_STAT_SLOTS is fixed, so that a later library
 * knowing more columns keeps the structure's size and layout.
 */
#define FUSE_BPF_STAT_SLOTS		32
#define FUSE_BPF_OP_NAME_MAX		32

/**
 * enum fuse_bpf_stat - the count columns of bpf_stats
 * @FUSE_BPF_STAT_KERNEL: served on the backing ("kernel")
 * @FUSE_BPF_STAT_DAEMON: handed to fuse's own code, which asks the daemon
 *	unless its caches answer ("daemon")
 * @FUSE_BPF_STAT_FILTER: failed by the BPF filter's pre phase ("filter")
 * @FUSE_BPF_STAT_USER: failed by the daemon's userspace pre filter
 *	("user")
 * @FUSE_BPF_STAT_ERRORS: served on the backing with an errno as the
 *	result ("errors")
 * @FUSE_BPF_STAT_PRE_BACKING: pre phase verdict BACKING ("pre_backing")
 * @FUSE_BPF_STAT_PRE_BACKING_POST: pre phase verdict BACKING_POST
 *	("pre_backing_post")
 * @FUSE_BPF_STAT_PRE_DAEMON: pre phase verdict DAEMON ("pre_daemon")
 * @FUSE_BPF_STAT_PRE_USER_PRE: pre phase verdict USER_PRE
 *	("pre_user_pre")
 * @FUSE_BPF_STAT_PRE_USER_POST: pre phase verdict USER_POST
 *	("pre_user_post")
 * @FUSE_BPF_STAT_POST_BPF: a post phase ran the BPF callback
 *	("post_bpf")
 * @FUSE_BPF_STAT_POST_USER: a post phase sent a userspace post filter
 *	request ("post_user")
 * @FUSE_BPF_NR_STATS: how many columns this library knows (at most
 *	FUSE_BPF_STAT_SLOTS; later versions append)
 */
enum fuse_bpf_stat {
	FUSE_BPF_STAT_KERNEL,
	FUSE_BPF_STAT_DAEMON,
	FUSE_BPF_STAT_FILTER,
	FUSE_BPF_STAT_USER,
	FUSE_BPF_STAT_ERRORS,
	FUSE_BPF_STAT_PRE_BACKING,
	FUSE_BPF_STAT_PRE_BACKING_POST,
	FUSE_BPF_STAT_PRE_DAEMON,
	FUSE_BPF_STAT_PRE_USER_PRE,
	FUSE_BPF_STAT_PRE_USER_POST,
	FUSE_BPF_STAT_POST_BPF,
	FUSE_BPF_STAT_POST_USER,
	FUSE_BPF_NR_STATS,
};

/**
 * struct fuse_bpf_op_stats - the kernel's counts for one opcode
 * @opcode: the FUSE opcode (the "opcode" column)
 * @present: bit i set when the file had the column of enum fuse_bpf_stat
 *	i (a column the kernel does not print reads 0 in @count)
 * @name: the kernel's name of the opcode ("LOOKUP", ...), NUL-terminated
 * @count: the counts, indexed by enum fuse_bpf_stat; slots from
 *	FUSE_BPF_NR_STATS on are 0 (reserved for later columns)
 *
 * 296 bytes, the same in every version of the library.
 */
struct fuse_bpf_op_stats {
	uint32_t opcode;
	uint32_t present;
	char name[FUSE_BPF_OP_NAME_MAX];
	uint64_t count[FUSE_BPF_STAT_SLOTS];
};

/**
 * fuse_bpf_stat_name() - the bpf_stats column of an enum fuse_bpf_stat
 * @stat: FUSE_BPF_STAT_KERNEL, ...
 *
 * Thread-safe.
 *
 * Return: "kernel", "daemon", ... as the file's header names them, or
 * NULL from FUSE_BPF_NR_STATS on.
 */
const char *fuse_bpf_stat_name(unsigned int stat);

/**
 * fuse_bpf_kernel_stats() - the kernel's counters of a connection
 * @conn: a connection mounted with fuse_bpf_mount()
 * @out: where the counts go, one element per opcode line; NULL with @n 0
 * @n: how many elements @out has
 *
 * fuse_bpf_mount() opens the connection's bpf_stats in the fuse control
 * filesystem, /sys/fs/fuse/connections/N (N is the minor of the mount's
 * st_dev), and keeps it open until fuse_bpf_conn_destroy(): the counts
 * stay readable after the unmount, which removes that directory.  Each
 * call reads the file again and parses it as
 * fuse_bpf_kernel_stats_parse() does.  A connection without FUSE_BPF
 * negotiated has no lines (0).  The library does not mount fusectl
 * ("mount -t fusectl none /sys/fs/fuse/connections"; most distributions
 * do at boot).  Daemons that mount with libfuse use
 * fuse_bpf_kernel_stats_at().  Thread-safe.
 *
 * Return: the number of opcode lines, of which the first @n are stored
 * (call again with a larger @out when it exceeds @n); -ENOTCONN when
 * @conn was not mounted by fuse_bpf_mount(); -ENOENT when fusectl was not
 * mounted at /sys/fs/fuse/connections then; -EOPNOTSUPP for a kernel
 * without fuse-bpf's files; -EACCES for a process that may not read
 * them (they belong to the mount's user_id, mode 0400); -EBADMSG for a
 * malformed file; -EFBIG past 1 MiB; -ENOMEM.
 */
int fuse_bpf_kernel_stats(const struct fuse_bpf_conn *conn,
			  struct fuse_bpf_op_stats *out, size_t n);

/**
 * fuse_bpf_kernel_stats_at() - the kernel's counters of a mount
 * @path: the mount point of a FUSE mount (or a path below it)
 * @out: as for fuse_bpf_kernel_stats()
 * @n: likewise
 *
 * Finds the connection from @path's mount (its mount id in
 * /proc/self/fdinfo, its device in /proc/self/mountinfo: no request
 * reaches the daemon for the mount point itself; a path below it is
 * looked up as usual, so a single-threaded daemon must not name one from
 * its own session thread), then reads and parses its bpf_stats.  For
 * daemons mounted by libfuse, monitoring tools, any mount of the
 * caller's mount namespace.  Thread-safe.
 *
 * Return: as fuse_bpf_kernel_stats(); -errno of open() for @path
 * (-ENOENT, ...); -EINVAL when @path is not on a FUSE mount; -ENOENT
 * also when fusectl is not mounted at /sys/fs/fuse/connections or the
 * connection is gone.
 */
int fuse_bpf_kernel_stats_at(const char *path, struct fuse_bpf_op_stats *out,
			     size_t n);

/**
 * fuse_bpf_kernel_stats_parse() - parse the text of a bpf_stats file
 * @text: the file's contents (need not be NUL-terminated)
 * @len: their length in bytes
 * @out: as for fuse_bpf_kernel_stats()
 * @n: likewise
 *
 * The format of Documentation/filesystems/fuse-bpf.rst, section 13: a
 * header line naming the columns, then one line per opcode, fields
 * separated by spaces, every line ending with a newline.  Columns are
 * taken by the header's names, in any order; columns this library does
 * not know are skipped (their fields must be there), known ones it does
 * not find stay 0 with their @present bit clear.  Strict otherwise: only
 * printable ASCII and spaces, every line as many fields as the header,
 * numbers decimal digits within 64 bits (the opcode within 32), names
 * shorter than FUSE_BPF_OP_NAME_MAX, at most 64 columns, each named once.
 * For files copied elsewhere, and for tests.  Thread-safe.
 *
 * Return: the number of opcode lines, of which the first @n are stored;
 * -EBADMSG (logged, with the line number) for malformed text, nothing
 * stored then beyond what earlier lines gave.
 */
int fuse_bpf_kernel_stats_parse(const char *text, size_t len,
				struct fuse_bpf_op_stats *out, size_t n);

/**
 * fuse_bpf_backing_open() - register a backing file or directory
 * @se: the session (its /dev/fuse descriptor is used)
 * @fd: the backing: a regular file or a directory; O_PATH is enough for
 *	the fuse-bpf kernel, upstream kernels may want a regular open
 * @flags: 0 or FUSE_BPF_BACKING_DIR; a directory gets
 *	FUSE_BPF_BACKING_DIR even without it
 *
 * FUSE_DEV_IOC_BACKING_OPEN.  Needs CAP_SYS_ADMIN and passthrough
 * negotiated, directories FUSE_BPF too.  The kernel keeps its own
 * reference: @fd may be closed afterwards.  Thread-safe (one ioctl on
 * the session's descriptor).
 *
 * Return: the backing id (> 0) or -errno (-EPERM, -EINVAL, -ELOOP, ...).
 */
int fuse_bpf_backing_open(struct fuse_session *se, int fd,
			  unsigned int flags);

/**
 * fuse_bpf_backing_close() - forget a backing id
 * @se: the session
 * @backing_id: from fuse_bpf_backing_open()
 *
 * FUSE_DEV_IOC_BACKING_CLOSE.  Nodes bound to it and files opened
 * through it keep the backing.  Do not close an id a reply just named:
 * the kernel resolves it after the daemon's write() returned, in the
 * context of the process that sent the request (a closed id makes that
 * process's system call fail with -EBADF).  Keep it as long as the node
 * (until its FORGET), or until the file is released.  Thread-safe.
 *
 * Return: 0 or -errno.
 */
int fuse_bpf_backing_close(struct fuse_session *se, int backing_id);

/**
 * fuse_bpf_reply_entry() - answer LOOKUP, optionally with a backing
 * @req: the LOOKUP request
 * @e: the entry, as for fuse_reply_entry()
 * @bpf: the backing action, or NULL for KEEP
 *
 * Sends struct fuse_entry_out followed by struct fuse_entry_bpf_out
 * through fuse_reply_buf().  A reply whose backing and filter actions
 * are both KEEP (or a NULL @bpf) is sent without the extension, so it
 * suits connections without FUSE_BPF too; any other action needs
 * FUSE_BPF negotiated.  As with fuse_reply_entry(), the daemon counts
 * one lookup of @e->ino when this succeeds.  With SET, the backing id
 * and the filter id must stay open after this returns (see
 * fuse_bpf_backing_close() and fuse_bpf_filter_close()): the kernel
 * resolves them after the daemon's write() returned, and a closed id
 * makes the requester's system call fail with -EBADF.  @e->ino must not
 * have FUSE_BPF_NODEID_KERNEL (bit 63): those ids are the kernel's, and
 * it refuses a reply naming one.  Thread-safe, as fuse_reply_buf().
 *
 * Return: 0; -ERANGE for an @e->ino with bit 63, -EINVAL for a bad @bpf
 * (either logged, and the request then answered with EIO); or the error
 * of fuse_reply_buf().
 */
int fuse_bpf_reply_entry(fuse_req_t req, const struct fuse_entry_param *e,
			 const struct fuse_bpf_entry *bpf);

/**
 * fuse_bpf_reply_create() - answer CREATE, optionally with passthrough
 * @req: the CREATE request
 * @e: the new entry
 * @fi: the open file: fh and the open flags (direct_io, keep_cache, ...)
 * @passthrough_id: a backing id for FOPEN_PASSTHROUGH, or 0 for none
 * @bpf: the backing action, or NULL for KEEP
 *
 * Sends struct fuse_entry_out, struct fuse_open_out and, unless @bpf is
 * NULL or KEEP, struct fuse_entry_bpf_out: the new node is bound at once,
 * while the file CREATE opened stays the daemon's (@fi->fh).  When the
 * kernel cannot apply @bpf (a closed backing id, ...), the create fails
 * and the daemon gets RELEASE for @fi->fh and FORGET for @e->ino.
 *
 * @e->ino must not have FUSE_BPF_NODEID_KERNEL (bit 63), as with
 * fuse_bpf_reply_entry().  Thread-safe, as fuse_reply_buf().
 *
 * Return: 0; -ERANGE for an @e->ino with bit 63, -EINVAL for a negative
 * @passthrough_id or a bad @bpf (either logged, and the request then
 * answered with EIO); or the error of fuse_reply_buf(): -ENOENT means the
 * request was interrupted and the daemon must release @fi->fh.
 */
int fuse_bpf_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
			  const struct fuse_file_info *fi,
			  int32_t passthrough_id,
			  const struct fuse_bpf_entry *bpf);

/**
 * fuse_bpf_reply_open() - answer OPEN, optionally with passthrough
 * @req: the OPEN request
 * @fi: the open file: fh and the open flags
 * @passthrough_id: a backing id for FOPEN_PASSTHROUGH, or 0 for none
 *
 * libfuse 3.14's fuse_reply_open() cannot set FOPEN_PASSTHROUGH; this
 * sends a struct fuse_open_out through fuse_reply_buf().  With
 * passthrough the kernel serves read, write, splice and mmap of the file
 * on the backing; the daemon still sees flush, fsync and release.  One
 * inode can only pass through to one backing at a time: reuse the id
 * while files of the inode are open.  Thread-safe, as fuse_reply_buf().
 *
 * Return: 0, -EINVAL for a negative @passthrough_id (the request is then
 * answered with EIO), or the error of fuse_reply_buf(): -ENOENT means the
 * request was interrupted and the daemon must release @fi->fh.
 */
int fuse_bpf_reply_open(fuse_req_t req, const struct fuse_file_info *fi,
			int32_t passthrough_id);

/**
 * struct fuse_bpf_mount_opts - how fuse_bpf_mount() mounts
 * @fsname: the mount's source as /proc/mounts shows it (NULL: "fuse-bpf")
 * @subtype: file system type "fuse.@subtype" (NULL: plain "fuse")
 * @mount_flags: mount(2) flags, e.g. MS_NOSUID | MS_NODEV
 * @allow_other: let other users than the mounter in
 * @default_permissions: let the kernel check permissions by mode
 * @backing_root_fd: a directory to back the root with (fuse-bpf kernels:
 *	backing_root_fd=), or -1; O_PATH is enough.  The connection then
 *	needs FUSE_BPF: attach a conn that wants it.
 * @max_read: the max_read= option, 0 for none
 * @extra: more comma-separated options for the kernel, or NULL
 * @bpf_filter: the name of a BPF filter for the root (fuse-bpf kernels:
 *	bpf_filter=), or NULL.  The filter must be attached before the
 *	mount (fuse_bpf_filter_load()) and runs on the operations the kernel
 *	serves on backing inodes: use it with @backing_root_fd.  Kernel
 *	nodes under the root inherit it.
 */
struct fuse_bpf_mount_opts {
	const char *fsname;
	const char *subtype;
	unsigned long mount_flags;
	bool allow_other;
	bool default_permissions;
	int backing_root_fd;
	unsigned int max_read;
	const char *extra;
	const char *bpf_filter;
};

/**
 * fuse_bpf_mount() - mount a session, with a backed root if asked
 * @se: a session from fuse_session_new(), not mounted yet
 * @conn: a connection to attach (fuse_bpf_conn_attach()), or NULL
 * @mountpoint: where to mount
 * @opts: the options
 *
 * The kernel resolves backing_root_fd= in the mounter's file table, so
 * the library mounts itself: it opens /dev/fuse, calls mount(2) with
 * fd=, rootmode= (from the backing root, else a directory 0755),
 * user_id=, group_id= (the caller's), the asked options,
 * backing_root_fd= and bpf_filter=, then gives the descriptor to the session
 * (fuse_bpf_conn_attach() and fuse_session_mount(se, "/dev/fd/N")).
 * Needs CAP_SYS_ADMIN; no fusermount.  Unmount with fuse_bpf_unmount():
 * fuse_session_unmount() does not know this mount.  Not thread-safe:
 * call it once, before the session loop starts.
 *
 * Return: 0; -errno of open() or mount(2) (-EINVAL from a kernel that
 * does not know backing_root_fd= or bpf_filter=, -ENOENT when no filter
 * of that name is attached); -EINVAL for a bad @opts->bpf_filter; -EIO
 * when the session refused the descriptor.
 */
int fuse_bpf_mount(struct fuse_session *se, struct fuse_bpf_conn *conn,
		   const char *mountpoint,
		   const struct fuse_bpf_mount_opts *opts);

/**
 * fuse_bpf_unmount() - detach a mount made by fuse_bpf_mount()
 * @mountpoint: the mount point
 *
 * umount2(MNT_DETACH).  An already unmounted point (-EINVAL) is no error.
 * Thread-safe.
 *
 * Return: 0 or -errno.
 */
int fuse_bpf_unmount(const char *mountpoint);

/**
 * fuse_bpf_filter_load() - load a BPF filter object and attach its filters
 * @filterp: where the new handle goes
 * @path: a BPF object file (clang --target=bpf, CO-RE against the kernel's
 *	vmlinux.h) holding one or more struct fuse_bpf_ops variables in a
 *	SEC(".struct_ops.link") (or ".struct_ops") section, each with a
 *	.name
 *
 * Opens the object with libbpf, reads the filter names from the initial
 * values of its struct fuse_bpf_ops maps (the offset of the name member
 * comes from the object's BTF), loads it and attaches every such map
 * (bpf_map__attach_struct_ops()).  Attaching registers the names with
 * the kernel: from then on a daemon on any connection may open them
 * (fuse_bpf_filter_open()) and mounts may name them (bpf_filter=).  The
 * handle keeps the object and the links: the filters stay attached until
 * fuse_bpf_filter_unload() or the process's exit.  Needs CAP_BPF and
 * CAP_SYS_ADMIN (or root).  libbpf's own messages go through fuse_log()
 * too (warnings at FUSE_LOG_WARNING, information at FUSE_LOG_INFO, debug
 * messages dropped): the first call installs the library's callback
 * with libbpf_set_print(); a later libbpf_set_print() of the daemon's
 * replaces it.  A failure's message names the libbpf error and the
 * first warning libbpf printed, its cause.  Not thread-safe: load and
 * attach filters from one thread at a time (libbpf does not promise
 * more); session threads may meanwhile use the rest of the library.
 *
 * Return: 0; -ENOENT (or another errno of open()) when @path cannot be
 * opened; libbpf's error when it cannot open the object (-EINVAL for
 * one that is not a BPF ELF object, -ENOTSUP or -ENOENT for a type or
 * member the kernel's BTF lacks, ...);
 * -EOPNOTSUPP when the kernel has no struct fuse_bpf_ops (a kernel
 * without fuse-bpf filters); -EINVAL when the object holds no struct
 * fuse_bpf_ops map, or one whose name is empty or longer than 15 bytes;
 * -EEXIST when a filter of that name is attached already; -E2BIG for
 * more than 16 maps; -ENOMEM; else the error of libbpf's load or attach
 * (-EPERM without privileges, -EACCES or -EINVAL when the verifier
 * refuses a program).
 */
int fuse_bpf_filter_load(struct fuse_bpf_filter **filterp, const char *path);

/**
 * fuse_bpf_filter_load_as() - fuse_bpf_filter_load(), under another name
 * @filterp: where the new handle goes
 * @path: a BPF object file, as for fuse_bpf_filter_load()
 * @name: the name to register the object's first filter as (1 to 15
 *	bytes, no comma; every "%p" becomes the process id), or NULL for
 *	the name the object gives it
 *
 * Filter names are global: two daemons that attach the same object at
 * once (two mounts of one file system type) need different names, or
 * the second gets -EEXIST.  The name is written into the struct
 * fuse_bpf_ops map's initial value before the object is loaded; the
 * object's other filters keep their names.
 *
 * Not thread-safe, as fuse_bpf_filter_load().
 *
 * Return: as fuse_bpf_filter_load(); -EINVAL also for a bad @name.
 */
int fuse_bpf_filter_load_as(struct fuse_bpf_filter **filterp,
			    const char *path, const char *name);

/**
 * fuse_bpf_filter_set_name() - name an object's filter before its load
 * @obj: a BPF object opened and not loaded yet: bpf_object__open_file(),
 *	or a bpftool skeleton's NAME__open() (its ->obj)
 * @name: the name to register the object's first struct fuse_bpf_ops as
 *	(1 to 15 bytes, no comma); every "%p" in it becomes the process
 *	id, so that "hide-%p" names each running instance apart
 *
 * The skeleton workflow: NAME__open(), set the program's .rodata through
 * the skeleton, fuse_bpf_filter_set_name(skel->obj, "NAME-%p"),
 * NAME__load(), fuse_bpf_filter_attach(&f, skel->obj); at the end
 * fuse_bpf_filter_unload(f), then NAME__destroy().  The name is written
 * into the map's initial value, which libbpf loads.  @obj must come
 * from the libbpf the library uses: the system's libbpf when the
 * library was built against it, else the copy libfuse-bpf.a carries
 * (link the program statically with libfuse-bpf.a: libfuse-bpf.so
 * hides its copy).  Not thread-safe, as fuse_bpf_filter_load().
 *
 * Return: 0; -EINVAL for a bad @name or an object without a named
 * struct fuse_bpf_ops; -EBUSY when @obj is loaded already; -E2BIG for
 * more than 16 struct_ops maps.
 */
int fuse_bpf_filter_set_name(struct bpf_object *obj, const char *name);

/**
 * fuse_bpf_filter_attach() - attach the filters of a loaded object
 * @filterp: where the new handle goes
 * @obj: a BPF object the caller opened and loaded (bpf_object__load(),
 *	a skeleton's NAME__load()), from the library's libbpf (see
 *	fuse_bpf_filter_set_name())
 *
 * As fuse_bpf_filter_load() does after its load: attaches every struct
 * fuse_bpf_ops of @obj under the name in its map (the object's, or the
 * one fuse_bpf_filter_set_name() gave).  The handle does not own @obj:
 * fuse_bpf_filter_unload() detaches the filters and leaves the object to
 * the caller, who destroys it after.  Not thread-safe, as
 * fuse_bpf_filter_load().
 *
 * Return: 0; -EINVAL when @obj is not loaded or holds no named struct
 * fuse_bpf_ops; -EEXIST when a filter of that name is attached already
 * (by another daemon or instance: the message says how to name each
 * apart); -ENOMEM; else libbpf's attach error.
 */
int fuse_bpf_filter_attach(struct fuse_bpf_filter **filterp,
			   struct bpf_object *obj);

/**
 * fuse_bpf_filter_unload() - detach the filters of a handle and free it
 * @filter: from fuse_bpf_filter_load() or fuse_bpf_filter_attach(), or
 *	NULL
 *
 * Destroys the links (the kernel forgets the names; nodes that hold one
 * of the filters are served as if it had no callbacks) and closes the
 * object fuse_bpf_filter_load() opened (not one given to
 * fuse_bpf_filter_attach()).  Filter ids a daemon opened stay valid
 * but name a dead filter.  Not thread-safe, as fuse_bpf_filter_load();
 * nothing may use @filter during or after the call.
 */
void fuse_bpf_filter_unload(struct fuse_bpf_filter *filter);

/**
 * fuse_bpf_filter_name() - the name of one filter of a handle
 * @filter: from fuse_bpf_filter_load()
 * @index: 0 for the first struct fuse_bpf_ops of the object, in the
 *	object's map order
 *
 * Thread-safe (it reads the handle only).
 *
 * Return: the name, as the kernel registered it, or NULL when @index is
 * past the last filter.  Valid until fuse_bpf_filter_unload().
 */
const char *fuse_bpf_filter_name(const struct fuse_bpf_filter *filter,
				 unsigned int index);

/**
 * fuse_bpf_filter_object() - libbpf's object of a handle
 * @filter: from fuse_bpf_filter_load()
 *
 * For reading the filter's maps (bpf_object__find_map_by_name(),
 * bpf_map__lookup_elem()); the handle keeps owning it.  Thread-safe;
 * what the caller does with the object is libbpf's business.
 *
 * Return: the loaded object, valid until fuse_bpf_filter_unload().
 */
struct bpf_object *fuse_bpf_filter_object(const struct fuse_bpf_filter *filter);

/**
 * fuse_bpf_filter_open() - a connection id for an attached filter
 * @se: the session (its /dev/fuse descriptor is used)
 * @name: the filter's name (fuse_bpf_filter_name()), attached by any
 *	process
 *
 * FUSE_DEV_IOC_BPF_FILTER_OPEN.  Needs CAP_SYS_ADMIN and FUSE_BPF
 * negotiated: call it once the INIT reply is sent (fuse_bpf_enabled()),
 * not from the init() callback.  Filters known before the session
 * starts are simpler to open at INIT: fuse_bpf_conn_want_filter().  The
 * id names the filter in fuse_bpf_reply_entry() (FUSE_BPF_FILTER_SET).
 * Thread-safe.
 *
 * Return: the filter id (> 0) or -errno: -EINVAL for an empty or too
 * long @name or before FUSE_BPF is negotiated, -ENOENT when no filter of
 * that name is attached, -EPERM.
 */
int fuse_bpf_filter_open(struct fuse_session *se, const char *name);

/**
 * fuse_bpf_filter_close() - forget a filter id
 * @se: the session
 * @filter_id: from fuse_bpf_filter_open()
 *
 * FUSE_DEV_IOC_BPF_FILTER_CLOSE.  Nodes that were given the filter keep
 * it.  As with backing ids, do not close an id a reply just named.
 * Thread-safe.
 *
 * Return: 0 or -errno (-ENOENT for an unknown id).
 */
int fuse_bpf_filter_close(struct fuse_session *se, int filter_id);

#ifdef __cplusplus
}
#endif

#endif /* FUSE_BPF_H */
