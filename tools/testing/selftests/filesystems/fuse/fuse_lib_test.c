// SPDX-License-Identifier: GPL-2.0
/*
 * libfuse-bpf (tools/fuse-bpf/lib) through its API, with a libfuse
 * low-level daemon in a thread of the test: the INHERIT action,
 * userspace pre- and post-filters answered by callbacks (and by libfuse's
 * ENOSYS without them), filters opened at INIT, libbpf's errors and
 * messages, and node ids with bit 63 refused.  Every case on a tmpfs
 * ($FBPF_TMPFS, default /tmp) and an ext4 ($FBPF_EXT4, skipped when
 * unset) backing: results are compared with the backing directory, and
 * the library's request counters say which requests reached the daemon.
 *
 * The BPF filter is fuse_user.bpf.c ("user"), whose callbacks return the
 * verdicts the test writes in its .bss.  Skips on kernels without
 * fuse-bpf.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <fuse_lowlevel.h>
#include <bpf/libbpf.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"
#include "fuse_bpf.h"
#include "fuse_user.skel.h"
#include "fuse_bad_ctx_write.skel.h"
#include "fuse_nosuffix.skel.h"

/* The kernel's filter verdicts (include/linux/fuse_bpf_ops.h) */
#define V_BACKING	0
#define V_DAEMON	2
#define V_USER_PRE	3
#define V_USER_POST	4

#define MAX_INOS	64

/* fuse_log() output of the library, for the tests to read */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[16384];
static size_t log_len;

static void log_capture(enum fuse_log_level level, const char *fmt,
			va_list ap)
{
	int n;

	pthread_mutex_lock(&log_lock);
	if (log_len < sizeof(log_buf) - 1) {
		n = vsnprintf(log_buf + log_len, sizeof(log_buf) - log_len,
			      fmt, ap);
		if (n > 0)
			log_len += n;
		if (log_len > sizeof(log_buf) - 1)
			log_len = sizeof(log_buf) - 1;
	}
	pthread_mutex_unlock(&log_lock);
}

static bool log_has(const char *s)
{
	bool found;

	pthread_mutex_lock(&log_lock);
	found = strstr(log_buf, s);
	pthread_mutex_unlock(&log_lock);
	return found;
}

static void log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	log_buf[0] = '\0';
	log_len = 0;
	pthread_mutex_unlock(&log_lock);
}

FIXTURE(lib) {
	char base[256];
	char src[300];
	char mnt[300];
	struct fuse_user *skel;
	struct fuse_session *se;
	struct fuse_bpf_conn *conn;
	pthread_t loop;
	bool running;

	/* the daemon's state, under lock */
	pthread_mutex_t lock;
	char path[MAX_INOS][PATH_MAX];	/* source path of each node id */
	int backing[MAX_INOS];		/* backing ids registered */
	unsigned int inos;
	bool set_filter;		/* LOOKUP replies SET the filter */
	const char *root_filter;	/* bpf_filter= of a backed root */
	bool kernel_id;			/* LOOKUP of "kid" names bit 63 */
	int kernel_id_ret;		/* what the library returned */
	unsigned int backing_opens;

	/* the userspace filters: calls, and what they saw */
	unsigned int pre_calls, post_calls;
	int post_ret;			/* what post_filter() returns */
	struct fuse_bpf_filter_req last;
	char last_name[256];
};

FIXTURE_VARIANT(lib) {
	const char *fs_env;
	const char *fs_default;
};

FIXTURE_VARIANT_ADD(lib, tmpfs) {
	.fs_env = "FBPF_TMPFS", .fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(lib, ext4) {
	.fs_env = "FBPF_EXT4",
};

static char *pj(const char *dir, const char *rel)
{
	static char ring[8][PATH_MAX];
	static int i;
	char *p = ring[i++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, rel);
	return p;
}

static int put(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, strlen(data));
	if (close(fd) || n != (ssize_t)strlen(data))
		return -EIO;
	return 0;
}

static int stat_err(const char *path, struct stat *st)
{
	struct stat tmp;

	return stat(path, st ?: &tmp) ? errno : 0;
}

/* ------------------------------------------------------- the daemon */

static struct _test_data_lib *self_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct _test_data_lib *self = self_of(req);
	struct stat st;

	if (ino >= MAX_INOS || !self->path[ino][0] ||
	    lstat(self->path[ino], &st)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_reply_attr(req, &st, 0);
}

/*
 * Children of the root are bound to a backing they register (SET), with
 * the filter when the test asks; children of other nodes, which a filter
 * sent here (DAEMON verdict), INHERIT the parent's backing child.
 */
static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct _test_data_lib *self = self_of(req);
	struct fuse_bpf_entry bpf = { 0 };
	struct fuse_entry_param e;
	char path[PATH_MAX];
	unsigned int ino;
	int fd, err;

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&self->lock);
	if (parent >= MAX_INOS || !self->path[parent][0] ||
	    self->inos == MAX_INOS) {
		pthread_mutex_unlock(&self->lock);
		fuse_reply_err(req, EIO);
		return;
	}
	ino = self->inos++;
	snprintf(path, sizeof(path), "%s/%s", self->path[parent], name);
	memcpy(self->path[ino], path, sizeof(path));
	if (lstat(self->path[ino], &e.attr)) {
		err = errno;
		self->path[ino][0] = '\0';
		pthread_mutex_unlock(&self->lock);
		fuse_reply_err(req, err);
		return;
	}
	e.ino = ino;
	e.attr_timeout = 60;
	e.entry_timeout = 60;
	if (self->kernel_id && !strcmp(name, "kid")) {
		e.ino |= FUSE_BPF_NODEID_KERNEL;
		pthread_mutex_unlock(&self->lock);
		__atomic_store_n(&self->kernel_id_ret,
				 fuse_bpf_reply_entry(req, &e, &bpf),
				 __ATOMIC_RELEASE);
		return;
	}
	if (parent == FUSE_ROOT_ID) {
		fd = open(self->path[ino], O_PATH | O_CLOEXEC);
		self->backing[ino] = fd < 0 ? -errno :
			fuse_bpf_backing_open(self->se, fd, 0);
		if (fd >= 0)
			close(fd);
		if (self->backing[ino] < 0) {
			pthread_mutex_unlock(&self->lock);
			fuse_reply_err(req, EIO);
			return;
		}
		self->backing_opens++;
		bpf.backing_action = FUSE_BPF_BACKING_SET;
		bpf.backing_id = self->backing[ino];
		if (self->set_filter) {
			bpf.filter_action = FUSE_BPF_FILTER_SET;
			bpf.filter_id = fuse_bpf_conn_filter_id(self->conn,
								"user");
		}
	} else {
		bpf.backing_action = FUSE_BPF_BACKING_INHERIT;
	}
	pthread_mutex_unlock(&self->lock);
	fuse_bpf_reply_entry(req, &e, &bpf);
}

static const struct fuse_lowlevel_ops ll_ops = {
	.lookup = ll_lookup,
	.getattr = ll_getattr,
};

static int pre_filter(void *data, struct fuse_bpf_filter_req *r)
{
	struct _test_data_lib *self = data;
	struct fuse_mknod_in *mi = r->in;

	pthread_mutex_lock(&self->lock);
	self->pre_calls++;
	self->last = *r;
	snprintf(self->last_name, sizeof(self->last_name), "%s",
		 r->names ? r->name[0] : "");
	pthread_mutex_unlock(&self->lock);
	if (r->opcode == FUSE_LOOKUP && r->names &&
	    !strncmp(r->name[0], "denied", 6))
		return -EACCES;
	/* the create family: new directories are private */
	if (r->opcode == FUSE_MKDIR && r->in_size == sizeof(*mi)) {
		mi->mode = (mi->mode & S_IFMT) | 0700;
		r->changed = true;
	}
	return 0;
}

static int post_filter(void *data, struct fuse_bpf_filter_req *r)
{
	struct _test_data_lib *self = data;
	struct fuse_attr_out *out = r->out;

	pthread_mutex_lock(&self->lock);
	self->post_calls++;
	self->last = *r;
	pthread_mutex_unlock(&self->lock);
	if (r->opcode == FUSE_GETATTR && !r->error &&
	    r->out_size == sizeof(*out)) {
		out->attr.size = 4242;
		r->changed = !self->post_ret;
	}
	return self->post_ret;
}

static void *loop_thread(void *arg)
{
	fuse_session_loop(arg);
	return NULL;
}

/*
 * Mount with the root backed by SOURCE (or served by the daemon) and
 * the "user" filter on it (or root_filter), callbacks as given, and serve in a thread.
 */
static int start(struct _test_data_lib *self, bool root_backed,
		 const struct fuse_bpf_user_filter_ops *uf,
		 const char *const *want)
{
	char *argv[2] = { "fuse_lib_test", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fuse_bpf_mount_opts mo = {
		.fsname = "fuse_lib_test",
		.allow_other = true,
		.default_permissions = true,
		.backing_root_fd = -1,
	};
	int err, fd = -1;

	err = fuse_bpf_conn_new(&self->conn, FUSE_BPF_WANT_BPF, 1);
	if (err)
		return err;
	fuse_bpf_conn_set_user_filter(self->conn, uf, self);
	for (; want && *want; want++) {
		err = fuse_bpf_conn_want_filter(self->conn, *want);
		if (err)
			return err;
	}
	self->se = fuse_session_new(&args, &ll_ops, sizeof(ll_ops), self);
	if (!self->se)
		return -ENOMEM;
	if (root_backed) {
		fd = open(self->src, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		mo.backing_root_fd = fd;
		mo.bpf_filter = self->root_filter ?: "user";
	}
	err = fuse_bpf_mount(self->se, self->conn, self->mnt, &mo);
	if (fd >= 0)
		close(fd);
	if (err)
		return err;
	err = pthread_create(&self->loop, NULL, loop_thread, self->se);
	if (err)
		return -err;
	self->running = true;
	return 0;
}

static void stop(struct _test_data_lib *self)
{
	if (self->running) {
		fuse_bpf_unmount(self->mnt);
		pthread_join(self->loop, NULL);
		self->running = false;
	}
	if (self->se)
		fuse_session_destroy(self->se);
	self->se = NULL;
	fuse_bpf_conn_destroy(self->conn);
	self->conn = NULL;
}

static uint64_t count(struct _test_data_lib *self, uint32_t opcode)
{
	return fuse_bpf_request_count(self->conn, opcode);
}

FIXTURE_SETUP(lib)
{
	const char *fs = getenv(variant->fs_env) ?: variant->fs_default;

	memset(self, 0, sizeof(*self));
	pthread_mutex_init(&self->lock, NULL);
	if (!fs || access(fs, W_OK))
		SKIP(return, "no %s backing filesystem", variant->fs_env);
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without fuse-bpf (FBPF_KERNEL=%s)",
		     getenv("FBPF_KERNEL") ?: "unset");
	snprintf(self->base, sizeof(self->base), "%s/flt-XXXXXX", fs);
	ASSERT_NE(NULL, mkdtemp(self->base));
	snprintf(self->src, sizeof(self->src), "%s/src", self->base);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->src, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	ASSERT_EQ(0, put(pj(self->src, "file"), "backing data", 0644));
	ASSERT_EQ(0, mkdir(pj(self->src, "dir"), 0755));
	ASSERT_EQ(0, put(pj(self->src, "dir/inner"), "inner data", 0640));
	snprintf(self->path[FUSE_ROOT_ID], PATH_MAX, "%s", self->src);
	self->inos = FUSE_ROOT_ID + 1;
	self->skel = fuse_user__open_and_load();
	ASSERT_NE(NULL, self->skel);
	ASSERT_EQ(0, fuse_user__attach(self->skel));
	fuse_set_log_func(log_capture);
	log_reset();
}

FIXTURE_TEARDOWN(lib)
{
	char cmd[PATH_MAX];

	stop(self);
	fuse_user__destroy(self->skel);
	if (self->base[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->base);
		system(cmd);
	}
}

/*
 * The daemon serves the root; the "user" filter, opened at INIT, goes
 * with the backing it binds to "dir" and sends LOOKUPs under it to the
 * daemon (DAEMON verdict), which answers INHERIT: the kernel binds the
 * backing's child itself, and the daemon registers no backing for it.
 */
TEST_F(lib, inherit)
{
	const char *const want[] = { "user", NULL };
	char buf[64] = "";
	struct stat m, s;
	int fd;

	self->set_filter = true;
	ASSERT_EQ(0, start(self, false, NULL, want));
	ASSERT_EQ(0, stat_err(pj(self->mnt, "dir"), NULL));
	EXPECT_EQ(1, self->backing_opens);
	EXPECT_EQ(1, count(self, FUSE_LOOKUP));

	self->skel->bss->lookup_v = V_DAEMON;
	ASSERT_EQ(0, stat_err(pj(self->mnt, "dir/inner"), &m));
	ASSERT_EQ(0, stat(pj(self->src, "dir/inner"), &s));
	EXPECT_EQ(s.st_ino, m.st_ino);
	EXPECT_EQ(s.st_mode, m.st_mode);
	EXPECT_EQ(s.st_size, m.st_size);
	fd = open(pj(self->mnt, "dir/inner"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(10, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_STREQ("inner data", buf);
	/* the daemon saw the LOOKUP, the kernel served the rest */
	EXPECT_EQ(2, count(self, FUSE_LOOKUP));
	EXPECT_EQ(1, self->backing_opens);
	EXPECT_EQ(0, count(self, FUSE_OPEN));
	EXPECT_EQ(0, count(self, FUSE_READ));
	/* a name the backing lacks: the daemon finds none either */
	EXPECT_EQ(ENOENT, stat_err(pj(self->mnt, "dir/none"), NULL));
}

/*
 * Pre and post filters answered by the daemon's callbacks: a LOOKUP the
 * pre filter refuses fails with its errno, a MKDIR it rewrites gets its
 * mode, a GETATTR the post filter rewrites shows its size; libfuse never
 * sees these requests (its ENOSYS would fail every operation).
 */
TEST_F(lib, user_filters)
{
	static const struct fuse_bpf_user_filter_ops uf = {
		.pre = pre_filter, .post = post_filter,
	};
	struct stat st;

	ASSERT_EQ(0, start(self, true, &uf, NULL));
	ASSERT_EQ(0, stat_err(pj(self->mnt, "file"), &st));
	EXPECT_EQ(12, st.st_size);
	EXPECT_EQ(0, self->pre_calls + self->post_calls);

	/* pre: LOOKUP, with the name; "denied*" is refused */
	self->skel->bss->lookup_v = V_USER_PRE;
	EXPECT_EQ(0, stat_err(pj(self->mnt, "dir"), NULL));
	EXPECT_EQ(1, self->pre_calls);
	EXPECT_EQ(FUSE_LOOKUP, self->last.opcode);
	EXPECT_FALSE(self->last.post);
	EXPECT_EQ(FUSE_ROOT_ID, self->last.nodeid);
	EXPECT_EQ(1, self->last.names);
	EXPECT_STREQ("dir", self->last_name);
	EXPECT_EQ(0, self->last.in_size);
	EXPECT_EQ(0, self->last.out_size);
	EXPECT_EQ(getuid(), self->last.uid);
	ASSERT_EQ(0, put(pj(self->src, "denied-a"), "x", 0644));
	EXPECT_EQ(EACCES, stat_err(pj(self->mnt, "denied-a"), NULL));
	EXPECT_STREQ("denied-a", self->last_name);
	EXPECT_EQ(2, count(self, FUSE_BPF_PREFILTER | FUSE_LOOKUP));
	self->skel->bss->lookup_v = V_BACKING;

	/* pre: MKDIR, in-args rewritten: the directory is 0700 */
	self->skel->bss->create_v = V_USER_PRE;
	ASSERT_EQ(0, mkdir(pj(self->mnt, "newdir"), 0755));
	EXPECT_EQ(FUSE_MKDIR, self->last.opcode);
	EXPECT_STREQ("newdir", self->last_name);
	ASSERT_EQ(0, stat(pj(self->src, "newdir"), &st));
	EXPECT_EQ(040700, st.st_mode);
	self->skel->bss->create_v = V_BACKING;

	/* post: GETATTR, out-args rewritten */
	self->skel->bss->getattr_v = V_USER_POST;
	ASSERT_EQ(0, stat_err(pj(self->mnt, "file"), &st));
	EXPECT_EQ(4242, st.st_size);
	EXPECT_TRUE(self->last.post);
	EXPECT_EQ(FUSE_GETATTR, self->last.opcode);
	EXPECT_EQ(0, self->last.error);
	EXPECT_EQ(sizeof(struct fuse_getattr_in), self->last.in_size);
	EXPECT_EQ(sizeof(struct fuse_attr_out), self->last.out_size);
	EXPECT_LE(1, self->post_calls);
	EXPECT_EQ(self->post_calls,
		  count(self, FUSE_BPF_POSTFILTER | FUSE_GETATTR));
	self->skel->bss->getattr_v = V_BACKING;
	ASSERT_EQ(0, stat(pj(self->src, "file"), &st));
	EXPECT_EQ(12, st.st_size);

	/* the kernel served everything else */
	EXPECT_EQ(0, count(self, FUSE_LOOKUP));
	EXPECT_EQ(0, count(self, FUSE_GETATTR));
	EXPECT_EQ(0, count(self, FUSE_MKDIR));
	EXPECT_EQ(0, count(self, FUSE_BPF_MAX_OPCODE));
	EXPECT_FALSE(log_has("fuse-bpf:")) TH_LOG("log: %s", log_buf);
}

/*
 * A post filter's errno is the operation's result, and one that is not
 * an errno is EIO; without a post callback, libfuse answers ENOSYS.
 */
TEST_F(lib, user_filter_errors)
{
	static const struct fuse_bpf_user_filter_ops both = {
		.pre = pre_filter, .post = post_filter,
	};
	static const struct fuse_bpf_user_filter_ops pre_only = {
		.pre = pre_filter,
	};

	ASSERT_EQ(0, start(self, true, &both, NULL));
	self->skel->bss->getattr_v = V_USER_POST;
	self->post_ret = -EPERM;
	EXPECT_EQ(EPERM, stat_err(pj(self->mnt, "file"), NULL));
	self->post_ret = 7;
	EXPECT_EQ(EIO, stat_err(pj(self->mnt, "file"), NULL));
	EXPECT_TRUE(log_has("post filter for GETATTR returned 7"))
		TH_LOG("log: %s", log_buf);
	EXPECT_LE(2, self->post_calls);
	self->post_ret = 0;
	EXPECT_EQ(0, stat_err(pj(self->mnt, "file"), NULL));
	stop(self);

	self->post_calls = 0;
	ASSERT_EQ(0, start(self, true, &pre_only, NULL));
	self->skel->bss->getattr_v = V_USER_POST;
	EXPECT_EQ(ENOSYS, stat_err(pj(self->mnt, "file"), NULL));
	EXPECT_LE(1, count(self, FUSE_BPF_POSTFILTER | FUSE_GETATTR));
	EXPECT_EQ(0, self->post_calls);
}

/* Without callbacks every userspace filter request gets ENOSYS */
TEST_F(lib, user_filter_enosys)
{
	ASSERT_EQ(0, start(self, true, NULL, NULL));
	self->skel->bss->getattr_v = V_USER_PRE;
	EXPECT_EQ(ENOSYS, stat_err(pj(self->mnt, "file"), NULL));
	EXPECT_LE(1, count(self, FUSE_BPF_PREFILTER | FUSE_GETATTR));
	self->skel->bss->getattr_v = V_BACKING;
	EXPECT_EQ(0, stat_err(pj(self->mnt, "file"), NULL));
	EXPECT_EQ(0, self->pre_calls);
}

/*
 * Filters listed before the loop are opened at INIT: the ids are there
 * before any request but INIT reached the daemon, and a name no filter
 * has gives the kernel's ENOENT, logged.
 */
TEST_F(lib, filters_at_init)
{
	const char *const want[] = { "user", "nosuchfilter", NULL };

	int i;

	ASSERT_EQ(0, start(self, true, NULL, want));
	/* the kernel serves the backed root: it needs no INIT to stat it */
	ASSERT_EQ(0, stat_err(self->mnt, NULL));
	for (i = 0; i < 500 && !fuse_bpf_init_done(self->conn); i++)
		usleep(10000);
	ASSERT_TRUE(fuse_bpf_init_done(self->conn));
	EXPECT_LT(0, fuse_bpf_conn_filter_id(self->conn, "user"));
	EXPECT_EQ(-ENOENT, fuse_bpf_conn_filter_id(self->conn, "nosuchfilter"));
	EXPECT_EQ(-EINVAL, fuse_bpf_conn_filter_id(self->conn, "never"));
	EXPECT_EQ(-EBUSY, fuse_bpf_conn_want_filter(self->conn, "late"));
	EXPECT_TRUE(log_has("FUSE_DEV_IOC_BPF_FILTER_OPEN(nosuchfilter)"))
		TH_LOG("log: %s", log_buf);
	EXPECT_EQ(1, count(self, FUSE_INIT));
	EXPECT_EQ(0, count(self, FUSE_LOOKUP));
	EXPECT_EQ(0, count(self, FUSE_GETATTR));
}

/*
 * A LOOKUP reply naming a kernel node id (bit 63) is refused by the
 * library, which says why, and answers EIO (as the kernel would).
 */
TEST_F(lib, kernel_nodeid_refused)
{
	struct stat st;

	int i;

	self->kernel_id = true;
	self->kernel_id_ret = 1;
	ASSERT_EQ(0, start(self, false, NULL, NULL));
	ASSERT_EQ(0, put(pj(self->src, "kid"), "k", 0644));
	EXPECT_EQ(EIO, stat_err(pj(self->mnt, "kid"), NULL));
	/* the reply woke us before the daemon stored what it returned */
	for (i = 0; i < 500 && __atomic_load_n(&self->kernel_id_ret,
					       __ATOMIC_ACQUIRE) == 1; i++)
		usleep(10000);
	EXPECT_EQ(-ERANGE, self->kernel_id_ret);
	EXPECT_TRUE(log_has("FUSE_NODEID_KERNEL")) TH_LOG("log: %s", log_buf);
	EXPECT_TRUE(log_has("0x8000000000000")) TH_LOG("log: %s", log_buf);
	/* the mount goes on */
	EXPECT_EQ(0, stat_err(pj(self->mnt, "file"), &st));
	EXPECT_EQ(12, st.st_size);
}

/* The library's messages for @path, stderr checked to stay silent */
static int load_quiet(const char *path, char *err, size_t size)
{
	struct fuse_bpf_filter *f = NULL;
	char tmpl[] = "/tmp/flt-stderr-XXXXXX";
	int fd = mkstemp(tmpl), saved, ret;
	ssize_t n;

	if (fd < 0)
		return -1000;
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	ret = fuse_bpf_filter_load(&f, path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, err, size - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmpl);
	fuse_bpf_filter_unload(f);
	return ret;
}

/*
 * BPF objects libbpf refuses: the error names libbpf's cause, libbpf's
 * own messages come through fuse_log() (nothing on stderr), and a file
 * that is there is never reported as missing.
 */
TEST_F(lib, bad_object_cause)
{
	static const char cause[] =
		"loading the BPF object: Permission denied (libbpf: prog 'bad_getattr'";
	char path[PATH_MAX], err[4096];
	const char *elf;
	size_t size;
	int ret;

	/* missing: the file's own error, and libbpf is not involved */
	ret = load_quiet(pj(self->base, "none.bpf.o"), err, sizeof(err));
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_TRUE(log_has("none.bpf.o: No such file or directory"))
		TH_LOG("log: %s", log_buf);
	EXPECT_STREQ("", err);

	/* not an ELF object: libbpf says so */
	log_reset();
	snprintf(path, sizeof(path), "%s", pj(self->base, "text.bpf.o"));
	ASSERT_EQ(0, put(path, "not an object\n", 0644));
	ret = load_quiet(path, err, sizeof(err));
	EXPECT_GT(0, ret);
	EXPECT_NE(-ENOENT, ret);
	EXPECT_TRUE(log_has("libbpf:")) TH_LOG("log: %s", log_buf);
	EXPECT_TRUE(log_has("libbpf cannot open it")) TH_LOG("log: %s", log_buf);
	EXPECT_FALSE(log_has("No such file")) TH_LOG("log: %s", log_buf);
	EXPECT_STREQ("", err);

	/*
	 * A filter the verifier refuses (it writes its read-only context):
	 * the error names the program, the verifier's log is in fuse_log()
	 */
	log_reset();
	elf = fuse_bad_ctx_write__elf_bytes(&size);
	snprintf(path, sizeof(path), "%s", pj(self->base, "bad.bpf.o"));
	ASSERT_EQ(0, td_write_bytes(path, elf, size, 0644));
	ret = load_quiet(path, err, sizeof(err));
	EXPECT_EQ(-EACCES, ret);
	EXPECT_TRUE(log_has("BEGIN PROG LOAD LOG")) TH_LOG("log: %s", log_buf);
	EXPECT_TRUE(log_has(cause)) TH_LOG("log: %s", log_buf);
	EXPECT_STREQ("", err);
}

/* fuse_nosuffix (the worked example) opened, with its suffix and name */
static struct fuse_nosuffix *nosuffix_open(const char *suffix,
					   const char *name)
{
	struct fuse_nosuffix *skel = fuse_nosuffix__open();

	if (!skel)
		return NULL;
	snprintf((char *)skel->rodata->suffix, sizeof(skel->rodata->suffix),
		 "%s", suffix);
	if (fuse_bpf_filter_set_name(skel->obj, name)) {
		fuse_nosuffix__destroy(skel);
		return NULL;
	}
	return skel;
}

/*
 * The skeleton workflow of "Writing a filter" with the worked example:
 * open, set .rodata and a per-instance name ("%p"), load, attach through
 * the library.  Two instances with their own suffixes and names are
 * attached at once; a third under a name in use gets -EEXIST and a
 * message saying how to name instances apart.  Each instance, as the
 * root's filter, refuses exactly its own suffix in creations, links and
 * renames, in the kernel: no such request reaches the daemon.
 */
TEST_F(lib, skeleton_instances)
{
	struct fuse_nosuffix *a, *b, *c;
	struct fuse_bpf_filter *fa = NULL, *fb = NULL, *fc = NULL;
	char name_a[16], name_b[16];
	__u64 refused;
	int fd;

	snprintf(name_a, sizeof(name_a), "nsfx-a-%d", (int)getpid());
	snprintf(name_b, sizeof(name_b), "nsfx-b-%d", (int)getpid());
	a = nosuffix_open(".tmp", "nsfx-a-%p");
	b = nosuffix_open(".bak", "nsfx-b-%p");
	c = nosuffix_open(".tmp", "nsfx-a-%p");
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(-EINVAL, fuse_bpf_filter_set_name(c->obj, "much-too-long-%p"));
	EXPECT_EQ(-EINVAL, fuse_bpf_filter_attach(&fc, c->obj));
	EXPECT_TRUE(log_has("not loaded")) TH_LOG("log: %s", log_buf);
	ASSERT_EQ(0, fuse_nosuffix__load(a));
	ASSERT_EQ(0, fuse_nosuffix__load(b));
	ASSERT_EQ(0, fuse_nosuffix__load(c));
	EXPECT_EQ(-EBUSY, fuse_bpf_filter_set_name(a->obj, "late"));
	ASSERT_EQ(0, fuse_bpf_filter_attach(&fa, a->obj));
	ASSERT_EQ(0, fuse_bpf_filter_attach(&fb, b->obj));
	EXPECT_STREQ(name_a, fuse_bpf_filter_name(fa, 0));
	EXPECT_STREQ(name_b, fuse_bpf_filter_name(fb, 0));
	EXPECT_EQ(NULL, fuse_bpf_filter_name(fa, 1));
	log_reset();
	EXPECT_EQ(-EEXIST, fuse_bpf_filter_attach(&fc, c->obj));
	EXPECT_TRUE(log_has("give each instance a name of its own"))
		TH_LOG("log: %s", log_buf);
	EXPECT_TRUE(log_has(name_a)) TH_LOG("log: %s", log_buf);

	/* a on the root: ".tmp" names refused, ".bak" ones made */
	self->root_filter = name_a;
	ASSERT_EQ(0, start(self, true, NULL, NULL));
	EXPECT_EQ(-1, mkdir(pj(self->mnt, "d.tmp"), 0755));
	EXPECT_EQ(EPERM, errno);
	fd = open(pj(self->mnt, "f.tmp"), O_WRONLY | O_CREAT, 0644);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, symlink("file", pj(self->mnt, "s.tmp")));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, link(pj(self->mnt, "file"), pj(self->mnt, "l.tmp")));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, rename(pj(self->mnt, "file"), pj(self->mnt, "r.tmp")));
	EXPECT_EQ(EPERM, errno);
	/* at least once each (the kernel may retry an open as a mknod) */
	refused = a->bss->refused;
	EXPECT_LE(5, refused);
	EXPECT_EQ(0, mkdir(pj(self->mnt, "d.bak"), 0755));
	EXPECT_EQ(0, stat_err(pj(self->src, "d.bak"), NULL));
	EXPECT_EQ(ENOENT, stat_err(pj(self->src, "d.tmp"), NULL));
	EXPECT_EQ(ENOENT, stat_err(pj(self->src, "f.tmp"), NULL));
	EXPECT_EQ(ENOENT, stat_err(pj(self->src, "s.tmp"), NULL));
	EXPECT_EQ(ENOENT, stat_err(pj(self->src, "l.tmp"), NULL));
	EXPECT_EQ(ENOENT, stat_err(pj(self->src, "r.tmp"), NULL));
	EXPECT_EQ(0, stat_err(pj(self->src, "file"), NULL));
	EXPECT_EQ(refused, a->bss->refused);
	EXPECT_EQ(0, b->bss->refused);
	EXPECT_EQ(0, count(self, FUSE_MKDIR));
	EXPECT_EQ(0, count(self, FUSE_MKNOD));
	EXPECT_EQ(0, count(self, FUSE_CREATE));
	EXPECT_EQ(0, count(self, FUSE_SYMLINK));
	EXPECT_EQ(0, count(self, FUSE_LINK));
	EXPECT_EQ(0, count(self, FUSE_RENAME));
	EXPECT_EQ(0, count(self, FUSE_RENAME2));
	stop(self);

	/* b, attached all along: the other way round */
	self->root_filter = name_b;
	ASSERT_EQ(0, start(self, true, NULL, NULL));
	EXPECT_EQ(-1, rename(pj(self->mnt, "file"), pj(self->mnt, "r.bak")));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, rename(pj(self->mnt, "file"), pj(self->mnt, "r.tmp")));
	EXPECT_EQ(0, stat_err(pj(self->src, "r.tmp"), NULL));
	EXPECT_EQ(ENOENT, stat_err(pj(self->src, "r.bak"), NULL));
	EXPECT_LE(1, b->bss->refused);
	EXPECT_EQ(refused, a->bss->refused);
	EXPECT_EQ(0, count(self, FUSE_RENAME));
	EXPECT_EQ(0, count(self, FUSE_RENAME2));
	stop(self);

	fuse_bpf_filter_unload(fa);
	fuse_bpf_filter_unload(fb);
	fuse_bpf_filter_unload(fc);
	fuse_nosuffix__destroy(a);
	fuse_nosuffix__destroy(b);
	fuse_nosuffix__destroy(c);
}

/* ------------------------------------------- the kernel's counters */

/* The fusectl bpf_stats of the mount at @mnt, read by the test itself */
static void raw_stats_path(const char *mnt, char *buf, size_t size)
{
	struct stat st;

	buf[0] = '\0';
	if (!stat(mnt, &st))
		snprintf(buf, size, "/sys/fs/fuse/connections/%u/bpf_stats",
			 major(st.st_dev) << 20 | minor(st.st_dev));
}

/*
 * The @column count of @op in the bpf_stats file @path, found without the
 * library: the header's field number, then the line of that name; -1
 * when either is missing.
 */
static long long raw_count(const char *path, const char *op,
			   const char *column)
{
	static const char sep[] = { ' ', '\n', '\0' };
	char line[1024], *tok, *save;
	long long v = -1;
	int want = -1, i;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		for (i = 0, tok = strtok_r(line, sep, &save); tok;
		     i++, tok = strtok_r(NULL, sep, &save))
			if (!strcmp(tok, column))
				want = i;
	while (want >= 0 && fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, sep, &save);
		tok = tok ? strtok_r(NULL, sep, &save) : NULL;
		if (!tok || strcmp(tok, op))
			continue;
		for (i = 1; tok && i < want; i++)
			tok = strtok_r(NULL, sep, &save);
		if (tok)
			v = atoll(tok);
	}
	fclose(f);
	return v;
}

static const struct fuse_bpf_op_stats *
find_op(const struct fuse_bpf_op_stats *st, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(st[i].name, name))
			return &st[i];
	return NULL;
}

/*
 * fuse_bpf_kernel_stats() against the live bpf_stats: every column of
 * every line as the file has it, growing with the operations the kernel
 * serves, the same by mount point, readable after the unmount.
 */
TEST_F(lib, kernel_stats)
{
	static struct fuse_bpf_op_stats st[FUSE_BPF_MAX_OPCODE];
	static struct fuse_bpf_op_stats st2[FUSE_BPF_MAX_OPCODE];
	const struct fuse_bpf_op_stats *lk, *lk2;
	char raw[128], buf[64] = "";
	int n, n2, i, s, fd;

	ASSERT_EQ(0, start(self, true, NULL, NULL));
	raw_stats_path(self->mnt, raw, sizeof(raw));
	/* the counters are the connection's from INIT on */
	for (i = 0; i < 500 && !fuse_bpf_init_done(self->conn); i++)
		usleep(10000);
	ASSERT_TRUE(fuse_bpf_init_done(self->conn));
	ASSERT_EQ(0, stat_err(pj(self->mnt, "file"), NULL));
	fd = open(pj(self->mnt, "dir/inner"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(10, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_EQ(ENOENT, stat_err(pj(self->mnt, "none-1"), NULL));

	n = fuse_bpf_kernel_stats(self->conn, st, FUSE_BPF_MAX_OPCODE);
	ASSERT_LT(0, n) TH_LOG("log: %s", log_buf);
	ASSERT_GT(FUSE_BPF_MAX_OPCODE, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ((1u << FUSE_BPF_NR_STATS) - 1, st[i].present);
		for (s = 0; s < FUSE_BPF_NR_STATS; s++)
			EXPECT_EQ(raw_count(raw, st[i].name,
					    fuse_bpf_stat_name(s)),
				  (long long)st[i].count[s])
				TH_LOG("%s %s", st[i].name,
				       fuse_bpf_stat_name(s));
		for (; s < FUSE_BPF_STAT_SLOTS; s++)
			EXPECT_EQ(0, st[i].count[s]);
	}
	lk = find_op(st, n, "LOOKUP");
	ASSERT_NE(NULL, lk);
	EXPECT_EQ(FUSE_LOOKUP, lk->opcode);
	/* file, dir, inner and none-1, whose ENOENT is an error */
	EXPECT_LE(4, lk->count[FUSE_BPF_STAT_KERNEL]);
	EXPECT_LE(1, lk->count[FUSE_BPF_STAT_ERRORS]);
	EXPECT_EQ(lk->count[FUSE_BPF_STAT_KERNEL],
		  lk->count[FUSE_BPF_STAT_PRE_BACKING]);
	EXPECT_EQ(0, lk->count[FUSE_BPF_STAT_DAEMON]);
	EXPECT_NE(NULL, find_op(st, n, "OPEN"));
	/* what the daemon saw: INIT alone */
	EXPECT_EQ(0, count(self, FUSE_LOOKUP));

	/* by mount point, and with too small an array: the same count */
	EXPECT_EQ(n, fuse_bpf_kernel_stats_at(self->mnt, st2,
					      FUSE_BPF_MAX_OPCODE));
	EXPECT_EQ(0, memcmp(st, st2, n * sizeof(st[0])));
	memset(st2, 0xa5, sizeof(st2));
	EXPECT_EQ(n, fuse_bpf_kernel_stats(self->conn, st2, 1));
	EXPECT_EQ(0, memcmp(st, st2, sizeof(st[0])));
	EXPECT_EQ(0xa5a5a5a5, st2[1].opcode);
	EXPECT_EQ(n, fuse_bpf_kernel_stats(self->conn, NULL, 0));

	/* two more lookups the backing fails */
	EXPECT_EQ(ENOENT, stat_err(pj(self->mnt, "none-2"), NULL));
	EXPECT_EQ(ENOENT, stat_err(pj(self->mnt, "none-3"), NULL));
	n2 = fuse_bpf_kernel_stats(self->conn, st2, FUSE_BPF_MAX_OPCODE);
	ASSERT_LE(n, n2);
	lk2 = find_op(st2, n2, "LOOKUP");
	ASSERT_NE(NULL, lk2);
	EXPECT_EQ(lk->count[FUSE_BPF_STAT_KERNEL] + 2,
		  lk2->count[FUSE_BPF_STAT_KERNEL]);
	EXPECT_EQ(lk->count[FUSE_BPF_STAT_ERRORS] + 2,
		  lk2->count[FUSE_BPF_STAT_ERRORS]);
	EXPECT_EQ(raw_count(raw, "LOOKUP", "kernel"),
		  (long long)lk2->count[FUSE_BPF_STAT_KERNEL]);

	/* unmounted: the connection's file stays readable, the path not */
	fuse_bpf_unmount(self->mnt);
	pthread_join(self->loop, NULL);
	self->running = false;
	for (i = 0; i < 500 && !access(raw, F_OK); i++)
		usleep(10000);
	EXPECT_NE(0, access(raw, F_OK));
	EXPECT_EQ(n2, fuse_bpf_kernel_stats(self->conn, st,
					    FUSE_BPF_MAX_OPCODE));
	EXPECT_EQ(0, memcmp(st, st2, n2 * sizeof(st[0])));
	EXPECT_EQ(-EINVAL, fuse_bpf_kernel_stats_at(self->mnt, NULL, 0));
}

/*
 * The errors: a connection the library did not mount, a path that is not
 * FUSE's or does not exist, fusectl not mounted (in this test's mount
 * namespace), each logged.
 */
TEST_F(lib, kernel_stats_errors)
{
	struct fuse_bpf_conn *c;

	ASSERT_EQ(0, fuse_bpf_conn_new(&c, FUSE_BPF_WANT_BPF, 1));
	EXPECT_EQ(-ENOTCONN, fuse_bpf_kernel_stats(c, NULL, 0));
	EXPECT_TRUE(log_has("not mounted by fuse_bpf_mount()"))
		TH_LOG("log: %s", log_buf);
	fuse_bpf_conn_destroy(c);
	EXPECT_EQ(-EINVAL, fuse_bpf_kernel_stats_at(self->src, NULL, 0));
	EXPECT_EQ(-ENOENT, fuse_bpf_kernel_stats_at(pj(self->src, "none"),
						    NULL, 0));

	/* fusectl away while the library mounts */
	ASSERT_EQ(0, umount2("/sys/fs/fuse/connections", MNT_DETACH));
	ASSERT_EQ(0, start(self, true, NULL, NULL));
	EXPECT_EQ(-ENOENT, fuse_bpf_kernel_stats(self->conn, NULL, 0));
	EXPECT_EQ(-ENOENT, fuse_bpf_kernel_stats_at(self->mnt, NULL, 0));
	/* back: the mount point finds it, the connection stays without */
	ASSERT_EQ(0, mount("fusectl", "/sys/fs/fuse/connections", "fusectl",
			   0, NULL));
	EXPECT_LE(0, fuse_bpf_kernel_stats_at(self->mnt, NULL, 0));
	EXPECT_EQ(-ENOENT, fuse_bpf_kernel_stats(self->conn, NULL, 0));
}

/*
 * The documentation's example (section 13), two of its lines, joined
 * with spaces by doc_stats() (the kernel aligns columns with several)
 */
static const char *const doc_rows[][14] = {
	{ "opcode", "name", "kernel", "daemon", "filter", "user", "errors",
	  "pre_backing", "pre_backing_post", "pre_daemon", "pre_user_pre",
	  "pre_user_post", "post_bpf", "post_user" },
	{ "1", "LOOKUP", "3", "0", "1", "0", "1", "3", "0", "0", "0", "0",
	  "0", "0" },
	{ "28", "READDIR", "2", "0", "0", "0", "0", "0", "2", "0", "0", "0",
	  "2", "0" },
};

static const char *doc_stats(void)
{
	static char text[1024];
	size_t r, c, len = 0;

	for (r = 0; r < ARRAY_SIZE(doc_rows); r++)
		for (c = 0; c < ARRAY_SIZE(doc_rows[r]); c++)
			len += snprintf(text + len, sizeof(text) - len, "%-*s%s",
					c ? 8 : 6, doc_rows[r][c],
					c + 1 < ARRAY_SIZE(doc_rows[r]) ?
					" " : "\n");
	return text;
}

static int parse(const char *text, struct fuse_bpf_op_stats *st, size_t n)
{
	return fuse_bpf_kernel_stats_parse(text, strlen(text), st, n);
}

/*
 * fuse_bpf_kernel_stats_parse() on text, no mount: the documented
 * format, columns by name (unknown ones skipped, missing ones absent),
 * and malformed text refused.
 */
TEST(kernel_stats_parse)
{
	static const char *const bad[] = {
		"",					/* no header */
		"opcode name kernel\n1 LOOKUP 3",	/* truncated */
		"opcode name kernel\n1 LOOKUP\n",	/* a field short */
		"opcode name kernel\n1 LOOKUP 3 4\n",	/* one too many */
		"opcode name kernel\n\n",		/* empty line */
		"opcode name kernel\n1 LOOKUP 18446744073709551616\n",
		"opcode name kernel\n4294967296 LOOKUP 3\n",
		"opcode name kernel\n1 LOOKUP -1\n",
		"opcode name kernel\n1 LOOKUP 3a\n",
		"opcode name kernel\n1 LOOKUP\t3\n",	/* a tab */
		"opcode name kernel\n1 LOOKUP 3\r\n",
		"opcode name kernel\n1 ABCDEFGHIJKLMNOPQRSTUVWXYZ012345 3\n",
		"name kernel\nLOOKUP 3\n",		/* no opcode */
		"opcode kernel\n1 3\n",			/* no name */
		"opcode name kernel kernel\n1 LOOKUP 3 3\n",
		"opcode opcode name\n1 1 LOOKUP\n",
	};
	static const char nul[] = "opcode name\n1 A\0\n";
	static struct fuse_bpf_op_stats st[4];
	char text[1024], cols[800] = "opcode name", *p;
	size_t i;

	fuse_set_log_func(log_capture);
	ASSERT_EQ(2, parse(doc_stats(), st, 4));
	EXPECT_EQ(1, st[0].opcode);
	EXPECT_STREQ("LOOKUP", st[0].name);
	EXPECT_EQ((1u << FUSE_BPF_NR_STATS) - 1, st[0].present);
	EXPECT_EQ(3, st[0].count[FUSE_BPF_STAT_KERNEL]);
	EXPECT_EQ(1, st[0].count[FUSE_BPF_STAT_FILTER]);
	EXPECT_EQ(1, st[0].count[FUSE_BPF_STAT_ERRORS]);
	EXPECT_EQ(3, st[0].count[FUSE_BPF_STAT_PRE_BACKING]);
	EXPECT_EQ(28, st[1].opcode);
	EXPECT_EQ(2, st[1].count[FUSE_BPF_STAT_PRE_BACKING_POST]);
	EXPECT_EQ(2, st[1].count[FUSE_BPF_STAT_POST_BPF]);
	EXPECT_EQ(0, st[1].count[FUSE_BPF_STAT_POST_USER]);
	EXPECT_STREQ("kernel", fuse_bpf_stat_name(FUSE_BPF_STAT_KERNEL));
	EXPECT_STREQ("post_user", fuse_bpf_stat_name(FUSE_BPF_STAT_POST_USER));
	EXPECT_EQ(NULL, fuse_bpf_stat_name(FUSE_BPF_NR_STATS));

	/* the header alone (no FUSE_BPF), fewer slots than lines */
	EXPECT_EQ(0, parse("opcode name kernel\n", st, 4));
	memset(st, 0xa5, sizeof(st));
	EXPECT_EQ(2, parse(doc_stats(), st, 1));
	EXPECT_EQ(1, st[0].opcode);
	EXPECT_EQ(0xa5a5a5a5, st[1].opcode);
	EXPECT_EQ(2, parse(doc_stats(), NULL, 0));

	/* other order, unknown columns anywhere, a missing one, the maxima */
	ASSERT_EQ(1, parse("errors future name opcode kernel later\n"
			   " 7 x ABCDEFGHIJKLMNOPQRSTUVWXYZ01234 4294967295 18446744073709551615 y\n",
			   st, 4));
	EXPECT_EQ(UINT32_MAX, st[0].opcode);
	EXPECT_STREQ("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234", st[0].name);
	EXPECT_EQ(UINT64_MAX, st[0].count[FUSE_BPF_STAT_KERNEL]);
	EXPECT_EQ(7, st[0].count[FUSE_BPF_STAT_ERRORS]);
	EXPECT_EQ(1u << FUSE_BPF_STAT_KERNEL | 1u << FUSE_BPF_STAT_ERRORS,
		  st[0].present);
	EXPECT_EQ(0, st[0].count[FUSE_BPF_STAT_DAEMON]);

	/* 64 columns are fine, 65 are not */
	for (i = 2, p = cols + strlen(cols); i < 64; i++)
		p += sprintf(p, " c%zu", i);
	snprintf(text, sizeof(text), "%s\n", cols);
	EXPECT_EQ(0, parse(text, st, 4));
	snprintf(text, sizeof(text), "%s c64\n", cols);
	EXPECT_EQ(-EBADMSG, parse(text, st, 4));

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EBADMSG, parse(bad[i], st, 4)) TH_LOG("bad[%zu]", i);
	/* a NUL byte */
	EXPECT_EQ(-EBADMSG, fuse_bpf_kernel_stats_parse(nul, sizeof(nul) - 1,
							st, 4));
	EXPECT_EQ(0, fuse_bpf_kernel_stats_parse("opcode name\n", 12, st, 4));
	EXPECT_TRUE(log_has("bpf_stats: malformed line 2"))
		TH_LOG("log: %s", log_buf);
}

TEST_HARNESS_MAIN
