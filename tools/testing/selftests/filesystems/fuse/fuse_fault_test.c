// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf under faults: the daemon killed with a request in flight, the
 * connection aborted under a walker, the mount lazily unmounted with a
 * file open, mapped and locked, the backing filesystem detached or made
 * read-only under the mount, a backing that runs out of space, every
 * slab allocation of an operation failing in turn (fail-nth), and EIO
 * from the backing's disk (fail_make_request); the last two need a
 * kernel with fault injection (the debug kernel of dev/fbpf).
 *
 * Each test checks that nothing hangs (a watchdog fails the test and
 * names the step), what the callers see, and that nothing is left
 * behind: the backing mount, a tmpfs of the test's own or a bind mount of
 * a directory on ext4, unmounts without MNT_DETACH at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"

/* Longest wait for anything that should happen at once. */
#define WAIT_MS		10000
/* The watchdog, and the harness's own timeout above it. */
#define WATCHDOG_S	60
#define TIMEOUT_S	90

#define DATA_SIZE	8192
#define TINY_SIZE	(256 * 1024)

static const char hello[] = "hello from the backing filesystem\n";

/* What the test is doing, for the watchdog's message. */
static const char *step = "setup";
/* A daemon process the watchdog kills along with the test. */
static pid_t daemon_pid;

static void watchdog_fired(int sig)
{
	static const char msg[] = "# watchdog: no progress in: ";
	const char *s = step;

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0 ||
	    write(STDERR_FILENO, s, strlen(s)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		_exit(KSFT_FAIL);
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	_exit(KSFT_FAIL);
}

/* A hang anywhere in the test from here on fails it, naming the step. */
static void watchdog(void)
{
	signal(SIGALRM, watchdog_fired);
	alarm(WATCHDOG_S);
}

static char *under(char *buf, const char *mnt, const char *rel)
{
	snprintf(buf, 256, "%s/dir/%s", mnt, rel);
	return buf;
}

static char *on(char *buf, const char *root, const char *rel)
{
	snprintf(buf, 256, "%s/%s", root, rel);
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* The sorted names of a directory stream, each followed by a space. */
static int names_of(DIR *dir, char *out, size_t size)
{
	char *names[64];
	struct dirent *de;
	size_t n = 0, i;

	while ((de = readdir(dir)) && n < 64) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names[n++] = strdup(de->d_name);
	}
	qsort(names, n, sizeof(names[0]), by_name);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (names[i] && strlen(out) + strlen(names[i]) + 2 < size) {
			strcat(out, names[i]);
			strcat(out, " ");
		}
		free(names[i]);
	}
	return n;
}

static int names_at(const char *path, char *out, size_t size)
{
	DIR *dir = opendir(path);
	int n;

	if (!dir)
		return -1;
	n = names_of(dir, out, size);
	closedir(dir);
	return n;
}

static char data_byte(size_t off)
{
	return 'a' + off % 26;
}

static int make_tree(const char *root)
{
	char p[256], data[DATA_SIZE];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(data); i++)
		data[i] = data_byte(i);
	if (chmod(root, 0755) ||
	    td_write_file(on(p, root, "hello"), hello, 0644) ||
	    mkdir(on(p, root, "sub"), 0755) ||
	    td_write_file(on(p, root, "sub/inner"), "inner\n", 0644) ||
	    mkdir(on(p, root, "sub/deeper"), 0755) ||
	    td_write_file(on(p, root, "sub/deeper/leaf"), "leaf\n", 0644))
		return -1;
	fd = open(on(p, root, "data"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, data, sizeof(data)) != sizeof(data)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Unmount @path without MNT_DETACH.  A file the kernel still holds on it
 * keeps it busy; the last references may go from a workqueue, so EBUSY is
 * retried for a while.  Returns 0 or -errno.
 */
static int umount_settled(const char *path)
{
	int i;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (!umount2(path, 0))
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

/* EBUSY: fuse-bpf left a reference to the backing behind. */
#define ASSERT_BACKING_UNMOUNTS(path) do { \
	int __ret = umount_settled(path); \
	ASSERT_EQ(0, __ret) TH_LOG("umount of the backing: %s", \
				   strerror(-__ret)); \
} while (0)

/* One byte from @fd within @ms, or -1 (timeout, EOF or error). */
static int byte_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

/* Reap @pid within @ms; its status in @status.  Returns 0 or -1. */
static int reap_within(pid_t pid, int ms, int *status)
{
	int i;

	for (i = 0; i <= ms / 10; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

static int join_within(pthread_t t, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	return pthread_timedjoin_np(t, NULL, &ts);
}

/* The daemon's options: those of fuse_backing_test's fixture. */
static void serve_opts(struct td_opts *o)
{
	td_default_opts(o);
	o->entry_timeout = 60;
	o->attr_timeout = 60;
	o->init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o->max_stack_depth = 1;
}

/* Mount a daemon on @mnt whose node "dir" is bound to @root. */
static struct td *serve(struct __test_metadata *_metadata, const char *mnt,
			const char *root)
{
	struct td_opts o;
	uint64_t dir;
	struct td *d;
	int fd, id;

	serve_opts(&o);
	d = td_mount(mnt, &o);
	ASSERT_NE(NULL, d) TH_LOG("mount: %s", strerror(errno));
	dir = td_add_dir(d, TD_ROOT_ID, "dir", 0755);
	ASSERT_NE(0, dir);
	ASSERT_TRUE(td_barrier(d));
	fd = open(root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id = td_backing_open(d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id) TH_LOG("BACKING_OPEN: %s", strerror(-id));
	td_set_backing(d, dir, FUSE_BPF_ACTION_SET, id);
	return d;
}

/* The fusectl abort file of the connection mounted on @mnt, or -errno. */
static int open_abort(const char *mnt)
{
	char ctl[96];
	struct stat st;
	int fd;

	if (stat(mnt, &st))
		return -errno;
	snprintf(ctl, sizeof(ctl), "/sys/fs/fuse/connections/%u/abort",
		 minor(st.st_dev));
	fd = open(ctl, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

FIXTURE(fault) {
	char mnt[64];		/* the fuse-bpf mount */
	char bmnt[64];		/* the backing mount, bound to "dir" */
	char ext4dir[160];	/* ext4: the directory mounted on bmnt */
	bool bmounted;
	struct td *d;
	pid_t child;		/* daemon_killed's daemon */
};

FIXTURE_VARIANT(fault) {
	/* NULL: a tmpfs of the test's own; else the ext4 to bind from */
	const char *ext4_env;
};

FIXTURE_VARIANT_ADD(fault, tmpfs) {
	.ext4_env = NULL,
};

FIXTURE_VARIANT_ADD(fault, ext4) {
	.ext4_env = "FBPF_EXT4",
};

FIXTURE_SETUP(fault)
{
	const char *ext4 = NULL;

	if (variant->ext4_env) {
		ext4 = getenv(variant->ext4_env);
		if (!ext4 || access(ext4, W_OK))
			SKIP(return, "no %s backing filesystem",
			     variant->ext4_env);
	}
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without CONFIG_FUSE_BPF");

	snprintf(self->bmnt, sizeof(self->bmnt), "/tmp/fault-bk-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->bmnt));
	if (ext4) {
		snprintf(self->ext4dir, sizeof(self->ext4dir),
			 "%s/fault-XXXXXX", ext4);
		ASSERT_NE(NULL, mkdtemp(self->ext4dir));
		ASSERT_EQ(0, mount(self->ext4dir, self->bmnt, NULL, MS_BIND,
				   NULL));
	} else {
		ASSERT_EQ(0, mount("fault", self->bmnt, "tmpfs", 0,
				   "mode=0755"));
	}
	self->bmounted = true;
	ASSERT_EQ(0, make_tree(self->bmnt));
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fault-mnt-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	td_umount(self->d);
	umount2(self->mnt, MNT_DETACH);
	rmdir(self->mnt);
	if (self->bmounted)
		umount2(self->bmnt, MNT_DETACH);
	rmdir(self->bmnt);
	if (self->ext4dir[0])
		rm_tree(self->ext4dir);
}

/*
 * Stop the daemon (the connection goes with it), then unmount the backing
 * without MNT_DETACH: a reference fuse-bpf kept to a backing file or
 * directory would keep it busy.
 */
static void finish(struct __test_metadata *_metadata,
		   struct _test_data_fault *self)
{
	step = "unmounting the daemon";
	td_umount(self->d);
	self->d = NULL;
	step = "unmounting the backing";
	ASSERT_BACKING_UNMOUNTS(self->bmnt);
	self->bmounted = false;
}

/* daemon_killed's daemon: answers LOOKUP("slow") never. */
static int hold_slow(struct td *d, const struct fuse_in_header *in,
		     const void *arg, size_t arglen)
{
	int notify = *(int *)d->priv;

	if (in->opcode != FUSE_LOOKUP || arglen != 5 || memcmp(arg, "slow", 5))
		return TD_DEFAULT;
	if (write(notify, "L", 1) != 1)
		_exit(5);
	for (;;)
		pause();
	return 0;
}

/*
 * The daemon process: mounts @mnt, binds "dir" to @root, says 'R' on
 * @notify and serves until it is killed.  No harness asserts here: this
 * is a fork of the test.
 */
static void daemon_main(const char *mnt, const char *root, int notify)
{
	struct td_opts o;
	uint64_t dir;
	struct td *d;
	int fd, id;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	serve_opts(&o);
	o.handler = hold_slow;
	o.priv = &notify;
	d = td_mount(mnt, &o);
	if (!d)
		_exit(1);
	dir = td_add_dir(d, TD_ROOT_ID, "dir", 0755);
	if (!dir || !td_add_dir(d, TD_ROOT_ID, "slow", 0755) ||
	    !td_barrier(d))
		_exit(2);
	fd = open(root, O_PATH | O_DIRECTORY);
	id = fd < 0 ? -EBADF : td_backing_open(d, fd, FUSE_BACKING_DIR);
	if (id <= 0)
		_exit(3);
	td_set_backing(d, dir, FUSE_BPF_ACTION_SET, id);
	if (write(notify, "R", 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

struct pending_stat {
	char path[256];
	int ret;
	int err;
};

static void *stat_pending(void *arg)
{
	struct pending_stat *ps = arg;
	struct stat st;

	ps->ret = stat(ps->path, &st);
	ps->err = errno;
	return NULL;
}

/*
 * The daemon is SIGKILLed while a LOOKUP waits for its answer and backed
 * files are open.  The waiting call ends with ECONNABORTED (the daemon's
 * /dev/fuse closes with the request read but unanswered); new calls get
 * ENOTCONN, on backed nodes too; open files keep their backing files
 * (section 6, "Aborted connections").
 */
TEST_F_TIMEOUT(fault, daemon_killed, TIMEOUT_S)
{
	struct pending_stat ps = { };
	char p[256], buf[256], names[256];
	pthread_t t;
	struct stat st;
	int pfd[2], fd, status;
	DIR *dir;

	watchdog();
	step = "starting the daemon";
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		close(pfd[0]);
		daemon_main(self->mnt, self->bmnt, pfd[1]);
	}
	daemon_pid = self->child;
	close(pfd[1]);
	ASSERT_EQ('R', byte_within(pfd[0], WAIT_MS))
		TH_LOG("the daemon did not come up");

	step = "opening backed files";
	fd = open(under(p, self->mnt, "hello"), O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(strlen(hello), pread(fd, buf, sizeof(buf), 0));
	dir = opendir(under(p, self->mnt, "sub"));
	ASSERT_NE(NULL, dir);

	step = "a LOOKUP in flight";
	snprintf(ps.path, sizeof(ps.path), "%s/slow", self->mnt);
	ASSERT_EQ(0, pthread_create(&t, NULL, stat_pending, &ps));
	ASSERT_EQ('L', byte_within(pfd[0], WAIT_MS))
		TH_LOG("the LOOKUP did not reach the daemon");

	step = "killing the daemon";
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(0, reap_within(self->child, WAIT_MS, &status));
	self->child = 0;
	daemon_pid = 0;
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("daemon status 0x%x", status);
	close(pfd[0]);

	step = "the pending call ending";
	ASSERT_EQ(0, join_within(t, WAIT_MS))
		TH_LOG("the pending stat() still waits");
	ASSERT_EQ(-1, ps.ret);
	ASSERT_EQ(ECONNABORTED, ps.err) TH_LOG("got %s", strerror(ps.err));

	step = "open files after the abort";
	ASSERT_EQ(strlen(hello), pread(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, hello, strlen(hello)));
	ASSERT_EQ(5, pwrite(fd, "HELLO", 5, 0));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(strlen(hello), td_read_file(on(p, self->bmnt, "hello"), buf,
					      sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, "HELLO from the backing", 22));
	rewinddir(dir);
	ASSERT_EQ(2, names_of(dir, names, sizeof(names)));
	ASSERT_STREQ("deeper inner ", names);

	step = "new calls after the abort";
	ASSERT_EQ(-1, stat(under(p, self->mnt, "hello"), &st));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, open(under(p, self->mnt, "sub/inner"), O_RDONLY));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, open(under(p, self->mnt, "new"), O_WRONLY | O_CREAT,
			   0644));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, stat(ps.path, &st));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, access(on(p, self->bmnt, "new"), F_OK));
	ASSERT_EQ(ENOENT, errno);

	step = "closing and unmounting";
	ASSERT_EQ(0, closedir(dir));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, umount2(self->mnt, 0)) TH_LOG("%s", strerror(errno));
	ASSERT_BACKING_UNMOUNTS(self->bmnt);
	self->bmounted = false;
}

struct walker {
	char root[256];
	int walks;		/* walks without an error */
	int fails;		/* walks that failed */
	int last_err;
	int other_err;		/* an errno other than the expected ones */
	bool gave_up;		/* stopped after failing walks in a row */
};

/* stat, open and read or list everything below @path: 0 or an errno. */
static int walk(char *path, size_t len)
{
	struct dirent *de;
	struct stat st;
	char buf[512];
	int fd, err = 0;
	DIR *dir;

	if (lstat(path, &st))
		return errno;
	if (S_ISREG(st.st_mode)) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return errno;
		if (read(fd, buf, sizeof(buf)) < 0)
			err = errno;
		close(fd);
		return err;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	dir = opendir(path);
	if (!dir)
		return errno;
	while (!err) {
		size_t n = strlen(path);

		errno = 0;
		de = readdir(dir);
		if (!de) {
			err = errno;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    n + strlen(de->d_name) + 2 > len)
			continue;
		snprintf(path + n, len - n, "/%s", de->d_name);
		err = walk(path, len);
		path[n] = '\0';
	}
	closedir(dir);
	return err;
}

static void *walker_main(void *arg)
{
	struct walker *w = arg;
	time_t end = time(NULL) + WATCHDOG_S / 2;
	char path[512];
	int in_row = 0;

	while (time(NULL) < end) {
		int err;

		snprintf(path, sizeof(path), "%s", w->root);
		err = walk(path, sizeof(path));
		if (!err) {
			__atomic_add_fetch(&w->walks, 1, __ATOMIC_SEQ_CST);
			in_row = 0;
			continue;
		}
		__atomic_add_fetch(&w->fails, 1, __ATOMIC_SEQ_CST);
		w->last_err = err;
		if (err != ENOTCONN && err != ECONNABORTED)
			w->other_err = err;
		if (++in_row == 3) {
			w->gave_up = true;
			break;
		}
	}
	return NULL;
}

/*
 * fusectl's abort while a thread walks the backed tree: the walker's
 * calls fail with ENOTCONN (ECONNABORTED for one caught waiting on the
 * daemon), none hangs, and the walker, which stops after three failed
 * walks in a row, exits.
 */
TEST_F_TIMEOUT(fault, abort_under_walker, TIMEOUT_S)
{
	struct walker w = { };
	pthread_t t;
	int fd, i;

	watchdog();
	self->d = serve(_metadata, self->mnt, self->bmnt);
	fd = open_abort(self->mnt);
	if (fd < 0)
		SKIP(return, "no fusectl: %s", strerror(-fd));

	step = "walking before the abort";
	snprintf(w.root, sizeof(w.root), "%s/dir", self->mnt);
	ASSERT_EQ(0, pthread_create(&t, NULL, walker_main, &w));
	for (i = 0; i < WAIT_MS / 10 &&
	     __atomic_load_n(&w.walks, __ATOMIC_SEQ_CST) < 3; i++)
		usleep(10000);
	ASSERT_LE(3, __atomic_load_n(&w.walks, __ATOMIC_SEQ_CST));
	ASSERT_EQ(0, __atomic_load_n(&w.fails, __ATOMIC_SEQ_CST))
		TH_LOG("failed before the abort: %s", strerror(w.last_err));

	step = "aborting";
	ASSERT_EQ(1, write(fd, "1", 1));
	close(fd);

	step = "the walker ending";
	ASSERT_EQ(0, join_within(t, WATCHDOG_S / 2 * 1000 + WAIT_MS))
		TH_LOG("the walker is stuck");
	ASSERT_TRUE(w.gave_up) TH_LOG("%d walks, %d failed", w.walks, w.fails);
	ASSERT_EQ(ENOTCONN, w.last_err) TH_LOG("got %s", strerror(w.last_err));
	ASSERT_EQ(0, w.other_err) TH_LOG("got %s", strerror(w.other_err));

	finish(_metadata, self);
}

/* abort_under_openers: one opening thread. */
struct opener {
	char path[300];
	int opens;		/* atomic */
	int in_row;		/* failed opens in a row */
	int other_err;		/* an errno other than an abort's */
};

static void *opener_main(void *arg)
{
	struct opener *o = arg;
	time_t end = time(NULL) + WATCHDOG_S / 2;

	while (o->in_row < 3 && time(NULL) < end) {
		int fd = open(o->path, O_RDONLY);

		if (fd >= 0) {
			close(fd);
			__atomic_add_fetch(&o->opens, 1, __ATOMIC_SEQ_CST);
			o->in_row = 0;
			continue;
		}
		if (errno != ENOTCONN && errno != ECONNABORTED)
			o->other_err = errno;
		o->in_row++;
	}
	return NULL;
}

#define OPENERS		4
#define OPEN_ROUNDS	16

/*
 * fusectl's abort while threads open backed files, in sixteen rounds of a
 * fresh mount: an open either succeeds or fails as the connection does.
 * An open that fuse_bpf_open() began on the backing looks the backing up
 * again in fuse_passthrough_open(); an abort between the two made it fail
 * with ENOENT ("no backing").
 */
TEST_F_TIMEOUT(fault, abort_under_openers, TIMEOUT_S)
{
	static const char *const files[] = { "hello", "sub/deeper/leaf" };
	struct opener o[OPENERS];
	pthread_t t[OPENERS];
	int round, i, j, fd;

	for (round = 0; round < OPEN_ROUNDS; round++) {
		watchdog();
		step = "mounting";
		self->d = serve(_metadata, self->mnt, self->bmnt);
		fd = open_abort(self->mnt);
		if (fd < 0)
			SKIP(return, "no fusectl: %s", strerror(-fd));
		step = "opening before the abort";
		memset(o, 0, sizeof(o));
		for (i = 0; i < OPENERS; i++) {
			snprintf(o[i].path, sizeof(o[i].path), "%s/dir/%s",
				 self->mnt, files[i % 2]);
			ASSERT_EQ(0, pthread_create(&t[i], NULL, opener_main,
						    &o[i]));
		}
		for (j = 0; j < WAIT_MS / 10; j++) {
			for (i = 0; i < OPENERS; i++)
				if (__atomic_load_n(&o[i].opens,
						    __ATOMIC_SEQ_CST) < 20)
					break;
			if (i == OPENERS)
				break;
			usleep(10000);
		}
		step = "aborting";
		ASSERT_EQ(1, write(fd, "1", 1));
		close(fd);
		step = "the openers ending";
		for (i = 0; i < OPENERS; i++) {
			ASSERT_EQ(0, join_within(t[i], WATCHDOG_S / 2 * 1000 +
						       WAIT_MS))
				TH_LOG("opener %d is stuck", i);
			EXPECT_LE(20, o[i].opens);
			EXPECT_EQ(3, o[i].in_row);
			EXPECT_EQ(0, o[i].other_err)
				TH_LOG("round %d, %s: %s", round, o[i].path,
				       strerror(o[i].other_err));
		}
		step = "unmounting the aborted connection";
		td_umount(self->d);
		self->d = NULL;
	}
	finish(_metadata, self);
}

/* Longer than a dentry's inline name: the dcache keeps it apart */
#define LONG_NAME "held-under-a-name-too-long-for-the-dentry-to-keep-inline"

/* backing_changed_under_walkers: what the threads share. */
struct churn {
	char mnt[128];		/* the backed directory through the mount */
	char bk[128];		/* the backing directory */
	bool stop;
	unsigned int changes, reads, missing, long_reads;
	char bad[128];		/* the first thing a walker should not see */
};

static bool valid_inner(const char *s)
{
	return !strcmp(s, "inner\n") || !strcmp(s, "alt\n") ||
	       !strcmp(s, "fresh\n");
}

static void *churn_walker(void *arg)
{
	struct churn *c = arg;
	char p[256], q[256], l[256], buf[64];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/sub/inner", c->mnt);
	snprintf(q, sizeof(q), "%s/sub/deeper/leaf", c->mnt);
	snprintf(l, sizeof(l), "%s/%s/inner", c->mnt, LONG_NAME);
	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		n = td_read_file(l, buf, sizeof(buf));
		if (n >= 0)
			__atomic_add_fetch(&c->long_reads, 1, __ATOMIC_SEQ_CST);
		if ((n < 0 && errno != ENOENT) || (n >= 0 && !valid_inner(buf)))
			if (!c->bad[0])
				snprintf(c->bad, sizeof(c->bad), "%s/inner: %s",
					 LONG_NAME, n < 0 ? strerror(errno) : buf);
		n = td_read_file(p, buf, sizeof(buf));
		__atomic_add_fetch(&c->reads, 1, __ATOMIC_SEQ_CST);
		if (n < 0 && errno == ENOENT) {
			__atomic_add_fetch(&c->missing, 1, __ATOMIC_SEQ_CST);
		} else if (n < 0 || !valid_inner(buf)) {
			if (!c->bad[0])
				snprintf(c->bad, sizeof(c->bad), "sub/inner: %s",
					 n < 0 ? strerror(errno) : buf);
		}
		n = td_read_file(q, buf, sizeof(buf));
		if ((n < 0 && errno != ENOENT) || (n >= 0 && strcmp(buf, "leaf\n")))
			if (!c->bad[0])
				snprintf(c->bad, sizeof(c->bad),
					 "sub/deeper/leaf: %s",
					 n < 0 ? strerror(errno) : buf);
	}
	return NULL;
}

static int put_dir(const char *bk, const char *name, const char *inner)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", bk, name);
	if (mkdir(p, 0755))
		return -1;
	snprintf(p, sizeof(p), "%s/%s/inner", bk, name);
	return td_write_file(p, inner, 0644);
}

static int drop_dir(const char *bk, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s/inner", bk, name);
	if (unlink(p))
		return -1;
	snprintf(p, sizeof(p), "%s/%s", bk, name);
	return rmdir(p);
}

/* One change of the backing behind the mount's back; 0 or -1. */
static int churn_once(struct churn *c, unsigned int i)
{
	char a[256], b[256], h[256];

	snprintf(a, sizeof(a), "%s/sub", c->bk);
	snprintf(b, sizeof(b), "%s/alt", c->bk);
	snprintf(h, sizeof(h), "%s/held", c->bk);
	switch (i % 4) {
	case 0:		/* renamed away and back */
		return rename(a, h) || rename(h, a) ? -1 : 0;

	case 1:		/* replaced by another directory, and back */
		return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
			       RENAME_EXCHANGE) ||
		       syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
			       RENAME_EXCHANGE) ? -1 : 0;
	case 2:		/* to a name too long for the dentry's inline one */
		snprintf(h, sizeof(h), "%s/%s", c->bk, LONG_NAME);
		return rename(a, h) || rename(h, a) ? -1 : 0;
	default:	/* removed, a new one put in its place and removed */
		snprintf(b, sizeof(b), "%s/new", c->bk);
		return rename(a, h) || put_dir(c->bk, "new", "fresh\n") ||
		       rename(b, a) || drop_dir(c->bk, "sub") ||
		       rename(h, a) ? -1 : 0;
	}
}

/*
 * The backing's directories renamed (to a short and to a long name),
 * exchanged with another one, removed and replaced by a new one, directly
 * on the backing, while two threads read through the mount under both
 * names: each read gets a content that the name had at some point, or
 * ENOENT, never an error, a stale or a wrong inode; once the changes stop,
 * the mount shows the backing's state at once.
 */
TEST_F_TIMEOUT(fault, backing_changed_under_walkers, TIMEOUT_S)
{
	struct churn c = { };
	pthread_t t[2];
	time_t end;
	char p[256], names[256];
	int i;

	watchdog();
	self->d = serve(_metadata, self->mnt, self->bmnt);
	snprintf(c.mnt, sizeof(c.mnt), "%s/dir", self->mnt);
	snprintf(c.bk, sizeof(c.bk), "%s", self->bmnt);
	ASSERT_EQ(0, put_dir(c.bk, "alt", "alt\n"));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn_walker, &c));

	step = "changing the backing under the walkers";
	end = time(NULL) + 5;
	while (time(NULL) < end || c.changes < 30) {
		ASSERT_EQ(0, churn_once(&c, c.changes))
			TH_LOG("change %u: %s", c.changes, strerror(errno));
		c.changes++;
	}
	__atomic_store_n(&c.stop, true, __ATOMIC_SEQ_CST);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, join_within(t[i], WAIT_MS));
	ksft_print_msg("%u changes, %u reads, %u of them ENOENT, %u under the long name\n",
		       c.changes, c.reads, c.missing, c.long_reads);
	ASSERT_EQ('\0', c.bad[0]) TH_LOG("a walker saw %s", c.bad);
	ASSERT_LT(0, c.reads);

	step = "the state after the changes";
	ASSERT_EQ(6, td_read_file(under(p, self->mnt, "sub/inner"), names,
				  sizeof(names)));
	ASSERT_STREQ("inner\n", names);
	ASSERT_EQ(4, td_read_file(under(p, self->mnt, "alt/inner"), names,
				  sizeof(names)));
	ASSERT_STREQ("alt\n", names);
	ASSERT_EQ(2, names_at(under(p, self->mnt, "sub"), names,
			      sizeof(names)));
	ASSERT_STREQ("deeper inner ", names);
	ASSERT_EQ(-1, access(under(p, self->mnt, "held"), F_OK));
	ASSERT_EQ(-1, access(under(p, self->mnt, LONG_NAME), F_OK));
	ASSERT_EQ(0, drop_dir(c.bk, "alt"));
	ASSERT_EQ(-1, access(under(p, self->mnt, "alt"), F_OK));
	finish(_metadata, self);
}

/* The type of a lock that conflicts with a write lock of bytes 0-99. */
static int ofd_probe(int fd)
{
	struct flock lk = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 100,
	};

	return fcntl(fd, F_OFD_GETLK, &lk) ? -errno : lk.l_type;
}

/*
 * umount -l of the fuse-bpf mount with a backed file open, mapped shared
 * and written, flock()ed and fcntl()-locked.  The fd and the mapping keep
 * working; the locks are on the backing file, where other openers see
 * them; close() drops the POSIX lock and the flock goes with the last
 * reference (the mapping's), as natively.  Then the backing unmounts.
 */
TEST_F_TIMEOUT(fault, lazy_umount_with_file_in_use, TIMEOUT_S)
{
	struct flock lk = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 100,
	};
	char p[256], buf[64];
	struct stat st;
	int fd, bfd;
	char *map;

	watchdog();
	self->d = serve(_metadata, self->mnt, self->bmnt);

	step = "open, mmap, lock";
	fd = open(under(p, self->mnt, "data"), O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	map = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(data_byte(DATA_SIZE - 1), map[DATA_SIZE - 1]);
	memcpy(map, "mapped", 6);
	ASSERT_EQ(0, flock(fd, LOCK_EX));
	ASSERT_EQ(0, fcntl(fd, F_SETLK, &lk));
	bfd = open(on(p, self->bmnt, "data"), O_RDWR);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(-1, flock(bfd, LOCK_EX | LOCK_NB));
	ASSERT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(F_WRLCK, ofd_probe(bfd));

	step = "umount -l";
	ASSERT_EQ(0, umount2(self->mnt, MNT_DETACH));
	ASSERT_EQ(-1, access(under(p, self->mnt, "data"), F_OK));
	ASSERT_EQ(ENOENT, errno);

	step = "I/O after umount -l";
	ASSERT_EQ(7, pwrite(fd, "written", 7, 100));
	ASSERT_EQ(6, pread(fd, buf, 6, 0));
	ASSERT_EQ(0, memcmp(buf, "mapped", 6));
	ASSERT_EQ(0, memcmp(map + 100, "written", 7));
	memcpy(map + 200, "after", 5);
	ASSERT_EQ(0, msync(map, DATA_SIZE, MS_SYNC));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(DATA_SIZE, st.st_size);
	ASSERT_EQ(5, pread(bfd, buf, 5, 200));
	ASSERT_EQ(0, memcmp(buf, "after", 5));
	ASSERT_EQ(6, pread(bfd, buf, 6, 0));
	ASSERT_EQ(0, memcmp(buf, "mapped", 6));
	ASSERT_EQ(-1, flock(bfd, LOCK_EX | LOCK_NB));
	ASSERT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(F_WRLCK, ofd_probe(bfd));

	step = "close with the mapping left";
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(F_UNLCK, ofd_probe(bfd))
		TH_LOG("the POSIX lock survived close()");
	ASSERT_EQ(-1, flock(bfd, LOCK_EX | LOCK_NB));
	ASSERT_EQ(EWOULDBLOCK, errno);
	memcpy(map + 300, "still", 5);
	ASSERT_EQ(0, msync(map, DATA_SIZE, MS_SYNC));
	ASSERT_EQ(5, pread(bfd, buf, 5, 300));
	ASSERT_EQ(0, memcmp(buf, "still", 5));

	step = "munmap";
	ASSERT_EQ(0, munmap(map, DATA_SIZE));
	ASSERT_EQ(0, flock(bfd, LOCK_EX | LOCK_NB))
		TH_LOG("the flock survived the last reference");
	ASSERT_EQ(0, close(bfd));

	finish(_metadata, self);
}

/* An IN_UNMOUNT on the inotify fd @ifd within @ms? */
static bool unmounted_within(int ifd, int ms)
{
	union {
		struct inotify_event ev;
		char buf[4096];
	} u;
	struct pollfd pfd = { .fd = ifd, .events = POLLIN };
	ssize_t n, off;

	while (poll(&pfd, 1, ms) == 1) {
		n = read(ifd, u.buf, sizeof(u.buf));
		if (n <= 0)
			return false;
		for (off = 0; off < n; ) {
			struct inotify_event *ev = (void *)(u.buf + off);

			if (ev->mask & IN_UNMOUNT)
				return true;
			off += sizeof(*ev) + ev->len;
		}
	}
	return false;
}

/*
 * The backing mount lazily unmounted (MNT_DETACH) under the mount: the
 * nodes fuse-bpf resolved, and everything below them, keep working on the
 * detached tree, as any open directory on it would.  When the mount and
 * the daemon are gone, nothing holds the backing: a tmpfs of its own is
 * shut down then (IN_UNMOUNT on its root).
 */
TEST_F_TIMEOUT(fault, backing_detached_under_mount, TIMEOUT_S)
{
	char p[256], q[256], buf[256], names[256];
	int fd, rootfd, ifd = -1;
	struct stat st, bst;

	watchdog();
	self->d = serve(_metadata, self->mnt, self->bmnt);

	step = "resolving nodes";
	ASSERT_EQ(0, stat(under(p, self->mnt, "hello"), &st));
	ASSERT_EQ(0, stat(on(p, self->bmnt, "hello"), &bst));
	ASSERT_EQ(bst.st_ino, st.st_ino);
	ASSERT_EQ(1, names_at(under(p, self->mnt, "sub/deeper"), names,
			      sizeof(names)));
	fd = open(under(p, self->mnt, "hello"), O_RDWR);
	ASSERT_LE(0, fd);
	rootfd = open(self->bmnt, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, rootfd);
	if (!variant->ext4_env) {
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		ASSERT_LE(0, ifd);
		ASSERT_LE(0, inotify_add_watch(ifd, self->bmnt, IN_UNMOUNT));
	}

	step = "umount -l of the backing";
	ASSERT_EQ(0, umount2(self->bmnt, MNT_DETACH));
	self->bmounted = false;
	ASSERT_EQ(-1, access(on(p, self->bmnt, "hello"), F_OK));
	ASSERT_EQ(ENOENT, errno);

	step = "operations on the detached backing";
	ASSERT_EQ(0, stat(under(p, self->mnt, "hello"), &st));
	ASSERT_EQ(bst.st_ino, st.st_ino);
	ASSERT_EQ(strlen(hello), td_read_file(under(p, self->mnt, "hello"), buf,
					      sizeof(buf)));
	ASSERT_STREQ(hello, buf);
	ASSERT_EQ(5, pwrite(fd, "HELLO", 5, 0));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(3, names_at(under(p, self->mnt, ""), names, sizeof(names)));
	ASSERT_STREQ("data hello sub ", names);
	ASSERT_EQ(2, names_at(under(p, self->mnt, "sub"), names,
			      sizeof(names)));
	ASSERT_STREQ("deeper inner ", names);
	ASSERT_EQ(5, td_read_file(under(p, self->mnt, "sub/deeper/leaf"), buf,
				  sizeof(buf)));
	ASSERT_EQ(0, td_write_file(under(p, self->mnt, "new"), "new\n", 0644));
	ASSERT_EQ(0, mkdir(under(p, self->mnt, "newdir"), 0755));
	ASSERT_EQ(0, rename(under(p, self->mnt, "new"),
			    under(q, self->mnt, "newdir/moved")));
	/* They landed on the detached backing. */
	fd = openat(rootfd, "newdir/moved", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "new\n", 4));
	ASSERT_EQ(0, close(fd));
	fd = openat(rootfd, "hello", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, read(fd, buf, 5));
	ASSERT_EQ(0, memcmp(buf, "HELLO", 5));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, unlink(under(p, self->mnt, "newdir/moved")));
	ASSERT_EQ(0, rmdir(under(p, self->mnt, "newdir")));
	ASSERT_EQ(-1, faccessat(rootfd, "newdir", F_OK, 0));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, close(rootfd));

	step = "unmounting";
	ASSERT_EQ(0, umount2(self->mnt, 0)) TH_LOG("%s", strerror(errno));
	td_umount(self->d);
	self->d = NULL;
	if (ifd >= 0) {
		step = "waiting for the backing tmpfs to go";
		ASSERT_TRUE(unmounted_within(ifd, WAIT_MS))
			TH_LOG("the detached backing tmpfs is still held");
		close(ifd);
	}
}

/*
 * Remount the backing read-only, or back read-write.  A tmpfs of our own
 * is remounted as a whole; the ext4 bind mount alone (the superblock is
 * the guest's scratch disk): fuse-bpf honours both.
 */
static int remount(const char *bmnt, bool bind, bool ro)
{
	unsigned long flags = MS_REMOUNT | (ro ? MS_RDONLY : 0);

	if (bind)
		flags |= MS_BIND;
	return mount(NULL, bmnt, NULL, flags, NULL) ? errno : 0;
}

/*
 * The backing remounted read-only under the mount: reads work, every
 * change through fuse-bpf fails with EROFS and leaves the backing
 * unchanged; a backing file open for writing keeps the remount from
 * happening (EBUSY) as natively.  Read-write again, writes work again.
 */
TEST_F_TIMEOUT(fault, backing_remounted_read_only, TIMEOUT_S)
{
	char p[256], q[256], buf[256], names[256];
	struct stat st, bst;
	int fd;

	watchdog();
	self->d = serve(_metadata, self->mnt, self->bmnt);
	ASSERT_EQ(0, stat(on(p, self->bmnt, "hello"), &bst));

	step = "a writer keeps the backing read-write";
	fd = open(under(p, self->mnt, "hello"), O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(EBUSY, remount(self->bmnt, variant->ext4_env, true));
	ASSERT_EQ(0, close(fd));

	step = "remount read-only";
	ASSERT_EQ(0, remount(self->bmnt, variant->ext4_env, true));
	ASSERT_EQ(strlen(hello), td_read_file(under(p, self->mnt, "hello"), buf,
					      sizeof(buf)));
	ASSERT_STREQ(hello, buf);
	ASSERT_EQ(0, stat(under(p, self->mnt, "sub/inner"), &st));
	ASSERT_EQ(3, names_at(under(p, self->mnt, ""), names, sizeof(names)));
	ASSERT_STREQ("data hello sub ", names);

	ASSERT_EQ(-1, open(under(p, self->mnt, "hello"), O_WRONLY));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, open(under(p, self->mnt, "hello"), O_RDWR | O_TRUNC));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, open(under(p, self->mnt, "new"), O_WRONLY | O_CREAT,
			   0644));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, mkdir(under(p, self->mnt, "d"), 0755));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, symlink("hello", under(p, self->mnt, "lnk")));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, unlink(under(p, self->mnt, "hello")));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, rename(under(p, self->mnt, "hello"),
			     under(q, self->mnt, "sub/hello")));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, truncate(under(p, self->mnt, "hello"), 0));
	ASSERT_EQ(EROFS, errno);
	ASSERT_EQ(-1, chmod(under(p, self->mnt, "hello"), 0600));
	ASSERT_EQ(EROFS, errno);

	ASSERT_EQ(0, stat(on(p, self->bmnt, "hello"), &st));
	ASSERT_EQ(bst.st_mode, st.st_mode);
	ASSERT_EQ(bst.st_mtim.tv_sec, st.st_mtim.tv_sec);
	ASSERT_EQ(bst.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
	ASSERT_EQ(strlen(hello), st.st_size);
	ASSERT_EQ(3, names_at(self->bmnt, names, sizeof(names)));
	ASSERT_STREQ("data hello sub ", names);

	step = "remount read-write";
	ASSERT_EQ(0, remount(self->bmnt, variant->ext4_env, false));
	fd = open(under(p, self->mnt, "hello"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(6, write(fd, "again\n", 6));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, td_write_file(under(p, self->mnt, "new"), "new\n", 0644));
	ASSERT_EQ(0, mkdir(under(p, self->mnt, "d"), 0755));
	ASSERT_EQ(0, chmod(under(p, self->mnt, "sub/inner"), 0600));
	ASSERT_EQ(strlen(hello) + 6, td_read_file(on(p, self->bmnt, "hello"), buf,
						  sizeof(buf)));
	ASSERT_EQ(0, strcmp(buf + strlen(hello), "again\n"));
	ASSERT_EQ(4, td_read_file(on(p, self->bmnt, "new"), buf, sizeof(buf)));
	ASSERT_EQ(0, stat(on(p, self->bmnt, "d"), &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0, stat(on(p, self->bmnt, "sub/inner"), &st));
	ASSERT_EQ(S_IFREG | 0600, st.st_mode);

	finish(_metadata, self);
}

/* ------------------------------------------------ systematic allocation failures */

/* One operation of the sweep, run with the n-th slab allocation failing. */
struct sweep {
	const char *mnt, *bmnt;
	struct td *d;
	bool native;		/* the same operations on the backing itself */
	const char *where;	/* the call that failed */
};

struct sweep_op {
	const char *name;
	/* set up what the operation needs; may drop caches; 0 or -1 */
	int (*prep)(struct sweep *s);
	/* the operation through the mount: 0 or -errno */
	int (*run)(struct sweep *s);
	/* after a success without a fault: is the result right?  0 or -1 */
	int (*check)(struct sweep *s);
	/* put the backing back as it was (through the backing) */
	void (*undo)(struct sweep *s);
};

static int drop_dentries_and_inodes(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int ret;

	if (fd < 0)
		return -1;
	ret = write(fd, "2", 1) == 1 ? 0 : -1;
	close(fd);
	return ret;
}

/* @rel through the mount, or on the backing for the native sweep */
static char *m_(struct sweep *s, char *buf, const char *rel)
{
	return s->native ? on(buf, s->bmnt, rel) : under(buf, s->mnt, rel);
}

static char *b_(struct sweep *s, char *buf, const char *rel)
{
	return on(buf, s->bmnt, rel);
}

static int rc(int ret)
{
	return ret < 0 ? -errno : 0;
}

static bool same_text(const char *path, const char *want)
{
	char buf[64];

	return td_read_file(path, buf, sizeof(buf)) == (ssize_t)strlen(want) &&
	       !strcmp(buf, want);
}

/* "dir" looked up again: the daemon's LOOKUP reply binds it anew. */
static int prep_rebind(struct sweep *s)
{
	int ret;

	if (s->native)
		return 0;
	ret = td_inval_entry(s->d, TD_ROOT_ID, "dir");

	return ret && ret != -ENOENT ? -1 : 0;
}

static int run_stat_hello(struct sweep *s)
{
	char p[256];
	struct stat st;

	return rc(stat(m_(s, p, "hello"), &st));
}

static int check_hello(struct sweep *s)
{
	char p[256];

	return same_text(m_(s, p, "hello"), hello) ? 0 : -1;
}

/* A cold walk: every component a new kernel node on its backing. */
static int prep_cold(struct sweep *s)
{
	return drop_dentries_and_inodes();
}

static int run_walk(struct sweep *s)
{
	char p[256];
	struct stat st;

	return rc(stat(m_(s, p, "sub/deeper/leaf"), &st));
}

static int check_leaf(struct sweep *s)
{
	char p[256];

	return same_text(m_(s, p, "sub/deeper/leaf"), "leaf\n") ? 0 : -1;
}

static int run_read(struct sweep *s)
{
	char p[256], buf[DATA_SIZE];
	ssize_t n;
	size_t i;
	int fd;

	s->where = "open";
	fd = open(m_(s, p, "data"), O_RDONLY);
	if (fd < 0)
		return -errno;
	s->where = "read";
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] != data_byte(i))
			return -EILSEQ;
	return n == sizeof(buf) ? 0 : -EILSEQ;
}

static int run_readdir(struct sweep *s)
{
	char p[256], names[256];
	DIR *dir = opendir(m_(s, p, "sub"));
	int n;

	if (!dir)
		return -errno;
	errno = 0;
	n = names_of(dir, names, sizeof(names));
	n = errno ? -errno : n;
	closedir(dir);
	if (n < 0)
		return n;
	return strcmp(names, "deeper inner ") ? -EILSEQ : 0;
}

static int run_create(struct sweep *s)
{
	char p[256];
	int fd, ret;

	s->where = "open";
	fd = open(m_(s, p, "new"), O_WRONLY | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		return -errno;
	s->where = "write";
	if (write(fd, "new\n", 4) != 4) {
		ret = -errno;
		close(fd);
		return ret;
	}
	s->where = "close";
	return rc(close(fd));
}

static int check_new(struct sweep *s)
{
	char p[256];

	return same_text(b_(s, p, "new"), "new\n") ? 0 : -1;
}

static void undo_new(struct sweep *s)
{
	char p[256];

	unlink(b_(s, p, "new"));
}

static int run_mkdir(struct sweep *s)
{
	char p[256];

	return rc(mkdir(m_(s, p, "newdir"), 0750));
}

static int check_newdir(struct sweep *s)
{
	char p[256];
	struct stat st;

	return !stat(b_(s, p, "newdir"), &st) && S_ISDIR(st.st_mode) &&
	       (st.st_mode & 07777) == 0750 ? 0 : -1;
}

static void undo_newdir(struct sweep *s)
{
	char p[256];

	rmdir(b_(s, p, "newdir"));
}

static int prep_ra(struct sweep *s)
{
	char p[256];

	return td_write_file(b_(s, p, "ra"), "ra\n", 0644);
}

static int run_rename(struct sweep *s)
{
	char p[256], q[256];

	return rc(rename(m_(s, p, "ra"), m_(s, q, "rb")));
}

static int check_rb(struct sweep *s)
{
	char p[256];

	return same_text(b_(s, p, "rb"), "ra\n") &&
	       access(b_(s, p, "ra"), F_OK) ? 0 : -1;
}

static void undo_ra_rb(struct sweep *s)
{
	char p[256];

	unlink(b_(s, p, "ra"));
	unlink(b_(s, p, "rb"));
}

static int run_unlink(struct sweep *s)
{
	char p[256];

	return rc(unlink(m_(s, p, "ra")));
}

static int check_no_ra(struct sweep *s)
{
	char p[256];

	return access(b_(s, p, "ra"), F_OK) ? 0 : -1;
}

static int run_link(struct sweep *s)
{
	char p[256], q[256];

	return rc(link(m_(s, p, "hello"), m_(s, q, "hl")));
}

static int check_hl(struct sweep *s)
{
	char p[256], q[256];
	struct stat a, b;

	return !stat(b_(s, p, "hl"), &a) && !stat(b_(s, q, "hello"), &b) &&
	       a.st_ino == b.st_ino && b.st_nlink == 2 ? 0 : -1;
}

static void undo_hl(struct sweep *s)
{
	char p[256];

	unlink(b_(s, p, "hl"));
}

static int run_truncate(struct sweep *s)
{
	char p[256];

	return rc(truncate(m_(s, p, "ra"), 100));
}

static int check_ra_100(struct sweep *s)
{
	char p[256];
	struct stat st;

	return !stat(b_(s, p, "ra"), &st) && st.st_size == 100 ? 0 : -1;
}

static int run_symlink(struct sweep *s)
{
	char p[256];

	return rc(symlink("hello", m_(s, p, "sl")));
}

static int check_sl(struct sweep *s)
{
	char p[256];

	return same_text(m_(s, p, "sl"), hello) ? 0 : -1;
}

static void undo_sl(struct sweep *s)
{
	char p[256];

	unlink(b_(s, p, "sl"));
}

static const struct sweep_op sweep_ops[] = {
	{ "bind", prep_rebind, run_stat_hello, check_hello, NULL },
	{ "cold walk", prep_cold, run_walk, check_leaf, NULL },
	{ "open+read", prep_cold, run_read, NULL, NULL },
	{ "readdir", prep_cold, run_readdir, NULL, NULL },
	{ "create", NULL, run_create, check_new, undo_new },
	{ "mkdir", NULL, run_mkdir, check_newdir, undo_newdir },
	{ "rename", prep_ra, run_rename, check_rb, undo_ra_rb },
	{ "unlink", prep_ra, run_unlink, check_no_ra, undo_ra_rb },
	{ "link", NULL, run_link, check_hl, undo_hl },
	{ "truncate", prep_ra, run_truncate, check_ra_100, undo_ra_rb },
	{ "symlink", NULL, run_symlink, check_sl, undo_sl },
};

/* The names the sweep touches: the mount must show what the backing has. */
static const char *const sweep_names[] = {
	"hello", "data", "sub/inner", "sub/deeper/leaf", "new", "newdir",
	"ra", "rb", "hl", "sl",
};

static int coherent(struct sweep *s, char *why, size_t size)
{
	char p[256], q[256];
	struct stat a, b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sweep_names); i++) {
		const char *n = sweep_names[i];
		int ia = lstat(m_(s, p, n), &a) ? errno : 0;
		int ib = lstat(b_(s, q, n), &b) ? errno : 0;

		if (ia != ib || (!ia && (a.st_mode != b.st_mode ||
					 a.st_size != b.st_size ||
					 a.st_nlink != b.st_nlink))) {
			snprintf(why, size, "%s: %s through the mount, %s on the backing",
				 n, ia ? strerror(ia) : "present",
				 ib ? strerror(ib) : "present");
			return -1;
		}
	}
	return 0;
}

/*
 * Run @op with its first, second, third ... slab allocation failing until
 * it runs through without reaching the failing one.  The errnos seen go
 * to @errs (a bit per errno below 64), ENOMEM ones are counted in
 * @enomem; through the mount, errnos other than ENOMEM and those in
 * @native count in @other.  Returns how many allocations failed in turn.
 */
static unsigned int sweep_op(struct __test_metadata *_metadata,
			     struct sweep *s, const struct sweep_op *op,
			     int fnfd, uint64_t native, uint64_t *errs,
			     unsigned int *enomem, unsigned int *other)
{
	char why[256];
	unsigned int n;
	int ret;

	for (n = 1; n < 1000; n++) {
		bool hit;

		s->where = op->name;
		ASSERT_TRUE(!op->prep || !op->prep(s))
			TH_LOG("%s: set-up", op->name);
		ASSERT_EQ(0, td_failnth_arm(fnfd, n));
		ret = op->run(s);
		hit = td_failnth_hit(fnfd);
		if (!hit) {
			/* it got through: the fault came too late */
			ASSERT_EQ(0, ret) TH_LOG("%s without a fault: %s",
						 op->name, strerror(-ret));
			ASSERT_TRUE(!op->check || !op->check(s))
				TH_LOG("%s: wrong result", op->name);
		} else if (ret < 0) {
			if (-ret < 64)
				*errs |= 1ull << -ret;
			if (ret == -ENOMEM) {
				(*enomem)++;
			} else if (!s->native && (-ret >= 64 ||
						  !(native & 1ull << -ret))) {
				(*other)++;
				TH_LOG("%s, allocation %u failed: %s in %s",
				       op->name, n, strerror(-ret), s->where);
			}
		}
		if (!s->native)
			ASSERT_EQ(0, coherent(s, why, sizeof(why)))
				TH_LOG("%s, allocation %u failed: %s", op->name,
				       n, why);
		if (!hit)
			break;
		/* without the fault, the operation works */
		if (op->undo)
			op->undo(s);
		ASSERT_TRUE(!op->prep || !op->prep(s));
		ret = op->run(s);
		ASSERT_EQ(0, ret) TH_LOG("%s after a failed allocation %u: %s",
					 op->name, n, strerror(-ret));
		ASSERT_TRUE(!op->check || !op->check(s))
			TH_LOG("%s after a failed allocation %u: wrong result",
			       op->name, n);
		if (op->undo)
			op->undo(s);
	}
	ASSERT_GT(1000, n) TH_LOG("%s: more than 1000 allocations?", op->name);
	if (op->undo)
		op->undo(s);
	return n - 1;
}

static const char *errnos(uint64_t mask, char *buf, size_t size)
{
	size_t len = 0;
	int e;

	buf[0] = '\0';
	for (e = 1; e < 64 && len < size; e++)
		if (mask & 1ull << e)
			len += snprintf(buf + len, size - len, "%s%s",
					len ? ", " : "", strerrorname_np(e));
	return buf;
}

/*
 * Each operation runs again and again with its first, second, third ...
 * slab allocation failing (fail-nth, this thread only), until it runs
 * through without reaching the n-th: binding in a LOOKUP reply, cold
 * walks that make kernel nodes, opens, reads, readdir, and every
 * namespace operation.  The same sweep on the backing itself first says
 * which errnos the backing gives natively (tmpfs: ENOSPC when it cannot
 * allocate an inode); through the mount a failure must be ENOMEM or one
 * of those.
 * Afterwards the mount must show exactly what the backing has, the
 * operation must work without the fault, and nothing may be left behind
 * (the backing unmounts; kmemleak runs after the tests).  tmpfs only:
 * ext4's own allocation failures are ext4's tests.
 */
TEST_F_TIMEOUT(fault, allocation_failure_sweep, 600)
{
	struct sweep s = { .mnt = self->mnt, .bmnt = self->bmnt };
	unsigned int nn[ARRAY_SIZE(sweep_ops)], nenomem[ARRAY_SIZE(sweep_ops)] = { 0 };
	unsigned int total = 0, other = 0;
	char e1[128], e2[128];
	uint64_t native = 0;
	int fnfd;
	size_t i;

	if (variant->ext4_env)
		SKIP(return, "tmpfs only");
	fnfd = td_failnth_open();
	if (fnfd == -ENOENT)
		SKIP(return, "no fault injection (CONFIG_FAILSLAB, debugfs)");
	ASSERT_LE(0, fnfd) TH_LOG("fail-nth: %s", strerror(-fnfd));
	self->d = serve(_metadata, self->mnt, self->bmnt);
	s.d = self->d;

	/* natively first: which errnos does the backing give? */
	s.native = true;
	for (i = 0; i < ARRAY_SIZE(sweep_ops); i++) {
		step = sweep_ops[i].name;
		nn[i] = sweep_op(_metadata, &s, &sweep_ops[i], fnfd, 0, &native,
				 &nenomem[i], &other);
	}
	s.native = false;
	for (i = 0; i < ARRAY_SIZE(sweep_ops); i++) {
		const struct sweep_op *op = &sweep_ops[i];
		unsigned int n, enomem = 0;
		uint64_t seen = 0;

		step = op->name;
		n = sweep_op(_metadata, &s, op, fnfd, native, &seen, &enomem,
			     &other);
		total += n;
		ksft_print_msg(
			"%s: %u allocations failed in turn, %u ENOMEM, errnos %s (natively %u, %u ENOMEM)\n",
			op->name, n, enomem, errnos(seen, e1, sizeof(e1)),
			nn[i], nenomem[i]);
	}
	ksft_print_msg("the backing's own errnos: %s\n",
		       errnos(native, e2, sizeof(e2)));
	close(fnfd);
	ksft_print_msg(
		"%u failed allocations through the mount, %u with an errno the backing does not give\n",
		total, other);
	EXPECT_EQ(0, other);
	finish(_metadata, self);
}

/* ------------------------------------------------------- I/O errors */

static int write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return ret;
}

/* The make-it-fail switch of the block device under @path, in @buf. */
static int dev_switch(const char *path, char *buf, size_t size)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	snprintf(buf, size, "/sys/dev/block/%u:%u/make-it-fail",
		 major(st.st_dev), minor(st.st_dev));
	return access(buf, W_OK) ? -ENOENT : 0;
}

/* Fail block I/O that this thread submits, on the device of the backing. */
static int eio_on(const char *sw, bool on)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/fail_make_request/task-filter", "Y" },
		{ "/sys/kernel/debug/fail_make_request/verbose", "0" },
		{ "/sys/kernel/debug/fail_make_request/interval", "1" },
		{ "/sys/kernel/debug/fail_make_request/times", "-1" },
		{ "/sys/kernel/debug/fail_make_request/probability", "100" },
	};
	size_t i;
	int ret;

	for (i = 0; on && i < ARRAY_SIZE(knobs); i++) {
		ret = write_knob(knobs[i][0], knobs[i][1]);
		if (ret)
			return ret;
	}
	ret = write_knob("/proc/thread-self/make-it-fail", on ? "1" : "0");
	if (!ret)
		ret = write_knob(sw, on ? "1" : "0");
	if (!on)
		write_knob("/sys/kernel/debug/fail_make_request/probability", "0");
	return ret;
}

/*
 * EIO from the backing's disk (fail_make_request, for this thread's I/O
 * only, so that ext4's journal stays healthy): a read of a file whose
 * pages are not cached and an fsync of new data fail with EIO through the
 * mount; once the disk works again the file reads back whole, and the
 * backing unmounts.
 */
TEST_F_TIMEOUT(fault, backing_eio, TIMEOUT_S)
{
	char p[256], q[256], sw[96], buf[DATA_SIZE];
	ssize_t n;
	size_t i;
	int fd, ret;

	if (!variant->ext4_env)
		SKIP(return, "ext4 only (a block device)");
	ret = dev_switch(self->bmnt, sw, sizeof(sw));
	if (ret == -ENOENT || access("/sys/kernel/debug/fail_make_request", F_OK))
		SKIP(return, "no I/O fault injection (CONFIG_FAIL_MAKE_REQUEST)");
	ASSERT_EQ(0, ret);
	watchdog();
	self->d = serve(_metadata, self->mnt, self->bmnt);

	step = "evicting the data from the page cache";
	fd = open(on(p, self->bmnt, "data"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	close(fd);

	step = "reading with a failing disk";
	fd = open(under(p, self->mnt, "data"), O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, eio_on(sw, true));
	n = pread(fd, buf, sizeof(buf), 0);
	ret = errno;
	ASSERT_EQ(0, eio_on(sw, false));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EIO, ret) TH_LOG("pread: %zd, %s", n, strerror(ret));

	step = "reading again";
	n = pread(fd, buf, sizeof(buf), 0);
	ASSERT_EQ(sizeof(buf), n) TH_LOG("pread: %s", strerror(errno));
	for (i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(data_byte(i), buf[i]);
	close(fd);

	step = "fsync with a failing disk";
	fd = open(under(q, self->mnt, "written"), O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(errno));
	ASSERT_EQ(sizeof(buf), write(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, eio_on(sw, true));
	ret = fsync(fd) ? errno : 0;
	ASSERT_EQ(0, eio_on(sw, false));
	EXPECT_EQ(EIO, ret) TH_LOG("fsync: %s", strerror(ret));
	close(fd);

	step = "writing again";
	fd = open(under(q, self->mnt, "written"), O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(buf), write(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, fsync(fd)) TH_LOG("fsync: %s", strerror(errno));
	close(fd);
	memset(buf, 0, sizeof(buf));
	fd = open(on(p, self->bmnt, "written"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
	close(fd);
	for (i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(data_byte(i), buf[i]);
	finish(_metadata, self);
}

/* A fuse-bpf mount whose "dir" is bound to a 256 KiB tmpfs. */
FIXTURE(tiny) {
	char mnt[64];
	char bmnt[64];
	bool bmounted;
	struct td *d;
};

FIXTURE_SETUP(tiny)
{
	char opts[64];

	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without CONFIG_FUSE_BPF");
	snprintf(self->bmnt, sizeof(self->bmnt), "/tmp/fault-tiny-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->bmnt));
	snprintf(opts, sizeof(opts), "size=%d,mode=0755", TINY_SIZE);
	ASSERT_EQ(0, mount("fault-tiny", self->bmnt, "tmpfs", 0, opts));
	self->bmounted = true;
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fault-mnt-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	self->d = serve(_metadata, self->mnt, self->bmnt);
}

FIXTURE_TEARDOWN(tiny)
{
	td_umount(self->d);
	umount2(self->mnt, MNT_DETACH);
	rmdir(self->mnt);
	if (self->bmounted)
		umount2(self->bmnt, MNT_DETACH);
	rmdir(self->bmnt);
}

/* Is @buf (@len bytes read at @off) what fill() wrote there? */
static bool filled(const char *buf, size_t len, size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != (char)('A' + (off + i) / 4096 % 26))
			return false;
	return true;
}

/* Read all of @path and check it against fill(): its size, or -1. */
static ssize_t check_filled(const char *path)
{
	static char buf[64 * 1024];
	size_t total = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!filled(buf, n, total)) {
			close(fd);
			return -1;
		}
		total += n;
	}
	close(fd);
	return n < 0 ? -1 : (ssize_t)total;
}

/*
 * Writing past the end of a backing that is full: the write fails with
 * ENOSPC, what was written before reads back intact through the mount
 * and on the backing, and space freed through the mount can be used.
 */
TEST_F_TIMEOUT(tiny, enospc, TIMEOUT_S)
{
	char p[256], chunk[4096];
	size_t total = 0;
	int fd, i, err = 0;
	struct stat st;

	watchdog();
	step = "filling the backing";
	fd = open(under(p, self->mnt, "big"), O_WRONLY | O_CREAT | O_EXCL,
		  0644);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	for (i = 0; i < 2 * TINY_SIZE / (int)sizeof(chunk); i++) {
		ssize_t n;

		memset(chunk, 'A' + total / 4096 % 26, sizeof(chunk));
		n = write(fd, chunk, sizeof(chunk) - total % 4096);
		if (n < 0) {
			err = errno;
			break;
		}
		total += n;
	}
	ASSERT_EQ(ENOSPC, err) TH_LOG("%zu bytes written, then %s", total,
				      strerror(err));
	ASSERT_LT(0, total);
	ASSERT_GE(TINY_SIZE, total);
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, close(fd));

	step = "reading back";
	ASSERT_EQ(0, stat(under(p, self->mnt, "big"), &st));
	ASSERT_EQ(total, st.st_size);
	ASSERT_EQ(total, check_filled(under(p, self->mnt, "big")));
	ASSERT_EQ(total, check_filled(on(p, self->bmnt, "big")));

	step = "freeing space";
	ASSERT_EQ(0, unlink(under(p, self->mnt, "big")));
	ASSERT_EQ(0, td_write_file(under(p, self->mnt, "after"), "after\n",
				   0644));
	ASSERT_EQ(0, stat(on(p, self->bmnt, "after"), &st));
	ASSERT_EQ(6, st.st_size);

	step = "unmounting";
	td_umount(self->d);
	self->d = NULL;
	ASSERT_BACKING_UNMOUNTS(self->bmnt);
	self->bmounted = false;
}

TEST_HARNESS_MAIN
