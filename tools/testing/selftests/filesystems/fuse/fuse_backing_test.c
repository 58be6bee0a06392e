// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf backing nodes: a LOOKUP reply binds a backing directory to a
 * node, and the kernel serves that subtree on tmpfs and on ext4.  Every
 * test checks the results against the backing filesystem and the
 * requests that reached the daemon.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"

static const char hello[] = "hello from the backing filesystem\n";

/* Sorted names of a directory, space-separated, without . and .. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static int list_dir(const char *path, char *out, size_t size)
{
	char *names[1024];
	struct dirent *de;
	size_t n = 0, i;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)) && n < 1024) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strlen(out) + strlen(names[i]) + 2 < size) {
			strcat(out, names[i]);
			strcat(out, " ");
		}
		free(names[i]);
	}
	return n;
}

FIXTURE(backing) {
	char mnt[64];
	char root[128];		/* backing directory on tmpfs or ext4 */
	char path[256];
	struct td *d;
	uint64_t dir_id;	/* daemon node "dir", bound to root */
	int backing_id;
};

FIXTURE_VARIANT(backing) {
	const char *fs_env;
	const char *fs_default;
};

FIXTURE_VARIANT_ADD(backing, tmpfs) {
	.fs_env = "FBPF_TMPFS",
	.fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(backing, ext4) {
	.fs_env = "FBPF_EXT4",
	.fs_default = NULL,
};

static char *mpath(struct _test_data_backing *self, const char *rel)
{
	snprintf(self->path, sizeof(self->path), "%s/dir/%s", self->mnt, rel);
	return self->path;
}

static char *bpath(struct _test_data_backing *self, const char *rel, char *buf)
{
	sprintf(buf, "%s/%s", self->root, rel);
	return buf;
}

FIXTURE_SETUP(backing)
{
	const char *fs = getenv(variant->fs_env);
	char p[256];
	struct td_opts o;
	int fd;

	if (!fs)
		fs = variant->fs_default;
	if (!fs || access(fs, W_OK))
		SKIP(return, "no %s backing filesystem", variant->fs_env);
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without CONFIG_FUSE_BPF");

	snprintf(self->root, sizeof(self->root), "%s/bk-XXXXXX", fs);
	ASSERT_NE(NULL, mkdtemp(self->root));
	ASSERT_EQ(0, chmod(self->root, 0755));
	ASSERT_EQ(0, td_write_file(bpath(self, "hello", p), hello, 0644));
	ASSERT_EQ(0, mkdir(bpath(self, "sub", p), 0755));
	ASSERT_EQ(0, td_write_file(bpath(self, "sub/inner", p), "inner\n", 0600));
	ASSERT_EQ(0, mkdir(bpath(self, "sub/deeper", p), 0700));
	ASSERT_EQ(0, td_write_file(bpath(self, "sub/deeper/leaf", p), "leaf\n",
				   0640));

	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fuse-bk-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	td_default_opts(&o);
	/*
	 * The daemon's entries and attributes never expire during a test:
	 * the ASSERT_LOG()s count its requests, and a long test on a loaded
	 * machine (concurrent_namespace_ops) outlived a 60 s entry timeout.
	 */
	o.entry_timeout = 3600;
	o.attr_timeout = 3600;
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	self->d = td_mount(self->mnt, &o);
	ASSERT_NE(NULL, self->d) TH_LOG("mount: %s", strerror(errno));
	self->dir_id = td_add_dir(self->d, TD_ROOT_ID, "dir", 0755);

	fd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	/* The first request makes the kernel wait for INIT to complete. */
	ASSERT_TRUE(td_barrier(self->d));
	self->backing_id = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, self->backing_id)
		TH_LOG("BACKING_OPEN: %s", strerror(-self->backing_id));
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_SET,
		       self->backing_id);
}

FIXTURE_TEARDOWN(backing)
{
	char cmd[256];

	td_umount(self->d);
	rmdir(self->mnt);
	if (self->root[0] && !strchr(self->root, '\'')) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
		system(cmd);
	}
}

/* The log after a barrier: what reached the daemon. */
#define ASSERT_LOG(expected) do { \
	char __log[2048]; \
	ASSERT_TRUE(td_barrier(self->d)); \
	ASSERT_STREQ(expected, td_log_str(self->d, __log, sizeof(__log), \
					  td_async_ops)); \
	ASSERT_EQ(0, self->d->kernel_ids); \
} while (0)

/*
 * The FUSE_BPF flag says fuse-bpf is there; the protocol minor stays the
 * base's 41 (upstream gave 7.42 to FUSE-over-io_uring).
 */
TEST_F(backing, init_negotiated)
{
	ASSERT_TRUE(self->d->kernel_flags & FUSE_BPF);
	ASSERT_EQ(41, self->d->minor);
}

/*
 * An aborted connection (fusectl "abort", or the daemon gone) stops the
 * kernel serving backed nodes too: they fail like any other node.
 */
TEST_F(backing, abort_stops_serving)
{
	char p[256], ctl[96];
	struct stat st;
	int fd;

	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(0, stat(self->mnt, &st));
	snprintf(ctl, sizeof(ctl), "/sys/fs/fuse/connections/%u/abort",
		 minor(st.st_dev));
	fd = open(ctl, O_WRONLY);
	if (fd < 0)
		SKIP(return, "no fusectl: %s", strerror(errno));
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);
	EXPECT_EQ(-1, stat(mpath(self, "hello"), &st));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, open(mpath(self, "new"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, mkdir(mpath(self, "sub/d"), 0755));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_NE(0, access(bpath(self, "new", p), F_OK));
	EXPECT_NE(0, access(bpath(self, "sub/d", p), F_OK));
}

TEST_F(backing, lookup_binds_backing)
{
	struct stat st, bst;
	char p[256], buf[256];

	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(0, stat(bpath(self, "hello", p), &bst));
	ASSERT_EQ(bst.st_size, st.st_size);
	ASSERT_EQ(bst.st_mode, st.st_mode);
	ASSERT_EQ(bst.st_ino, st.st_ino);
	ASSERT_EQ(bst.st_nlink, st.st_nlink);
	ASSERT_EQ(bst.st_mtim.tv_sec, st.st_mtim.tv_sec);
	ASSERT_EQ(bst.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
	ASSERT_EQ((ssize_t)strlen(hello),
		  td_read_file(mpath(self, "hello"), buf, sizeof(buf)));
	ASSERT_STREQ(hello, buf);
	/* The bound node itself shows the backing's attributes. */
	ASSERT_EQ(0, chmod(self->root, 0751));
	ASSERT_EQ(0, stat(mpath(self, ""), &st));
	ASSERT_EQ(0, stat(self->root, &bst));
	ASSERT_EQ(bst.st_ino, st.st_ino);
	ASSERT_EQ(S_IFDIR | 0751, st.st_mode);
	ASSERT_EQ(bst.st_nlink, st.st_nlink);
	/* One LOOKUP for the bound node; nothing below it. */
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, subtree_walk_served_by_kernel)
{
	static const char * const files[] = {
		"hello", "sub/inner", "sub/deeper/leaf",
	};
	char p[256], buf[256], bbuf[256], names[512];
	struct stat st, bst;
	size_t i;

	ASSERT_EQ(2, list_dir(mpath(self, ""), names, sizeof(names)));
	ASSERT_STREQ("hello sub ", names);
	ASSERT_EQ(2, list_dir(mpath(self, "sub"), names, sizeof(names)));
	ASSERT_STREQ("deeper inner ", names);
	ASSERT_EQ(1, list_dir(mpath(self, "sub/deeper"), names,
			      sizeof(names)));
	ASSERT_STREQ("leaf ", names);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		ASSERT_EQ(0, stat(mpath(self, files[i]), &st));
		ASSERT_EQ(0, stat(bpath(self, files[i], p), &bst));
		ASSERT_EQ(bst.st_mode, st.st_mode);
		ASSERT_EQ(bst.st_size, st.st_size);
		ASSERT_EQ(bst.st_uid, st.st_uid);
		ASSERT_LE(0, td_read_file(mpath(self, files[i]), buf,
					  sizeof(buf)));
		ASSERT_LE(0, td_read_file(p, bbuf, sizeof(bbuf)));
		ASSERT_STREQ(bbuf, buf);
	}
	ASSERT_EQ(-1, stat(mpath(self, "sub/missing"), &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, stat(mpath(self, "sub/deeper"), &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, read_write_through_backing)
{
	char p[256], buf[256];
	struct stat st;
	int fd;

	fd = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(5, pwrite(fd, "HELLO", 5, 0));
	ASSERT_EQ(7, pwrite(fd, "+more!\n", 7, strlen(hello)));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(strlen(hello) + 7, st.st_size);
	ASSERT_EQ(0, close(fd));
	ASSERT_LE(0, td_read_file(bpath(self, "hello", p), buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, "HELLO from the backing", 22));
	ASSERT_NE(NULL, strstr(buf, "+more!\n"));
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(strlen(hello) + 7, st.st_size);
	/* No OPEN, WRITE, FLUSH or RELEASE reached the daemon. */
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, changes_on_backing_are_visible)
{
	char p[256], q[256], buf[256], names[512];
	struct stat st;

	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(0, stat(mpath(self, "sub/inner"), &st));
	ASSERT_EQ(2, list_dir(mpath(self, ""), names, sizeof(names)));

	/* Change everything directly on the backing filesystem. */
	ASSERT_EQ(0, td_write_file(bpath(self, "hello", p), "short\n", 0644));
	ASSERT_EQ(0, chmod(bpath(self, "hello", p), 0600));
	ASSERT_EQ(0, rename(bpath(self, "sub/inner", p),
			    bpath(self, "sub/renamed", q)));
	ASSERT_EQ(0, td_write_file(bpath(self, "new", p), "new\n", 0644));

	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(6, st.st_size);
	ASSERT_EQ(S_IFREG | 0600, st.st_mode);
	ASSERT_EQ(6, td_read_file(mpath(self, "hello"), buf, sizeof(buf)));
	ASSERT_STREQ("short\n", buf);
	ASSERT_EQ(-1, stat(mpath(self, "sub/inner"), &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, stat(mpath(self, "sub/renamed"), &st));
	ASSERT_EQ(6, td_read_file(mpath(self, "sub/renamed"), buf, sizeof(buf)));
	ASSERT_STREQ("inner\n", buf);
	ASSERT_EQ(3, list_dir(mpath(self, ""), names, sizeof(names)));
	ASSERT_STREQ("hello new sub ", names);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* stat() @path @n times as nobody: 0, the last errno, or 255 */
static int nobody_stats(const char *path, int n)
{
	struct stat st;
	int status, err = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return 255;
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(255);
		while (n--)
			if (stat(path, &st))
				err = errno;
		_exit(err);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

#define LONG_NAME "sub/a-name-longer-than-the-inline-name-of-a-dentry"

/*
 * Warm walks (RCU path walk: revalidation and permission read the
 * bindings without references) and warm stats (which compare the
 * backing's attributes with the FUSE inode's) see changes made on the
 * backing behind the mount at once: a directory's mode, its sticky bit,
 * a rename, to a long name too, an unlink.
 */

TEST_F(backing, warm_walks_see_backing_changes)
{
	char p[256], q[256];
	struct stat st;

	ASSERT_EQ(0, nobody_stats(mpath(self, "sub/inner"), 50));
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0700));
	EXPECT_EQ(EACCES, nobody_stats(mpath(self, "sub/inner"), 1));
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0755));
	EXPECT_EQ(0, nobody_stats(mpath(self, "sub/inner"), 50));
	ASSERT_EQ(0, rename(bpath(self, "sub/inner", p),
			    bpath(self, "sub/moved", q)));
	EXPECT_EQ(ENOENT, nobody_stats(mpath(self, "sub/inner"), 1));
	EXPECT_EQ(0, nobody_stats(mpath(self, "sub/moved"), 50));
	/* a name longer than a dentry's inline buffer */
	ASSERT_EQ(0, rename(bpath(self, "sub/moved", p),
			    bpath(self, LONG_NAME, q)));
	EXPECT_EQ(ENOENT, nobody_stats(mpath(self, "sub/moved"), 1));
	EXPECT_EQ(0, nobody_stats(mpath(self, LONG_NAME), 50));
	ASSERT_EQ(0, unlink(bpath(self, LONG_NAME, p)));
	EXPECT_EQ(ENOENT, nobody_stats(mpath(self, LONG_NAME), 1));
	/* the sticky bit, which fuse keeps out of i_mode, comes and goes */
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 01777));
	ASSERT_EQ(0, stat(mpath(self, "sub"), &st));
	EXPECT_EQ(S_IFDIR | 01777, st.st_mode);
	ASSERT_EQ(0, stat(mpath(self, "sub"), &st));
	EXPECT_EQ(S_IFDIR | 01777, st.st_mode);
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0755));
	ASSERT_EQ(0, stat(mpath(self, "sub"), &st));
	EXPECT_EQ(S_IFDIR | 0755, st.st_mode);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* telldir()/seekdir() on a directory larger than one getdents buffer. */
TEST_F(backing, large_dir_seekdir)
{
	char p[256], name[64], *first[600];
	struct dirent *de;
	long pos = -1;
	int i, n = 0, m = 0;
	DIR *dir;

	ASSERT_EQ(0, mkdir(bpath(self, "big", p), 0755));
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "big/entry-with-a-long-name-%04d",
			 i);
		ASSERT_EQ(0, td_write_file(bpath(self, name, p), "", 0644));
	}
	dir = opendir(mpath(self, "big"));
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		ASSERT_LT(n, 600);
		first[n++] = strdup(de->d_name);
		if (n == 250)
			pos = telldir(dir);
	}
	ASSERT_EQ(502, n);
	ASSERT_LE(0, pos);
	seekdir(dir, pos);
	while ((de = readdir(dir))) {
		ASSERT_LT(250 + m, n);
		ASSERT_STREQ(first[250 + m], de->d_name);
		m++;
	}
	ASSERT_EQ(n - 250, m);
	closedir(dir);
	for (i = 0; i < n; i++)
		free(first[i]);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* The daemon removes, then replaces, the node's backing. */
TEST_F(backing, remove_and_replace_backing)
{
	char p[256], names[512];
	uint64_t only;
	int fd, id2;

	only = td_add_file(self->d, self->dir_id, "daemon-only", 0644, "d", 1);
	ASSERT_NE(0, only);
	ASSERT_EQ(2, list_dir(mpath(self, ""), names, sizeof(names)));
	ASSERT_STREQ("hello sub ", names);

	/* Unbind: the daemon serves the directory again. */
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_REMOVE, 0);
	ASSERT_EQ(0, td_inval_entry(self->d, TD_ROOT_ID, "dir"));
	ASSERT_EQ(1, list_dir(mpath(self, ""), names, sizeof(names)));
	ASSERT_STREQ("daemon-only ", names);

	/* Bind another backing directory: sub/ of the first. */
	fd = open(bpath(self, "sub", p), O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id2 = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id2);
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id2);
	ASSERT_EQ(0, td_inval_entry(self->d, TD_ROOT_ID, "dir"));
	ASSERT_EQ(2, list_dir(mpath(self, ""), names, sizeof(names)));
	ASSERT_STREQ("deeper inner ", names);
	ASSERT_EQ(0, td_backing_close(self->d, id2));
	ASSERT_LOG("INIT LOOKUP(dir) LOOKUP(dir) OPENDIR READDIR READDIR RELEASEDIR LOOKUP(dir)");
}

/* Backed and unbacked siblings: only the unbacked one reaches the daemon. */
TEST_F(backing, backed_and_unbacked_siblings)
{
	char path[128], buf[64];

	ASSERT_NE(0, td_add_file(self->d, TD_ROOT_ID, "plain", 0644,
				 "plain\n", 6));
	ASSERT_LE(0, td_read_file(mpath(self, "hello"), buf, sizeof(buf)));
	snprintf(path, sizeof(path), "%s/plain", self->mnt);
	ASSERT_EQ(6, td_read_file(path, buf, sizeof(buf)));
	ASSERT_STREQ("plain\n", buf);
	ASSERT_LOG("INIT LOOKUP(dir) LOOKUP(plain) OPEN READ FLUSH RELEASE");
}

/* An unprivileged caller gets the backing's permissions, decided locally. */
TEST_F(backing, unprivileged_caller)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char buf[64];
		struct stat st;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		/* 0644: readable */
		if (td_read_file(mpath(self, "hello"), buf, sizeof(buf)) <= 0)
			_exit(11);
		/* 0600 root-owned: not readable, but stat works */
		if (stat(mpath(self, "sub/inner"), &st))
			_exit(12);
		if (open(mpath(self, "sub/inner"), O_RDONLY) != -1 ||
		    errno != EACCES)
			_exit(13);
		/* 0644: not writable */
		if (open(mpath(self, "hello"), O_WRONLY) != -1 ||
		    errno != EACCES)
			_exit(14);
		/* 0700 root-owned directory: no search */
		if (stat(mpath(self, "sub/deeper/leaf"), &st) != -1 ||
		    errno != EACCES)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 0, or the number of the check that failed */
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, xattrs)
{
	char p[256], buf[256];
	ssize_t n;

	ASSERT_EQ(0, setxattr(mpath(self, "hello"), "user.colour", "blue", 4,
			      XATTR_CREATE));
	ASSERT_EQ(4, getxattr(bpath(self, "hello", p), "user.colour", buf,
			      sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "blue", 4));
	ASSERT_EQ(0, setxattr(p, "user.shape", "round", 5, 0));
	ASSERT_EQ(5, getxattr(mpath(self, "hello"), "user.shape", buf,
			      sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "round", 5));
	ASSERT_EQ(5, getxattr(mpath(self, "hello"), "user.shape", NULL, 0));
	ASSERT_EQ(-1, getxattr(mpath(self, "hello"), "user.shape", buf, 2));
	ASSERT_EQ(ERANGE, errno);
	ASSERT_EQ(-1, setxattr(mpath(self, "hello"), "user.colour", "red", 3,
			       XATTR_CREATE));
	ASSERT_EQ(EEXIST, errno);
	n = listxattr(mpath(self, "hello"), buf, sizeof(buf));
	ASSERT_EQ(n, listxattr(p, buf + 128, sizeof(buf) - 128));
	ASSERT_EQ(0, memcmp(buf, buf + 128, n));
	ASSERT_EQ(0, removexattr(mpath(self, "hello"), "user.colour"));
	ASSERT_EQ(-1, getxattr(p, "user.colour", buf, sizeof(buf)));
	ASSERT_EQ(ENODATA, errno);
	ASSERT_EQ(-1, removexattr(mpath(self, "sub"), "user.none"));
	ASSERT_EQ(ENODATA, errno);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/*
 * security.capability, which every write asks for (file_remove_privs()),
 * is answered from the backing inode's S_NOSEC while it has the flag: a
 * capability set on the backing behind the mount shows at once, and a
 * write through the mount removes it, as on the backing itself.
 */
TEST_F(backing, caps_xattr_behind_the_mount)
{
	/* struct vfs_cap_data, revision 2: CAP_NET_RAW permitted */
	static const uint32_t caps[5] = { 0x02000000, 1u << 13, 0, 0, 0 };
	char p[256], buf[64];
	int fd;

	ASSERT_EQ(0, td_write_file(bpath(self, "capped", p), "data\n", 0755));
	fd = open(mpath(self, "capped"), O_WRONLY);
	ASSERT_LE(0, fd);
	/* the backing's own write path gives its inode S_NOSEC */
	ASSERT_EQ(1, pwrite(fd, "D", 1, 0));
	EXPECT_EQ(-1, getxattr(mpath(self, "capped"), "security.capability",
			       buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	ASSERT_EQ(0, setxattr(p, "security.capability", caps, sizeof(caps),
			      0));
	EXPECT_EQ(sizeof(caps), getxattr(mpath(self, "capped"),
					 "security.capability", buf,
					 sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, caps, sizeof(caps)));
	ASSERT_EQ(1, pwrite(fd, "d", 1, 0));
	close(fd);
	EXPECT_EQ(-1, getxattr(p, "security.capability", buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, getxattr(mpath(self, "capped"), "security.capability",
			       buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* Kernel nodes are never named to the daemon, not even in FORGET. */
TEST_F(backing, no_forget_for_kernel_nodes)
{
	char names[512];
	struct stat st;
	int fd;

	ASSERT_EQ(2, list_dir(mpath(self, "sub"), names, sizeof(names)));
	ASSERT_EQ(0, stat(mpath(self, "sub/deeper/leaf"), &st));
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, write(fd, "2\n", 2));
	close(fd);
	ASSERT_TRUE(td_barrier(self->d));
	ASSERT_EQ(0, self->d->kernel_ids);
}

/* Did @ifd report IN_MODIFY on watch @wd?  Drains the queue. */
static bool modified(int ifd, int wd)
{
	union {
		struct inotify_event first;
		char buf[4096];
	} u;
	const struct inotify_event *ev;
	bool seen = false;
	ssize_t n, off;

	while ((n = read(ifd, u.buf, sizeof(u.buf))) > 0) {
		for (off = 0; off < n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(u.buf + off);
			if (ev->wd == wd && (ev->mask & IN_MODIFY))
				seen = true;
		}
	}
	return seen;
}

/*
 * One node per backing inode: the names of a hard link are one FUSE inode,
 * as on the backing filesystem, so an inotify watch on one name sees a
 * write through the other; and a name looked up again after its dentry
 * was evicted finds the inode the watch holds.
 */
TEST_F(backing, hard_links_are_one_inode)
{
	struct stat a, b, native;
	char p[256], other[256];
	int ifd, wd, fd;

	ASSERT_EQ(0, td_write_file(mpath(self, "sub/one"), "1\n", 0644));
	snprintf(other, sizeof(other), "%s", mpath(self, "sub/one"));
	ASSERT_EQ(0, link(other, mpath(self, "two")));
	ASSERT_EQ(0, stat(other, &a));
	ASSERT_EQ(0, stat(mpath(self, "two"), &b));
	ASSERT_EQ(0, stat(bpath(self, "two", p), &native));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(native.st_ino, a.st_ino);
	EXPECT_EQ(2, a.st_nlink);
	EXPECT_EQ(2, b.st_nlink);

	ifd = inotify_init1(IN_NONBLOCK);
	ASSERT_LE(0, ifd);
	wd = inotify_add_watch(ifd, other, IN_MODIFY);
	ASSERT_LE(0, wd);
	/* a write through the other name is a write to the watched inode */
	ASSERT_EQ(0, td_write_file(mpath(self, "two"), "2\n", 0644));
	EXPECT_TRUE(modified(ifd, wd));
	/* the dentries go, the watch keeps the inode, a lookup finds it */
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, write(fd, "2\n", 2));
	close(fd);
	ASSERT_EQ(0, td_write_file(other, "3\n", 0644));
	EXPECT_TRUE(modified(ifd, wd));
	ASSERT_EQ(0, td_write_file(mpath(self, "two"), "4\n", 0644));
	EXPECT_TRUE(modified(ifd, wd));
	/* unlinking one name leaves the other, served on the same inode */
	ASSERT_EQ(0, unlink(other));
	ASSERT_EQ(0, stat(mpath(self, "two"), &b));
	EXPECT_EQ(1, b.st_nlink);
	ASSERT_EQ(0, td_write_file(mpath(self, "two"), "5\n", 0644));
	EXPECT_TRUE(modified(ifd, wd));
	close(ifd);
	/* served by the kernel; "dir" is the daemon's, looked up again */
	ASSERT_LOG("INIT LOOKUP(dir) LOOKUP(dir)");
}

/* ---- hostile input: registration ---- */

TEST_F(backing, register_bad_input)
{
	char p[256], fusefile[128];
	int dfd, ffd, fd, id;
	pid_t pid;
	int status;

	dfd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	ffd = open(bpath(self, "hello", p), O_RDONLY);
	ASSERT_LE(0, ffd);

	/* A directory needs FUSE_BACKING_DIR, a file must not have it. */
	ASSERT_EQ(-EISDIR, td_backing_open(self->d, dfd, 0));
	ASSERT_EQ(-ENOTDIR, td_backing_open(self->d, ffd, FUSE_BACKING_DIR));
	/* Unknown flags, bad descriptors. */
	ASSERT_EQ(-EINVAL, td_backing_open(self->d, dfd, 0x80));
	ASSERT_EQ(-EINVAL, td_backing_open(self->d, dfd,
					   FUSE_BACKING_DIR | 0x100));
	ASSERT_EQ(-EBADF, td_backing_open(self->d, -1, FUSE_BACKING_DIR));
	ASSERT_EQ(-EBADF, td_backing_open(self->d, 9999, FUSE_BACKING_DIR));
	/* Stacked too deep: the FUSE mount itself as a backing. */
	fd = open(self->mnt, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-ELOOP, td_backing_open(self->d, fd, FUSE_BACKING_DIR));
	close(fd);
	snprintf(fusefile, sizeof(fusefile), "%s/dir/hello", self->mnt);
	fd = open(fusefile, O_PATH);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-ELOOP, td_backing_open(self->d, fd, 0));
	close(fd);
	/* Closing: twice, and ids that never were. */
	id = td_backing_open(self->d, ffd, 0);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, td_backing_close(self->d, id));
	ASSERT_EQ(-ENOENT, td_backing_close(self->d, id));
	ASSERT_EQ(-EINVAL, td_backing_close(self->d, 0));

	/* Unprivileged: EPERM, even with the device fd in hand. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		_exit(td_backing_open(self->d, dfd, FUSE_BACKING_DIR) == -EPERM ?
		      0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(dfd);
	close(ffd);
}

/* ---- hostile input: bindings the kernel must refuse ---- */

TEST_F(backing, bind_bad_ids)
{
	char p[256], path[128];
	uint64_t fnode, dnode;
	struct stat st;
	int fd, fid, did;

	fnode = td_add_file(self->d, TD_ROOT_ID, "file", 0644, "x", 1);
	dnode = td_add_dir(self->d, TD_ROOT_ID, "dir2", 0755);
	fd = open(bpath(self, "hello", p), O_RDONLY);
	ASSERT_LE(0, fd);
	fid = td_backing_open(self->d, fd, 0);
	close(fd);
	ASSERT_LT(0, fid);
	fd = open(bpath(self, "sub", p), O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	did = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, did);

	/* An id nobody registered. */
	td_set_backing(self->d, dnode, FUSE_BPF_ACTION_SET, 4242);
	snprintf(path, sizeof(path), "%s/dir2", self->mnt);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(EBADF, errno);
	/* A file's backing for a directory, and the other way round. */
	td_set_backing(self->d, dnode, FUSE_BPF_ACTION_SET, fid);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(ENOTDIR, errno);
	td_set_backing(self->d, fnode, FUSE_BPF_ACTION_SET, did);
	snprintf(path, sizeof(path), "%s/file", self->mnt);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(EISDIR, errno);
	/* A closed id. */
	ASSERT_EQ(0, td_backing_close(self->d, fid));
	td_set_backing(self->d, fnode, FUSE_BPF_ACTION_SET, fid);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(EBADF, errno);

	/* The mount keeps working: a good binding now succeeds. */
	td_set_backing(self->d, dnode, FUSE_BPF_ACTION_SET, did);
	snprintf(path, sizeof(path), "%s/dir2/inner", self->mnt);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(6, st.st_size);
	ASSERT_EQ(0, td_backing_close(self->d, did));
	ASSERT_LOG("INIT LOOKUP(dir2) LOOKUP(dir2) LOOKUP(file) LOOKUP(file) LOOKUP(dir2)");
}

/* What the handler below sends for LOOKUP("bad"). */
struct bad_reply {
	uint64_t nodeid;
	size_t ext_len;		/* bytes of extension after fuse_entry_out */
	struct fuse_entry_bpf_out ext;
	int write_err;		/* what the daemon's write() returned */
};

static struct bad_reply bad;

static int bad_lookup(struct td *d, const struct fuse_in_header *in,
		      const void *arg, size_t arglen)
{
	struct {
		struct fuse_entry_out e;
		char ext[64];
	} r = { };

	if (in->opcode != FUSE_LOOKUP || strcmp(arg, "bad"))
		return TD_DEFAULT;
	r.e.nodeid = bad.nodeid;
	r.e.entry_valid = 60;
	r.e.attr_valid = 60;
	r.e.attr.ino = bad.nodeid;
	r.e.attr.mode = S_IFDIR | 0755;
	r.e.attr.nlink = 2;
	memcpy(r.ext, &bad.ext, sizeof(bad.ext));
	bad.write_err = td_reply(d, in->unique, 0, &r,
				 sizeof(r.e) + bad.ext_len);
	return 0;
}

/*
 * The reply to MKDIR (and MKNOD, SYMLINK, LINK) may carry the extension
 * too: the daemon makes the directory and binds a backing to it at once.
 */
struct made_bind {
	int32_t backing_id;
	uint32_t action;
	uint64_t nodeid;
};

static struct made_bind mkdir_bind;

/* The entry and extension of a reply that makes @b->nodeid, of @mode */
static void made_entry(struct fuse_entry_out *e, struct fuse_entry_bpf_out *x,
		       const struct made_bind *b, mode_t mode)
{
	e->nodeid = b->nodeid;
	e->entry_valid = 60;
	e->attr_valid = 60;
	e->attr.ino = b->nodeid;
	e->attr.mode = mode;
	e->attr.nlink = S_ISDIR(mode) ? 2 : 1;
	x->backing_action = b->action;
	x->backing_id = b->backing_id;
}

static int mkdir_binds(struct td *d, const struct fuse_in_header *in,
		       const void *arg, size_t arglen)
{
	struct {
		struct fuse_entry_out e;
		struct fuse_entry_bpf_out x;
	} r = { 0 };

	if (in->opcode != FUSE_MKDIR)
		return TD_DEFAULT;
	made_entry(&r.e, &r.x, &mkdir_bind, S_IFDIR | 0755);
	td_reply(d, in->unique, 0, &r, sizeof(r));
	return 0;
}

TEST_F(backing, mkdir_reply_binds_backing)
{
	char path[256], names[256], p[256];
	int fd, id;

	/* A second backing directory, with a file in it */
	ASSERT_EQ(0, mkdir(bpath(self, "made", p), 0755));
	ASSERT_EQ(0, td_write_file(bpath(self, "made/inside", p), "in\n", 0644));
	fd = open(bpath(self, "made", p), O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id);
	mkdir_bind.nodeid = 300;
	mkdir_bind.action = FUSE_BPF_ACTION_SET;
	mkdir_bind.backing_id = id;
	self->d->handler = mkdir_binds;
	/* The root is the daemon's: MKDIR goes to it, and binds */
	snprintf(path, sizeof(path), "%s/newdir", self->mnt);
	ASSERT_EQ(0, mkdir(path, 0755));
	ASSERT_EQ(1, list_dir(path, names, sizeof(names)));
	EXPECT_STREQ("inside ", names);
	snprintf(path, sizeof(path), "%s/newdir/inside", self->mnt);
	EXPECT_EQ(0, access(path, R_OK));
	ASSERT_LOG("INIT LOOKUP(newdir) MKDIR(newdir)");
	/* A malformed extension fails the mkdir, the mount goes on */
	mkdir_bind.nodeid = 301;
	mkdir_bind.action = 9;
	snprintf(path, sizeof(path), "%s/other", self->mnt);
	EXPECT_EQ(-1, mkdir(path, 0755));
	EXPECT_EQ(EIO, errno);
	self->d->handler = NULL;
}

/*
 * The CREATE reply binds too: struct fuse_entry_out, struct fuse_open_out
 * and the extension.  The file CREATE opened stays the daemon's; the node
 * is served on its backing from then on.
 */
static struct made_bind create_bind;

static int create_binds(struct td *d, const struct fuse_in_header *in,
			const void *arg, size_t arglen)
{
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
		struct fuse_entry_bpf_out x;
	} r = { 0 };

	/* the daemon's own table does not know the nodes made here */
	if ((in->opcode == FUSE_FLUSH || in->opcode == FUSE_RELEASE) &&
	    in->nodeid >= 310 && in->nodeid <= 312) {
		td_reply(d, in->unique, 0, NULL, 0);
		return 0;
	}
	if (in->opcode != FUSE_CREATE)
		return TD_DEFAULT;
	made_entry(&r.e, &r.x, &create_bind, S_IFREG | 0644);
	r.o.fh = 77;
	td_reply(d, in->unique, 0, &r, sizeof(r));
	return 0;
}

TEST_F(backing, create_reply_binds_backing)
{
	char buf[64], p[256], path[256];
	struct stat st;
	int fd, id;

	ASSERT_EQ(0, td_write_file(bpath(self, "made-file", p), "backed\n",
				   0644));
	fd = open(bpath(self, "made-file", p), O_RDWR);
	ASSERT_LE(0, fd);
	id = td_backing_open(self->d, fd, 0);
	close(fd);
	ASSERT_LT(0, id);
	create_bind.nodeid = 310;
	create_bind.action = FUSE_BPF_ACTION_SET;
	create_bind.backing_id = id;
	self->d->handler = create_binds;
	/* The root is the daemon's: CREATE goes to it, and binds */
	snprintf(path, sizeof(path), "%s/newfile", self->mnt);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, close(fd)) TH_LOG("close: %s", strerror(errno));
	/* the open file was the daemon's: its FLUSH and RELEASE went there */
	ASSERT_LOG("INIT LOOKUP(newfile) CREATE(newfile) FLUSH RELEASE");
	/* the node is the backing file's now, served by the kernel */
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(7, st.st_size);
	EXPECT_EQ(7, td_read_file(path, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "backed\n", 7));
	ASSERT_EQ(0, td_write_file(path, "changed\n", 0644));
	EXPECT_EQ(8, td_read_file(bpath(self, "made-file", p), buf,
				  sizeof(buf)));
	ASSERT_LOG("INIT LOOKUP(newfile) CREATE(newfile) FLUSH RELEASE");
	/*
	 * An extension that cannot be applied (no such backing id) fails
	 * the open(): the daemon's file is released, the node forgotten.
	 */
	create_bind.nodeid = 311;
	create_bind.backing_id = 999;
	snprintf(path, sizeof(path), "%s/other", self->mnt);
	EXPECT_EQ(-1, open(path, O_RDWR | O_CREAT, 0644));
	EXPECT_EQ(EBADF, errno);
	ASSERT_TRUE(td_barrier(self->d));
	EXPECT_EQ(2, td_log_count(self->d, FUSE_RELEASE));
	/* a malformed one is refused before anything is applied */
	create_bind.nodeid = 312;
	create_bind.action = 9;
	snprintf(path, sizeof(path), "%s/third", self->mnt);
	EXPECT_EQ(-1, open(path, O_RDWR | O_CREAT, 0644));
	EXPECT_EQ(EIO, errno);
	self->d->handler = NULL;
	ASSERT_TRUE(td_barrier(self->d));
	EXPECT_EQ(3, td_log_count(self->d, FUSE_CREATE));
	/* and the mount goes on */
	EXPECT_EQ(0, stat(mpath(self, "hello"), &st));
}

TEST_F(backing, malformed_extension)
{
	const size_t full = sizeof(struct fuse_entry_bpf_out);
	const struct {
		const char *what;
		uint64_t nodeid;
		size_t len;
		struct fuse_entry_bpf_out ext;
		int write_err, err;
	} cases[] = {
		{ "truncated", 100, 16, { .backing_action = 1 }, 0, EIO },
		{ "too long", 100, full + 16, { }, -EINVAL, EIO },
		{ "unknown action", 100, full, { .backing_action = 7 }, 0, EIO },
		{ "flags", 100, full, { .flags = 1 }, 0, EIO },
		{ "reserved", 100, full, { .reserved = 1 }, 0, EIO },
		{ "unknown filter action", 100, full, { .filter_action = 7 },
		  0, EIO },
		{ "filter id without SET", 100, full, { .filter_id = 1 }, 0, EIO },
		{ "filter SET, no such id", 100, full,
		  { .filter_action = 1, .filter_id = 99 }, 0, EBADF },
		{ "negative entry with filter", 0, full, { .filter_action = 2 },
		  0, EIO },
		{ "keep with id", 100, full, { .backing_id = 3 }, 0, EIO },
		{ "kernel node id", FUSE_NODEID_KERNEL | 5, full, { }, 0, EIO },
		{ "negative entry with SET", 0, full,
		  { .backing_action = 1, .backing_id = 1 }, 0, EIO },
	};
	char path[128];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "%s/bad", self->mnt);
	self->d->handler = bad_lookup;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bad.nodeid = cases[i].nodeid;
		bad.ext_len = cases[i].len;
		bad.ext = cases[i].ext;
		bad.write_err = 1;
		errno = 0;
		ASSERT_EQ(-1, stat(path, &st)) TH_LOG("%s", cases[i].what);
		ASSERT_EQ(cases[i].err, errno) TH_LOG("%s", cases[i].what);
		ASSERT_TRUE(td_settle(self->d, 5000));
		ASSERT_EQ(cases[i].write_err, bad.write_err)
			TH_LOG("%s", cases[i].what);
	}
	/* A well-formed plain reply for the same name still works. */
	bad.nodeid = 100;
	bad.ext_len = 0;
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	/* And the bound subtree was never disturbed. */
	ASSERT_EQ(0, stat(mpath(self, "sub/inner"), &st));
}

/*
 * An entry reply naming the root as a child fails (upstream's rule), and
 * its extension must not rebind the root on the way (found by
 * fuse_fuzz_test: the root was bound to the backing, the daemon's nodes
 * vanished from the mount).
 */
TEST_F(backing, entry_reply_naming_the_root)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bad", self->mnt);
	self->d->handler = bad_lookup;
	bad.nodeid = FUSE_ROOT_ID;
	bad.ext_len = sizeof(bad.ext);
	memset(&bad.ext, 0, sizeof(bad.ext));
	bad.ext.backing_action = FUSE_BPF_ACTION_SET;
	bad.ext.backing_id = self->backing_id;
	errno = 0;
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(EIO, errno);
	ASSERT_TRUE(td_settle(self->d, 5000));
	self->d->handler = NULL;
	/* the root is still the daemon's: its node "dir" is there */
	ASSERT_EQ(0, stat(mpath(self, ""), &st)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0, stat(mpath(self, "sub/inner"), &st));
}

/* Write notification @code with @body; 0 or -errno. */
static int notify(struct td *d, int code, const void *body, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len,
		.error = code,
	};
	struct iovec iov[2] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = (void *)body, .iov_len = len },
	};

	return writev(d->fuse_fd, iov, 2) < 0 ? -errno : 0;
}

/*
 * Kernel node ids are predictable (the kernel's bit and a counter), and a
 * daemon never got one: a notification naming one (INVAL_INODE, STORE,
 * RETRIEVE, INVAL_ENTRY's parent) finds no node (-ENOENT) and changes
 * nothing, and no NOTIFY_REPLY for a kernel node reaches the daemon
 * (found by fuse_fuzz_test in a soak: RETRIEVE of a kernel node was
 * answered).
 */
TEST_F(backing, notification_naming_a_kernel_node)
{
	char data[16] = "XXXXXXXXXXXXXXXX", buf[64];
	struct {
		struct fuse_notify_store_out out;
		char data[sizeof(data)];
	} store = { .out = { .size = sizeof(data) } };
	struct fuse_notify_retrieve_out retrieve = { .size = 4096 };
	struct fuse_notify_inval_inode_out inval = { .len = -1 };
	struct {
		struct fuse_notify_inval_entry_out out;
		char name[8];
	} entry = { .out = { .namelen = 5 }, .name = "inner" };
	uint64_t id;
	int fd;

	/* kernel nodes: sub and sub/inner (and inner open, its pages cached) */
	fd = open(mpath(self, "sub/inner"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf)));
	memcpy(store.data, data, sizeof(data));
	td_log_reset(self->d);
	for (id = FUSE_NODEID_KERNEL | 1; id <= (FUSE_NODEID_KERNEL | 64); id++) {
		inval.ino = id;
		EXPECT_EQ(-ENOENT, notify(self->d, FUSE_NOTIFY_INVAL_INODE,
					  &inval, sizeof(inval)));
		store.out.nodeid = id;
		EXPECT_EQ(-ENOENT, notify(self->d, FUSE_NOTIFY_STORE, &store,
					  sizeof(store)));
		retrieve.nodeid = id;
		retrieve.notify_unique = id;
		EXPECT_EQ(-ENOENT, notify(self->d, FUSE_NOTIFY_RETRIEVE,
					  &retrieve, sizeof(retrieve)));
		entry.out.parent = id;
		EXPECT_EQ(-ENOENT, notify(self->d, FUSE_NOTIFY_INVAL_ENTRY,
					  &entry, sizeof(entry.out) + 6));
	}
	ASSERT_TRUE(td_barrier(self->d));
	EXPECT_EQ(0, td_log_count(self->d, FUSE_NOTIFY_REPLY));
	EXPECT_EQ(0, self->d->kernel_ids);
	/* the file's data is the backing's, not the STORE's */
	ASSERT_EQ(6, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "inner\n", 6));
	close(fd);
}

/* ---- namespace operations in a backed directory ---- */

TEST_F(backing, create_family)
{
	char p[256], q[256], buf[256];
	struct stat st, bst;
	int fd;

	/* O_CREAT through atomic_open, then write and read it back. */
	fd = open(mpath(self, "created"), O_CREAT | O_EXCL | O_RDWR, 0640);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(errno));
	ASSERT_EQ(3, write(fd, "abc", 3));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(-1, open(mpath(self, "created"), O_CREAT | O_EXCL, 0640));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(3, td_read_file(bpath(self, "created", p), buf, sizeof(buf)));
	ASSERT_STREQ("abc", buf);
	ASSERT_EQ(0, stat(p, &bst));
	ASSERT_EQ(S_IFREG | 0640, bst.st_mode);

	ASSERT_EQ(0, mkdir(mpath(self, "newdir"), 0751));
	ASSERT_EQ(0, stat(bpath(self, "newdir", p), &bst));
	ASSERT_EQ(S_IFDIR | 0751, bst.st_mode);
	ASSERT_EQ(-1, mkdir(mpath(self, "newdir"), 0755));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(0, td_write_file(mpath(self, "newdir/f"), "in new dir\n",
				   0644));
	ASSERT_EQ(11, td_read_file(bpath(self, "newdir/f", p), buf, sizeof(buf)));

	ASSERT_EQ(0, mknod(mpath(self, "fifo"), S_IFIFO | 0600, 0));
	ASSERT_EQ(0, stat(bpath(self, "fifo", p), &bst));
	ASSERT_TRUE(S_ISFIFO(bst.st_mode));
	ASSERT_EQ(0, stat(mpath(self, "fifo"), &st));
	ASSERT_EQ(bst.st_mode, st.st_mode);

	ASSERT_EQ(0, symlink("sub/inner", mpath(self, "link")));
	ASSERT_EQ(9, readlink(bpath(self, "link", p), buf, sizeof(buf)));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(9, readlink(mpath(self, "link"), buf, sizeof(buf)));
	ASSERT_STREQ("sub/inner", buf);
	ASSERT_EQ(6, td_read_file(mpath(self, "link"), buf, sizeof(buf)));
	ASSERT_STREQ("inner\n", buf);
	ASSERT_EQ(0, lstat(mpath(self, "link"), &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));

	snprintf(q, sizeof(q), "%s", mpath(self, "hello"));
	ASSERT_EQ(0, link(q, mpath(self, "hardlink")));
	ASSERT_EQ(0, stat(bpath(self, "hardlink", p), &bst));
	ASSERT_EQ(2, bst.st_nlink);
	ASSERT_EQ(0, stat(mpath(self, "hardlink"), &st));
	ASSERT_EQ(bst.st_ino, st.st_ino);
	ASSERT_EQ(2, st.st_nlink);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* New objects belong to the caller; umask and setgid directories apply. */
TEST_F(backing, create_ownership)
{
	char p[256];
	struct stat bst;
	pid_t pid;
	int status;

	ASSERT_EQ(0, mkdir(bpath(self, "pub", p), 0777));
	ASSERT_EQ(0, chmod(p, 0777));
	ASSERT_EQ(0, mkdir(bpath(self, "sgid", p), 0777));
	ASSERT_EQ(0, chown(p, 0, 1234));
	ASSERT_EQ(0, chmod(p, 02777));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		umask(027);
		if (td_write_file(mpath(self, "pub/mine"), "x", 0666))
			_exit(11);
		if (mkdir(mpath(self, "pub/mydir"), 0777))
			_exit(12);
		if (symlink("target", mpath(self, "pub/mylink")))
			_exit(13);
		if (td_write_file(mpath(self, "sgid/f"), "x", 0666))
			_exit(14);
		if (mkdir(mpath(self, "sgid/d"), 0777))
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	ASSERT_EQ(0, stat(bpath(self, "pub/mine", p), &bst));
	ASSERT_EQ(65534, bst.st_uid);
	ASSERT_EQ(65534, bst.st_gid);
	ASSERT_EQ(S_IFREG | 0640, bst.st_mode);
	ASSERT_EQ(0, stat(bpath(self, "pub/mydir", p), &bst));
	ASSERT_EQ(65534, bst.st_uid);
	ASSERT_EQ(S_IFDIR | 0750, bst.st_mode);
	ASSERT_EQ(0, lstat(bpath(self, "pub/mylink", p), &bst));
	ASSERT_EQ(65534, bst.st_uid);
	ASSERT_EQ(0, stat(bpath(self, "sgid/f", p), &bst));
	ASSERT_EQ(65534, bst.st_uid);
	ASSERT_EQ(1234, bst.st_gid);
	ASSERT_EQ(0, stat(bpath(self, "sgid/d", p), &bst));
	ASSERT_EQ(1234, bst.st_gid);
	ASSERT_TRUE(bst.st_mode & S_ISGID);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, unlink_rmdir)
{
	char p[256];
	struct stat st;

	ASSERT_EQ(0, unlink(mpath(self, "hello")));
	ASSERT_EQ(-1, stat(bpath(self, "hello", p), &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, unlink(mpath(self, "hello")));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, rmdir(mpath(self, "sub")));
	ASSERT_EQ(ENOTEMPTY, errno);
	ASSERT_EQ(-1, unlink(mpath(self, "sub")));
	ASSERT_EQ(EISDIR, errno);
	ASSERT_EQ(-1, rmdir(mpath(self, "sub/inner")));
	ASSERT_EQ(ENOTDIR, errno);
	ASSERT_EQ(0, unlink(mpath(self, "sub/deeper/leaf")));
	ASSERT_EQ(0, rmdir(mpath(self, "sub/deeper")));
	ASSERT_EQ(-1, stat(bpath(self, "sub/deeper", p), &st));
	ASSERT_EQ(ENOENT, errno);
	/* Removed behind our back: the name is gone for us too. */
	ASSERT_EQ(0, stat(mpath(self, "sub/inner"), &st));
	ASSERT_EQ(0, unlink(bpath(self, "sub/inner", p)));
	ASSERT_EQ(-1, unlink(mpath(self, "sub/inner")));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, rmdir(mpath(self, "sub")));
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, rename_and_rename2)
{
	char p[256], q[256], buf[64];
	struct stat st;

	ASSERT_EQ(0, td_write_file(bpath(self, "a", p), "A\n", 0644));
	ASSERT_EQ(0, td_write_file(bpath(self, "b", p), "B\n", 0644));
	ASSERT_EQ(0, stat(mpath(self, "a"), &st));

	/* Plain rename, then over an existing file. */
	snprintf(q, sizeof(q), "%s", mpath(self, "a"));
	ASSERT_EQ(0, rename(q, mpath(self, "c")));
	ASSERT_EQ(-1, stat(bpath(self, "a", p), &st));
	ASSERT_EQ(2, td_read_file(bpath(self, "c", p), buf, sizeof(buf)));
	ASSERT_STREQ("A\n", buf);
	snprintf(q, sizeof(q), "%s", mpath(self, "c"));
	ASSERT_EQ(0, rename(q, mpath(self, "b")));
	ASSERT_EQ(2, td_read_file(mpath(self, "b"), buf, sizeof(buf)));
	ASSERT_STREQ("A\n", buf);
	ASSERT_EQ(-1, stat(mpath(self, "c"), &st));
	ASSERT_EQ(ENOENT, errno);

	/* NOREPLACE and EXCHANGE. */
	snprintf(q, sizeof(q), "%s", mpath(self, "b"));
	ASSERT_EQ(-1, renameat2(AT_FDCWD, q, AT_FDCWD, mpath(self, "hello"),
				RENAME_NOREPLACE));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(0, renameat2(AT_FDCWD, q, AT_FDCWD, mpath(self, "hello"),
			       RENAME_EXCHANGE));
	ASSERT_EQ(2, td_read_file(bpath(self, "hello", p), buf, sizeof(buf)));
	ASSERT_STREQ("A\n", buf);
	ASSERT_EQ((ssize_t)strlen(hello), td_read_file(mpath(self, "b"), buf,
						       sizeof(buf)));

	/* A directory into another one, and its children follow. */
	snprintf(q, sizeof(q), "%s", mpath(self, "sub/deeper"));
	ASSERT_EQ(0, rename(q, mpath(self, "moved")));
	ASSERT_EQ(5, td_read_file(mpath(self, "moved/leaf"), buf, sizeof(buf)));
	ASSERT_EQ(0, stat(bpath(self, "moved/leaf", p), &st));
	ASSERT_EQ(-1, stat(mpath(self, "sub/deeper/leaf"), &st));
	ASSERT_EQ(ENOENT, errno);
	/* Into itself. */
	snprintf(q, sizeof(q), "%s", mpath(self, "sub"));
	ASSERT_EQ(-1, rename(q, mpath(self, "sub/inside")));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, rename_across_backing_edge)
{
	char to[128];
	uint64_t plain;

	plain = td_add_dir(self->d, TD_ROOT_ID, "plain", 0755);
	ASSERT_NE(0, plain);
	snprintf(to, sizeof(to), "%s/plain/hello", self->mnt);
	ASSERT_EQ(-1, rename(mpath(self, "hello"), to));
	ASSERT_EQ(EXDEV, errno);
	ASSERT_LOG("INIT LOOKUP(dir) LOOKUP(plain) LOOKUP(hello)");
}

TEST_F(backing, setattr)
{
	char p[256];
	struct stat st, bst;
	struct timespec ts[2] = { { .tv_sec = 1000000, .tv_nsec = 5 },
				  { .tv_sec = 2000000, .tv_nsec = 7 } };
	pid_t pid;
	int fd, status;

	ASSERT_EQ(0, chmod(mpath(self, "hello"), 0600));
	ASSERT_EQ(0, stat(bpath(self, "hello", p), &bst));
	ASSERT_EQ(S_IFREG | 0600, bst.st_mode);
	ASSERT_EQ(0, chown(mpath(self, "hello"), 4321, 8765));
	ASSERT_EQ(0, stat(p, &bst));
	ASSERT_EQ(4321, bst.st_uid);
	ASSERT_EQ(8765, bst.st_gid);
	ASSERT_EQ(0, utimensat(AT_FDCWD, mpath(self, "hello"), ts, 0));
	ASSERT_EQ(0, stat(p, &bst));
	ASSERT_EQ(1000000, bst.st_atim.tv_sec);
	ASSERT_EQ(2000000, bst.st_mtim.tv_sec);
	ASSERT_EQ(7, bst.st_mtim.tv_nsec);
	ASSERT_EQ(0, truncate(mpath(self, "hello"), 4));
	ASSERT_EQ(0, stat(p, &bst));
	ASSERT_EQ(4, bst.st_size);
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(4, st.st_size);
	ASSERT_EQ(bst.st_mtim.tv_sec, st.st_mtim.tv_sec);

	fd = open(mpath(self, "sub/inner"), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 100));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(100, st.st_size);
	ASSERT_EQ(0, fchmod(fd, 0604));
	close(fd);
	ASSERT_EQ(0, stat(bpath(self, "sub/inner", p), &bst));
	ASSERT_EQ(100, bst.st_size);
	ASSERT_EQ(S_IFREG | 0604, bst.st_mode);

	fd = open(mpath(self, "sub/inner"), O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, stat(p, &bst));
	ASSERT_EQ(0, bst.st_size);

	/* Not the owner: no chmod, no chown, no utimes. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		if (chmod(mpath(self, "sub/inner"), 0666) != -1 ||
		    errno != EPERM)
			_exit(11);
		if (chown(mpath(self, "sub/inner"), 65534, 65534) != -1 ||
		    errno != EPERM)
			_exit(12);
		if (utimensat(AT_FDCWD, mpath(self, "sub/inner"), ts, 0) != -1 ||
		    errno != EPERM)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, stat(p, &bst));
	ASSERT_EQ(S_IFREG | 0604, bst.st_mode);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_F(backing, file_ops)
{
	char p[256], q[256], buf[64];
	struct statfs sfs, bsfs;
	struct stat st;
	int fd, fd2, bfd;
	off_t off;

	ASSERT_EQ(0, statfs(mpath(self, "hello"), &sfs));
	ASSERT_EQ(0, statfs(self->root, &bsfs));
	ASSERT_EQ(0x65735546, sfs.f_type);
	ASSERT_EQ(bsfs.f_bsize, sfs.f_bsize);
	ASSERT_EQ(bsfs.f_blocks, sfs.f_blocks);
	ASSERT_EQ(bsfs.f_namelen, sfs.f_namelen);

	fd = open(mpath(self, "sparse"), O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fallocate(fd, 0, 0, 4096));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 4096, 4096));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(4096, st.st_size);
	ASSERT_EQ(4, pwrite(fd, "data", 4, 1 << 20));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, fdatasync(fd));
	/* SEEK_DATA/SEEK_HOLE answer as the backing file does. */
	bfd = open(bpath(self, "sparse", p), O_RDONLY);
	ASSERT_LE(0, bfd);
	for (off = 0; off < (1 << 20) + 8192; off += 4000) {
		ASSERT_EQ(lseek(bfd, off, SEEK_DATA), lseek(fd, off, SEEK_DATA));
		ASSERT_EQ(lseek(bfd, off, SEEK_HOLE), lseek(fd, off, SEEK_HOLE));
	}
	close(bfd);
	ASSERT_EQ((1 << 20) + 4, lseek(fd, 0, SEEK_END));
	ASSERT_EQ(-1, lseek(fd, (1 << 20) + 100, SEEK_DATA));
	ASSERT_EQ(ENXIO, errno);
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, 4096));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ((1 << 20) + 4, st.st_size);

	fd2 = open(mpath(self, "copy"), O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(4, copy_file_range(fd, (loff_t[]){ 1 << 20 }, fd2,
				     (loff_t[]){ 0 }, 4, 0));
	ASSERT_EQ(0, fsync(fd2));
	close(fd2);
	close(fd);
	ASSERT_EQ(4, td_read_file(bpath(self, "copy", q), buf, sizeof(buf)));
	ASSERT_STREQ("data", buf);

	fd = open(mpath(self, "sub"), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fsync(fd));
	close(fd);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

struct churn {
	struct _test_data_backing *self;
	int id;
	int errors;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	char a[256], b[256], d[256];
	int i, fd;

	for (i = 0; i < 100; i++) {
		snprintf(a, sizeof(a), "%s/dir/c%d-%d", c->self->mnt, c->id, i);
		snprintf(b, sizeof(b), "%s/dir/r%d-%d", c->self->mnt, c->id, i);
		snprintf(d, sizeof(d), "%s/dir/d%d", c->self->mnt, c->id);
		fd = open(a, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || write(fd, "x", 1) != 1) {
			c->errors++;
			continue;
		}
		close(fd);
		c->errors += rename(a, b) != 0;
		c->errors += mkdir(d, 0755) != 0;
		c->errors += rmdir(d) != 0;
		c->errors += unlink(b) != 0;
	}
	return NULL;
}

/* Several threads create, rename and remove in one backed directory. */
TEST_F_TIMEOUT(backing, concurrent_namespace_ops, 120)
{
	struct churn c[4];
	pthread_t t[4];
	char names[512];
	int i;

	for (i = 0; i < 4; i++) {
		c[i] = (struct churn){ .self = self, .id = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn_thread, &c[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ASSERT_EQ(0, c[i].errors);
	}
	ASSERT_EQ(2, list_dir(mpath(self, ""), names, sizeof(names)));
	ASSERT_STREQ("hello sub ", names);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* mmap and splice of a backed file go to the backing file (passthrough). */
TEST_F(backing, mmap_and_splice)
{
	char p[256], buf[64];
	int fd, pipefd[2];
	loff_t off = 0;
	char *map;

	fd = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, memcmp(map, hello, strlen(hello)));
	memcpy(map, "MMAP!", 5);
	ASSERT_EQ(0, msync(map, 4096, MS_SYNC));
	ASSERT_EQ(0, munmap(map, 4096));
	ASSERT_LE(0, td_read_file(bpath(self, "hello", p), buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, "MMAP! from", 10));

	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(10, splice(fd, &off, pipefd[1], NULL, 10, 0));
	ASSERT_EQ(10, read(pipefd[0], buf, 10));
	ASSERT_EQ(0, memcmp(buf, "MMAP! from", 10));
	ASSERT_EQ(6, write(pipefd[1], "SPLICE", 6));
	off = 0;
	ASSERT_EQ(6, splice(pipefd[0], NULL, fd, &off, 6, 0));
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	ASSERT_LE(0, td_read_file(bpath(self, "hello", p), buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, "SPLICEfrom", 10));
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* ---- the root backed at mount time: backing_root_fd= ---- */

FIXTURE(root) {
	char mnt[64];
	char root[128];
	int rootfd;
};

FIXTURE_VARIANT(root) {
	const char *fs_env;
	const char *fs_default;
};

FIXTURE_VARIANT_ADD(root, tmpfs) {
	.fs_env = "FBPF_TMPFS",
	.fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(root, ext4) {
	.fs_env = "FBPF_EXT4",
	.fs_default = NULL,
};

FIXTURE_SETUP(root)
{
	const char *fs = getenv(variant->fs_env);
	char p[256];

	self->rootfd = -1;
	if (!fs)
		fs = variant->fs_default;
	if (!fs || access(fs, W_OK))
		SKIP(return, "no %s backing filesystem", variant->fs_env);
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without CONFIG_FUSE_BPF");
	snprintf(self->root, sizeof(self->root), "%s/rt-XXXXXX", fs);
	ASSERT_NE(NULL, mkdtemp(self->root));
	snprintf(p, sizeof(p), "%s/top", self->root);
	ASSERT_EQ(0, td_write_file(p, "top\n", 0644));
	snprintf(p, sizeof(p), "%s/d", self->root);
	ASSERT_EQ(0, mkdir(p, 0755));
	self->rootfd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, self->rootfd);
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fuse-rt-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
}

FIXTURE_TEARDOWN(root)
{
	char cmd[256];

	if (self->rootfd >= 0)
		close(self->rootfd);
	rmdir(self->mnt);
	if (self->root[0] && !strchr(self->root, '\''))	{
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
		system(cmd);
	}
}

static struct td *root_mount(struct _test_data_root *self, uint64_t flags,
			     const char *fdopt)
{
	static char mo[64];
	struct td_opts o;

	td_default_opts(&o);
	o.init_flags = flags;
	o.max_stack_depth = 1;
	snprintf(mo, sizeof(mo), "backing_root_fd=%s", fdopt);
	o.mount_opts = mo;
	return td_mount(self->mnt, &o);
}

TEST_F(root, whole_tree_without_daemon)
{
	char fdopt[16], path[256], buf[64], names[256], log[256];
	struct td *d;
	struct stat st;

	snprintf(fdopt, sizeof(fdopt), "%d", self->rootfd);
	d = root_mount(self, FUSE_PASSTHROUGH | FUSE_BPF, fdopt);
	ASSERT_NE(NULL, d) TH_LOG("mount: %s", strerror(errno));
	ASSERT_EQ(2, list_dir(self->mnt, names, sizeof(names)));
	ASSERT_STREQ("d top ", names);
	snprintf(path, sizeof(path), "%s/top", self->mnt);
	ASSERT_EQ(4, td_read_file(path, buf, sizeof(buf)));
	ASSERT_STREQ("top\n", buf);
	snprintf(path, sizeof(path), "%s/d/new", self->mnt);
	ASSERT_EQ(0, td_write_file(path, "new\n", 0600));
	snprintf(path, sizeof(path), "%s/d/new", self->root);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(S_IFREG | 0600, st.st_mode);
	/* Only INIT reached the daemon: every request here is synchronous. */
	ASSERT_STREQ("INIT", td_log_str(d, log, sizeof(log), td_async_ops));
	ASSERT_EQ(0, d->kernel_ids);
	td_umount(d);
}

TEST_F(root, refused_without_fuse_bpf)
{
	char fdopt[16], path[128], log[256];
	struct td *d;
	struct stat st;

	snprintf(fdopt, sizeof(fdopt), "%d", self->rootfd);
	d = root_mount(self, FUSE_PASSTHROUGH, fdopt);
	ASSERT_NE(NULL, d) TH_LOG("mount: %s", strerror(errno));
	/* The reply to INIT is processed within the daemon's write(). */
	ASSERT_TRUE(td_log_wait(d, FUSE_INIT, 1, 5000));
	ASSERT_TRUE(td_settle(d, 5000));
	snprintf(path, sizeof(path), "%s/top", self->mnt);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(ECONNREFUSED, errno);
	ASSERT_STREQ("INIT", td_log_str(d, log, sizeof(log), td_async_ops));
	td_umount(d);
}

TEST_F(root, bad_descriptors)
{
	char fdopt[16], p[256];
	int fd;

	ASSERT_EQ(NULL, root_mount(self, FUSE_PASSTHROUGH | FUSE_BPF, "9999"));
	ASSERT_EQ(EBADF, errno);
	snprintf(p, sizeof(p), "%s/top", self->root);
	fd = open(p, O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(fdopt, sizeof(fdopt), "%d", fd);
	ASSERT_EQ(NULL, root_mount(self, FUSE_PASSTHROUGH | FUSE_BPF, fdopt));
	ASSERT_EQ(ENOTDIR, errno);
	close(fd);
}

/* A read-only backing mount: writes fail with EROFS, not EIO. */
TEST_F(backing, read_only_backing_mount)
{
	char ro[] = "/tmp/fuse-ro-XXXXXX", path[128], buf[64];
	struct stat st;
	uint64_t node;
	int fd, id;

	ASSERT_NE(NULL, mkdtemp(ro));
	ASSERT_EQ(0, mount(self->root, ro, NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mount(NULL, ro, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
			   NULL));
	fd = open(ro, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id);
	node = td_add_dir(self->d, TD_ROOT_ID, "ro", 0755);
	td_set_backing(self->d, node, FUSE_BPF_ACTION_SET, id);

	snprintf(path, sizeof(path), "%s/ro/hello", self->mnt);
	ASSERT_LE(0, td_read_file(path, buf, sizeof(buf)));
	ASSERT_EQ(-1, open(path, O_WRONLY));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, truncate(path, 0));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, unlink(path));
	ASSERT_EQ(EROFS, errno);
	snprintf(path, sizeof(path), "%s/ro/newdir", self->mnt);
	ASSERT_EQ(-1, mkdir(path, 0755));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(0, td_backing_close(self->d, id));
	td_umount(self->d);
	self->d = NULL;
	ASSERT_EQ(0, umount2(ro, MNT_DETACH));
	rmdir(ro);
}

/* POSIX ACLs: set, read and removed on the backing; they govern access. */
struct acl_entry_x {
	uint16_t tag, perm;
	uint32_t id;
};

TEST_F(backing, posix_acls)
{
	const struct {
		uint32_t version;
		struct acl_entry_x e[5];
	} acl = { 2, {
		{ 0x01, 6, -1 },	/* ACL_USER_OBJ rw- */
		{ 0x02, 4, 1234 },	/* ACL_USER 1234 r-- */
		{ 0x04, 0, -1 },	/* ACL_GROUP_OBJ --- */
		{ 0x10, 4, -1 },	/* ACL_MASK r-- */
		{ 0x20, 0, -1 },	/* ACL_OTHER --- */
	} };
	char p[256], buf[256];
	pid_t pid;
	int status;

	ASSERT_EQ(0, chmod(mpath(self, "hello"), 0600));
	ASSERT_EQ(0, setxattr(mpath(self, "hello"), "system.posix_acl_access",
			      &acl, sizeof(acl), 0))
		TH_LOG("setxattr: %s", strerror(errno));
	ASSERT_EQ(sizeof(acl), getxattr(bpath(self, "hello", p),
					"system.posix_acl_access", buf,
					sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, &acl, sizeof(acl)));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(sizeof(acl), getxattr(mpath(self, "hello"),
					"system.posix_acl_access", buf,
					sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, &acl, sizeof(acl)));

	/* User 1234 may read through the ACL, user 1235 may not. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(5000, 5000, 5000) || setresuid(1234, 1234, 1234))
			_exit(10);
		if (td_read_file(mpath(self, "hello"), buf, sizeof(buf)) <= 0)
			_exit(11);
		if (open(mpath(self, "hello"), O_WRONLY) != -1 ||
		    errno != EACCES)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(5000, 5000, 5000) || setresuid(1235, 1235, 1235))
			_exit(10);
		_exit(open(mpath(self, "hello"), O_RDONLY) == -1 &&
		      errno == EACCES ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	ASSERT_EQ(0, removexattr(mpath(self, "hello"),
				 "system.posix_acl_access"));
	ASSERT_EQ(-1, getxattr(p, "system.posix_acl_access", buf,
			       sizeof(buf)));
	ASSERT_EQ(ENODATA, errno);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/*
 * With FUSE_POSIX_ACL negotiated the VFS leaves the umask to the
 * filesystem: new objects in backed directories then get the mode and the
 * ACLs a native filesystem gives them, a default ACL (which overrides the
 * umask) included.
 */
TEST_F(backing, default_acl_and_umask_as_native)
{
	const struct {
		uint32_t version;
		struct acl_entry_x e[3];
	} dacl = { 2, {
		{ 0x01, 7, -1 },	/* ACL_USER_OBJ rwx */
		{ 0x04, 7, -1 },	/* ACL_GROUP_OBJ rwx */
		{ 0x20, 5, -1 },	/* ACL_OTHER r-x */
	} };
	char p[256], buf[64];
	struct td_opts o;
	struct stat st;
	int fd, id;

	td_umount(self->d);
	td_default_opts(&o);
	o.entry_timeout = 60;
	o.attr_timeout = 60;
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF | FUSE_POSIX_ACL;
	o.max_stack_depth = 1;
	self->d = td_mount(self->mnt, &o);
	ASSERT_NE(NULL, self->d);
	self->dir_id = td_add_dir(self->d, TD_ROOT_ID, "dir", 0755);
	ASSERT_TRUE(td_barrier(self->d));
	if (!(self->d->kernel_flags & FUSE_POSIX_ACL))
		SKIP(return, "no FUSE_POSIX_ACL");
	fd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id);
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);

	umask(022);
	/* No default ACL: the umask applies */
	ASSERT_EQ(0, td_write_file(mpath(self, "plain"), "x", 0666));
	ASSERT_EQ(0, stat(bpath(self, "plain", p), &st));
	EXPECT_EQ(S_IFREG | 0644, st.st_mode);
	/* A default ACL on "sub": it decides, not the umask */
	ASSERT_EQ(0, setxattr(mpath(self, "sub"), "system.posix_acl_default",
			      &dacl, sizeof(dacl), 0))
		TH_LOG("setxattr: %s", strerror(errno));
	ASSERT_EQ(0, td_write_file(mpath(self, "sub/acl"), "x", 0666));
	ASSERT_EQ(0, stat(bpath(self, "sub/acl", p), &st));
	EXPECT_EQ(S_IFREG | 0664, st.st_mode);
	ASSERT_EQ(0, mkdir(mpath(self, "sub/d"), 0777));
	ASSERT_EQ(0, stat(bpath(self, "sub/d", p), &st));
	EXPECT_EQ(S_IFDIR | 0775, st.st_mode);
	/* ... and a new directory inherits it */
	EXPECT_EQ(sizeof(dacl), getxattr(bpath(self, "sub/d", p),
					 "system.posix_acl_default", buf,
					 sizeof(buf)));
	/* FUSE_POSIX_ACL implies default_permissions: the root's GETATTR */
	ASSERT_LOG("INIT GETATTR LOOKUP(dir)");
}

/* Locks taken through the mount are locks on the backing file. */
TEST_F(backing, locks)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 10 };
	char p[256];
	int fd, bfd, fd2;
	pid_t pid;
	int status;

	bpath(self, "hello", p);
	fd = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, fd);
	bfd = open(p, O_RDWR);
	ASSERT_LE(0, bfd);

	/* flock(2): exclusive through the mount blocks the backing file. */
	ASSERT_EQ(0, flock(fd, LOCK_EX));
	ASSERT_EQ(-1, flock(bfd, LOCK_EX | LOCK_NB));
	ASSERT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, flock(fd, LOCK_UN));
	ASSERT_EQ(0, flock(bfd, LOCK_EX | LOCK_NB));
	ASSERT_EQ(0, flock(bfd, LOCK_UN));

	/* POSIX: a child's lock through the mount is seen on the backing... */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cfd = open(mpath(self, "hello"), O_RDWR);

		if (cfd < 0 || fcntl(cfd, F_SETLK, &fl))
			_exit(10);
		pause();
		_exit(0);
	}
	for (int i = 0; i < 500; i++) {
		struct flock q = fl;

		ASSERT_EQ(0, fcntl(bfd, F_GETLK, &q));
		if (q.l_type == F_WRLCK) {
			ASSERT_EQ(pid, q.l_pid);
			break;
		}
		usleep(10000);
		ASSERT_LT(i, 499) TH_LOG("the child's lock never showed");
	}
	/* ...and through the mount, and goes when the child exits. */
	fl.l_type = F_WRLCK;
	ASSERT_EQ(-1, fcntl(fd, F_SETLK, &fl));
	ASSERT_EQ(EAGAIN, errno);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, fcntl(fd, F_SETLK, &fl));

	/* Our own POSIX lock goes with any close of the file. */
	fd2 = open(mpath(self, "hello"), O_RDONLY);
	ASSERT_LE(0, fd2);
	close(fd2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct flock q = fl;

		_exit(fcntl(bfd, F_SETLK, &q) == 0 ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* OFD: belongs to the open file, conflicts with the backing's OFD. */
	fl.l_pid = 0;
	ASSERT_EQ(0, fcntl(fd, F_OFD_SETLK, &fl));
	ASSERT_EQ(-1, fcntl(bfd, F_OFD_SETLK, &fl));
	ASSERT_EQ(EAGAIN, errno);
	close(fd);
	fl.l_pid = 0;
	ASSERT_EQ(0, fcntl(bfd, F_OFD_SETLK, &fl));
	close(bfd);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* poll, the fileattr ioctls, and no other ioctl, on a backed file. */
TEST_F(backing, poll_and_ioctls)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT };
	char p[256];
	int flags, bflags, fd, bfd;

	fd = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, fd);
	pfd.fd = fd;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLIN | POLLOUT, pfd.revents);

	bfd = open(bpath(self, "hello", p), O_RDONLY);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(0, ioctl(fd, FS_IOC_GETFLAGS, &flags));
	ASSERT_EQ(0, ioctl(bfd, FS_IOC_GETFLAGS, &bflags));
	ASSERT_EQ(bflags, flags);
	flags |= FS_NOATIME_FL;
	ASSERT_EQ(0, ioctl(fd, FS_IOC_SETFLAGS, &flags));
	ASSERT_EQ(0, ioctl(bfd, FS_IOC_GETFLAGS, &bflags));
	ASSERT_TRUE(bflags & FS_NOATIME_FL);
	flags &= ~FS_NOATIME_FL;
	ASSERT_EQ(0, ioctl(fd, FS_IOC_SETFLAGS, &flags));
	ASSERT_EQ(0, ioctl(bfd, FS_IOC_GETFLAGS, &bflags));
	ASSERT_FALSE(bflags & FS_NOATIME_FL);
	/* Any other ioctl would run with the daemon's credentials: refused. */
	ASSERT_EQ(-1, ioctl(fd, FS_IOC_GETVERSION, &flags));
	ASSERT_EQ(ENOTTY, errno);
	close(bfd);
	close(fd);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* O_TMPFILE in a backed directory, linked in later or never. */
TEST_F(backing, tmpfile)
{
	char p[256], buf[64];
	struct stat st;
	int fd;

	fd = open(mpath(self, "sub"), O_TMPFILE | O_RDWR, 0640);
	ASSERT_LE(0, fd) TH_LOG("O_TMPFILE: %s", strerror(errno));
	ASSERT_EQ(4, write(fd, "tmp\n", 4));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, st.st_nlink);
	ASSERT_EQ(S_IFREG | 0640, st.st_mode);
	ASSERT_EQ(0, linkat(fd, "", AT_FDCWD, mpath(self, "sub/linked"),
			    AT_EMPTY_PATH));
	close(fd);
	ASSERT_EQ(4, td_read_file(bpath(self, "sub/linked", p), buf, sizeof(buf)));
	ASSERT_STREQ("tmp\n", buf);
	ASSERT_EQ(0, stat(p, &st));
	ASSERT_EQ(1, st.st_nlink);

	/* O_EXCL: never linkable. */
	fd = open(mpath(self, "sub"), O_TMPFILE | O_RDWR | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, linkat(fd, "", AT_FDCWD, mpath(self, "sub/excl"),
			     AT_EMPTY_PATH));
	ASSERT_EQ(ENOENT, errno);
	close(fd);
	ASSERT_EQ(2, list_dir(bpath(self, "sub", p), buf, sizeof(buf)) - 1);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

TEST_HARNESS_MAIN

/*
 * ---- native semantics ----
 * Whatever the VFS decides on the FUSE inode for the caller must also hold
 * on the backing, where the operation runs with the daemon's credentials.
 * Each test compares with the same operation done natively on the backing
 * filesystem by the same user.
 */

/* Run @fn(@arg) in a child with uid @uid, gid @gid, no supplementary group */
static int as_user(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(255);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct path_mode {
	const char *path;
	mode_t mode;
};

static int user_chmod(void *arg)
{
	struct path_mode *pm = arg;

	return chmod(pm->path, pm->mode) ? errno : 0;
}

/* A file owned by user 1000 and group 2000, which the user is not in. */
static void foreign_group_file(const char *path, mode_t mode)
{
	td_write_file(path, "g\n", 0644);
	chown(path, 1000, 2000);
	chmod(path, mode);
}

/* Defect: the copy of the change was taken before setattr_prepare() */
TEST_F(backing, chmod_drops_a_foreign_setgid)
{
	char p[256], q[256];
	struct stat st, nst;
	struct path_mode pm;

	foreign_group_file(bpath(self, "g", p), 0755);
	foreign_group_file(bpath(self, "native", q), 0755);
	pm = (struct path_mode){ q, 02755 };
	ASSERT_EQ(0, as_user(1000, 1000, user_chmod, &pm));
	ASSERT_EQ(0, stat(q, &nst));
	ASSERT_EQ(S_IFREG | 0755, nst.st_mode);
	pm = (struct path_mode){ mpath(self, "g"), 02755 };
	ASSERT_EQ(0, as_user(1000, 1000, user_chmod, &pm));
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(nst.st_mode, st.st_mode);
	/* a member of the group keeps it, as natively */
	ASSERT_EQ(0, as_user(1000, 2000, user_chmod, &pm));
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(S_IFREG | 02755, st.st_mode);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

static const struct {
	uint32_t version;
	struct {
		uint16_t tag, perm;
		uint32_t id;
	} e[3];
} acl_rwx = { 2, {
	{ 0x01, 7, -1 },	/* ACL_USER_OBJ rwx */
	{ 0x04, 5, -1 },	/* ACL_GROUP_OBJ r-x */
	{ 0x20, 0, -1 },	/* ACL_OTHER --- */
} };

static int user_set_acl(void *path)
{
	return setxattr(path, "system.posix_acl_access", &acl_rwx,
			sizeof(acl_rwx), 0) ? errno : 0;
}

/* Defect: posix_acl_update_mode() ran with the daemon's CAP_FSETID */
TEST_F(backing, acl_drops_a_foreign_setgid)
{
	char p[256], q[256];
	struct stat st, nst;

	foreign_group_file(bpath(self, "g", p), 02770);
	foreign_group_file(bpath(self, "native", q), 02770);
	ASSERT_EQ(0, as_user(1000, 1000, user_set_acl, q));
	ASSERT_EQ(0, stat(q, &nst));
	ASSERT_EQ(S_IFREG | 0750, nst.st_mode);
	ASSERT_EQ(0, as_user(1000, 1000, user_set_acl, mpath(self, "g")));
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(nst.st_mode, st.st_mode);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

static int set_fsflags(const char *path, int flags)
{
	int fd = open(path, O_RDONLY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, FS_IOC_SETFLAGS, &flags) ? -errno : 0;
	close(fd);
	return ret;
}

/* The errno of open(@path, @flags), or 0 (the file is closed again) */
static int open_err(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Defect: the FUSE inode did not carry the backing's S_APPEND/S_IMMUTABLE */
TEST_F(backing, append_only_and_immutable_hold)
{
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	char p[256], buf[64];
	struct stat st;
	int fd, early, fl, ret;

	early = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, early);
	ret = set_fsflags(bpath(self, "hello", p), FS_APPEND_FL);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP)
		SKIP(close(early); return, "no chattr on this filesystem");
	ASSERT_EQ(0, ret);
	/* an fd opened before the flag was set: no truncation */
	EXPECT_EQ(-1, ftruncate(early, 0));
	EXPECT_EQ(EPERM, errno);
	close(early);
	EXPECT_EQ(EPERM, open_err(mpath(self, "hello"), O_WRONLY));
	EXPECT_EQ(EPERM, open_err(mpath(self, "hello"),
				  O_WRONLY | O_APPEND | O_TRUNC));
	EXPECT_EQ(-1, truncate(mpath(self, "hello"), 1));
	EXPECT_EQ(EPERM, errno);
	fd = open(mpath(self, "hello"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	fl = fcntl(fd, F_GETFL);
	EXPECT_EQ(-1, fcntl(fd, F_SETFL, fl & ~O_APPEND));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, syscall(SYS_pwritev2, fd, &iov, 1, 0, 0, RWF_NOAPPEND));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(1, write(fd, "x", 1));
	close(fd);
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(strlen(hello) + 1, st.st_size);
	ASSERT_EQ(0, set_fsflags(p, 0));

	/* immutable: no write, no chmod, no unlink, no xattr */
	ASSERT_EQ(0, set_fsflags(p, FS_IMMUTABLE_FL));
	EXPECT_EQ(EPERM, open_err(mpath(self, "hello"), O_WRONLY));
	EXPECT_EQ(-1, chmod(mpath(self, "hello"), 0600));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, unlink(mpath(self, "hello")));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, setxattr(mpath(self, "hello"), "user.x", "1", 1, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_LT(0, td_read_file(mpath(self, "hello"), buf, sizeof(buf)));
	ASSERT_EQ(0, set_fsflags(p, 0));
	EXPECT_EQ(0, open_err(mpath(self, "hello"), O_WRONLY));
	ASSERT_LOG("INIT LOOKUP(dir)");
}

struct list_arg {
	const char *path;
	char names[256];
	ssize_t len;
};

static int user_list(void *arg)
{
	struct list_arg *la = arg;
	char buf[256];
	ssize_t n = listxattr(la->path, buf, sizeof(buf));
	ssize_t i;

	if (n < 0)
		return 100;
	/* the exit status: 1 when a trusted.* name showed, 2 when user.k did */
	for (i = 0; i < n; i += strlen(buf + i) + 1) {
		if (!strncmp(buf + i, "trusted.", 8))
			return 1;
	}
	for (i = 0; i < n; i += strlen(buf + i) + 1) {
		if (!strcmp(buf + i, "user.k"))
			return 2;
	}
	return 0;
}

/* Defect: listxattr ran with the daemon's CAP_SYS_ADMIN */
TEST_F(backing, listxattr_hides_trusted_names)
{
	struct list_arg la = { 0 };
	char p[256], buf[256];
	ssize_t n;
	int native;

	ASSERT_EQ(0, setxattr(bpath(self, "hello", p), "trusted.t", "1", 1, 0));
	ASSERT_EQ(0, setxattr(p, "user.k", "2", 1, 0));
	la.path = p;
	native = as_user(1000, 1000, user_list, &la);
	ASSERT_EQ(2, native);
	la.path = mpath(self, "hello");
	EXPECT_EQ(native, as_user(1000, 1000, user_list, &la));
	/* root lists both, as natively */
	n = listxattr(mpath(self, "hello"), buf, sizeof(buf));
	ASSERT_EQ(listxattr(p, buf + 128, 128), n);
	EXPECT_EQ(0, memcmp(buf, buf + 128, n));
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* Exchanging a directory with its own ancestor is EINVAL, as natively */
TEST_F(backing, rename_exchange_with_an_ancestor)
{
	char p[256], a[256], b[256];

	ASSERT_EQ(0, mkdir(bpath(self, "sub/deeper/x", p), 0755));
	snprintf(a, sizeof(a), "%s", bpath(self, "sub/deeper/x", p));
	snprintf(b, sizeof(b), "%s", bpath(self, "sub", p));
	ASSERT_EQ(-1, renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
	ASSERT_EQ(EINVAL, errno);
	snprintf(a, sizeof(a), "%s", mpath(self, "sub/deeper/x"));
	snprintf(b, sizeof(b), "%s", mpath(self, "sub"));
	EXPECT_EQ(-1, renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, renameat2(AT_FDCWD, b, AT_FDCWD, a, RENAME_EXCHANGE));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* fallocate(@mode) on a 16 KiB file at @path: 0 or errno; the new size */
static int falloc_16k(const char *path, int mode, off_t *size)
{
	static char block[16384];
	struct stat st;
	int fd, err;

	memset(block, 'b', sizeof(block));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	if (write(fd, block, sizeof(block)) != sizeof(block)) {
		close(fd);
		return 255;	/* not an errno: a short write */
	}
	fsync(fd);
	err = fallocate(fd, mode, 4096, 4096) ? errno : 0;
	fstat(fd, &st);
	*size = st.st_size;
	close(fd);
	return err;
}

/* Defect: the modes upstream fuse filters out for daemons were refused */
TEST_F(backing, fallocate_modes_as_native)
{
	static const int modes[] = {
		FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_ZERO_RANGE, 0,
	};
	off_t size, nsize;
	char p[256];
	size_t i;
	int nerr;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		nerr = falloc_16k(bpath(self, "native", p), modes[i], &nsize);
		EXPECT_EQ(nerr, falloc_16k(mpath(self, "f"), modes[i], &size))
			TH_LOG("mode %#x", modes[i]);
		EXPECT_EQ(nsize, size) TH_LOG("mode %#x", modes[i]);
	}
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/* ---- replies naming node ids the kernel owns ---- */

static struct {
	uint64_t nodeid;
	struct fuse_entry_bpf_out ext;
	bool create;	/* LOOKUP says ENOENT, CREATE names @nodeid */
} claim;

static int claim_reply(struct td *d, const struct fuse_in_header *in,
		       const void *arg, size_t arglen)
{
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} c = { 0 };
	struct {
		struct fuse_entry_out e;
		struct fuse_entry_bpf_out x;
	} l = { 0 };
	const char *name = arg;

	if (in->opcode == FUSE_CREATE)
		name = (const char *)arg + sizeof(struct fuse_create_in);
	else if (in->opcode != FUSE_LOOKUP)
		return TD_DEFAULT;
	if (strcmp(name, "claim"))
		return TD_DEFAULT;
	if (in->opcode == FUSE_LOOKUP && claim.create) {
		td_reply(d, in->unique, -ENOENT, NULL, 0);
		return 0;
	}
	l.e.nodeid = claim.nodeid;
	l.e.entry_valid = 60;
	l.e.attr_valid = 60;
	l.e.attr.ino = 4242;
	l.e.attr.nlink = 1;
	if (in->opcode == FUSE_CREATE) {
		c.e = l.e;
		c.e.attr.mode = S_IFREG | 0644;
		td_reply(d, in->unique, 0, &c, sizeof(c));
		return 0;
	}
	l.e.attr.mode = S_IFDIR | 0755;
	l.e.attr.nlink = 2;
	l.x = claim.ext;
	td_reply(d, in->unique, 0, &l, sizeof(l));
	return 0;
}

/*
 * Defect: a LOOKUP reply naming the root was applied (the root rebound)
 * before fuse_lookup() refused it; a CREATE reply could claim a kernel id.
 */
TEST_F(backing, replies_naming_kernel_ids_are_refused)
{
	char path[256], names[256];
	struct stat st;

	self->d->handler = claim_reply;
	snprintf(path, sizeof(path), "%s/claim", self->mnt);
	/* bind the backing to the root, or remove its filter */
	claim.nodeid = FUSE_ROOT_ID;
	claim.ext.backing_action = FUSE_BPF_ACTION_SET;
	claim.ext.backing_id = self->backing_id;
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(EIO, errno);
	claim.ext.backing_action = 0;
	claim.ext.backing_id = 0;
	claim.ext.filter_action = FUSE_BPF_ACTION_REMOVE;
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(EIO, errno);
	/* the root is still the daemon's: it lists its own "dir" */
	ASSERT_EQ(1, list_dir(self->mnt, names, sizeof(names)));
	EXPECT_STREQ("dir ", names);
	/* a kernel id in a CREATE reply */
	claim.nodeid = FUSE_NODEID_KERNEL | 1;
	memset(&claim.ext, 0, sizeof(claim.ext));
	claim.create = true;
	EXPECT_EQ(EIO, open_err(path, O_RDWR | O_CREAT));
	self->d->handler = NULL;
	ASSERT_TRUE(td_barrier(self->d));
	EXPECT_EQ(1, td_log_count(self->d, FUSE_CREATE));
	/* and the mount goes on */
	EXPECT_EQ(0, stat(mpath(self, "hello"), &st));
}

/* Defect: a failed INIT left the root backed, served with the mounter's creds */
TEST_F(root, failed_init_serves_nothing)
{
	char fdopt[16], path[160];
	struct td_opts o;
	struct stat st;
	struct td *d;
	static char mo[64];

	snprintf(fdopt, sizeof(fdopt), "%d", self->rootfd);
	td_default_opts(&o);
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	o.init_error = -EPROTO;
	snprintf(mo, sizeof(mo), "backing_root_fd=%s", fdopt);
	o.mount_opts = mo;
	d = td_mount(self->mnt, &o);
	ASSERT_NE(NULL, d) TH_LOG("mount: %s", strerror(errno));
	ASSERT_TRUE(td_log_wait(d, FUSE_INIT, 1, 5000));
	ASSERT_TRUE(td_settle(d, 5000));
	snprintf(path, sizeof(path), "%s/top", self->mnt);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ECONNREFUSED, errno);
	snprintf(path, sizeof(path), "%s/d/new", self->mnt);
	EXPECT_EQ(-1, td_write_file(path, "x", 0644));
	snprintf(path, sizeof(path), "%s/d/new", self->root);
	EXPECT_EQ(-1, access(path, F_OK));
	td_umount(d);
}

/* The write comes last: the FUSE inode's mode is stale by then */
enum data_change { BY_FALLOCATE, BY_COPY_FILE_RANGE, BY_WRITE };

struct change_arg {
	const char *path, *src;
	enum data_change how;
};

static int user_change(void *arg)
{
	struct change_arg *ca = arg;
	int fd = open(ca->path, O_WRONLY);
	int src, ret = 0;

	if (fd < 0)
		return 100;
	switch (ca->how) {
	case BY_WRITE:
		ret = write(fd, "w", 1) == 1 ? 0 : errno;
		break;
	case BY_FALLOCATE:
		ret = fallocate(fd, 0, 0, 8192) ? errno : 0;
		break;
	case BY_COPY_FILE_RANGE:
		src = open(ca->src, O_RDONLY);
		if (src < 0)
			return 101;
		ret = copy_file_range(src, NULL, fd, NULL, 4, 0) == 4 ? 0 : errno;
		close(src);
		break;
	}
	close(fd);
	return ret;
}

/*
 * Defect: fallocate and copy_file_range ran on the backing with the
 * daemon's CAP_FSETID, so a caller's change kept setuid and setgid.
 */
TEST_F(backing, data_changes_drop_setuid)
{
	static const char * const names[] = {
		"fallocate", "copy_file_range", "write",
	};
	struct change_arg ca;
	struct stat st, nst;
	char p[256], q[256], src[256];
	int how;

	for (how = BY_FALLOCATE; how <= BY_WRITE; how++) {
		ASSERT_EQ(0, td_write_file(bpath(self, "native", q), "data\n",
					   0666));
		ASSERT_EQ(0, chmod(q, 06766));
		ASSERT_EQ(0, td_write_file(bpath(self, "suid", p), "data\n",
					   0666));
		ASSERT_EQ(0, chmod(p, 06766));
		ca = (struct change_arg){ q, bpath(self, "hello", src), how };
		ASSERT_EQ(0, as_user(1000, 1000, user_change, &ca))
			TH_LOG("native %s", names[how]);
		ASSERT_EQ(0, stat(q, &nst));
		EXPECT_EQ(S_IFREG | 0766, nst.st_mode) TH_LOG("%s", names[how]);
		ca = (struct change_arg){ mpath(self, "suid"),
					  src, how };
		snprintf(src, sizeof(src), "%s/dir/hello", self->mnt);
		ASSERT_EQ(0, as_user(1000, 1000, user_change, &ca))
			TH_LOG("fuse-bpf %s", names[how]);
		ASSERT_EQ(0, stat(p, &st));
		EXPECT_EQ(nst.st_mode, st.st_mode) TH_LOG("%s", names[how]);
	}
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/*
 * Defect: setuid was dropped on the backing without the backing's freeze
 * protection, so a caller's fallocate wrote to a frozen ext4 (a WARN in
 * ext4_journal_check_start()).  The change now waits for the thaw, then
 * drops setuid and setgid as before.
 */
TEST_F(backing, data_change_waits_for_a_frozen_backing)
{
	struct change_arg ca;
	int bfd, status, early;
	struct stat st;
	char p[256];
	pid_t pid;

	ASSERT_EQ(0, td_write_file(bpath(self, "suid", p), "data\n", 0666));
	ASSERT_EQ(0, chmod(p, 06766));
	ca = (struct change_arg){ mpath(self, "suid"), NULL, BY_FALLOCATE };
	/* the lookup before the freeze: it would wait on the backing too */
	ASSERT_EQ(0, stat(ca.path, &st));
	bfd = open(self->root, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, bfd);
	if (ioctl(bfd, FIFREEZE, 0)) {
		close(bfd);
		SKIP(return, "the backing cannot freeze: %s", strerror(errno));
	}
	pid = fork();
	if (!pid)
		_exit(as_user(1000, 1000, user_change, &ca));
	usleep(300000);
	early = pid > 0 ? waitpid(pid, &status, WNOHANG) : -1;
	/* thaw before any assertion can end the test */
	EXPECT_EQ(0, ioctl(bfd, FITHAW, 0));
	close(bfd);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, early) TH_LOG("fallocate returned on a frozen backing");
	if (!early)
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(S_IFREG | 0766, st.st_mode);
	EXPECT_EQ(8192, st.st_size);
}

static int copy_self(const char *dst, mode_t mode)
{
	char buf[65536];
	ssize_t n = 0;
	int in, out;

	in = open("/proc/self/exe", O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	if (in >= 0)
		close(in);
	if (out < 0 || close(out) || n < 0 || in < 0)
		return -1;
	return chmod(dst, mode);
}

/* Runs the program: its exit status (4: the harness's -l), or 100 + errno */
static int user_exec(void *arg)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return 99;
	execl(arg, "prog", "-l", (char *)NULL);
	return 100 + errno;
}

/*
 * exec needs MAY_EXEC only, not MAY_READ (do_open_execat()): a program
 * with mode 0711 runs for everyone, natively and through the mount, and
 * one with mode 0700 for its owner only.
 */
TEST_F(backing, exec_without_read_permission)
{
	static const mode_t modes[] = { 0711, 0701, 0700 };
	char p[256];
	int i, native;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		ASSERT_EQ(0, copy_self(bpath(self, "prog", p), modes[i]));
		native = as_user(1000, 1000, user_exec, p);
		EXPECT_EQ(modes[i] & 1 ? 4 : 100 + EACCES, native)
			TH_LOG("native, mode %o", modes[i]);
		EXPECT_EQ(native, as_user(1000, 1000, user_exec,
					  mpath(self, "prog")))
			TH_LOG("fuse-bpf, mode %o", modes[i]);
		EXPECT_EQ(4, as_user(0, 0, user_exec, mpath(self, "prog")))
			TH_LOG("fuse-bpf as root, mode %o", modes[i]);
	}
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/*
 * fuse-bpf on fuse-bpf (max_stack_depth 2): the upper mount's backing is a
 * directory of this fixture's mount, itself backed by tmpfs or ext4.  The
 * upper kernel serves every operation on the lower FUSE inodes, which the
 * lower kernel serves on the real ones: neither daemon sees more than its
 * bound node's LOOKUP.  On the debug kernel, lockdep watches the two FUSE
 * inodes' locks nest (two superblocks of one filesystem type).
 */
TEST_F(backing, stacked_on_fuse_bpf)
{
	char upper[64], p[256], q[256], buf[256], names[256], log[256];
	struct td *u;
	struct td_opts o;
	struct stat st;
	uint64_t udir;
	int fd, id;

	snprintf(upper, sizeof(upper), "/tmp/fuse-up-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(upper));
	td_default_opts(&o);
	o.entry_timeout = 60;
	o.attr_timeout = 60;
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 2;
	u = td_mount(upper, &o);
	ASSERT_NE(NULL, u) TH_LOG("mount: %s", strerror(errno));
	udir = td_add_dir(u, TD_ROOT_ID, "dir", 0755);
	ASSERT_TRUE(td_barrier(u));
	fd = open(mpath(self, "sub"), O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id = td_backing_open(u, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id) TH_LOG("BACKING_OPEN: %s", strerror(-id));
	td_set_backing(u, udir, FUSE_BPF_ACTION_SET, id);

	/* read what is there, then change everything */
	snprintf(p, sizeof(p), "%s/dir/inner", upper);
	ASSERT_EQ(6, td_read_file(p, buf, sizeof(buf)));
	ASSERT_STREQ("inner\n", buf);
	snprintf(p, sizeof(p), "%s/dir/new", upper);
	ASSERT_EQ(0, td_write_file(p, "stacked\n", 0640));
	ASSERT_EQ(0, chmod(p, 0600));
	ASSERT_EQ(0, truncate(p, 4));
	ASSERT_EQ(0, setxattr(p, "user.s", "1", 1, 0));
	snprintf(q, sizeof(q), "%s/dir/deeper/moved", upper);
	ASSERT_EQ(0, rename(p, q));
	snprintf(p, sizeof(p), "%s/dir/d", upper);
	ASSERT_EQ(0, mkdir(p, 0700));
	snprintf(p, sizeof(p), "%s/dir/d/l", upper);
	ASSERT_EQ(0, symlink("../inner", p));
	snprintf(p, sizeof(p), "%s/dir/d/h", upper);
	ASSERT_EQ(0, link(q, p));
	ASSERT_EQ(0, stat(bpath(self, "sub/deeper/moved", buf), &st));
	EXPECT_EQ(S_IFREG | 0600, st.st_mode);
	EXPECT_EQ(4, st.st_size);
	EXPECT_EQ(2, st.st_nlink);
	EXPECT_EQ(6, td_read_file(bpath(self, "sub/d/l", buf), buf, sizeof(buf)));
	EXPECT_STREQ("inner\n", buf);
	snprintf(p, sizeof(p), "%s/dir", upper);
	ASSERT_EQ(3, list_dir(p, names, sizeof(names)));
	EXPECT_STREQ("d deeper inner ", names);
	snprintf(p, sizeof(p), "%s/dir/d/h", upper);
	ASSERT_EQ(0, unlink(p));
	snprintf(p, sizeof(p), "%s/dir/d/l", upper);
	ASSERT_EQ(0, unlink(p));
	snprintf(p, sizeof(p), "%s/dir/d", upper);
	ASSERT_EQ(0, rmdir(p));
	EXPECT_EQ(-1, access(bpath(self, "sub/d", buf), F_OK));
	/* each daemon saw its bound node's LOOKUP only */
	ASSERT_TRUE(td_barrier(u));
	EXPECT_STREQ("INIT LOOKUP(dir)", td_log_str(u, log, sizeof(log),
						    td_async_ops));
	EXPECT_EQ(0, u->kernel_ids);
	td_umount(u);
	rmdir(upper);
	ASSERT_LOG("INIT LOOKUP(dir)");
}

/*
 * The daemon rebinds a node between two backing files while callers open
 * it: the caller's permission was checked on one backing before ->open,
 * and the file must never be opened on the other unchecked.  Backing 1 is
 * writable by everyone, backing 2 by root only; nobody's writes must never
 * land in backing 2.
 */
struct rebind_arg {
	struct td *d;
	uint64_t fid;
	int id[2];
	bool stop;		/* __atomic */
	unsigned long flips;
};

static void *rebind_loop(void *p)
{
	struct rebind_arg *a = p;
	struct td_node *n;

	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&a->d->lock);
		n = td_node(a->d, a->fid);
		n->bpf_id = n->bpf_id == a->id[0] ? a->id[1] : a->id[0];
		pthread_mutex_unlock(&a->d->lock);
		td_inval_entry(a->d, TD_ROOT_ID, "f");
		a->flips++;
	}
	return NULL;
}

/*
 * 400 tries, and more until one write went through (at most 30 s): a
 * refused open is quick, and all 400 may fall while the node is bound to
 * the root-only backing (the rebinding thread descheduled, on SMP).
 */
static int nobody_writes(void *path)
{
	time_t end = time(NULL) + 30;
	int i, fd, done = 0;

	for (i = 0; i < 400 || (!done && time(NULL) < end); i++) {
		fd = open(path, O_WRONLY | O_APPEND);
		if (fd < 0)
			continue;
		if (write(fd, "x", 1) != 1)
			return 1;
		close(fd);
		done++;
	}
	return 0;
}

TEST_F_TIMEOUT(backing, rebind_while_opening, 120)
{
	struct rebind_arg a = { .d = self->d };
	char p[256], path[128];
	struct stat st;
	pthread_t t;
	pid_t pid[2];
	int i, fd, status, ok = 0;

	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/b%d", self->root, i);
		ASSERT_EQ(0, td_write_file(p, "", i ? 0600 : 0666));
		ASSERT_EQ(0, chmod(p, i ? 0600 : 0666));
		fd = open(p, O_RDONLY);
		ASSERT_LE(0, fd);
		a.id[i] = td_backing_open(self->d, fd, 0);
		close(fd);
		ASSERT_LT(0, a.id[i]);
	}
	a.fid = td_add_file(self->d, TD_ROOT_ID, "f", 0666, NULL, 0);
	td_set_backing(self->d, a.fid, FUSE_BPF_ACTION_SET, a.id[0]);
	snprintf(path, sizeof(path), "%s/f", self->mnt);
	ASSERT_EQ(0, pthread_create(&t, NULL, rebind_loop, &a));
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(255);
			_exit(nobody_writes(path));
		}
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ok += WIFEXITED(status) && !WEXITSTATUS(status);
	}
	__atomic_store_n(&a.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	TH_LOG("%lu rebinds", a.flips);
	EXPECT_EQ(2, ok);
	snprintf(p, sizeof(p), "%s/b1", self->root);
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(0, st.st_size);
	snprintf(p, sizeof(p), "%s/b0", self->root);
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_LT(0, st.st_size);
}

/*
 * A backing filesystem may leave the dentry of a new object unhashed and
 * negative (NFS, 9p, FUSE when the new directory is an alias).  Here the
 * backing is a plain FUSE mount whose daemon answers MKDIR with a
 * directory the kernel already has a dentry for: the object exists, under
 * another dentry, and the create must find it (as ovl_mkdir_real() does).
 */
static struct {
	uint64_t existing;
	bool made;
} alias;

static int alias_mkdir(struct td *d, const struct fuse_in_header *in,
		       const void *arg, size_t arglen)
{
	const char *name = arg;
	struct fuse_entry_out e = { .entry_valid = 60, .attr_valid = 60 };

	if (in->opcode == FUSE_MKDIR)
		name = (const char *)arg + sizeof(struct fuse_mkdir_in);
	else if (in->opcode != FUSE_LOOKUP)
		return TD_DEFAULT;
	if (strcmp(name, "made"))
		return TD_DEFAULT;
	if (in->opcode == FUSE_LOOKUP && !alias.made) {
		td_reply(d, in->unique, -ENOENT, NULL, 0);
		return 0;
	}
	alias.made = true;
	e.nodeid = alias.existing;
	e.attr.ino = alias.existing;
	e.attr.mode = S_IFDIR | 0755;
	e.attr.nlink = 2;
	td_reply(d, in->unique, 0, &e, sizeof(e));
	return 0;
}

TEST_F(backing, create_when_the_backing_leaves_the_dentry_unhashed)
{
	char lower[64], p[256];
	struct td_opts o;
	struct stat st;
	uint64_t base, up;
	struct td *l;
	int fd, id;

	snprintf(lower, sizeof(lower), "/tmp/fuse-lo-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(lower));
	td_default_opts(&o);
	o.entry_timeout = 60;
	o.attr_timeout = 60;
	l = td_mount(lower, &o);
	ASSERT_NE(NULL, l);
	base = td_add_dir(l, TD_ROOT_ID, "base", 0755);
	alias.existing = td_add_dir(l, base, "existing", 0755);
	alias.made = false;
	l->handler = alias_mkdir;
	snprintf(p, sizeof(p), "%s/base/existing", lower);
	ASSERT_EQ(0, stat(p, &st));	/* the alias the MKDIR reply names */
	snprintf(p, sizeof(p), "%s/base", lower);
	fd = open(p, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id) TH_LOG("BACKING_OPEN: %s", strerror(-id));
	up = td_add_dir(self->d, TD_ROOT_ID, "up", 0755);
	td_set_backing(self->d, up, FUSE_BPF_ACTION_SET, id);

	snprintf(p, sizeof(p), "%s/up/made", self->mnt);
	EXPECT_EQ(0, mkdir(p, 0755)) TH_LOG("mkdir: %s", strerror(errno));
	EXPECT_EQ(0, stat(p, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(alias.existing, st.st_ino);
	EXPECT_EQ(1, td_log_count(l, FUSE_MKDIR));
	l->handler = NULL;
	td_umount(l);
	rmdir(lower);
}
