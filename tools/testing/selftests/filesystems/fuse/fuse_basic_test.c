// SPDX-License-Identifier: GPL-2.0
/*
 * Plain FUSE through the raw-protocol test daemon: the ground every
 * fuse-bpf test stands on.  Each test checks what the caller sees and
 * which requests reached the daemon.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"

static const char hello[] = "hello from the test daemon\n";

TEST(fuse_available)
{
	char line[256];
	bool found = false;
	FILE *f;
	int fd;

	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("/dev/fuse: %s", strerror(errno));
	close(fd);

	f = fopen("/proc/filesystems", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(line, "nodev\tfuse\n");
	fclose(f);
	ASSERT_TRUE(found) TH_LOG("no fuse in /proc/filesystems");
}

FIXTURE(daemon) {
	char mnt[64];
	char path[128];
	struct td *d;
	uint64_t file_id;
	uint64_t dir_id;
};

FIXTURE_SETUP(daemon)
{
	struct td_opts o;

	ASSERT_EQ(0, td_isolate());
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fuse-basic-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	td_default_opts(&o);
	o.entry_timeout = 60;
	o.attr_timeout = 60;
	self->d = td_mount(self->mnt, &o);
	ASSERT_NE(NULL, self->d) TH_LOG("mount: %s", strerror(errno));
	self->file_id = td_add_file(self->d, TD_ROOT_ID, "hello", 0644,
				    hello, strlen(hello));
	self->dir_id = td_add_dir(self->d, TD_ROOT_ID, "sub", 0755);
	ASSERT_NE(0, self->file_id);
	ASSERT_NE(0, td_add_file(self->d, self->dir_id, "inner", 0600, "x", 1));
	snprintf(self->path, sizeof(self->path), "%s/hello", self->mnt);
}

FIXTURE_TEARDOWN(daemon)
{
	td_umount(self->d);
	rmdir(self->mnt);
}

/* Requests whose timing the kernel decides: left out of exact sequences. */
static const uint32_t async_ops[] = { FUSE_FORGET, FUSE_BATCH_FORGET,
				      FUSE_INTERRUPT, 0 };

TEST_F(daemon, read_file)
{
	char buf[256], log[1024];
	ssize_t n;
	int fd;

	fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	n = read(fd, buf, sizeof(buf));
	ASSERT_EQ((ssize_t)strlen(hello), n);
	ASSERT_EQ(0, memcmp(buf, hello, n));
	ASSERT_EQ(0, close(fd));
	/* RELEASE is sent asynchronously after close() returns. */
	ASSERT_TRUE(td_log_wait(self->d, FUSE_RELEASE, 1, 5000));
	ASSERT_STREQ("INIT LOOKUP(hello) OPEN READ FLUSH RELEASE",
		     td_log_str(self->d, log, sizeof(log), async_ops));
	/* The daemon saw who asked. */
	ASSERT_EQ(getpid(), (pid_t)self->d->log[1].pid);
	ASSERT_EQ(geteuid(), self->d->log[1].uid);
}

TEST_F(daemon, cached_lookup_and_attrs)
{
	struct stat st;
	char log[1024];
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, stat(self->path, &st));
		ASSERT_EQ(strlen(hello), st.st_size);
		ASSERT_EQ(S_IFREG | 0644, st.st_mode);
		ASSERT_EQ(self->file_id, st.st_ino);
	}
	/* 60 s entry and attr timeouts: one LOOKUP, no GETATTR. */
	ASSERT_STREQ("INIT LOOKUP(hello)",
		     td_log_str(self->d, log, sizeof(log), async_ops));
}

TEST_F(daemon, readdir)
{
	char log[1024], names[256] = "";
	struct dirent *de;
	DIR *dir;

	dir = opendir(self->mnt);
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		strcat(names, de->d_name);
		strcat(names, " ");
	}
	ASSERT_EQ(0, closedir(dir));
	ASSERT_STREQ(". .. hello sub ", names);
	ASSERT_TRUE(td_log_wait(self->d, FUSE_RELEASEDIR, 1, 5000));
	/* The root's attributes were never fetched: readdir asks for them. */
	ASSERT_STREQ("INIT OPENDIR GETATTR READDIR READDIR RELEASEDIR",
		     td_log_str(self->d, log, sizeof(log), async_ops));
}

TEST_F(daemon, nested_lookup_and_enoent)
{
	char path[192], log[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/sub/inner", self->mnt);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(1, st.st_size);
	snprintf(path, sizeof(path), "%s/sub/missing", self->mnt);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_STREQ("INIT LOOKUP(sub) LOOKUP(inner) LOOKUP(missing)",
		     td_log_str(self->d, log, sizeof(log), async_ops));
}

/* A scripted reply: the daemon refuses OPEN of "hello" with EACCES. */
static int refuse_open(struct td *d, const struct fuse_in_header *in,
		       const void *arg, size_t arglen)
{
	if (in->opcode != FUSE_OPEN)
		return TD_DEFAULT;
	td_reply(d, in->unique, -EACCES, NULL, 0);
	return 0;
}

TEST_F(daemon, scripted_error)
{
	char log[1024];

	self->d->handler = refuse_open;
	ASSERT_EQ(-1, open(self->path, O_RDONLY));
	ASSERT_EQ(EACCES, errno);
	ASSERT_STREQ("INIT LOOKUP(hello) OPEN",
		     td_log_str(self->d, log, sizeof(log), async_ops));
}

/*
 * A malformed reply: LOOKUP answered with a truncated fuse_entry_out.  The
 * daemon's write() fails with EINVAL, the caller gets EIO, and the mount
 * keeps working.
 */
static int short_lookup(struct td *d, const struct fuse_in_header *in,
			const void *arg, size_t arglen)
{
	struct fuse_entry_out e = { .nodeid = 2 };

	if (in->opcode != FUSE_LOOKUP || strcmp(arg, "hello"))
		return TD_DEFAULT;
	td_reply(d, in->unique, 0, &e, sizeof(e) / 2);
	return 0;
}

TEST_F(daemon, malformed_reply)
{
	struct stat st;

	self->d->handler = short_lookup;
	ASSERT_EQ(-1, stat(self->path, &st));
	ASSERT_EQ(EIO, errno);
	ASSERT_TRUE(td_settle(self->d, 5000));
	ASSERT_EQ(1, self->d->write_errors);
	ASSERT_EQ(EINVAL, self->d->last_write_errno);
	self->d->handler = NULL;
	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ(strlen(hello), st.st_size);
	ASSERT_EQ(2, td_log_count(self->d, FUSE_LOOKUP));
}

/* Replies LOOKUP with a fuse-bpf extension appended. */
static int lookup_with_extension(struct td *d, const struct fuse_in_header *in,
				 const void *arg, size_t arglen)
{
	struct {
		struct fuse_entry_out e;
		struct fuse_entry_bpf_out x;
	} r = { .e = { .nodeid = 2, .attr = { .ino = 2, .mode = S_IFREG } } };

	if (in->opcode != FUSE_LOOKUP)
		return TD_DEFAULT;
	td_reply(d, in->unique, 0, &r, sizeof(r));
	return 0;
}

/*
 * The kernel offers FUSE_BPF exactly when it was built with it; without
 * it, fuse answers fuse-bpf's uapi as upstream does.
 */
/*
 * The files of the connection's fusectl directory, sorted and
 * space-separated, or "" without fusectl.
 */
static void ctl_files(const char *mnt, char *out, size_t size)
{
	struct dirent **names;
	char dir[64];
	struct stat st;
	int i, n;

	out[0] = '\0';
	if (stat(mnt, &st))
		return;
	snprintf(dir, sizeof(dir), "/sys/fs/fuse/connections/%u",
		 minor(st.st_dev));
	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    strlen(out) + strlen(names[i]->d_name) + 2 < size) {
			strcat(out, names[i]->d_name);
			strcat(out, " ");
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

TEST(fuse_bpf_config)
{
	const char *kernel = getenv("FBPF_KERNEL");
	char mnt[] = "/tmp/fuse-cfg-XXXXXX";
	bool nobpf = kernel && !strcmp(kernel, "nobpf");
	struct td_opts o;
	struct stat st;
	struct td *d;
	char path[64], files[256];
	int fd;

	ASSERT_EQ(0, td_isolate());
	ASSERT_NE(NULL, mkdtemp(mnt));
	td_default_opts(&o);
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	d = td_mount(mnt, &o);
	ASSERT_NE(NULL, d);
	ASSERT_TRUE(td_barrier(d));
	ASSERT_EQ(!nobpf, !!(d->kernel_flags & FUSE_BPF));
	/* fusectl: upstream's files, and fuse-bpf's three when built in */
	ctl_files(mnt, files, sizeof(files));
	if (files[0])
		ASSERT_STREQ(nobpf ?
			     "abort congestion_threshold max_background waiting " :
			     "abort backing_files bpf_filters bpf_stats congestion_threshold max_background waiting ",
			     files);
	fd = open("/tmp", O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	if (nobpf) {
		ASSERT_EQ(-EINVAL, td_backing_open(d, fd, FUSE_BACKING_DIR));
		ASSERT_EQ(-EISDIR, td_backing_open(d, fd, 0));
		d->handler = lookup_with_extension;
		snprintf(path, sizeof(path), "%s/x", mnt);
		ASSERT_EQ(-1, stat(path, &st));
		ASSERT_EQ(EIO, errno);
		ASSERT_TRUE(td_settle(d, 5000));
		ASSERT_EQ(EINVAL, d->last_write_errno);
	} else {
		ASSERT_LT(0, td_backing_open(d, fd, FUSE_BACKING_DIR));
	}
	close(fd);
	td_umount(d);
	rmdir(mnt);
}

TEST_HARNESS_MAIN
