/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-bpf trace events: what the kernel served on backing inodes, what
 * the filters decided, bindings, resolutions and refused replies.
 *
 * Every event names the connection as its fusectl directory does
 * (/sys/fs/fuse/connections/N) and a node by its node id.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM fuse_bpf

#if !defined(_TRACE_FUSE_BPF_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_FUSE_BPF_H

#include <linux/tracepoint.h>
#include <linux/fuse.h>

#ifndef _TRACE_FUSE_BPF_ENUMS
#define _TRACE_FUSE_BPF_ENUMS

/**
 * enum fuse_bpf_trace_served - who served an operation (fuse_bpf_op)
 * @FUSE_BPF_SERVED_BACKING: the kernel, on the backing inode
 * @FUSE_BPF_SERVED_DAEMON: the daemon, as a plain FUSE request
 * @FUSE_BPF_SERVED_FILTER: the BPF filter's pre phase failed it
 * @FUSE_BPF_SERVED_USER: the userspace pre filter failed it
 */
enum fuse_bpf_trace_served {
	FUSE_BPF_SERVED_BACKING,
	FUSE_BPF_SERVED_DAEMON,
	FUSE_BPF_SERVED_FILTER,
	FUSE_BPF_SERVED_USER,
};

/**
 * enum fuse_bpf_trace_post - what ran in an operation's post phase
 * @FUSE_BPF_POST_NONE: no post phase
 * @FUSE_BPF_POST_BPF: the BPF filter's callback
 * @FUSE_BPF_POST_USER: a userspace post filter request
 */
enum fuse_bpf_trace_post {
	FUSE_BPF_POST_NONE,
	FUSE_BPF_POST_BPF,
	FUSE_BPF_POST_USER,
};

/**
 * enum fuse_bpf_trace_bind - why a node's backing changed (fuse_bpf_bind)
 * @FUSE_BPF_BIND_SET: a daemon's reply bound a registered backing
 * @FUSE_BPF_BIND_INHERIT: a daemon's reply bound the parent's backing child
 * @FUSE_BPF_BIND_KERNEL: the kernel looked the node up on the backing
 * @FUSE_BPF_BIND_ROOT: the backing_root_fd= mount option
 * @FUSE_BPF_UNBIND_REMOVE: a daemon's reply unbound the node
 * @FUSE_BPF_UNBIND_ROOT: the INIT reply did not allow the root's backing
 * @FUSE_BPF_UNBIND_EVICT: the node was evicted
 */
enum fuse_bpf_trace_bind {
	FUSE_BPF_BIND_SET,
	FUSE_BPF_BIND_INHERIT,
	FUSE_BPF_BIND_KERNEL,
	FUSE_BPF_BIND_ROOT,
	FUSE_BPF_UNBIND_REMOVE,
	FUSE_BPF_UNBIND_ROOT,
	FUSE_BPF_UNBIND_EVICT,
};

/**
 * enum fuse_bpf_trace_filter - a filter's registration (fuse_bpf_filter)
 * or a node's filter (fuse_bpf_filter_install)
 * @FUSE_BPF_FILTER_REG: a struct_ops map was attached: the name exists
 * @FUSE_BPF_FILTER_UNREG: it was detached
 * @FUSE_BPF_FILTER_OPEN: FUSE_DEV_IOC_BPF_FILTER_OPEN gave an id
 * @FUSE_BPF_FILTER_CLOSE: FUSE_DEV_IOC_BPF_FILTER_CLOSE closed it
 * @FUSE_BPF_FILTER_SET: a daemon's reply set the node's filter
 * @FUSE_BPF_FILTER_REMOVE: a daemon's reply removed it
 * @FUSE_BPF_FILTER_INHERIT: a kernel node took its parent's filter
 * @FUSE_BPF_FILTER_ROOT: the bpf_filter= mount option
 */
enum fuse_bpf_trace_filter {
	FUSE_BPF_FILTER_REG,
	FUSE_BPF_FILTER_UNREG,
	FUSE_BPF_FILTER_OPEN,
	FUSE_BPF_FILTER_CLOSE,
	FUSE_BPF_FILTER_SET,
	FUSE_BPF_FILTER_REMOVE,
	FUSE_BPF_FILTER_INHERIT,
	FUSE_BPF_FILTER_ROOT,
};

/**
 * enum fuse_bpf_trace_refused - why a reply (or a filter's result) was
 * refused (fuse_bpf_refused)
 * @FUSE_BPF_REFUSED_KERNEL_ID: a reply or notification named a kernel node
 * @FUSE_BPF_REFUSED_EXT_SIZE: an entry extension of the wrong size
 * @FUSE_BPF_REFUSED_EXT_INVALID: an entry extension with invalid fields
 * @FUSE_BPF_REFUSED_NO_BACKING: a backing id the daemon did not register
 * @FUSE_BPF_REFUSED_NO_FILTER: a filter id the daemon did not open
 * @FUSE_BPF_REFUSED_INHERIT: INHERIT found no backing child
 * @FUSE_BPF_REFUSED_TYPE: a backing whose type is not the node's
 * @FUSE_BPF_REFUSED_RESOLVE: a resolution named the root or another type
 * @FUSE_BPF_REFUSED_FILTER_REPLY: a userspace filter reply of a wrong size
 * @FUSE_BPF_REFUSED_FILTER_OUTARGS: a post filter sent out-args for a
 *	failed operation
 * @FUSE_BPF_REFUSED_VERDICT: a BPF filter returned an invalid value
 * @FUSE_BPF_REFUSED_ATTR: a filter returned invalid attributes
 * @FUSE_BPF_REFUSED_SETATTR: a setattr filter made an invalid change
 * @FUSE_BPF_REFUSED_BACKGROUND: a background request on a kernel node
 * @FUSE_BPF_REFUSED_ROOT_INIT: the INIT reply does not allow the backed root
 */
enum fuse_bpf_trace_refused {
	FUSE_BPF_REFUSED_KERNEL_ID,
	FUSE_BPF_REFUSED_EXT_SIZE,
	FUSE_BPF_REFUSED_EXT_INVALID,
	FUSE_BPF_REFUSED_NO_BACKING,
	FUSE_BPF_REFUSED_NO_FILTER,
	FUSE_BPF_REFUSED_INHERIT,
	FUSE_BPF_REFUSED_TYPE,
	FUSE_BPF_REFUSED_RESOLVE,
	FUSE_BPF_REFUSED_FILTER_REPLY,
	FUSE_BPF_REFUSED_FILTER_OUTARGS,
	FUSE_BPF_REFUSED_VERDICT,
	FUSE_BPF_REFUSED_ATTR,
	FUSE_BPF_REFUSED_SETATTR,
	FUSE_BPF_REFUSED_BACKGROUND,
	FUSE_BPF_REFUSED_ROOT_INIT,
};

#endif /* _TRACE_FUSE_BPF_ENUMS */

/* Export the enum values the formats print to userspace tools */
TRACE_DEFINE_ENUM(FUSE_LOOKUP);
TRACE_DEFINE_ENUM(FUSE_FORGET);
TRACE_DEFINE_ENUM(FUSE_GETATTR);
TRACE_DEFINE_ENUM(FUSE_SETATTR);
TRACE_DEFINE_ENUM(FUSE_READLINK);
TRACE_DEFINE_ENUM(FUSE_SYMLINK);
TRACE_DEFINE_ENUM(FUSE_MKNOD);
TRACE_DEFINE_ENUM(FUSE_MKDIR);
TRACE_DEFINE_ENUM(FUSE_UNLINK);
TRACE_DEFINE_ENUM(FUSE_RMDIR);
TRACE_DEFINE_ENUM(FUSE_RENAME);
TRACE_DEFINE_ENUM(FUSE_LINK);
TRACE_DEFINE_ENUM(FUSE_OPEN);
TRACE_DEFINE_ENUM(FUSE_READ);
TRACE_DEFINE_ENUM(FUSE_WRITE);
TRACE_DEFINE_ENUM(FUSE_STATFS);
TRACE_DEFINE_ENUM(FUSE_RELEASE);
TRACE_DEFINE_ENUM(FUSE_FSYNC);
TRACE_DEFINE_ENUM(FUSE_SETXATTR);
TRACE_DEFINE_ENUM(FUSE_GETXATTR);
TRACE_DEFINE_ENUM(FUSE_LISTXATTR);
TRACE_DEFINE_ENUM(FUSE_REMOVEXATTR);
TRACE_DEFINE_ENUM(FUSE_FLUSH);
TRACE_DEFINE_ENUM(FUSE_OPENDIR);
TRACE_DEFINE_ENUM(FUSE_READDIR);
TRACE_DEFINE_ENUM(FUSE_RELEASEDIR);
TRACE_DEFINE_ENUM(FUSE_FSYNCDIR);
TRACE_DEFINE_ENUM(FUSE_GETLK);
TRACE_DEFINE_ENUM(FUSE_SETLK);
TRACE_DEFINE_ENUM(FUSE_SETLKW);
TRACE_DEFINE_ENUM(FUSE_ACCESS);
TRACE_DEFINE_ENUM(FUSE_CREATE);
TRACE_DEFINE_ENUM(FUSE_IOCTL);
TRACE_DEFINE_ENUM(FUSE_FALLOCATE);
TRACE_DEFINE_ENUM(FUSE_READDIRPLUS);
TRACE_DEFINE_ENUM(FUSE_RENAME2);
TRACE_DEFINE_ENUM(FUSE_LSEEK);
TRACE_DEFINE_ENUM(FUSE_COPY_FILE_RANGE);
TRACE_DEFINE_ENUM(FUSE_TMPFILE);
TRACE_DEFINE_ENUM(FUSE_BPF_SERVED_BACKING);
TRACE_DEFINE_ENUM(FUSE_BPF_SERVED_DAEMON);
TRACE_DEFINE_ENUM(FUSE_BPF_SERVED_FILTER);
TRACE_DEFINE_ENUM(FUSE_BPF_SERVED_USER);
TRACE_DEFINE_ENUM(FUSE_BPF_POST_NONE);
TRACE_DEFINE_ENUM(FUSE_BPF_POST_BPF);
TRACE_DEFINE_ENUM(FUSE_BPF_POST_USER);
TRACE_DEFINE_ENUM(FUSE_BPF_BIND_SET);
TRACE_DEFINE_ENUM(FUSE_BPF_BIND_INHERIT);
TRACE_DEFINE_ENUM(FUSE_BPF_BIND_KERNEL);
TRACE_DEFINE_ENUM(FUSE_BPF_BIND_ROOT);
TRACE_DEFINE_ENUM(FUSE_BPF_UNBIND_REMOVE);
TRACE_DEFINE_ENUM(FUSE_BPF_UNBIND_ROOT);
TRACE_DEFINE_ENUM(FUSE_BPF_UNBIND_EVICT);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_REG);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_UNREG);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_OPEN);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_CLOSE);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_SET);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_REMOVE);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_INHERIT);
TRACE_DEFINE_ENUM(FUSE_BPF_FILTER_ROOT);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_KERNEL_ID);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_EXT_SIZE);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_EXT_INVALID);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_NO_BACKING);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_NO_FILTER);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_INHERIT);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_TYPE);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_RESOLVE);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_FILTER_REPLY);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_FILTER_OUTARGS);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_VERDICT);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_ATTR);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_SETATTR);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_BACKGROUND);
TRACE_DEFINE_ENUM(FUSE_BPF_REFUSED_ROOT_INIT);

/* Opcode 0 is no request: a notification from the daemon */
#define show_fuse_bpf_opcode(x)						\
	__print_symbolic(x,						\
		{ 0, "NOTIFY" },				\
		{ FUSE_LOOKUP, "LOOKUP" },			\
		{ FUSE_FORGET, "FORGET" },			\
		{ FUSE_GETATTR, "GETATTR" },			\
		{ FUSE_SETATTR, "SETATTR" },			\
		{ FUSE_READLINK, "READLINK" },			\
		{ FUSE_SYMLINK, "SYMLINK" },			\
		{ FUSE_MKNOD, "MKNOD" },			\
		{ FUSE_MKDIR, "MKDIR" },			\
		{ FUSE_UNLINK, "UNLINK" },			\
		{ FUSE_RMDIR, "RMDIR" },			\
		{ FUSE_RENAME, "RENAME" },			\
		{ FUSE_LINK, "LINK" },				\
		{ FUSE_OPEN, "OPEN" },				\
		{ FUSE_READ, "READ" },				\
		{ FUSE_WRITE, "WRITE" },			\
		{ FUSE_STATFS, "STATFS" },			\
		{ FUSE_RELEASE, "RELEASE" },			\
		{ FUSE_FSYNC, "FSYNC" },			\
		{ FUSE_SETXATTR, "SETXATTR" },			\
		{ FUSE_GETXATTR, "GETXATTR" },			\
		{ FUSE_LISTXATTR, "LISTXATTR" },		\
		{ FUSE_REMOVEXATTR, "REMOVEXATTR" },		\
		{ FUSE_FLUSH, "FLUSH" },			\
		{ FUSE_OPENDIR, "OPENDIR" },			\
		{ FUSE_READDIR, "READDIR" },			\
		{ FUSE_RELEASEDIR, "RELEASEDIR" },		\
		{ FUSE_FSYNCDIR, "FSYNCDIR" },			\
		{ FUSE_GETLK, "GETLK" },			\
		{ FUSE_SETLK, "SETLK" },			\
		{ FUSE_SETLKW, "SETLKW" },			\
		{ FUSE_ACCESS, "ACCESS" },			\
		{ FUSE_CREATE, "CREATE" },			\
		{ FUSE_IOCTL, "IOCTL" },			\
		{ FUSE_FALLOCATE, "FALLOCATE" },		\
		{ FUSE_READDIRPLUS, "READDIRPLUS" },		\
		{ FUSE_RENAME2, "RENAME2" },			\
		{ FUSE_LSEEK, "LSEEK" },			\
		{ FUSE_COPY_FILE_RANGE, "COPY_FILE_RANGE" },	\
		{ FUSE_TMPFILE, "TMPFILE" })

/* The pre phase's verdict: enum fuse_bpf_verdict, or -1 for -errno */
#define show_fuse_bpf_verdict(x)					\
	__print_symbolic(x,						\
		{ -1, "ERRNO" },				\
		{ 0, "BACKING" },				\
		{ 1, "BACKING_POST" },				\
		{ 2, "DAEMON" },				\
		{ 3, "USER_PRE" },				\
		{ 4, "USER_POST" })

#define show_fuse_bpf_served(x)						\
	__print_symbolic(x,						\
		{ FUSE_BPF_SERVED_BACKING, "backing" },		\
		{ FUSE_BPF_SERVED_DAEMON, "daemon" },		\
		{ FUSE_BPF_SERVED_FILTER, "filter" },		\
		{ FUSE_BPF_SERVED_USER, "user" })

#define show_fuse_bpf_post(x)						\
	__print_symbolic(x,						\
		{ FUSE_BPF_POST_NONE, "none" },			\
		{ FUSE_BPF_POST_BPF, "bpf" },			\
		{ FUSE_BPF_POST_USER, "user" })

#define show_fuse_bpf_bind(x)						\
	__print_symbolic(x,						\
		{ FUSE_BPF_BIND_SET, "set" },			\
		{ FUSE_BPF_BIND_INHERIT, "inherit" },		\
		{ FUSE_BPF_BIND_KERNEL, "kernel" },		\
		{ FUSE_BPF_BIND_ROOT, "root" },			\
		{ FUSE_BPF_UNBIND_REMOVE, "unbind_remove" },	\
		{ FUSE_BPF_UNBIND_ROOT, "unbind_root" },	\
		{ FUSE_BPF_UNBIND_EVICT, "unbind_evict" })

#define show_fuse_bpf_filter(x)						\
	__print_symbolic(x,						\
		{ FUSE_BPF_FILTER_REG, "register" },		\
		{ FUSE_BPF_FILTER_UNREG, "unregister" },	\
		{ FUSE_BPF_FILTER_OPEN, "open" },		\
		{ FUSE_BPF_FILTER_CLOSE, "close" },		\
		{ FUSE_BPF_FILTER_SET, "set" },			\
		{ FUSE_BPF_FILTER_REMOVE, "remove" },		\
		{ FUSE_BPF_FILTER_INHERIT, "inherit" },		\
		{ FUSE_BPF_FILTER_ROOT, "root" })

#define show_fuse_bpf_refused(x)						\
	__print_symbolic(x,						\
		{ FUSE_BPF_REFUSED_KERNEL_ID, "kernel_node_id" },	\
		{ FUSE_BPF_REFUSED_EXT_SIZE, "extension_size" },	\
		{ FUSE_BPF_REFUSED_EXT_INVALID, "extension_invalid" },	\
		{ FUSE_BPF_REFUSED_NO_BACKING, "no_backing_id" },	\
		{ FUSE_BPF_REFUSED_NO_FILTER, "no_filter_id" },	\
		{ FUSE_BPF_REFUSED_INHERIT, "inherit_failed" },	\
		{ FUSE_BPF_REFUSED_TYPE, "backing_type" },	\
		{ FUSE_BPF_REFUSED_RESOLVE, "resolve_mismatch" },	\
		{ FUSE_BPF_REFUSED_FILTER_REPLY, "filter_reply_size" },	\
		{ FUSE_BPF_REFUSED_FILTER_OUTARGS, "filter_outargs" },	\
		{ FUSE_BPF_REFUSED_VERDICT, "filter_verdict" },	\
		{ FUSE_BPF_REFUSED_ATTR, "filter_attr" },	\
		{ FUSE_BPF_REFUSED_SETATTR, "filter_setattr" },	\
		{ FUSE_BPF_REFUSED_BACKGROUND, "background_request" },	\
		{ FUSE_BPF_REFUSED_ROOT_INIT, "root_init" })

TRACE_EVENT(fuse_bpf_op,
	    TP_PROTO(u32 conn, u64 nodeid, u32 opcode, int pre, int post,
		     int served, int err),
	    TP_ARGS(conn, nodeid, opcode, pre, post, served, err),
	    TP_STRUCT__entry(__field(u64, nodeid)
			     __field(u32, conn)
			     __field(u32, opcode)
			     __field(int, pre)
			     __field(int, post)
			     __field(int, served)
			     __field(int, err)),
	    TP_fast_assign(__entry->nodeid = nodeid;
			   __entry->conn = conn;
			   __entry->opcode = opcode;
			   __entry->pre = pre < 0 ? -1 : pre;
			   __entry->post = post;
			   __entry->served = served;
			   __entry->err = err;),
	    TP_printk("connection=%u nodeid=0x%llx op=%s pre=%s post=%s served=%s err=%d",
		      __entry->conn, __entry->nodeid,
		      show_fuse_bpf_opcode(__entry->opcode),
		      show_fuse_bpf_verdict(__entry->pre),
		      show_fuse_bpf_post(__entry->post),
		      show_fuse_bpf_served(__entry->served),
		      __entry->err)
);

TRACE_EVENT(fuse_bpf_bind,
	    TP_PROTO(u32 conn, u64 nodeid, int action,
		     unsigned long backing_ino),
	    TP_ARGS(conn, nodeid, action, backing_ino),
	    TP_STRUCT__entry(__field(u64, nodeid)
			     __field(unsigned long, backing_ino)
			     __field(u32, conn)
			     __field(int, action)),
	    TP_fast_assign(__entry->nodeid = nodeid;
			   __entry->backing_ino = backing_ino;
			   __entry->conn = conn;
			   __entry->action = action;),
	    TP_printk("connection=%u nodeid=0x%llx action=%s backing_ino=%lu",
		      __entry->conn, __entry->nodeid,
		      show_fuse_bpf_bind(__entry->action),
		      __entry->backing_ino)
);

TRACE_EVENT(fuse_bpf_resolve,
	    TP_PROTO(u32 conn, u64 knode, u64 nodeid, int err),
	    TP_ARGS(conn, knode, nodeid, err),
	    TP_STRUCT__entry(__field(u64, knode)
			     __field(u64, nodeid)
			     __field(u32, conn)
			     __field(int, err)),
	    TP_fast_assign(__entry->knode = knode;
			   __entry->nodeid = nodeid;
			   __entry->conn = conn;
			   __entry->err = err;),
	    TP_printk("connection=%u nodeid=0x%llx new_nodeid=0x%llx err=%d",
		      __entry->conn, __entry->knode, __entry->nodeid, __entry->err)
);

TRACE_EVENT(fuse_bpf_filter,
	    TP_PROTO(u32 conn, int action, u32 id, const char *name),
	    TP_ARGS(conn, action, id, name),
	    TP_STRUCT__entry(__field(u32, conn)
			     __field(u32, id)
			     __field(int, action)
			     __string(name, name)),
	    TP_fast_assign(__entry->conn = conn;
			   __entry->id = id;
			   __entry->action = action;
			   __assign_str(name);),
	    TP_printk("connection=%u action=%s id=%u name=%s",
		      __entry->conn,
		      show_fuse_bpf_filter(__entry->action),
		      __entry->id, __get_str(name))
);

TRACE_EVENT(fuse_bpf_filter_install,
	    TP_PROTO(u32 conn, u64 nodeid, int action, const char *name),
	    TP_ARGS(conn, nodeid, action, name),
	    TP_STRUCT__entry(__field(u64, nodeid)
			     __field(u32, conn)
			     __field(int, action)
			     __string(name, name)),
	    TP_fast_assign(__entry->nodeid = nodeid;
			   __entry->conn = conn;
			   __entry->action = action;
			   __assign_str(name);),
	    TP_printk("connection=%u nodeid=0x%llx action=%s name=%s",
		      __entry->conn, __entry->nodeid,
		      show_fuse_bpf_filter(__entry->action),
		      __get_str(name))
);

TRACE_EVENT(fuse_bpf_refused,
	    TP_PROTO(u32 conn, u64 nodeid, u32 opcode, int reason),
	    TP_ARGS(conn, nodeid, opcode, reason),
	    TP_STRUCT__entry(__field(u64, nodeid)
			     __field(u32, conn)
			     __field(u32, opcode)
			     __field(int, reason)),
	    TP_fast_assign(__entry->nodeid = nodeid;
			   __entry->conn = conn;
			   __entry->opcode = opcode;
			   __entry->reason = reason;),
	    TP_printk("connection=%u nodeid=0x%llx op=%s reason=%s",
		      __entry->conn, __entry->nodeid,
		      show_fuse_bpf_opcode(__entry->opcode),
		      show_fuse_bpf_refused(__entry->reason))
);

#endif /* _TRACE_FUSE_BPF_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
