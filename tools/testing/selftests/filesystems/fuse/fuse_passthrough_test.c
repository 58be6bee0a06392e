// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf-passthrough, the example daemon of tools/fuse-bpf, in its three
 * modes (plain, passthrough, bpf) over tmpfs and ext4: the same
 * correctness checks in every mode, results compared with SOURCE, and
 * the daemon's request counters (--stats) saying who served what.
 *
 * Variants: plain, plain with four threads (tmpfs only), passthrough,
 * bpf (root backed with backing_root_fd=) and bpf_lookup (the daemon
 * serves the root and binds in LOOKUP replies), on tmpfs ($FBPF_TMPFS,
 * default /tmp) and ext4 ($FBPF_EXT4, skipped when unset); and bpf ones
 * with a BPF filter (--filter) that changes nothing for these tests:
 * fuse_count (a callback on every operation) and fuse_hide (no name
 * here starts with "secret").  Tests of their own check what the
 * filters do: hidden names, the counts map.
 *
 * The daemon is $FUSE_BPF_PASSTHROUGH, else /usr/bin/fuse-bpf-passthrough;
 * the filter objects are in $FUSE_BPF_FILTERS, else /usr/share/fuse-bpf.
 * bpf variants skip on kernels that do not offer FUSE_BPF.  Each test
 * runs in its own mount namespace; a janitor process removes its
 * directories when it ends.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/falloc.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"

#define FUSE_MAGIC	0x65735546
#define NOBODY		65534
#define NFILES		300

static const char *daemon_path(void)
{
	const char *p = getenv("FUSE_BPF_PASSTHROUGH");

	return p && *p ? p : "/usr/bin/fuse-bpf-passthrough";
}

/* The path of an example filter object, e.g. "fuse_hide.bpf.o". */
static const char *filter_path(const char *name)
{
	static char path[PATH_MAX];
	const char *dir = getenv("FUSE_BPF_FILTERS");

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir :
		 "/usr/share/fuse-bpf", name);
	return path;
}

/* path helpers: a ring of buffers, enough for one statement */
static char *pj(const char *dir, const char *rel)
{
	static char ring[8][PATH_MAX];
	static int i;
	char *p = ring[i++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, rel);
	return p;
}

FIXTURE(pt) {
	char base[256];	/* on tmpfs or ext4 */
	char src[300];	/* SOURCE */
	char mnt[300];	/* MOUNTPOINT */
	char stats[300];	/* --stats FILE */
	pid_t pid;		/* the daemon, 0 once reaped */
	int status;
};

FIXTURE_VARIANT(pt) {
	const char *mode;
	const char *fs_env;
	const char *fs_default;
	bool lookup_binds;	/* bpf: --no-root-backing */
	const char *threads;	/* --threads */
	const char *filter;	/* bpf: --filter, an object of filter_path() */
	bool inherit;		/* bpf: --inherit */
};

FIXTURE_VARIANT_ADD(pt, plain_tmpfs) {
	.mode = "plain", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(pt, plain_ext4) {
	.mode = "plain", .fs_env = "FBPF_EXT4",
};

/* libfuse's multi-threaded loop */
FIXTURE_VARIANT_ADD(pt, plain_mt_tmpfs) {
	.mode = "plain", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
	.threads = "4",
};

FIXTURE_VARIANT_ADD(pt, passthrough_tmpfs) {
	.mode = "passthrough", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(pt, passthrough_ext4) {
	.mode = "passthrough", .fs_env = "FBPF_EXT4",
};

FIXTURE_VARIANT_ADD(pt, bpf_tmpfs) {
	.mode = "bpf", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(pt, bpf_ext4) {
	.mode = "bpf", .fs_env = "FBPF_EXT4",
};

/* The root is the daemon's; LOOKUP replies bind what they find. */
FIXTURE_VARIANT_ADD(pt, bpf_lookup_tmpfs) {
	.mode = "bpf", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
	.lookup_binds = true,
};

FIXTURE_VARIANT_ADD(pt, bpf_lookup_ext4) {
	.mode = "bpf", .fs_env = "FBPF_EXT4", .lookup_binds = true,
};

/* A filter with a callback on every operation, serving them all */
FIXTURE_VARIANT_ADD(pt, bpf_count_tmpfs) {
	.mode = "bpf", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
	.filter = "fuse_count.bpf.o",
};

FIXTURE_VARIANT_ADD(pt, bpf_count_ext4) {
	.mode = "bpf", .fs_env = "FBPF_EXT4", .filter = "fuse_count.bpf.o",
};

FIXTURE_VARIANT_ADD(pt, bpf_lookup_count_tmpfs) {
	.mode = "bpf", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
	.lookup_binds = true, .filter = "fuse_count.bpf.o",
};

/*
 * uid_gate sends every LOOKUP to the daemon (no uid is in its map), which
 * answers INHERIT: the kernel binds the backing's child itself
 */
FIXTURE_VARIANT_ADD(pt, bpf_gate_inherit_ext4) {
	.mode = "bpf", .fs_env = "FBPF_EXT4",
	.filter = "fuse_uid_gate.bpf.o", .inherit = true,
};

/* Hides secret* names, which these tests do not use */
FIXTURE_VARIANT_ADD(pt, bpf_hide_tmpfs) {
	.mode = "bpf", .fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
	.filter = "fuse_hide.bpf.o",
};

static bool is_fuse(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == FUSE_MAGIC;
}

static int rm_tree(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

/* Dead, or a zombie nobody reaped yet (its parent, the test, is gone). */
static bool gone(pid_t pid)
{
	char path[64], buf[256], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

/* Unmount and reap the daemon; its exit status goes to self->status. */
static int stop_daemon(struct _test_data_pt *self)
{
	int i;

	if (!self->pid)
		return 0;
	umount2(self->mnt, 0);
	for (i = 0; i < 500; i++) {
		if (waitpid(self->pid, &self->status, WNOHANG) == self->pid) {
			self->pid = 0;
			return 0;
		}
		usleep(10000);
	}
	kill(self->pid, SIGKILL);
	waitpid(self->pid, &self->status, 0);
	self->pid = 0;
	umount2(self->mnt, MNT_DETACH);
	return -1;
}

/*
 * Cleaning up when the test process ends, however it ends: the harness
 * runs no child-side teardown after a failed ASSERT (its local "child"
 * does not survive longjmp() at -O2).  The janitor shares the test's
 * mount namespace: it kills the daemon, detaches the mount and removes
 * the directories once the test process is gone.
 */
static void start_janitor(struct _test_data_pt *self)
{
	pid_t test = getpid();
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (fork()) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == test)
		sigwait(&set, &sig);
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		while (!gone(self->pid))
			usleep(10000);
	}
	umount2(self->mnt, MNT_DETACH);
	rm_tree(self->base);
	_exit(0);
}

/*
 * Make base/{src,src/shared,mnt} under @fs and mount the daemon there
 * with @args after the usual ones.  Return: 0 mounted, 3 the daemon
 * says the kernel lacks fuse-bpf, -1 other failures (self->status).
 */
static int mount_daemon(struct _test_data_pt *self, const char *fs,
			const char *const *args)
{
	const char *argv[20] = {
		daemon_path(), self->src, self->mnt, "--stats", self->stats, "-f",
	};
	int i;

	self->pid = 0;
	snprintf(self->base, sizeof(self->base), "%s/fpt-XXXXXX", fs);
	if (!mkdtemp(self->base))
		return -1;
	snprintf(self->src, sizeof(self->src), "%s/src", self->base);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	snprintf(self->stats, sizeof(self->stats), "%s/stats", self->base);
	/* a directory everyone may write, for the non-root caller */
	if (chmod(self->base, 0755) || mkdir(self->src, 0755) ||
	    mkdir(self->mnt, 0755) || chmod(self->src, 0755) ||
	    mkdir(pj(self->src, "shared"), 0777) ||
	    chmod(pj(self->src, "shared"), 0777))
		return -1;
	for (i = 0; args[i] && i < 12; i++)
		argv[6 + i] = args[i];

	self->pid = fork();
	if (self->pid < 0)
		return -1;
	if (!self->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(daemon_path(), (char **)argv);
		_exit(127);
	}
	for (i = 0; i < 1000 && !is_fuse(self->mnt); i++) {
		if (waitpid(self->pid, &self->status, WNOHANG) == self->pid) {
			self->pid = 0;
			break;
		}
		usleep(10000);
	}
	start_janitor(self);
	if (!self->pid && WIFEXITED(self->status) &&
	    WEXITSTATUS(self->status) == 3)
		return 3;
	if (!is_fuse(self->mnt)) {
		stop_daemon(self);
		return -1;
	}
	return 0;
}

FIXTURE_SETUP(pt)
{
	const char *fs = getenv(variant->fs_env);
	bool bpf = !strcmp(variant->mode, "bpf");
	const char *args[12] = {
		"--mode", variant->mode,
		/* no entry of the root expires mid-test */
		"--timeout", "60",
		"--threads", variant->threads ?: "1",
	};
	int ret, n = 6;

	self->pid = 0;
	if (!fs)
		fs = variant->fs_default;
	if (!fs || access(fs, W_OK))
		SKIP(return, "no %s backing filesystem", variant->fs_env);
	ASSERT_EQ(0, access(daemon_path(), X_OK))
		TH_LOG("no daemon %s (set FUSE_BPF_PASSTHROUGH)", daemon_path());
	if (variant->lookup_binds)
		args[n++] = "--no-root-backing";
	if (variant->inherit)
		args[n++] = "--inherit";
	if (variant->filter) {
		args[n++] = "--filter";
		args[n++] = filter_path(variant->filter);
		ASSERT_EQ(0, access(args[n - 1], R_OK))
			TH_LOG("no filter %s (set FUSE_BPF_FILTERS)", args[n - 1]);
	}
	ASSERT_EQ(0, td_isolate());
	if (bpf && !(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without fuse-bpf (FUSE_BPF not offered, FBPF_KERNEL=%s)",
		     getenv("FBPF_KERNEL") ?: "unset");
	ret = mount_daemon(self, fs, args);
	if (ret == 3)
		SKIP(return, "the daemon says the kernel lacks fuse-bpf");
	ASSERT_EQ(0, ret) TH_LOG("%s did not mount (status %#x)",
				 daemon_path(), self->status);
}

FIXTURE_TEARDOWN(pt)
{
	/* the janitor cleans up, whatever happened to the test */
}

/* The same object seen through the mount and on SOURCE. */
static void expect_same(struct __test_metadata *_metadata,
			struct _test_data_pt *self, const char *rel)
{
	struct stat m, s;

	ASSERT_EQ(0, lstat(pj(self->mnt, rel), &m)) TH_LOG("%s", rel);
	ASSERT_EQ(0, lstat(pj(self->src, rel), &s)) TH_LOG("%s", rel);
	EXPECT_EQ(s.st_ino, m.st_ino) TH_LOG("%s", rel);
	EXPECT_EQ(s.st_mode, m.st_mode) TH_LOG("%s", rel);
	EXPECT_EQ(s.st_uid, m.st_uid) TH_LOG("%s", rel);
	EXPECT_EQ(s.st_gid, m.st_gid) TH_LOG("%s", rel);
	EXPECT_EQ(s.st_nlink, m.st_nlink) TH_LOG("%s", rel);
	/* a directory's size is the backing file system's own business */
	if (S_ISDIR(s.st_mode))
		m.st_size = s.st_size;
	EXPECT_EQ(s.st_size, m.st_size) TH_LOG("%s", rel);
	EXPECT_EQ(s.st_mtim.tv_sec, m.st_mtim.tv_sec) TH_LOG("%s", rel);
}

static void expect_gone(struct __test_metadata *_metadata,
			struct _test_data_pt *self, const char *rel)
{
	struct stat st;

	EXPECT_EQ(-1, lstat(pj(self->mnt, rel), &st)) TH_LOG("%s", rel);
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, lstat(pj(self->src, rel), &st)) TH_LOG("%s", rel);
	EXPECT_EQ(ENOENT, errno);
}

static ssize_t get(const char *path, void *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got < size && (n = read(fd, (char *)buf + got, size - got)) > 0)
		got += n;
	close(fd);
	return got;
}

TEST_F(pt, create_write_read)
{
	static char data[300000], back[sizeof(data) + 1];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = 'a' + i % 23;
	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "file"), data, sizeof(data), 0640));
	EXPECT_EQ(sizeof(data), get(pj(self->mnt, "file"), back, sizeof(back)));
	EXPECT_EQ(0, memcmp(data, back, sizeof(data)));
	memset(back, 0, sizeof(back));
	EXPECT_EQ(sizeof(data), get(pj(self->src, "file"), back, sizeof(back)));
	EXPECT_EQ(0, memcmp(data, back, sizeof(data)));
	expect_same(_metadata, self, "file");
	/* and a file made on SOURCE reads the same through the mount */
	ASSERT_EQ(0, td_write_bytes(pj(self->src, "native"), "native\n", 7, 0644));
	EXPECT_EQ(7, get(pj(self->mnt, "native"), back, sizeof(back)));
	EXPECT_EQ(0, memcmp(back, "native\n", 7));
}

TEST_F(pt, mkdir_rmdir)
{
	ASSERT_EQ(0, mkdir(pj(self->mnt, "d"), 0750));
	ASSERT_EQ(0, mkdir(pj(self->mnt, "d/e"), 0700));
	expect_same(_metadata, self, "d");
	expect_same(_metadata, self, "d/e");
	EXPECT_EQ(-1, rmdir(pj(self->mnt, "d")));
	EXPECT_EQ(ENOTEMPTY, errno);
	EXPECT_EQ(-1, mkdir(pj(self->mnt, "d"), 0750));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, rmdir(pj(self->mnt, "d/e")));
	EXPECT_EQ(0, rmdir(pj(self->mnt, "d")));
	expect_gone(_metadata, self, "d");
}

TEST_F(pt, rename_and_flags)
{
	char buf[16] = "";

	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "a"), "A", 1, 0644));
	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "b"), "B", 1, 0644));
	ASSERT_EQ(0, mkdir(pj(self->mnt, "dir"), 0755));

	EXPECT_EQ(0, rename(pj(self->mnt, "a"), pj(self->mnt, "a2")));
	expect_gone(_metadata, self, "a");
	expect_same(_metadata, self, "a2");

	EXPECT_EQ(-1, renameat2(AT_FDCWD, pj(self->mnt, "a2"), AT_FDCWD,
				pj(self->mnt, "b"), RENAME_NOREPLACE));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, renameat2(AT_FDCWD, pj(self->mnt, "a2"), AT_FDCWD,
			       pj(self->mnt, "c"), RENAME_NOREPLACE));

	/* exchange a file and a directory */
	EXPECT_EQ(0, renameat2(AT_FDCWD, pj(self->mnt, "c"), AT_FDCWD,
			       pj(self->mnt, "dir"), RENAME_EXCHANGE));
	EXPECT_EQ(1, get(pj(self->src, "dir"), buf, sizeof(buf)));
	EXPECT_EQ('A', buf[0]);
	EXPECT_EQ(1, get(pj(self->mnt, "dir"), buf, sizeof(buf)));
	EXPECT_EQ('A', buf[0]);
	expect_same(_metadata, self, "c");
	expect_same(_metadata, self, "dir");
	{
		struct stat st;

		EXPECT_EQ(0, stat(pj(self->mnt, "c"), &st));
		EXPECT_TRUE(S_ISDIR(st.st_mode));
	}

	/* over an existing file, and into another directory */
	EXPECT_EQ(0, rename(pj(self->mnt, "dir"), pj(self->mnt, "b")));
	EXPECT_EQ(1, get(pj(self->src, "b"), buf, sizeof(buf)));
	EXPECT_EQ('A', buf[0]);
	EXPECT_EQ(0, rename(pj(self->mnt, "b"), pj(self->mnt, "c/moved")));
	expect_gone(_metadata, self, "b");
	expect_same(_metadata, self, "c/moved");
}

TEST_F(pt, symlink_readlink)
{
	char m[PATH_MAX], s[PATH_MAX];
	ssize_t n;

	ASSERT_EQ(0, symlink("some/where/else", pj(self->mnt, "l")));
	n = readlink(pj(self->mnt, "l"), m, sizeof(m));
	ASSERT_EQ(15, n);
	m[n] = '\0';
	n = readlink(pj(self->src, "l"), s, sizeof(s));
	ASSERT_EQ(15, n);
	s[n] = '\0';
	EXPECT_STREQ("some/where/else", m);
	EXPECT_STREQ(m, s);
	expect_same(_metadata, self, "l");
	/* a symlink that resolves, through the mount */
	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "t"), "T", 1, 0644));
	ASSERT_EQ(0, symlink("t", pj(self->mnt, "lt")));
	EXPECT_EQ(1, get(pj(self->mnt, "lt"), m, sizeof(m)));
	EXPECT_EQ('T', m[0]);
}

TEST_F(pt, hard_link)
{
	struct stat a, b;
	char buf[8];

	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "f"), "link", 4, 0644));
	ASSERT_EQ(0, link(pj(self->mnt, "f"), pj(self->mnt, "f2")));
	ASSERT_EQ(0, stat(pj(self->mnt, "f"), &a));
	ASSERT_EQ(0, stat(pj(self->mnt, "f2"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(2, b.st_nlink);
	expect_same(_metadata, self, "f");
	expect_same(_metadata, self, "f2");
	EXPECT_EQ(4, get(pj(self->mnt, "f2"), buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "link", 4));
	EXPECT_EQ(0, unlink(pj(self->mnt, "f")));
	EXPECT_EQ(0, stat(pj(self->mnt, "f2"), &b));
	EXPECT_EQ(1, b.st_nlink);
	expect_same(_metadata, self, "f2");
}

TEST_F(pt, unlink)
{
	char buf[8];
	int fd;

	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "f"), "gone", 4, 0644));
	fd = open(pj(self->mnt, "f"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, unlink(pj(self->mnt, "f")));
	expect_gone(_metadata, self, "f");
	/* still readable while open */
	EXPECT_EQ(4, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "gone", 4));
	close(fd);
	EXPECT_EQ(-1, unlink(pj(self->mnt, "f")));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(pt, setattr)
{
	struct timespec ts[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 0 },
		{ .tv_sec = 1200000000, .tv_nsec = 0 },
	};
	struct stat st;
	int fd;

	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "f"), "0123456789abcdef", 16, 0644));
	EXPECT_EQ(0, chmod(pj(self->mnt, "f"), 0600));
	EXPECT_EQ(0, truncate(pj(self->mnt, "f"), 10));
	EXPECT_EQ(0, utimensat(AT_FDCWD, pj(self->mnt, "f"), ts, 0));
	ASSERT_EQ(0, stat(pj(self->mnt, "f"), &st));
	EXPECT_EQ(S_IFREG | 0600, st.st_mode);
	EXPECT_EQ(10, st.st_size);
	EXPECT_EQ(1200000000, st.st_mtim.tv_sec);
	EXPECT_EQ(1000000000, st.st_atim.tv_sec);
	expect_same(_metadata, self, "f");
	ASSERT_EQ(0, stat(pj(self->src, "f"), &st));
	EXPECT_EQ(10, st.st_size);
	EXPECT_EQ(1200000000, st.st_mtim.tv_sec);
	/* the same through an open file */
	fd = open(pj(self->mnt, "f"), O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ftruncate(fd, 3));
	EXPECT_EQ(0, fchmod(fd, 0640));
	EXPECT_EQ(0, fchown(fd, NOBODY, NOBODY));
	close(fd);
	expect_same(_metadata, self, "f");
	ASSERT_EQ(0, stat(pj(self->src, "f"), &st));
	EXPECT_EQ(3, st.st_size);
	EXPECT_EQ(NOBODY, st.st_uid);
	EXPECT_EQ(S_IFREG | 0640, st.st_mode);
}

TEST_F(pt, xattrs)
{
	char buf[256];
	ssize_t n;

	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "f"), "x", 1, 0644));
	ASSERT_EQ(0, setxattr(pj(self->mnt, "f"), "user.fbpf", "value", 5, 0))
		TH_LOG("setxattr: %s", strerror(errno));
	n = getxattr(pj(self->mnt, "f"), "user.fbpf", buf, sizeof(buf));
	EXPECT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "value", 5));
	n = getxattr(pj(self->src, "f"), "user.fbpf", buf, sizeof(buf));
	EXPECT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "value", 5));
	EXPECT_EQ(5, getxattr(pj(self->mnt, "f"), "user.fbpf", NULL, 0));
	EXPECT_EQ(-1, setxattr(pj(self->mnt, "f"), "user.fbpf", "v", 1,
			       XATTR_CREATE));
	EXPECT_EQ(EEXIST, errno);
	n = listxattr(pj(self->mnt, "f"), buf, sizeof(buf));
	EXPECT_LT(0, n);
	EXPECT_NE(NULL, memmem(buf, n > 0 ? n : 0, "user.fbpf", 10));
	EXPECT_EQ(0, removexattr(pj(self->mnt, "f"), "user.fbpf"));
	EXPECT_EQ(-1, getxattr(pj(self->mnt, "f"), "user.fbpf", buf,
			       sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, getxattr(pj(self->src, "f"), "user.fbpf", buf,
			       sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	/* on a directory too */
	ASSERT_EQ(0, mkdir(pj(self->mnt, "d"), 0755));
	EXPECT_EQ(0, setxattr(pj(self->mnt, "d"), "user.dir", "1", 1, 0));
	EXPECT_EQ(1, getxattr(pj(self->src, "d"), "user.dir", buf, sizeof(buf)));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Sorted names of a directory without . and ..; NULL on error. */
static char **list_dir(const char *path, size_t *count)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return NULL;
	names = malloc(sizeof(*names));
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp_str);
	*count = n;
	return names;
}

TEST_F_TIMEOUT(pt, readdir_large, 180)
{
	size_t nm = 0, ns = 0, i;
	char **m, **s, name[300];
	struct dirent *de;
	long pos = -1;
	DIR *dir;
	int seen = 0;

	ASSERT_EQ(0, mkdir(pj(self->mnt, "big"), 0755));
	for (i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "big/entry-with-a-longish-name-%04zu", i);
		ASSERT_EQ(0, td_write_bytes(pj(self->mnt, name), "", 0, 0644));
	}
	m = list_dir(pj(self->mnt, "big"), &nm);
	s = list_dir(pj(self->src, "big"), &ns);
	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(NFILES, nm);
	ASSERT_EQ(ns, nm);
	for (i = 0; i < nm; i++)
		EXPECT_STREQ(s[i], m[i]);
	/* telldir/seekdir in the middle of a large directory */
	dir = opendir(pj(self->mnt, "big"));
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		if (++seen == NFILES / 2) {
			pos = telldir(dir);
			de = readdir(dir);
			ASSERT_NE(NULL, de);
			snprintf(name, sizeof(name), "%s", de->d_name);
			break;
		}
	}
	ASSERT_LE(0, pos);
	seekdir(dir, pos);
	de = readdir(dir);
	ASSERT_NE(NULL, de);
	EXPECT_STREQ(name, de->d_name);
	closedir(dir);
	/* and stat of every entry through the mount */
	for (i = 0; i < nm; i += 37) {
		snprintf(name, sizeof(name), "big/%s", m[i]);
		expect_same(_metadata, self, name);
	}
}

TEST_F(pt, statfs)
{
	struct statfs m, s;

	ASSERT_EQ(0, statfs(self->mnt, &m));
	ASSERT_EQ(0, statfs(self->src, &s));
	EXPECT_EQ(FUSE_MAGIC, m.f_type);
	EXPECT_EQ(s.f_bsize, m.f_bsize);
	EXPECT_EQ(s.f_blocks, m.f_blocks);
	EXPECT_EQ(s.f_files, m.f_files);
	EXPECT_EQ(s.f_namelen, m.f_namelen);
}

TEST_F(pt, fsync)
{
	int fd, dfd;

	fd = open(pj(self->mnt, "f"), O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(5, write(fd, "fsync", 5));
	EXPECT_EQ(0, fsync(fd));
	EXPECT_EQ(0, fdatasync(fd));
	EXPECT_EQ(0, close(fd));
	dfd = open(self->mnt, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(0, fsync(dfd));
	close(dfd);
	expect_same(_metadata, self, "f");
}

/* Shared mappings: stores reach SOURCE after msync(), loads see it. */
TEST_F(pt, mmap_shared)
{
	char buf[16] = "";
	char *m;
	int fd;

	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "m"), "................", 16, 0644));
	fd = open(pj(self->mnt, "m"), O_RDWR);
	ASSERT_LE(0, fd);
	m = mmap(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	memcpy(m + 4, "mmap", 4);
	EXPECT_EQ(0, msync(m, 16, MS_SYNC));
	EXPECT_EQ(16, get(pj(self->src, "m"), buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "....mmap........", 16));
	EXPECT_EQ(0, munmap(m, 16));
	EXPECT_EQ(0, close(fd));
	/* and a private read-only mapping of a file made on SOURCE */
	ASSERT_EQ(0, td_write_bytes(pj(self->src, "r"), "from source", 11, 0644));
	fd = open(pj(self->mnt, "r"), O_RDONLY);
	ASSERT_LE(0, fd);
	m = mmap(NULL, 11, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, memcmp(m, "from source", 11));
	munmap(m, 11);
	close(fd);
}

/* fallocate, SEEK_DATA/SEEK_HOLE and copy_file_range */
TEST_F(pt, file_ops)
{
	static char data[65536], back[sizeof(data)];
	off_t in = 0, out = 0, pos;
	int fd, fd2;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = 'A' + i % 26;
	fd = open(pj(self->mnt, "sparse"), O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	/* 1 MiB hole, then data */
	ASSERT_EQ(sizeof(data), pwrite(fd, data, sizeof(data), 1 << 20));
	pos = lseek(fd, 0, SEEK_DATA);
	EXPECT_LE(0, pos) TH_LOG("SEEK_DATA: %s", strerror(errno));
	EXPECT_GE(1 << 20, pos);
	EXPECT_LT(0, pos) TH_LOG("no hole at 0");
	pos = lseek(fd, 1 << 20, SEEK_HOLE);
	EXPECT_EQ((1 << 20) + sizeof(data), pos);
	/* fallocate past the end keeps the size with KEEP_SIZE, else grows */
	EXPECT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 << 20, 4096));
	EXPECT_EQ(0, fallocate(fd, 0, 2 << 20, 4096));
	expect_same(_metadata, self, "sparse");
	{
		struct stat st;

		EXPECT_EQ(0, fstat(fd, &st));
		EXPECT_EQ((2 << 20) + 4096, st.st_size);
	}

	fd2 = open(pj(self->mnt, "copy"), O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, fd2);
	in = 1 << 20;
	EXPECT_EQ(sizeof(data), copy_file_range(fd, &in, fd2, &out,
						sizeof(data), 0))
		TH_LOG("copy_file_range: %s", strerror(errno));
	EXPECT_EQ(sizeof(data), out);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(fd2));
	EXPECT_EQ(sizeof(data), get(pj(self->src, "copy"), back, sizeof(back)));
	EXPECT_EQ(0, memcmp(data, back, sizeof(data)));
	EXPECT_EQ(sizeof(data), get(pj(self->mnt, "copy"), back, sizeof(back)));
	EXPECT_EQ(0, memcmp(data, back, sizeof(data)));
	expect_same(_metadata, self, "copy");
}

/*
 * Run @fn as nobody with umask 022, in supplementary group @group
 * unless it is 0; returns its exit status.
 */
static int as_nobody_in(int (*fn)(const char *), const char *arg,
			gid_t group)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(group ? 1 : 0, &group) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(100);
		umask(022);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int as_nobody(int (*fn)(const char *), const char *arg)
{
	return as_nobody_in(fn, arg, 0);
}

static int nobody_creates(const char *dir)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/nfile", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return 1;
	if (write(fd, "mine", 4) != 4 || close(fd))
		return 2;
	snprintf(p, sizeof(p), "%s/ndir", dir);
	if (mkdir(p, 0777))
		return 3;
	snprintf(p, sizeof(p), "%s/ndir/inner", dir);
	if (mknod(p, S_IFIFO | 0666, 0))
		return 4;
	snprintf(p, sizeof(p), "%s/nlink", dir);
	if (symlink("nfile", p))
		return 5;
	return 0;
}

/* What nobody may not do: 0 when every attempt failed with EACCES. */
static int nobody_is_refused(const char *mnt)
{
	char p[PATH_MAX];
	DIR *d;

	snprintf(p, sizeof(p), "%s/rootonly", mnt);
	if (open(p, O_RDONLY) >= 0 || errno != EACCES)
		return 1;
	if (truncate(p, 0) == 0 || errno != EACCES)
		return 2;
	snprintf(p, sizeof(p), "%s/private", mnt);
	d = opendir(p);
	if (d || errno != EACCES)
		return 3;
	snprintf(p, sizeof(p), "%s/private/f", mnt);
	if (open(p, O_RDONLY) >= 0 || errno != EACCES)
		return 4;
	snprintf(p, sizeof(p), "%s/mine", mnt);
	if (mkdir(p, 0755) == 0 || errno != EACCES)
		return 5;
	return 0;
}

TEST_F(pt, nonroot_refused)
{
	char buf[16];

	/* not "secret": the bpf_hide variant would hide it */
	ASSERT_EQ(0, td_write_bytes(pj(self->src, "rootonly"), "secret", 6, 0600));
	ASSERT_EQ(0, mkdir(pj(self->src, "private"), 0700));
	ASSERT_EQ(0, td_write_bytes(pj(self->src, "private/f"), "f", 1, 0644));
	EXPECT_EQ(0, as_nobody(nobody_is_refused, self->mnt));
	/* root still may */
	EXPECT_EQ(6, get(pj(self->mnt, "rootonly"), buf, sizeof(buf)));
	EXPECT_EQ(1, get(pj(self->mnt, "private/f"), buf, sizeof(buf)));
}

TEST_F(pt, nonroot_ownership)
{
	static const struct {
		const char *rel;
		mode_t mode;
	} objs[] = {
		{ "shared/nfile", S_IFREG | 0644 },
		{ "shared/ndir", S_IFDIR | 0755 },
		{ "shared/ndir/inner", S_IFIFO | 0644 },
		{ "shared/nlink", 0 },
	};
	struct stat st;
	size_t i;

	ASSERT_EQ(0, as_nobody(nobody_creates, pj(self->mnt, "shared")));
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		const char *root[2] = { self->mnt, self->src };
		int j;

		for (j = 0; j < 2; j++) {
			ASSERT_EQ(0, lstat(pj(root[j], objs[i].rel), &st))
				TH_LOG("%s/%s", root[j], objs[i].rel);
			EXPECT_EQ(NOBODY, st.st_uid)
				TH_LOG("%s/%s", root[j], objs[i].rel);
			EXPECT_EQ(NOBODY, st.st_gid)
				TH_LOG("%s/%s", root[j], objs[i].rel);
			if (objs[i].mode) {
				EXPECT_EQ(objs[i].mode, st.st_mode)
					TH_LOG("%s/%s: %o", root[j],
					       objs[i].rel, st.st_mode);
			}
		}
		expect_same(_metadata, self, objs[i].rel);
	}
	/* nobody may not write where it has no permission */
	EXPECT_EQ(0, chmod(pj(self->mnt, "shared"), 0755));
	EXPECT_EQ(1, as_nobody(nobody_creates, pj(self->mnt, "shared")));
}

#define TEAM	4242

static int nobody_creates_in_team(const char *dir)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/tfile", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return 1;
	close(fd);
	snprintf(p, sizeof(p), "%s/tdir", dir);
	if (mkdir(p, 0777))
		return 2;
	return 0;
}

/*
 * A directory writable through a supplementary group, with the setgid
 * bit: nobody in that group may create there, and what it makes takes
 * the directory's group.
 */
TEST_F(pt, nonroot_supplementary_group)
{
	struct stat st;
	int j;

	ASSERT_EQ(0, mkdir(pj(self->src, "team"), 0775));
	ASSERT_EQ(0, chown(pj(self->src, "team"), 0, TEAM));
	ASSERT_EQ(0, chmod(pj(self->src, "team"), 02775));
	/* not in the group: refused */
	EXPECT_EQ(1, as_nobody(nobody_creates_in_team, pj(self->mnt, "team")));
	EXPECT_EQ(0, as_nobody_in(nobody_creates_in_team,
				  pj(self->mnt, "team"), TEAM));
	for (j = 0; j < 2; j++) {
		const char *root = j ? self->src : self->mnt;

		ASSERT_EQ(0, lstat(pj(root, "team/tfile"), &st));
		EXPECT_EQ(NOBODY, st.st_uid);
		EXPECT_EQ(TEAM, st.st_gid);
		EXPECT_EQ(S_IFREG | 0644, st.st_mode);
		ASSERT_EQ(0, lstat(pj(root, "team/tdir"), &st));
		EXPECT_EQ(NOBODY, st.st_uid);
		EXPECT_EQ(TEAM, st.st_gid);
		EXPECT_EQ(S_IFDIR | 02755, st.st_mode) TH_LOG("%o", st.st_mode);
	}
}

/* The count of @op in the stats file; -1 if the file is unreadable. */
static long stat_count(const char *file, const char *op)
{
	char name[64];
	long n, found = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &n) == 2)
		if (!strcmp(name, op))
			found = n;
	fclose(f);
	return found;
}

TEST_F(pt, who_serves)
{
	static const char *const data_ops[] = {
		"LOOKUP", "GETATTR", "SETATTR", "CREATE", "MKDIR", "OPEN",
		"READ", "WRITE", "OPENDIR", "READDIRPLUS", "READDIR",
		"UNLINK", "RENAME", "RENAME2", "STATFS",
	};
	char buf[64];
	struct stat st;
	size_t i, n;
	char **names;

	ASSERT_EQ(0, td_write_bytes(pj(self->src, "native"), "native", 6, 0644));
	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "f"), "counted", 7, 0644));
	EXPECT_EQ(7, get(pj(self->mnt, "f"), buf, sizeof(buf)));
	EXPECT_EQ(6, get(pj(self->mnt, "native"), buf, sizeof(buf)));
	EXPECT_EQ(0, chmod(pj(self->mnt, "f"), 0600));
	EXPECT_EQ(0, mkdir(pj(self->mnt, "d"), 0755));
	EXPECT_EQ(0, rename(pj(self->mnt, "f"), pj(self->mnt, "d/g")));
	EXPECT_EQ(0, stat(pj(self->mnt, "d/g"), &st));
	names = list_dir(self->mnt, &n);
	EXPECT_NE(NULL, names);
	EXPECT_EQ(0, unlink(pj(self->mnt, "d/g")));

	ASSERT_EQ(0, stop_daemon(self));
	ASSERT_TRUE(WIFEXITED(self->status));
	EXPECT_EQ(0, WEXITSTATUS(self->status));
	ASSERT_LE(0, stat_count(self->stats, "INIT"));
	EXPECT_EQ(1, stat_count(self->stats, "INIT"));

	/* the kernel's side (its bpf_stats), written after the unmount */
	if (strcmp(variant->mode, "bpf")) {
		EXPECT_EQ(0, stat_count(self->stats, "bpf_stats"));
		EXPECT_EQ(0, stat_count(self->stats, "bpf_stats.kernel:LOOKUP"));
	} else {
		EXPECT_LT(0, stat_count(self->stats, "bpf_stats"));
		if (variant->inherit) {
			EXPECT_LT(0, stat_count(self->stats,
						"bpf_stats.daemon:LOOKUP"));
		} else if (!variant->lookup_binds) {
			EXPECT_LT(0, stat_count(self->stats,
						"bpf_stats.kernel:LOOKUP"));
			EXPECT_EQ(1, stat_count(self->stats,
						"bpf_stats.kernel:MKDIR"));
			EXPECT_LT(0, stat_count(self->stats,
						"bpf_stats.kernel:RENAME2") +
				     stat_count(self->stats,
						"bpf_stats.kernel:RENAME"));
		}
	}

	if (variant->inherit) {
		/*
		 * the filter sent every LOOKUP here, the daemon answered
		 * INHERIT and registered no backing; the kernel served the rest
		 */
		EXPECT_LT(0, stat_count(self->stats, "LOOKUP"));
		EXPECT_EQ(0, stat_count(self->stats, "backing_opens"));
		for (i = 1; i < ARRAY_SIZE(data_ops); i++)
			EXPECT_EQ(0, stat_count(self->stats, data_ops[i]))
				TH_LOG("%s reached the daemon", data_ops[i] ?: "?");
		return;
	}
	if (variant->lookup_binds) {
		/* the root is the daemon's, file data the kernel's */
		EXPECT_LT(0, stat_count(self->stats, "LOOKUP"));
		EXPECT_EQ(0, stat_count(self->stats, "READ"));
		EXPECT_EQ(0, stat_count(self->stats, "WRITE"));
		return;
	}
	if (!strcmp(variant->mode, "bpf")) {
		/* the kernel served everything after INIT */
		for (i = 0; i < ARRAY_SIZE(data_ops); i++)
			EXPECT_EQ(0, stat_count(self->stats, data_ops[i]))
				TH_LOG("%s reached the daemon", data_ops[i] ?: "?");
		return;
	}
	EXPECT_LT(0, stat_count(self->stats, "LOOKUP"));
	EXPECT_LT(0, stat_count(self->stats, "CREATE"));
	EXPECT_LT(0, stat_count(self->stats, "MKDIR"));
	EXPECT_LT(0, stat_count(self->stats, "SETATTR"));
	EXPECT_LT(0, stat_count(self->stats, "UNLINK"));
	if (!strcmp(variant->mode, "plain")) {
		EXPECT_LT(0, stat_count(self->stats, "READ"));
		EXPECT_LT(0, stat_count(self->stats, "WRITE"));
	} else {
		/* passthrough: file data never reaches the daemon */
		EXPECT_EQ(0, stat_count(self->stats, "READ"));
		EXPECT_EQ(0, stat_count(self->stats, "WRITE"));
	}
}

/* A --stats snapshot taken with SIGUSR1, into @buf. */
static int snapshot(struct _test_data_pt *self, char *buf, size_t size)
{
	ssize_t n = -1;
	int i;

	unlink(self->stats);
	if (kill(self->pid, SIGUSR1))
		return -1;
	for (i = 0; i < 500 && n < 0; i++) {
		n = get(self->stats, buf, size - 1);
		if (n < 0)
			usleep(10000);
	}
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static long count_in(const char *snap, const char *op)
{
	size_t len = strlen(op);
	const char *p;

	for (p = snap; *p; ) {
		if (!strncmp(p, op, len) && p[len] == ' ')
			return atol(p + len + 1);
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	return 0;
}

static int busy_in(const char *dir)
{
	char p[PATH_MAX], q[PATH_MAX], buf[16];
	struct stat st;
	size_t n;
	char **names;

	snprintf(p, sizeof(p), "%s/f", dir);
	if (td_write_bytes(p, "busy", 4, 0644) || get(p, buf, sizeof(buf)) != 4 ||
	    stat(p, &st) || chmod(p, 0600) || truncate(p, 2))
		return 1;
	if (setxattr(p, "user.busy", "1", 1, 0) ||
	    getxattr(p, "user.busy", buf, sizeof(buf)) != 1)
		return 2;
	snprintf(q, sizeof(q), "%s/sub", dir);
	if (mkdir(q, 0755))
		return 3;
	snprintf(q, sizeof(q), "%s/sub/g", dir);
	if (rename(p, q) || link(q, p) || unlink(q))
		return 4;
	snprintf(q, sizeof(q), "%s/sub/l", dir);
	if (symlink("../f", q) || readlink(q, buf, sizeof(buf)) != 4 ||
	    get(q, buf, sizeof(buf)) != 2 || unlink(q))
		return 5;
	snprintf(q, sizeof(q), "%s/sub", dir);
	if (rmdir(q) || unlink(p))
		return 6;
	names = list_dir(dir, &n);
	if (!names)
		return 7;
	return 0;
}

/*
 * Every operation inside a directory: none reaches the daemon when the
 * directory is backed (bpf, whether by the root or by a LOOKUP reply).
 */
TEST_F(pt, backed_subtree_is_silent)
{
	static const char *const ops[] = {
		"LOOKUP", "GETATTR", "SETATTR", "READLINK", "SYMLINK", "MKNOD",
		"MKDIR", "UNLINK", "RMDIR", "RENAME", "LINK", "OPEN", "READ",
		"WRITE", "STATFS", "RELEASE", "FSYNC", "SETXATTR", "GETXATTR",
		"LISTXATTR", "REMOVEXATTR", "FLUSH", "OPENDIR", "READDIR",
		"RELEASEDIR", "ACCESS", "CREATE", "READDIRPLUS", "RENAME2",
	};
	static char before[4096], after[4096];
	struct stat st;
	size_t i;

	/* look the directory itself up first */
	ASSERT_EQ(0, stat(pj(self->mnt, "shared"), &st));
	ASSERT_EQ(0, snapshot(self, before, sizeof(before)));
	ASSERT_EQ(0, busy_in(pj(self->mnt, "shared")));
	ASSERT_EQ(0, snapshot(self, after, sizeof(after)));
	if (strcmp(variant->mode, "bpf")) {
		EXPECT_LT(count_in(before, "CREATE"), count_in(after, "CREATE"));
		EXPECT_LT(count_in(before, "LOOKUP"), count_in(after, "LOOKUP"));
		return;
	}
	/* the gate sends LOOKUPs here (answered INHERIT), and only those */
	if (variant->inherit)
		EXPECT_LT(count_in(before, "LOOKUP"), count_in(after, "LOOKUP"));
	for (i = variant->inherit ? 1 : 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_EQ(count_in(before, ops[i]), count_in(after, ops[i]))
			TH_LOG("%s reached the daemon", ops[i] ?: "?");
	EXPECT_EQ(1, count_in(after, "INIT"));
}

TEST_F(pt, stats_on_sigusr1)
{
	int i;

	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "f"), "x", 1, 0644));
	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	for (i = 0; i < 500 && stat_count(self->stats, "INIT") != 1; i++)
		usleep(10000);
	EXPECT_EQ(1, stat_count(self->stats, "INIT"));
	if (strcmp(variant->mode, "bpf"))
		EXPECT_LT(0, stat_count(self->stats, "CREATE"));
	/* and SIGTERM ends the daemon cleanly, unmounted */
	ASSERT_EQ(0, kill(self->pid, SIGTERM));
	ASSERT_EQ(self->pid, waitpid(self->pid, &self->status, 0));
	self->pid = 0;
	EXPECT_TRUE(WIFEXITED(self->status));
	EXPECT_EQ(0, WEXITSTATUS(self->status));
	EXPECT_FALSE(is_fuse(self->mnt));
}

/* Run the daemon on fresh directories; its exit status and stderr. */
static int run_daemon(const char *const *extra, char *err, size_t size)
{
	char base[] = "/tmp/fpt-run-XXXXXX", src[64], mnt[64];
	const char *argv[16] = { daemon_path(), src, mnt, "-f" };
	int pfd[2], status = -1, i;
	ssize_t n = 0, r;
	pid_t pid;

	if (!mkdtemp(base))
		return -1;
	snprintf(src, sizeof(src), "%s/src", base);
	snprintf(mnt, sizeof(mnt), "%s/mnt", base);
	if (mkdir(src, 0755) || mkdir(mnt, 0755) || pipe(pfd))
		return -1;
	for (i = 0; extra[i] && i < 10; i++)
		argv[4 + i] = extra[i];
	pid = fork();
	if (!pid) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(daemon_path(), (char **)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (n < (ssize_t)size - 1 &&
	       (r = read(pfd[0], err + n, size - 1 - n)) > 0)
		n += r;
	err[n] = '\0';
	close(pfd[0]);
	/* it should not have mounted: if it did, end it */
	if (is_fuse(mnt))
		umount2(mnt, MNT_DETACH);
	waitpid(pid, &status, 0);
	rm_tree(base);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* plain and passthrough back no node: --filter is refused, exit 2 */
TEST(filter_needs_bpf_mode)
{
	const char *const plain[] = { "--mode", "plain", "--filter",
				      filter_path("fuse_hide.bpf.o"), NULL };
	const char *const pt[] = { "--mode", "passthrough", "--filter",
				   filter_path("fuse_hide.bpf.o"), NULL };
	char err[4096];

	ASSERT_EQ(0, access(daemon_path(), X_OK));
	EXPECT_EQ(2, run_daemon(plain, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "--filter needs --mode bpf"))
		TH_LOG("stderr: %s", err);
	EXPECT_EQ(2, run_daemon(pt, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "--filter needs --mode bpf"))
		TH_LOG("stderr: %s", err);
}

/* An object that is not there, or not a BPF object: exit 1, and why */
TEST(filter_bad_object)
{
	const char *const missing[] = { "--mode", "bpf", "--filter",
					"/nonexistent/prog.bpf.o", NULL };
	const char *const not_bpf[] = { "--mode", "bpf", "--filter",
					daemon_path(), NULL };
	char err[4096];

	ASSERT_EQ(0, access(daemon_path(), X_OK));
	EXPECT_EQ(1, run_daemon(missing, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "/nonexistent/prog.bpf.o"))
		TH_LOG("stderr: %s", err);
	EXPECT_NE(NULL, strstr(err, "No such file")) TH_LOG("stderr: %s", err);
	EXPECT_EQ(1, run_daemon(not_bpf, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "BPF object")) TH_LOG("stderr: %s", err);
	/* libbpf's cause, through the library's log: not a missing file */
	EXPECT_NE(NULL, strstr(err, "libbpf cannot open it"))
		TH_LOG("stderr: %s", err);
	EXPECT_EQ(NULL, strstr(err, "No such file")) TH_LOG("stderr: %s", err);
}

/* The names in a directory, sorted, space-separated, into @buf */
static const char *listing(const char *dir, char *buf, size_t size)
{
	size_t n, i, len = 0;
	char **names = list_dir(dir, &n);

	if (!names)
		return "(unreadable)";
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len += snprintf(buf + len, len < size ? size - len : 0, "%s%s",
				i ? " " : "", names[i]);
		free(names[i]);
	}
	free(names);
	return buf;
}

/*
 * Mount in bpf mode with @filter and, unless NULL, the daemon argument
 * @extra.  0 when mounted; 1 when the kernel has no fuse-bpf (or no
 * filters): the test is marked skipped and the caller returns.
 */
static int mount_filtered(struct __test_metadata *_metadata,
			  struct _test_data_pt *self, const char *filter,
			  const char *extra)
{
	const char *const args[] = { "--mode", "bpf", "--timeout", "60",
		"--filter", filter_path(filter), extra, NULL };
	const char *fs = getenv("FBPF_TMPFS") ?: "/tmp";
	int ret;

	ASSERT_EQ(0, access(daemon_path(), X_OK));
	ASSERT_EQ(0, access(filter_path(filter), R_OK))
		TH_LOG("no filter %s (set FUSE_BPF_FILTERS)",
		       filter_path(filter));
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return 1, "kernel without fuse-bpf (FBPF_KERNEL=%s)",
		     getenv("FBPF_KERNEL") ?: "unset");
	ret = mount_daemon(self, fs, args);
	if (ret == 3)
		SKIP(return 1, "the daemon says the kernel lacks fuse-bpf filters");
	ASSERT_EQ(0, ret) TH_LOG("%s did not mount (status %#x)",
				 daemon_path(), self->status);
	return 0;
}

/* Some SOURCE files with names fuse_hide hides, and some it does not */
static int make_secrets(struct _test_data_pt *self)
{
	if (td_write_bytes(pj(self->src, "secret-a"), "A", 1, 0644) ||
	    td_write_bytes(pj(self->src, "visible"), "V", 1, 0644) ||
	    mkdir(pj(self->src, "secret-dir"), 0755) ||
	    td_write_bytes(pj(self->src, "secret-dir/x"), "X", 1, 0644) ||
	    mkdir(pj(self->src, "sub"), 0755) ||
	    td_write_bytes(pj(self->src, "sub/secret-b"), "B", 1, 0644) ||
	    td_write_bytes(pj(self->src, "sub/ok"), "O", 1, 0644))
		return -1;
	return 0;
}

/*
 * fuse_hide on the root (bpf_filter=): secret* names are gone from
 * listings and lookups everywhere below the mount, SOURCE still has
 * them, and the daemon saw neither a LOOKUP nor a READDIR; the filter's
 * id was opened at INIT all the same.
 */
TEST(filter_hide_root)
{
	static const char *const ops[] = {
		"LOOKUP", "READDIR", "READDIRPLUS", "OPENDIR", "GETATTR", "OPEN",
	};
	struct _test_data_pt env = {}, *self = &env;
	char buf[256];
	struct stat st;
	size_t i;

	if (mount_filtered(_metadata, self, "fuse_hide.bpf.o", NULL))
		return;
	ASSERT_EQ(0, make_secrets(self));

	EXPECT_STREQ("shared sub visible", listing(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ("ok", listing(pj(self->mnt, "sub"), buf, sizeof(buf)));
	EXPECT_EQ(-1, stat(pj(self->mnt, "secret-a"), &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, stat(pj(self->mnt, "sub/secret-b"), &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, open(pj(self->mnt, "secret-dir/x"), O_RDONLY));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(1, get(pj(self->mnt, "sub/ok"), buf, sizeof(buf)));
	EXPECT_EQ('O', buf[0]);
	EXPECT_EQ(0, stat(pj(self->src, "secret-a"), &st));
	EXPECT_EQ(0, stat(pj(self->src, "sub/secret-b"), &st));
	EXPECT_EQ(0, stat(pj(self->src, "secret-dir/x"), &st));

	ASSERT_EQ(0, stop_daemon(self));
	EXPECT_TRUE(WIFEXITED(self->status) && !WEXITSTATUS(self->status));
	EXPECT_EQ(1, stat_count(self->stats, "INIT"));
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_EQ(0, stat_count(self->stats, ops[i]))
			TH_LOG("%s reached the daemon", ops[i] ?: "?");
	/* the library opened the filter's id at INIT, without a LOOKUP */
	EXPECT_LT(0, stat_count(self->stats, "filter_id"));
}

/*
 * fuse_hide set in a LOOKUP reply (--no-root-backing): the root is the
 * daemon's, unfiltered, so its secret-a shows; the directories it binds
 * carry the filter, and their listings and lookups are the kernel's.
 */
TEST(filter_hide_lookup)
{
	static const char *const ops[] = {
		"LOOKUP", "READDIR", "READDIRPLUS", "OPENDIR", "GETATTR",
	};
	static char before[4096], after[4096];
	struct _test_data_pt env = {}, *self = &env;
	char buf[256];
	struct stat st;
	size_t i;

	if (mount_filtered(_metadata, self, "fuse_hide.bpf.o",
			   "--no-root-backing"))
		return;
	ASSERT_EQ(0, make_secrets(self));

	/* the daemon looks sub up and binds it, with the filter */
	ASSERT_EQ(0, stat(pj(self->mnt, "sub"), &st));
	ASSERT_EQ(0, snapshot(self, before, sizeof(before)));
	EXPECT_LT(0, count_in(before, "LOOKUP"));
	EXPECT_STREQ("ok", listing(pj(self->mnt, "sub"), buf, sizeof(buf)));
	EXPECT_EQ(-1, stat(pj(self->mnt, "sub/secret-b"), &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(1, get(pj(self->mnt, "sub/ok"), buf, sizeof(buf)));
	ASSERT_EQ(0, snapshot(self, after, sizeof(after)));
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_EQ(count_in(before, ops[i]), count_in(after, ops[i]))
			TH_LOG("%s reached the daemon", ops[i] ?: "?");

	/* the root is not filtered: the daemon lists and looks up there */
	EXPECT_EQ(0, stat(pj(self->mnt, "secret-a"), &st));
	/* secret-dir itself is bound, its entries filtered */
	EXPECT_EQ(0, stat(pj(self->mnt, "secret-dir/x"), &st));
	EXPECT_EQ(0, stop_daemon(self));
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The newest array map called @name (the daemon's filter's), or -1 */
static int newest_array_map(const char *name)
{
	struct bpf_map_info info;
	union bpf_attr attr;
	__u32 id = 0;
	int fd, best = -1;

	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (sys_bpf(BPF_MAP_GET_NEXT_ID, &attr))
			break;
		id = attr.next_id;
		memset(&attr, 0, sizeof(attr));
		attr.map_id = id;
		fd = sys_bpf(BPF_MAP_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (uintptr_t)&info;
		if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) &&
		    info.type == BPF_MAP_TYPE_ARRAY && info.value_size == 8 &&
		    !strcmp(info.name, name)) {
			if (best >= 0)
				close(best);
			best = fd;
		} else {
			close(fd);
		}
	}
	return best;
}

static long long map_u64(int fd, __u32 key)
{
	union bpf_attr attr;
	__u64 value = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&value;
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) ? -1 : (long long)value;
}

/*
 * fuse_count on the root: the correctness variants run with it
 * (bpf_count_*); here its counts map says the operations went through
 * the filter, while none reached the daemon.
 */
TEST(filter_count_map)
{
	static const struct {
		__u32 opcode;
		const char *name;
	} ops[] = {
		{ FUSE_LOOKUP, "LOOKUP" }, { FUSE_GETATTR, "GETATTR" },
		{ FUSE_SETATTR, "SETATTR" }, { FUSE_CREATE, "CREATE" },
		{ FUSE_MKDIR, "MKDIR" }, { FUSE_OPEN, "OPEN" },
		{ FUSE_OPENDIR, "OPENDIR" }, { FUSE_READDIR, "READDIR" },
		{ FUSE_RENAME2, "RENAME2" }, { FUSE_UNLINK, "UNLINK" },
		{ FUSE_RMDIR, "RMDIR" }, { FUSE_SYMLINK, "SYMLINK" },
		{ FUSE_READLINK, "READLINK" }, { FUSE_STATFS, "STATFS" },
	};
	struct _test_data_pt env = {}, *self = &env;
	char buf[64];
	struct statfs sf;
	struct stat st;
	size_t i, n;
	char **names;
	int fd;

	if (mount_filtered(_metadata, self, "fuse_count.bpf.o", NULL))
		return;
	ASSERT_EQ(0, td_write_bytes(pj(self->mnt, "f"), "counted", 7, 0644));
	EXPECT_EQ(7, get(pj(self->mnt, "f"), buf, sizeof(buf)));
	EXPECT_EQ(0, chmod(pj(self->mnt, "f"), 0600));
	EXPECT_EQ(0, mkdir(pj(self->mnt, "d"), 0755));
	EXPECT_EQ(0, rename(pj(self->mnt, "f"), pj(self->mnt, "d/g")));
	EXPECT_EQ(0, stat(pj(self->mnt, "d/g"), &st));
	EXPECT_EQ(0, symlink("g", pj(self->mnt, "d/l")));
	EXPECT_EQ(1, readlink(pj(self->mnt, "d/l"), buf, sizeof(buf)));
	EXPECT_EQ(0, statfs(self->mnt, &sf));
	names = list_dir(pj(self->mnt, "d"), &n);
	ASSERT_NE(NULL, names);
	EXPECT_EQ(2, n);
	EXPECT_EQ(0, unlink(pj(self->mnt, "d/g")));
	EXPECT_EQ(0, unlink(pj(self->mnt, "d/l")));
	EXPECT_EQ(0, rmdir(pj(self->mnt, "d")));
	expect_gone(_metadata, self, "d");

	/* while the daemon runs: its filter's map goes with it */
	fd = newest_array_map("counts");
	ASSERT_LE(0, fd) TH_LOG("no BPF array map called counts");
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_LT(0, map_u64(fd, ops[i].opcode))
			TH_LOG("the filter counted no %s", ops[i].name ?: "?");
	close(fd);

	ASSERT_EQ(0, stop_daemon(self));
	EXPECT_TRUE(WIFEXITED(self->status) && !WEXITSTATUS(self->status));
	EXPECT_EQ(1, stat_count(self->stats, "INIT"));
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_EQ(0, stat_count(self->stats, ops[i].name))
			TH_LOG("%s reached the daemon", ops[i].name ?: "?");
}

/* Without fuse-bpf filters, --filter in bpf mode fails with status 3 */
TEST(filter_needs_fuse_bpf)
{
	const char *const extra[] = { "--mode", "bpf", "--filter",
				      filter_path("fuse_hide.bpf.o"), NULL };
	char err[4096];

	ASSERT_EQ(0, access(daemon_path(), X_OK));
	ASSERT_EQ(0, td_isolate());
	if (td_kernel_init_flags() & FUSE_BPF)
		SKIP(return, "the kernel offers FUSE_BPF");
	EXPECT_EQ(3, run_daemon(extra, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "fuse_bpf_ops")) TH_LOG("stderr: %s", err);
}

/* Without fuse-bpf, --mode bpf fails with status 3 and says why. */
TEST(bpf_mode_needs_fuse_bpf)
{
	const char *const extra[] = { "--mode", "bpf", NULL };
	const char *const lookup[] = { "--mode", "bpf", "--no-root-backing",
				       NULL };
	char err[4096];

	ASSERT_EQ(0, access(daemon_path(), X_OK));
	ASSERT_EQ(0, td_isolate());
	if (td_kernel_init_flags() & FUSE_BPF)
		SKIP(return, "the kernel offers FUSE_BPF");
	EXPECT_EQ(3, run_daemon(extra, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "fuse-bpf")) TH_LOG("stderr: %s", err);
	EXPECT_EQ(3, run_daemon(lookup, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "FUSE_BPF")) TH_LOG("stderr: %s", err);
}

/*
 * bpf, bound at LOOKUP: a file the daemon created and opened with
 * passthrough is bound when LOOKUP comes again (--timeout 0), while the
 * first file stays open.  The daemon names the same backing id in both
 * replies, so the kernel's one backing per inode holds and new opens,
 * served by the kernel, work.
 */
TEST(bpf_lookup_rebind_while_open)
{
	const char *const args[] = { "--mode", "bpf", "--no-root-backing",
				     "--timeout", "0", NULL };
	struct _test_data_pt env = {}, *self = &env;
	const char *fs = getenv("FBPF_TMPFS") ?: "/tmp";
	char buf[16] = "";
	int fd, fd2, i;

	ASSERT_EQ(0, access(daemon_path(), X_OK));
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without fuse-bpf");
	ASSERT_EQ(0, mount_daemon(self, fs, args));

	fd = open(pj(self->mnt, "f"), O_RDWR | O_CREAT | O_EXCL, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(3, write(fd, "abc", 3));
	for (i = 0; i < 3; i++) {
		struct stat st;

		/* LOOKUP again: bound now */
		EXPECT_EQ(0, stat(pj(self->mnt, "f"), &st));
		EXPECT_EQ(3, st.st_size);
		fd2 = open(pj(self->mnt, "f"), O_RDONLY);
		ASSERT_LE(0, fd2) TH_LOG("open while bound: %s", strerror(errno));
		EXPECT_EQ(3, read(fd2, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, "abc", 3));
		EXPECT_EQ(0, close(fd2));
	}
	EXPECT_EQ(0, close(fd));
	fd = open(pj(self->mnt, "f"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	EXPECT_EQ(3, write(fd, "def", 3));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(6, get(pj(self->src, "f"), buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	EXPECT_EQ(0, unlink(pj(self->mnt, "f")));
	EXPECT_EQ(0, stop_daemon(self));
	EXPECT_TRUE(WIFEXITED(self->status) && !WEXITSTATUS(self->status));
}

TEST_HARNESS_MAIN
