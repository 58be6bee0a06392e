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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"

static const char hello[] = "hello from the backing filesystem\n";

/* Requests whose timing the kernel decides: left out of exact sequences. */
static const uint32_t async_ops[] = { FUSE_FORGET, FUSE_BATCH_FORGET,
				      FUSE_INTERRUPT, 0 };

static int write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

static ssize_t read_file(const char *path, char *buf, size_t size)
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

static char *mpath(FIXTURE_DATA(backing) *self, const char *rel)
{
	snprintf(self->path, sizeof(self->path), "%s/dir/%s", self->mnt, rel);
	return self->path;
}

static char *bpath(FIXTURE_DATA(backing) *self, const char *rel, char *buf)
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

	snprintf(self->root, sizeof(self->root), "%s/bk-XXXXXX", fs);
	ASSERT_NE(NULL, mkdtemp(self->root));
	ASSERT_EQ(0, chmod(self->root, 0755));
	ASSERT_EQ(0, write_file(bpath(self, "hello", p), hello, 0644));
	ASSERT_EQ(0, mkdir(bpath(self, "sub", p), 0755));
	ASSERT_EQ(0, write_file(bpath(self, "sub/inner", p), "inner\n", 0600));
	ASSERT_EQ(0, mkdir(bpath(self, "sub/deeper", p), 0700));
	ASSERT_EQ(0, write_file(bpath(self, "sub/deeper/leaf", p), "leaf\n",
				0640));

	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fuse-bk-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	td_default_opts(&o);
	o.entry_timeout = 60;
	o.attr_timeout = 60;
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
					  async_ops)); \
	ASSERT_EQ(0, self->d->kernel_ids); \
} while (0)

TEST_F(backing, init_negotiated)
{
	ASSERT_TRUE(self->d->kernel_flags & FUSE_BPF);
	ASSERT_LE(42, self->d->minor);
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
		  read_file(mpath(self, "hello"), buf, sizeof(buf)));
	ASSERT_STREQ(hello, buf);
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
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		ASSERT_EQ(0, stat(mpath(self, files[i]), &st));
		ASSERT_EQ(0, stat(bpath(self, files[i], p), &bst));
		ASSERT_EQ(bst.st_mode, st.st_mode);
		ASSERT_EQ(bst.st_size, st.st_size);
		ASSERT_EQ(bst.st_uid, st.st_uid);
		ASSERT_LE(0, read_file(mpath(self, files[i]), buf,
				       sizeof(buf)));
		ASSERT_LE(0, read_file(p, bbuf, sizeof(bbuf)));
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
	ASSERT_LE(0, read_file(bpath(self, "hello", p), buf, sizeof(buf)));
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
	ASSERT_EQ(0, write_file(bpath(self, "hello", p), "short\n", 0644));
	ASSERT_EQ(0, chmod(bpath(self, "hello", p), 0600));
	ASSERT_EQ(0, rename(bpath(self, "sub/inner", p),
			    bpath(self, "sub/renamed", q)));
	ASSERT_EQ(0, write_file(bpath(self, "new", p), "new\n", 0644));

	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	ASSERT_EQ(6, st.st_size);
	ASSERT_EQ(S_IFREG | 0600, st.st_mode);
	ASSERT_EQ(6, read_file(mpath(self, "hello"), buf, sizeof(buf)));
	ASSERT_STREQ("short\n", buf);
	ASSERT_EQ(-1, stat(mpath(self, "sub/inner"), &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, stat(mpath(self, "sub/renamed"), &st));
	ASSERT_EQ(6, read_file(mpath(self, "sub/renamed"), buf, sizeof(buf)));
	ASSERT_STREQ("inner\n", buf);
	ASSERT_EQ(3, list_dir(mpath(self, ""), names, sizeof(names)));
	ASSERT_STREQ("hello new sub ", names);
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
		ASSERT_EQ(0, write_file(bpath(self, name, p), "", 0644));
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
	ASSERT_LOG("INIT LOOKUP(dir) LOOKUP(dir) OPENDIR READDIR READDIR "
		   "RELEASEDIR LOOKUP(dir)");
}

/* Backed and unbacked siblings: only the unbacked one reaches the daemon. */
TEST_F(backing, backed_and_unbacked_siblings)
{
	char path[128], buf[64];

	ASSERT_NE(0, td_add_file(self->d, TD_ROOT_ID, "plain", 0644,
				 "plain\n", 6));
	ASSERT_LE(0, read_file(mpath(self, "hello"), buf, sizeof(buf)));
	snprintf(path, sizeof(path), "%s/plain", self->mnt);
	ASSERT_EQ(6, read_file(path, buf, sizeof(buf)));
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
		if (read_file(mpath(self, "hello"), buf, sizeof(buf)) <= 0)
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
	ASSERT_LOG("INIT LOOKUP(dir2) LOOKUP(dir2) LOOKUP(file) LOOKUP(file) "
		   "LOOKUP(dir2)");
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
		{ "filter", 100, full, { .filter_action = 1 }, 0, EIO },
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
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
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

TEST_HARNESS_MAIN
