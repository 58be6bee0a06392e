/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse-bpf filters: the struct_ops a BPF program implements to filter the
 * operations the kernel serves on backing inodes.
 *
 * Documentation/filesystems/fuse-bpf.rst explains how filters are attached
 * and pulls the kernel-doc below.
 */
#ifndef _LINUX_FUSE_BPF_OPS_H
#define _LINUX_FUSE_BPF_OPS_H

#include <linux/types.h>
#include <uapi/linux/fuse.h>

/* Longest filter name, NUL included. */
#define FUSE_BPF_NAME_MAX	FUSE_BPF_FILTER_NAME_MAX

/**
 * enum fuse_bpf_phase - when a filter callback runs
 * @FUSE_BPF_PRE: before the backing operation; in-arguments may be changed
 * @FUSE_BPF_POST: after it, when the pre phase asked for it; the result
 *	is in &fuse_bpf_ctx.error and the out-arguments may be changed
 */
enum fuse_bpf_phase {
	FUSE_BPF_PRE = 0,
	FUSE_BPF_POST = 1,
};

/**
 * enum fuse_bpf_verdict - what a filter callback returns
 * @FUSE_BPF_BACKING: pre phase: serve the operation on the backing inode
 *	(post phase: keep the result, with any changes to the out-arguments)
 * @FUSE_BPF_BACKING_POST: pre phase: serve it on the backing inode and
 *	call the filter again in the post phase
 * @FUSE_BPF_DAEMON: pre phase: send the operation to the daemon as a
 *	plain FUSE request.  A node the kernel made (FUSE_NODEID_KERNEL) is
 *	first resolved: the daemon looks its path up and the node takes the
 *	daemon's id.  A file the kernel opened has no daemon counterpart:
 *	an operation on it fails with -EOPNOTSUPP.
 * @FUSE_BPF_USER_PRE: pre phase: send the daemon a FUSE_PREFILTER request
 *	first (see struct fuse_filter_in); its reply may fail the operation
 *	or, for setattr and the create family, replace the in-arguments
 * @FUSE_BPF_USER_POST: pre phase: serve it on the backing inode, then send
 *	the daemon a FUSE_POSTFILTER request, whose reply is the result.  Not
 *	for readdir (-EOPNOTSUPP): the entries pass under the backing
 *	directory's lock.
 * @FUSE_BPF_SKIP: readdir post phase only: drop this entry
 *
 * A negative errno a system call may return (-511..-1) fails the
 * operation with that errno, in either phase.  Userspace filter requests
 * are never sent during RCU path walk (the access callback); the walk then
 * continues in ref-walk mode.  Any other value, the kernel's internal
 * errnos (-ERESTARTSYS, -EIOCBQUEUED, ...) included, and a verdict not
 * valid in the phase it was returned in, fails the operation with -EIO
 * and is logged (ratelimited).
 */
enum fuse_bpf_verdict {
	FUSE_BPF_BACKING = 0,
	FUSE_BPF_BACKING_POST = 1,
	FUSE_BPF_DAEMON = 2,
	FUSE_BPF_USER_PRE = 3,
	FUSE_BPF_USER_POST = 4,
	FUSE_BPF_SKIP = 5,
};

/**
 * enum fuse_bpf_ops_flags - how a filter guards its nodes (&fuse_bpf_ops.flags)
 * @FUSE_BPF_F_FAIL_CLOSED: once the filter is detached (its struct_ops
 *	link or map released), every operation on a node that still uses it
 *	and would have called the filter fails with -EIO.  Without the flag
 *	such nodes are served as if the filter had no callbacks.
 * @FUSE_BPF_F_BOTH_ENDS: the filter also sees a rename or link from its
 *	side when another filter (or none) runs the operation: its rename
 *	callback runs, pre phase only, when the new directory uses it and the
 *	old one does not; its link callback when the node being linked uses
 *	it and the new directory does not.  The context's node is then the
 *	new directory (equal to rename's @in.newdir) or the linked node
 *	(equal to link's @in.oldnodeid).  A negative errno fails the
 *	operation, %FUSE_BPF_DAEMON sends it to the daemon, a post phase
 *	verdict fails it with -EIO.
 * @FUSE_BPF_F_SHARED_MMAP: a file opened while the filter has a write
 *	callback may still be mapped shared and writable; stores through
 *	such a mapping reach the backing without the write callback.  For
 *	filters that only observe (count); without the flag such a mapping
 *	fails with -ENODEV.
 * @FUSE_BPF_F_BACKING_ATTR: the filter shows its nodes' backing
 *	attributes as they are: its getattr callback may observe or fail a
 *	getattr, never change the attributes or have the daemon answer it.
 *	Permission checks then take the backing's attributes as those the
 *	caller is shown, without asking the getattr callback: one callback
 *	less for each directory a path walk searches.  A getattr whose post
 *	phase (or userspace post filter) changes the attributes, or whose
 *	pre phase says %FUSE_BPF_DAEMON, fails with -EIO.
 *
 * Unknown flags fail the registration with -EINVAL.
 */
enum fuse_bpf_ops_flags {
	FUSE_BPF_F_FAIL_CLOSED = 1 << 0,
	FUSE_BPF_F_BOTH_ENDS = 1 << 1,
	FUSE_BPF_F_SHARED_MMAP = 1 << 2,
	FUSE_BPF_F_BACKING_ATTR = 1 << 3,
};

#define FUSE_BPF_F_ALL	(FUSE_BPF_F_FAIL_CLOSED | FUSE_BPF_F_BOTH_ENDS | \
			 FUSE_BPF_F_SHARED_MMAP | FUSE_BPF_F_BACKING_ATTR)

/**
 * struct fuse_bpf_ctx - what every filter callback is told; read-only
 * @opcode: the FUSE opcode the operation would have in a request
 *	(FUSE_LOOKUP, FUSE_MKDIR, ...), which tells apart the operations
 *	sharing a callback
 * @phase: &enum fuse_bpf_phase
 * @nodeid: the node operated on (the directory for name operations, the
 *	old directory for rename, the new one for link; the other end for a
 *	%FUSE_BPF_F_BOTH_ENDS call); FUSE_NODEID_KERNEL ids for kernel nodes
 * @uid: the caller's fsuid, in the connection's user namespace
 * @gid: the caller's fsgid, likewise
 * @pid: the caller's thread group id, in the connection's pid namespace
 * @error: post phase: the backing operation's result, 0 or -errno
 *
 * Names, symlink targets and directory entries are reached with the
 * bpf_fuse_get_name() and bpf_fuse_set_name() kfuncs, xattr values with
 * bpf_fuse_get_value().
 */
struct fuse_bpf_ctx {
	u32 opcode;
	u32 phase;
	u64 nodeid;
	u32 uid;
	u32 gid;
	u32 pid;
	s32 error;
};

/**
 * struct fuse_bpf_entry_args - FUSE_LOOKUP
 * @out: post phase: the child's entry (read-only).  A post phase error
 *	fails the lookup: -ENOENT hides the name.
 *
 * Name 0 is the child's name.
 */
struct fuse_bpf_entry_args {
	struct fuse_entry_out out;
};

/**
 * struct fuse_bpf_attr_args - FUSE_GETATTR
 * @in: unused, zero
 * @out: post phase: the attributes reported, which the filter may change;
 *	the file type (in @out.attr.mode) and @out.attr.ino must stay, else
 *	the getattr fails with -EIO
 */
struct fuse_bpf_attr_args {
	struct fuse_getattr_in in;
	struct fuse_attr_out out;
};

/**
 * struct fuse_bpf_setattr_args - FUSE_SETATTR
 * @in: the change (FATTR_* in @in.valid).  The pre phase may drop changes
 *	(clear bits of @in.valid) and edit the values of those left; adding
 *	a change, or changing the file type in @in.mode, fails with -EIO.
 *	The caller's right to the original change is checked first.
 */
struct fuse_bpf_setattr_args {
	struct fuse_setattr_in in;
};

/**
 * struct fuse_bpf_access_args - FUSE_ACCESS (every permission check)
 * @in: @in.mask is the MAY_READ/MAY_WRITE/MAY_EXEC mask being checked
 *
 * Runs for every permission check, path walks included: keep it cheap.
 */
struct fuse_bpf_access_args {
	struct fuse_access_in in;
};

/**
 * struct fuse_bpf_open_args - FUSE_OPEN and FUSE_OPENDIR
 * @in: @in.flags are the open(2) flags (read-only)
 */
struct fuse_bpf_open_args {
	struct fuse_open_in in;
};

/**
 * struct fuse_bpf_create_args - FUSE_CREATE, FUSE_MKNOD, FUSE_MKDIR,
 * FUSE_SYMLINK and FUSE_TMPFILE
 * @in: the new object's type and mode (umask applied) and device; the pre
 *	phase may change the permission bits of @in.mode, not its type
 * @out: post phase: the new node's entry (read-only)
 *
 * Name 0 is the new name (none for FUSE_TMPFILE); name 1 a symlink's
 * target.
 */
struct fuse_bpf_create_args {
	struct fuse_mknod_in in;
	struct fuse_entry_out out;
};

/**
 * struct fuse_bpf_link_args - FUSE_LINK
 * @in: @in.oldnodeid is the node being linked; the context's node is the
 *	new parent
 *
 * Name 0 is the new name.
 */
struct fuse_bpf_link_args {
	struct fuse_link_in in;
};

/**
 * struct fuse_bpf_rename_args - FUSE_RENAME2
 * @in: @in.newdir and the RENAME_* @in.flags; the context's node is the
 *	old parent
 *
 * Name 0 is the old name, name 1 the new one.
 */
struct fuse_bpf_rename_args {
	struct fuse_rename2_in in;
};

/**
 * struct fuse_bpf_dirent - one directory entry, readdir post phase
 * @ino: inode number
 * @off: position after the entry
 * @type: DT_* type
 * @namelen: length of the name (name 0)
 */
struct fuse_bpf_dirent {
	u64 ino;
	u64 off;
	u32 type;
	u32 namelen;
};

/**
 * struct fuse_bpf_readdir_args - FUSE_READDIR
 * @in: @in.offset is the directory position the read starts at
 * @entry: post phase: the entry being returned
 *
 * The post phase runs once per entry.  It may drop the entry
 * (%FUSE_BPF_SKIP) or give it another name with bpf_fuse_set_name().
 */
struct fuse_bpf_readdir_args {
	struct fuse_read_in in;
	struct fuse_bpf_dirent entry;
};

/**
 * struct fuse_bpf_xattr_args - FUSE_GETXATTR, FUSE_SETXATTR,
 * FUSE_LISTXATTR and FUSE_REMOVEXATTR
 * @in: @in.size is the caller's buffer size or the value's size; @in.flags
 *	the XATTR_CREATE/XATTR_REPLACE flags of setxattr
 * @out: post phase: @out.size is the size of the value or list returned
 *
 * Name 0 is the attribute's name (none for listxattr).  The value being
 * set, and in the getxattr post phase the value read, are reached with
 * bpf_fuse_get_value().
 */
struct fuse_bpf_xattr_args {
	struct fuse_setxattr_in in;
	struct fuse_getxattr_out out;
};

/**
 * struct fuse_bpf_statfs_args - FUSE_STATFS
 * @out: post phase: the backing filesystem's statistics; may be changed
 */
struct fuse_bpf_statfs_args {
	struct fuse_statfs_out out;
};

/*
 * Operations on files the kernel opened on the backing (read-only
 * arguments; fh fields are 0).  FUSE_BPF_DAEMON fails them with
 * -EOPNOTSUPP: the daemon never opened the file.
 */

/**
 * struct fuse_bpf_fsync_args - FUSE_FSYNC and FUSE_FSYNCDIR
 * @in: @in.fsync_flags has FUSE_FSYNC_FDATASYNC for fdatasync()
 */
struct fuse_bpf_fsync_args {
	struct fuse_fsync_in in;
};

/**
 * struct fuse_bpf_lseek_args - FUSE_LSEEK (SEEK_DATA and SEEK_HOLE)
 * @in: the offset and whence
 * @out: post phase: the new offset
 */
struct fuse_bpf_lseek_args {
	struct fuse_lseek_in in;
	struct fuse_lseek_out out;
};

/**
 * struct fuse_bpf_fallocate_args - FUSE_FALLOCATE
 * @in: offset, length and the FALLOC_FL_* mode
 */
struct fuse_bpf_fallocate_args {
	struct fuse_fallocate_in in;
};

/**
 * struct fuse_bpf_copy_file_range_args - FUSE_COPY_FILE_RANGE
 * @in: offsets, length and flags; @in.nodeid_out is the destination; the
 *	context's node is the source
 * @out: post phase: @out.size is the number of bytes copied
 */
struct fuse_bpf_copy_file_range_args {
	struct fuse_copy_file_range_in in;
	struct fuse_write_out out;
};

/**
 * struct fuse_bpf_flush_args - FUSE_FLUSH, on every close()
 * @in: @in.lock_owner is the closing files_struct's owner id
 */
struct fuse_bpf_flush_args {
	struct fuse_flush_in in;
};

/**
 * struct fuse_bpf_lock_args - FUSE_GETLK, FUSE_SETLK and FUSE_SETLKW
 * @in: the lock; FUSE_LK_FLOCK in @in.lk_flags for flock(2)
 */
struct fuse_bpf_lock_args {
	struct fuse_lk_in in;
};

/**
 * struct fuse_bpf_ioctl_args - FUSE_IOCTL: the fileattr ioctls
 *	(FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR,
 *	FS_IOC_FSSETXATTR)
 * @in: @in.cmd is the ioctl
 */
struct fuse_bpf_ioctl_args {
	struct fuse_ioctl_in in;
};

/*
 * Data I/O on files the kernel opened on the backing (read-only
 * arguments; fh and lock_owner are 0).  Whether a file's reads and writes
 * call the filter is decided when it is opened: only when the node's
 * filter then has the callback; other files take passthrough's path with
 * no call at all.  FUSE_BPF_DAEMON fails them with -EOPNOTSUPP, as for the
 * operations above: a file is handed to the daemon at open (the open
 * callback's FUSE_BPF_DAEMON), not later.
 */

/**
 * struct fuse_bpf_read_args - FUSE_READ: read(2) and its family, and
 *	splice from the file
 * @in: @in.offset and @in.size are the position and the number of bytes
 *	asked for; @in.flags the file's open(2) flags (O_DIRECT also for
 *	an RWF_... direct read)
 * @out: post phase: @out.size is the number of bytes read (0 at the end
 *	of the file or on error)
 *
 * A post phase errno fails the read: the caller's buffer may hold the
 * data, the file position does not move.  The post phase does not run
 * for asynchronous I/O (io_submit(2), io_uring) that the backing
 * completes later.
 */
struct fuse_bpf_read_args {
	struct fuse_read_in in;
	struct fuse_write_out out;
};

/**
 * struct fuse_bpf_write_args - FUSE_WRITE: write(2) and its family, and
 *	splice to the file
 * @in: @in.offset and @in.size are the position and the number of bytes
 *	to write; @in.flags the file's open(2) flags, with O_APPEND for an
 *	appending write (O_APPEND file or RWF_APPEND) and O_DIRECT for a
 *	direct one.  An appending write's @in.offset is the backing file's
 *	size when the filter runs.
 * @out: post phase: @out.size is the number of bytes written
 *
 * The post phase only observes: the data is on the backing by then, so
 * its verdict is ignored and the write's result stands.  It does not run
 * for asynchronous I/O that the backing completes later.
 */
struct fuse_bpf_write_args {
	struct fuse_write_in in;
	struct fuse_write_out out;
};

/**
 * struct fuse_bpf_ops - a fuse-bpf filter
 * @lookup: a name looked up in a backed directory
 * @getattr: attributes of a backed node
 * @setattr: chmod, chown, truncate, utimes of a backed node
 * @access: a permission check on a backed node, path walks included
 * @open: open and opendir of a backed node
 * @create: a new file, device, fifo, socket, directory or symlink, or an
 *	O_TMPFILE file, in a backed directory
 * @link: a hard link of a backed node; run by the new directory's filter
 *	(and the linked node's, see %FUSE_BPF_F_BOTH_ENDS)
 * @unlink: unlink (FUSE_UNLINK) and rmdir (FUSE_RMDIR); name 0 is the name
 * @rename: rename and renameat2; run by the old directory's filter (and
 *	the new directory's, see %FUSE_BPF_F_BOTH_ENDS)
 * @readdir: reading a backed directory
 * @readlink: reading a backed symlink; post phase: name 0 is the target
 * @xattr: the extended attribute operations, POSIX ACLs included
 * @statfs: statfs of a backed node; the post phase may change @out
 * @fsync: fsync and fdatasync of a backed file or directory
 * @lseek: SEEK_DATA and SEEK_HOLE on a backed file
 * @fallocate: fallocate of a backed file
 * @copy_file_range: copy_file_range between backed files
 * @flush: close() of a backed file
 * @lock: POSIX, OFD and flock locks on a backed file
 * @ioctl: the fileattr ioctls of a backed node
 * @read: reads of a backed file, when the filter had it at open; a
 *	shared mapping is still read on the backing without it
 * @write: writes to a backed file, when the filter had it at open; such
 *	a file refuses shared writable mappings (mmap() fails with -ENODEV)
 *	unless the filter sets %FUSE_BPF_F_SHARED_MMAP
 * @name: the filter's name, unique among registered filters; daemons
 *	refer to it with FUSE_DEV_IOC_BPF_FILTER_OPEN or the bpf_filter=
 *	mount option
 * @flags: &enum fuse_bpf_ops_flags, fixed at registration
 *
 * Every callback is optional: a missing one means %FUSE_BPF_BACKING (and
 * permission checks and getattr then cost what they cost without a
 * filter).  The
 * arguments are the FUSE request's in and out structures, so that a
 * filter reads the operation as the daemon would.  Callbacks run in the
 * caller's context with RCU read-side held and must not sleep.
 */
struct fuse_bpf_ops {
	int (*lookup)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_entry_args *args);
	int (*getattr)(struct fuse_bpf_ctx *ctx,
		       struct fuse_bpf_attr_args *args);
	int (*setattr)(struct fuse_bpf_ctx *ctx,
		       struct fuse_bpf_setattr_args *args);
	int (*access)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_access_args *args);
	int (*open)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_open_args *args);
	int (*create)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_create_args *args);
	int (*link)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_link_args *args);
	int (*unlink)(struct fuse_bpf_ctx *ctx);
	int (*rename)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_rename_args *args);
	int (*readdir)(struct fuse_bpf_ctx *ctx,
		       struct fuse_bpf_readdir_args *args);
	int (*readlink)(struct fuse_bpf_ctx *ctx);
	int (*xattr)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_xattr_args *args);
	int (*statfs)(struct fuse_bpf_ctx *ctx,
		      struct fuse_bpf_statfs_args *args);
	int (*fsync)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_fsync_args *args);
	int (*lseek)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_lseek_args *args);
	int (*fallocate)(struct fuse_bpf_ctx *ctx,
			 struct fuse_bpf_fallocate_args *args);
	int (*copy_file_range)(struct fuse_bpf_ctx *ctx,
			       struct fuse_bpf_copy_file_range_args *args);
	int (*flush)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_flush_args *args);
	int (*lock)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_lock_args *args);
	int (*ioctl)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_ioctl_args *args);
	int (*read)(struct fuse_bpf_ctx *ctx, struct fuse_bpf_read_args *args);
	int (*write)(struct fuse_bpf_ctx *ctx,
		     struct fuse_bpf_write_args *args);
	char name[FUSE_BPF_NAME_MAX];
	u32 flags;
};

#endif /* _LINUX_FUSE_BPF_OPS_H */
