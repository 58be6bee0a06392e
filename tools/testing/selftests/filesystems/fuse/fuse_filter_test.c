// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf filters: struct fuse_bpf_ops programs attached to backed nodes
 * by the daemon's LOOKUP reply or the bpf_filter= mount option, on tmpfs
 * and ext4.  Each test checks what the caller sees, what the backing
 * filesystem holds, what the program counted and what reached the daemon.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"

#include "fuse_hide.skel.h"
#include "fuse_readonly.skel.h"
#include "fuse_uid_gate.skel.h"
#include "fuse_mode444.skel.h"
#include "fuse_count.skel.h"
#include "fuse_verdict.skel.h"
#include "fuse_bad_ctx_write.skel.h"
#include "fuse_bad_kfunc_bounds.skel.h"
#include "fuse_bad_kfunc_prog.skel.h"
#include "fuse_bad_attr_write.skel.h"
#include "fuse_user.skel.h"
#include "fuse_data.skel.h"
#include "fuse_iocount.skel.h"
#include <sys/mman.h>
#include <sys/uio.h>

/* enum fuse_bpf_verdict: BPF programs have it from the kernel's BTF */
enum {
	FUSE_BPF_BACKING = 0,
	FUSE_BPF_BACKING_POST = 1,
	FUSE_BPF_DAEMON = 2,
	FUSE_BPF_USER_PRE = 3,
	FUSE_BPF_USER_POST = 4,
	FUSE_BPF_SKIP = 5,
};

/* enum fuse_bpf_ops_flags, likewise */
enum {
	FUSE_BPF_F_FAIL_CLOSED = 1,
	FUSE_BPF_F_BACKING_ATTR = 8,
};

/* Names of a directory in readdir order, space-separated, without . and .. */
static int list_dir(const char *path, char *out, size_t size)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return -errno;
	out[0] = '\0';
	errno = 0;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlen(out) + strlen(de->d_name) + 2 < size) {
			strcat(out, de->d_name);
			strcat(out, " ");
		}
		n++;
	}
	n = errno ? -errno : n;
	closedir(dir);
	return n;
}

static bool has_word(const char *list, const char *word)
{
	char w[300];

	snprintf(w, sizeof(w), "%s ", word);
	return !strncmp(list, w, strlen(w)) ||
	       (snprintf(w, sizeof(w), " %s ", word), strstr(list, w));
}

/* errno of stat(), 0 on success */
static int stat_err(const char *path, struct stat *st)
{
	struct stat tmp;

	return stat(path, st ? st : &tmp) ? errno : 0;
}

/* Run @fn(@arg) in a child as uid/gid 65534; its return value, or -1. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(255);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(filter) {
	char mnt[64];
	char root[128];
	char path[256];
	char path2[256];
	struct td *d;
	uint64_t dir_id;
	struct bpf_link *link;
};

FIXTURE_VARIANT(filter) {
	const char *fs_env;
	const char *fs_default;
};

FIXTURE_VARIANT_ADD(filter, tmpfs) {
	.fs_env = "FBPF_TMPFS",
	.fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(filter, ext4) {
	.fs_env = "FBPF_EXT4",
	.fs_default = NULL,
};

static char *mpath(struct _test_data_filter *self, const char *rel)
{
	snprintf(self->path, sizeof(self->path), "%s/dir%s%s", self->mnt,
		 *rel ? "/" : "", rel);
	return self->path;
}

/* A second path under "dir", for calls taking two */
static char *mpath2(struct _test_data_filter *self, const char *rel)
{
	snprintf(self->path2, sizeof(self->path2), "%s/dir/%s", self->mnt,
		 rel);
	return self->path2;
}

static char *bpath(struct _test_data_filter *self, const char *rel, char *buf)
{
	sprintf(buf, "%s/%s", self->root, rel);
	return buf;
}

FIXTURE_SETUP(filter)
{
	const char *fs = getenv(variant->fs_env);
	struct td_opts o;
	char p[256];
	int fd, id;

	if (!fs)
		fs = variant->fs_default;
	if (!fs || access(fs, W_OK))
		SKIP(return, "no %s backing filesystem", variant->fs_env);
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without CONFIG_FUSE_BPF");

	snprintf(self->root, sizeof(self->root), "%s/fl-XXXXXX", fs);
	ASSERT_NE(NULL, mkdtemp(self->root));
	ASSERT_EQ(0, chmod(self->root, 0755));
	ASSERT_EQ(0, td_write_file(bpath(self, "hello", p), "hello\n", 0644));
	ASSERT_EQ(0, td_write_file(bpath(self, "secret-a", p), "a\n", 0644));
	ASSERT_EQ(0, mkdir(bpath(self, "sub", p), 0755));
	ASSERT_EQ(0, td_write_file(bpath(self, "sub/inner", p), "in\n", 0644));
	ASSERT_EQ(0, td_write_file(bpath(self, "sub/secret-b", p), "b\n", 0644));

	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fuse-fl-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	td_default_opts(&o);
	o.entry_timeout = 60;
	o.attr_timeout = 60;
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	o.mount_opts = "allow_other";
	self->d = td_mount(self->mnt, &o);
	ASSERT_NE(NULL, self->d) TH_LOG("mount: %s", strerror(errno));
	self->dir_id = td_add_dir(self->d, TD_ROOT_ID, "dir", 0755);
	ASSERT_TRUE(td_barrier(self->d));
	fd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	id = td_backing_open(self->d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, id);
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
}

FIXTURE_TEARDOWN(filter)
{
	char cmd[256];

	if (self->d)
		td_umount(self->d);
	bpf_link__destroy(self->link);
	rmdir(self->mnt);
	if (self->root[0] && !strchr(self->root, '\'')) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
		system(cmd);
	}
}

/*
 * Register the struct_ops @map under its name and make "dir" use it: the
 * LOOKUP reply for "dir" carries the filter's id.  Returns the id.
 */
static int use_filter(struct _test_data_filter *self, struct bpf_map *map,
		      const char *name)
{
	int id;

	self->link = bpf_map__attach_struct_ops(map);
	if (!self->link)
		return -errno;
	id = td_filter_open(self->d, name);
	if (id > 0)
		td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
	return id;
}

/*
 * The daemon's side of the userspace filters: what it saw, and how the
 * test wants it to answer.
 */
static struct {
	uint32_t opcode;		/* with FUSE_PREFILTER/POSTFILTER */
	int err;			/* reply error */
	bool rewrite;			/* reply with changed args */
	size_t bad_size;		/* reply with this many bytes instead */
	struct fuse_filter_in fin;	/* the last request's header */
	char names[512];
	size_t calls;
} uf;

static int user_filter(struct td *d, const struct fuse_in_header *in,
		       const void *arg, size_t arglen)
{
	const struct fuse_filter_in *fin = arg;
	const char *body = (const char *)(fin + 1);
	char reply[256];
	size_t len = 0;

	if (!(in->opcode & (FUSE_PREFILTER | FUSE_POSTFILTER)))
		return TD_DEFAULT;
	if (arglen < sizeof(*fin) ||
	    arglen < sizeof(*fin) + fin->in_size + fin->out_size)
		return td_reply(d, in->unique, -EPROTO, NULL, 0), 0;
	uf.calls++;
	uf.fin = *fin;
	memset(uf.names, 0, sizeof(uf.names));
	memcpy(uf.names, body + fin->in_size + fin->out_size,
	       arglen - sizeof(*fin) - fin->in_size - fin->out_size <
	       sizeof(uf.names) - 1 ?
	       arglen - sizeof(*fin) - fin->in_size - fin->out_size :
	       sizeof(uf.names) - 1);
	if (in->opcode != uf.opcode || uf.err)
		return td_reply(d, in->unique, in->opcode != uf.opcode ?
				-ENOSYS : uf.err, NULL, 0), 0;
	if (uf.rewrite && in->opcode == (FUSE_POSTFILTER | FUSE_GETATTR)) {
		struct fuse_attr_out out;

		memcpy(&out, body + fin->in_size, sizeof(out));
		out.attr.size = 4242;
		memcpy(reply, &out, sizeof(out));
		len = sizeof(out);
	} else if (uf.rewrite && in->opcode == (FUSE_PREFILTER | FUSE_MKDIR)) {
		struct fuse_mknod_in mi;

		memcpy(&mi, body, sizeof(mi));
		mi.mode = (mi.mode & S_IFMT) | 0700;
		memcpy(reply, &mi, sizeof(mi));
		len = sizeof(mi);
	}
	if (uf.bad_size)
		len = uf.bad_size;
	td_reply(d, in->unique, 0, reply, len);
	return 0;
}

#define ASSERT_LOG(expected) do { \
	char __log[2048]; \
	ASSERT_TRUE(td_barrier(self->d)); \
	ASSERT_STREQ(expected, td_log_str(self->d, __log, sizeof(__log), \
					  td_async_ops)); \
} while (0)

TEST_F(filter, hide_by_name_in_lookup_and_readdir)
{
	struct fuse_hide *skel = fuse_hide__open_and_load();
	char list[512], p[256];

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.hide_ops, "hide"));

	ASSERT_EQ(2, list_dir(mpath(self, ""), list, sizeof(list)));
	EXPECT_TRUE(has_word(list, "hello")) TH_LOG("%s", list);
	EXPECT_TRUE(has_word(list, "sub")) TH_LOG("%s", list);
	EXPECT_FALSE(has_word(list, "secret-a")) TH_LOG("%s", list);
	EXPECT_EQ(ENOENT, stat_err(mpath(self, "secret-a"), NULL));
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	/* Kernel nodes inherit the filter */
	ASSERT_EQ(1, list_dir(mpath(self, "sub"), list, sizeof(list)));
	EXPECT_STREQ("inner ", list);
	EXPECT_EQ(ENOENT, stat_err(mpath(self, "sub/secret-b"), NULL));
	EXPECT_EQ(-1, open(mpath(self, "sub/secret-b"), O_RDONLY));
	/* The backing still has them */
	EXPECT_EQ(0, stat_err(bpath(self, "sub/secret-b", p), NULL));
	EXPECT_EQ(2, skel->bss->hidden_entries);
	EXPECT_LE(3, skel->bss->hidden_lookups);
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_hide__destroy(skel);
}

TEST_F(filter, deny_writes_under_a_subtree)
{
	struct fuse_readonly *skel = fuse_readonly__open_and_load();
	char buf[64], p[256];
	struct stat st;
	int fd;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.readonly_ops, "readonly"));

	fd = open(mpath(self, "hello"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(6, read(fd, buf, sizeof(buf)));
	close(fd);
	EXPECT_EQ(-1, open(mpath(self, "hello"), O_WRONLY));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(mpath(self, "sub/inner"), O_RDWR));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(mpath(self, "new"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mkdir(mpath(self, "sub/newdir"), 0755));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, unlink(mpath(self, "hello")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, rename(mpath(self, "sub/inner"), mpath2(self, "x")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, chmod(mpath(self, "hello"), 0600));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, truncate(mpath(self, "hello"), 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, setxattr(mpath(self, "hello"), "user.x", "1", 1, 0));
	EXPECT_EQ(EROFS, errno);

	/* Nothing changed on the backing */
	ASSERT_EQ(0, stat(bpath(self, "hello", p), &st));
	EXPECT_EQ(0100644, st.st_mode);
	EXPECT_EQ(6, st.st_size);
	EXPECT_EQ(ENOENT, stat_err(bpath(self, "new", p), NULL));
	EXPECT_EQ(ENOENT, stat_err(bpath(self, "sub/newdir", p), NULL));
	EXPECT_EQ(0, stat_err(bpath(self, "sub/inner", p), NULL));
	EXPECT_LE(9, skel->bss->denied);
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_readonly__destroy(skel);
}

static int nobody_stat(void *path)
{
	return stat_err(path, NULL);
}

TEST_F(filter, per_uid_fast_path_in_bpf_slow_path_in_daemon)
{
	struct fuse_uid_gate *skel = fuse_uid_gate__open_and_load();
	__u32 root = 0;
	__u8 yes = 1;

	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, bpf_map__update_elem(skel->maps.allowed_uids, &root,
					  sizeof(root), &yes, sizeof(yes), 0));
	ASSERT_LT(0, use_filter(self, skel->maps.uid_gate_ops, "uid_gate"));
	ASSERT_EQ(0, stat_err(mpath(self, ""), NULL));
	td_log_reset(self->d);

	/* uid 65534 is not allowed: the daemon decides, and says no */
	EXPECT_EQ(ENOENT, as_nobody(nobody_stat, mpath(self, "hello")));
	ASSERT_LOG("LOOKUP(hello)");
	EXPECT_EQ(65534, self->d->log[0].uid);
	EXPECT_EQ(FUSE_LOOKUP, self->d->log[0].opcode);
	EXPECT_EQ(1, skel->bss->slow);
	/* root is: served on the backing without the daemon */
	td_log_reset(self->d);
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	EXPECT_EQ(0, stat_err(mpath(self, "sub/inner"), NULL));
	EXPECT_EQ(3, skel->bss->fast);	/* hello, sub, inner */
	ASSERT_LOG("");
	fuse_uid_gate__destroy(skel);
}

static int nobody_read_hello(void *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno;
	if (read(fd, buf, sizeof(buf)) != 6 || strcmp(buf, "hello\n"))
		return 200;
	close(fd);
	return 0;
}

/*
 * The slow path answers with INHERIT: the daemon allows the name and the
 * kernel binds the backing child of that name, as it would have itself.
 */
TEST_F(filter, daemon_answers_with_inherit)
{
	struct fuse_uid_gate *skel = fuse_uid_gate__open_and_load();
	uint64_t hid, gid;

	ASSERT_NE(NULL, skel);
	hid = td_add_file(self->d, self->dir_id, "hello", 0644, "daemon\n", 7);
	td_set_backing(self->d, hid, FUSE_BPF_ACTION_INHERIT, 0);
	gid = td_add_file(self->d, self->dir_id, "ghost", 0644, "boo\n", 4);
	td_set_backing(self->d, gid, FUSE_BPF_ACTION_INHERIT, 0);
	ASSERT_LT(0, use_filter(self, skel->maps.uid_gate_ops, "uid_gate"));
	ASSERT_EQ(0, stat_err(mpath(self, ""), NULL));
	td_log_reset(self->d);

	/* uid 65534 goes to the daemon, which says INHERIT: backing content */
	EXPECT_EQ(0, as_nobody(nobody_read_hello, mpath(self, "hello")));
	/* the backing has no "ghost": the lookup fails */
	EXPECT_EQ(ENOENT, as_nobody(nobody_stat, mpath(self, "ghost")));
	ASSERT_LOG("LOOKUP(hello) LOOKUP(ghost)");
	EXPECT_EQ(2, skel->bss->slow);
	fuse_uid_gate__destroy(skel);
}

TEST_F(filter, rewrite_attributes_mode_0444)
{
	struct fuse_mode444 *skel = fuse_mode444__open_and_load();
	struct stat st;
	char p[256];

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.mode444_ops, "mode444"));
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	EXPECT_EQ(0100444, st.st_mode);
	EXPECT_EQ(6, st.st_size);
	ASSERT_EQ(0, stat(mpath(self, "sub"), &st));
	EXPECT_EQ(040755, st.st_mode);
	ASSERT_EQ(0, stat(bpath(self, "hello", p), &st));
	EXPECT_EQ(0100644, st.st_mode);
	EXPECT_LE(1, skel->bss->rewritten);
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_mode444__destroy(skel);
}

static __u64 count_of(struct fuse_count *skel, __u32 opcode)
{
	__u64 n = 0;

	bpf_map__lookup_elem(skel->maps.counts, &opcode, sizeof(opcode), &n,
			     sizeof(n), 0);
	return n;
}

/*
 * fuse_count without FUSE_BPF_F_BACKING_ATTR: a getattr callback that
 * permission checks ask whether the caller is shown the backing's
 * attributes.
 */
static struct fuse_count *count_asked_by_permission(void)
{
	struct fuse_count *skel = fuse_count__open();

	if (!skel)
		return NULL;
	skel->struct_ops.count_ops->flags &= ~FUSE_BPF_F_BACKING_ATTR;
	if (fuse_count__load(skel)) {
		fuse_count__destroy(skel);
		return NULL;
	}
	return skel;
}

TEST_F(filter, count_ops_per_opcode)
{
	static const __u32 ops[] = {
		FUSE_LOOKUP, FUSE_GETATTR, FUSE_SETATTR, FUSE_ACCESS,
		FUSE_OPEN, FUSE_OPENDIR, FUSE_CREATE, FUSE_MKDIR, FUSE_SYMLINK,
		FUSE_LINK, FUSE_UNLINK, FUSE_RMDIR, FUSE_RENAME2, FUSE_READDIR,
		FUSE_READLINK, FUSE_SETXATTR, FUSE_GETXATTR, FUSE_LISTXATTR,
		FUSE_REMOVEXATTR, FUSE_STATFS, FUSE_FSYNC, FUSE_FSYNCDIR,
		FUSE_LSEEK, FUSE_FALLOCATE, FUSE_COPY_FILE_RANGE, FUSE_FLUSH,
		FUSE_GETLK, FUSE_SETLK, FUSE_IOCTL, FUSE_READ, FUSE_WRITE,
	};
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	unsigned int flags;
	int fd, fd2, dfd;
	struct fuse_count *skel = fuse_count__open_and_load();
	char list[512], buf[64];
	struct statfs sfs;
	unsigned int i;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.count_ops, "count"));
	ASSERT_EQ(0, td_write_file(mpath(self, "f"), "x", 0644));
	ASSERT_EQ(0, chmod(mpath(self, "f"), 0600));
	ASSERT_EQ(0, access(mpath(self, "f"), R_OK));
	ASSERT_EQ(0, mkdir(mpath(self, "d"), 0755));
	ASSERT_EQ(0, symlink("f", mpath2(self, "l")));
	ASSERT_EQ(1, readlink(mpath(self, "l"), buf, sizeof(buf)));
	ASSERT_EQ(0, link(mpath(self, "f"), mpath2(self, "d/f2")));
	ASSERT_EQ(0, rename(mpath(self, "d/f2"), mpath2(self, "g")));
	ASSERT_EQ(0, setxattr(mpath(self, "f"), "user.k", "v", 1, 0));
	ASSERT_EQ(1, getxattr(mpath(self, "f"), "user.k", buf, sizeof(buf)));
	ASSERT_LT(0, listxattr(mpath(self, "f"), buf, sizeof(buf)));
	ASSERT_EQ(0, removexattr(mpath(self, "f"), "user.k"));
	ASSERT_LE(0, list_dir(mpath(self, ""), list, sizeof(list)));
	ASSERT_EQ(0, statfs(mpath(self, "f"), &sfs));
	/* operations on open files */
	fd = open(mpath(self, "f"), O_RDWR);
	ASSERT_LE(0, fd);
	fd2 = open(mpath2(self, "c"), O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, fallocate(fd, 0, 0, 4096));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_DATA));
	ASSERT_EQ(16, copy_file_range(fd, NULL, fd2, NULL, 16, 0));
	ASSERT_EQ(0, fcntl(fd, F_GETLK, &lk));
	lk.l_type = F_WRLCK;
	ASSERT_EQ(0, fcntl(fd, F_SETLK, &lk));
	ASSERT_EQ(0, ioctl(fd, FS_IOC_GETFLAGS, &flags));
	ASSERT_EQ(1, pwrite(fd, "y", 1, 0));
	ASSERT_EQ(1, pread(fd, buf, 1, 0));
	close(fd2);
	close(fd);
	dfd = open(mpath(self, ""), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, fsync(dfd));
	close(dfd);
	ASSERT_EQ(0, unlink(mpath(self, "g")));
	ASSERT_EQ(0, rmdir(mpath(self, "d")));
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_LE(1, count_of(skel, ops[i]))
			TH_LOG("no %s counted", td_opname(ops[i]));
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_count__destroy(skel);
}

/*
 * The filter's attach (struct_ops registration), the daemon's filter id
 * and a LOOKUP reply that binds "dir" with that filter, each run with
 * their first, second, third ... slab allocation failing (fail-nth, this
 * thread only) until one runs through: a failure is a clean ENOMEM and
 * leaves nothing behind; then the filter works (it counts a LOOKUP).
 * Needs fault injection (the debug kernel of dev/fbpf); tmpfs only.
 */
TEST_F_TIMEOUT(filter, allocation_failure_sweep, 600)
{
	struct fuse_count *skel;
	unsigned int n, fails[3] = { 0 };
	int fnfd, id = 0, ret;
	struct bpf_link *l;
	struct stat st;

	if (strcmp(variant->fs_env, "FBPF_TMPFS"))
		SKIP(return, "tmpfs only");
	fnfd = td_failnth_open();
	if (fnfd == -ENOENT)
		SKIP(return, "no fault injection (CONFIG_FAILSLAB, debugfs)");
	ASSERT_LE(0, fnfd);
	skel = fuse_count__open_and_load();
	ASSERT_NE(NULL, skel);

	/* the attach: a failed one leaves the name free */
	for (n = 1; n < 1000; n++) {
		ASSERT_EQ(0, td_failnth_arm(fnfd, n));
		l = bpf_map__attach_struct_ops(skel->maps.count_ops);
		ret = l ? 0 : -errno;
		if (!td_failnth_hit(fnfd))
			break;
		fails[0]++;
		if (l) {
			bpf_link__destroy(l);
			continue;
		}
		ASSERT_EQ(-ENOMEM, ret) TH_LOG("attach, allocation %u: %s", n,
					       strerror(-ret));
		ASSERT_EQ(-ENOENT, td_filter_open(self->d, "count"));
	}
	ASSERT_NE(NULL, l) TH_LOG("attach: %s", strerror(-ret));
	self->link = l;

	/* the daemon's id for it */
	for (n = 1; n < 1000; n++) {
		ASSERT_EQ(0, td_failnth_arm(fnfd, n));
		id = td_filter_open(self->d, "count");
		if (!td_failnth_hit(fnfd))
			break;
		fails[1]++;
		if (id > 0) {
			ASSERT_EQ(0, td_filter_close(self->d, id));
			continue;
		}
		ASSERT_EQ(-ENOMEM, id) TH_LOG("filter id, allocation %u: %s",
					      n, strerror(-id));
	}
	ASSERT_LT(0, id) TH_LOG("filter id: %s", strerror(-id));

	/* a LOOKUP reply that binds "dir" with the filter */
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
	for (n = 1; n < 1000; n++) {
		ret = td_inval_entry(self->d, TD_ROOT_ID, "dir");
		ASSERT_TRUE(!ret || ret == -ENOENT);
		ASSERT_EQ(0, td_failnth_arm(fnfd, n));
		ret = stat(mpath(self, "hello"), &st) ? -errno : 0;
		if (!td_failnth_hit(fnfd))
			break;
		fails[2]++;
		ASSERT_TRUE(!ret || ret == -ENOMEM)
			TH_LOG("bind, allocation %u: %s", n, strerror(-ret));
		/* without the fault, the node is bound and filtered */
		ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
		ASSERT_EQ(6, st.st_size);
	}
	ASSERT_EQ(0, ret) TH_LOG("bind: %s", strerror(-ret));
	close(fnfd);
	ASSERT_EQ(0, access(mpath(self, "sub/inner"), R_OK));
	EXPECT_LE(1, count_of(skel, FUSE_LOOKUP));
	ksft_print_msg("allocations failed in turn: attach %u, filter id %u, bind %u\n",
		       fails[0], fails[1], fails[2]);
	td_umount(self->d);
	self->d = NULL;
	bpf_link__destroy(self->link);
	self->link = NULL;
	fuse_count__destroy(skel);
}

TEST_F(filter, each_return_decision)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	struct statx stx;
	struct stat st;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	ASSERT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	td_log_reset(self->d);

	/* serve on the backing */
	skel->bss->pre_verdict = FUSE_BPF_BACKING;
	skel->bss->pre_calls = 0;
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	EXPECT_EQ(6, st.st_size);
	EXPECT_LE(1, skel->bss->pre_calls);
	EXPECT_EQ(0, skel->bss->post_calls);
	EXPECT_EQ(FUSE_GETATTR, skel->bss->last_opcode);
	EXPECT_EQ(0, skel->bss->last_uid);
	EXPECT_TRUE(skel->bss->last_nodeid & FUSE_NODEID_KERNEL);
	/* ... then call the post phase, which keeps the result */
	skel->bss->pre_verdict = FUSE_BPF_BACKING_POST;
	skel->bss->post_verdict = FUSE_BPF_BACKING;
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	EXPECT_LE(1, skel->bss->post_calls);
	EXPECT_EQ(0, skel->bss->post_error);
	/* ... or fails it */
	skel->bss->post_verdict = -EPERM;
	EXPECT_EQ(EPERM, stat_err(mpath(self, "hello"), NULL));
	/* fail at once with an errno */
	skel->bss->pre_verdict = -EACCES;
	EXPECT_EQ(EACCES, stat_err(mpath(self, "hello"), NULL));
	/*
	 * to the daemon: a kernel node is first resolved, and this daemon
	 * does not know "hello" ...
	 */
	skel->bss->pre_verdict = FUSE_BPF_DAEMON;
	EXPECT_EQ(ENOENT, stat_err(mpath(self, "hello"), NULL));
	/*
	 * The walk's permission check on "dir" uses the attributes the
	 * caller is shown, which the getattr filter now takes from the
	 * daemon: its GETATTR comes first (section 5 of the documentation).
	 */
	ASSERT_LOG("GETATTR LOOKUP(hello)");
	td_log_reset(self->d);
	/* ... "dir" has: the daemon answers its GETATTR */
	ASSERT_EQ(0, statx(AT_FDCWD, mpath(self, ""), AT_STATX_FORCE_SYNC,
			   STATX_BASIC_STATS, &stx));
	EXPECT_EQ(040755, stx.stx_mode);
	ASSERT_LOG("GETATTR");
	td_log_reset(self->d);
	/* userspace filters: the daemon's answer decides */
	memset(&uf, 0, sizeof(uf));
	self->d->handler = user_filter;
	uf.opcode = FUSE_PREFILTER | FUSE_GETATTR;
	skel->bss->pre_verdict = FUSE_BPF_USER_PRE;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	uf.opcode = FUSE_POSTFILTER | FUSE_GETATTR;
	skel->bss->pre_verdict = FUSE_BPF_USER_POST;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	/* once for the permission check on "dir", once for the stat */
	ASSERT_LOG("PRE:GETATTR PRE:GETATTR POST:GETATTR POST:GETATTR");
	self->d->handler = NULL;
	td_log_reset(self->d);
	/* garbage and verdicts of the wrong phase are EIO */
	skel->bss->pre_verdict = 1234;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = -5000;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = FUSE_BPF_SKIP;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = FUSE_BPF_BACKING_POST;
	skel->bss->post_verdict = FUSE_BPF_DAEMON;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	/*
	 * kernel-internal errnos (ERESTARTSYS 512 ... 530) never reach the
	 * caller, in either phase (found by fuse_fuzz_test)
	 */
	skel->bss->post_verdict = -512;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	skel->bss->post_verdict = -516;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = -512;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = -529;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	/* the largest errno a daemon may reply is still one */
	skel->bss->pre_verdict = -511;
	EXPECT_EQ(511, stat_err(mpath(self, "hello"), NULL));
	/* and the mount still works */
	skel->bss->pre_verdict = FUSE_BPF_BACKING;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LOG("");
	fuse_verdict__destroy(skel);
}

TEST_F(filter, readdir_rename_and_mkdir_mode)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	char list[512], p[256];
	struct stat st;

	ASSERT_NE(NULL, skel);
	snprintf(skel->bss->rename_from, sizeof(skel->bss->rename_from),
		 "hello");
	snprintf(skel->bss->rename_to, sizeof(skel->bss->rename_to),
		 "greeting");
	skel->data->mkdir_mode = 0700;
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	ASSERT_EQ(3, list_dir(mpath(self, ""), list, sizeof(list)));
	EXPECT_TRUE(has_word(list, "greeting")) TH_LOG("%s", list);
	EXPECT_FALSE(has_word(list, "hello")) TH_LOG("%s", list);
	EXPECT_EQ(1, skel->bss->renamed);
	/* an invalid new name fails the listing */
	snprintf(skel->bss->rename_to, sizeof(skel->bss->rename_to), "a/b");
	EXPECT_EQ(-EINVAL, list_dir(mpath(self, ""), list, sizeof(list)));
	/* the create pre phase changed the permission bits */
	ASSERT_EQ(0, mkdir(mpath(self, "d"), 0777));
	ASSERT_EQ(0, stat(bpath(self, "d", p), &st));
	EXPECT_EQ(040700, st.st_mode);
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_verdict__destroy(skel);
}

TEST_F(filter, xattr_values_through_a_kfunc)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	char buf[64], p[256];

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	EXPECT_EQ(-1, setxattr(mpath(self, "hello"), "user.v", "deny-me", 7,
			       0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, getxattr(bpath(self, "hello", p), "user.v", buf,
			       sizeof(buf)));
	ASSERT_EQ(0, setxattr(mpath(self, "hello"), "user.v", "fine", 4, 0));
	/* a size query has no value to show */
	EXPECT_EQ(4, getxattr(mpath(self, "hello"), "user.v", NULL, 0));
	EXPECT_EQ(-ENOENT, skel->bss->xattr_get_len);
	EXPECT_EQ(4, getxattr(mpath(self, "hello"), "user.v", buf,
			      sizeof(buf)));
	EXPECT_EQ(4, skel->bss->xattr_get_len);
	EXPECT_EQ(0, memcmp(skel->bss->xattr_seen, "fine", 4));
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_verdict__destroy(skel);
}

/*
 * A filter sends operations on kernel nodes to the daemon: the kernel
 * resolves each node once, by looking its path up from the nearest node
 * the daemon knows, and the daemon then serves it under its own id; the
 * kernel still serves what the filter leaves to it, and FORGET follows.
 */
TEST_F(filter, kernel_node_falls_back_to_the_daemon)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	uint64_t sub_id, inner_id;
	struct statx stx;
	struct stat st;
	int i;

	ASSERT_NE(NULL, skel);
	sub_id = td_add_dir(self->d, self->dir_id, "sub", 0755);
	inner_id = td_add_file(self->d, sub_id, "inner", 0644,
			       "the daemon's inner\n", 19);
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	ASSERT_EQ(0, stat(mpath(self, "sub/inner"), &st));
	EXPECT_EQ(3, st.st_size);
	EXPECT_TRUE(skel->bss->last_nodeid & FUSE_NODEID_KERNEL);
	td_log_reset(self->d);

	skel->bss->pre_verdict = FUSE_BPF_DAEMON;
	ASSERT_EQ(0, statx(AT_FDCWD, mpath(self, "sub/inner"),
			   AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx));
	EXPECT_EQ(19, stx.stx_size);
	/*
	 * Each directory's permission check reads the daemon's attributes:
	 * dir's are those of its LOOKUP reply, valid for a minute (the
	 * backing's mode and owners, so nothing refreshed them through the
	 * filter since), the kernel nodes' are asked for once resolved.
	 */
	ASSERT_LOG("LOOKUP(sub) GETATTR LOOKUP(inner) GETATTR");
	EXPECT_EQ(self->dir_id, self->d->log[0].nodeid);
	EXPECT_EQ(sub_id, self->d->log[1].nodeid);
	EXPECT_EQ(sub_id, self->d->log[2].nodeid);
	EXPECT_EQ(inner_id, self->d->log[3].nodeid);
	/* resolved once: the next request goes straight out */
	td_log_reset(self->d);
	ASSERT_EQ(0, statx(AT_FDCWD, mpath(self, "sub/inner"),
			   AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx));
	EXPECT_EQ(19, stx.stx_size);
	ASSERT_LOG("GETATTR");
	EXPECT_EQ(0, self->d->kernel_ids);
	/* the node keeps its backing for what the filter leaves the kernel */
	skel->bss->pre_verdict = FUSE_BPF_BACKING;
	td_log_reset(self->d);
	ASSERT_EQ(0, stat(mpath(self, "sub/inner"), &st));
	EXPECT_EQ(3, st.st_size);
	ASSERT_EQ(0, stat(mpath(self, "sub"), &st));
	ASSERT_LOG("");
	/* the daemon's lookups are given back when the nodes go */
	ASSERT_EQ(1, td_node(self->d, inner_id)->lookups);
	for (i = 0; i < 50 && td_node(self->d, inner_id)->lookups; i++) {
		system("echo 2 > /proc/sys/vm/drop_caches");
		usleep(100000);
	}
	EXPECT_EQ(0, td_node(self->d, inner_id)->lookups);
	EXPECT_EQ(0, self->d->kernel_ids);
	fuse_verdict__destroy(skel);
}

struct loop_arg {
	const char *dir;
	const char *file;
	bool stop;	/* __atomic_*: set by the main thread */
	unsigned long loops, errors;
};

static void *stat_loop(void *p)
{
	struct loop_arg *a = p;
	char list[512];
	int err;

	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
		err = stat_err(a->file, NULL);
		if (err && err != ENOENT)
			a->errors++;
		if (list_dir(a->dir, list, sizeof(list)) < 0)
			a->errors++;
		a->loops++;
	}
	return NULL;
}

/*
 * Two threads walk "dir" while the filter is detached, registered again
 * and given to "dir" anew, over and over: no errors, no hang, no leak.
 */
TEST_F(filter, detach_while_in_use)
{
	struct fuse_hide *skel = fuse_hide__open_and_load();
	char dir[256], file[256], sub[256];
	struct loop_arg a = { .dir = dir, .file = file };
	pthread_t t[2];
	int i, id;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.hide_ops, "hide"));
	snprintf(dir, sizeof(dir), "%s", mpath(self, ""));
	snprintf(file, sizeof(file), "%s", mpath(self, "secret-a"));
	snprintf(sub, sizeof(sub), "%s", mpath(self, "sub/secret-b"));
	ASSERT_EQ(ENOENT, stat_err(file, NULL));
	ASSERT_EQ(ENOENT, stat_err(sub, NULL));
	ASSERT_EQ(0, pthread_create(&t[0], NULL, stat_loop, &a));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, stat_loop, &a));
	for (i = 0; i < 20; i++) {
		usleep(10000);
		bpf_link__destroy(self->link);
		self->link = bpf_map__attach_struct_ops(skel->maps.hide_ops);
		ASSERT_NE(NULL, self->link);
		id = td_filter_open(self->d, "hide");
		ASSERT_LT(0, id);
		td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
		ASSERT_EQ(0, td_inval_entry(self->d, TD_ROOT_ID, "dir"));
	}
	__atomic_store_n(&a.stop, true, __ATOMIC_RELAXED);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	EXPECT_EQ(0, a.errors);
	EXPECT_LT(20, a.loops);
	/*
	 * A walker's LOOKUP of "dir" answered before the last SET may reach
	 * the kernel after the last invalidation (FUSE orders neither): on
	 * SMP it leaves "dir" with the filter that reply named, whose link
	 * may be gone.
	 * Invalidate once more with no walker running (-ENOENT: nobody
	 * looked "dir" up since the last time); then "dir" has the live
	 * filter again, and "sub", made anew, inherits it.
	 */
	i = td_inval_entry(self->d, TD_ROOT_ID, "dir");
	ASSERT_TRUE(i == 0 || i == -ENOENT) TH_LOG("%s", strerror(-i));
	EXPECT_EQ(ENOENT, stat_err(file, NULL));
	EXPECT_EQ(ENOENT, stat_err(sub, NULL));
	fuse_hide__destroy(skel);
}

TEST_F(filter, remove_filter_by_lookup_reply)
{
	struct fuse_hide *skel = fuse_hide__open_and_load();
	int id;

	ASSERT_NE(NULL, skel);
	id = use_filter(self, skel->maps.hide_ops, "hide");
	ASSERT_LT(0, id);
	ASSERT_EQ(ENOENT, stat_err(mpath(self, "secret-a"), NULL));
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_REMOVE, 0);
	ASSERT_EQ(0, td_inval_entry(self->d, TD_ROOT_ID, "dir"));
	EXPECT_EQ(0, stat_err(mpath(self, "secret-a"), NULL));
	/* a closed id cannot be set any more */
	ASSERT_EQ(0, td_filter_close(self->d, id));
	EXPECT_EQ(-ENOENT, td_filter_close(self->d, id));
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
	ASSERT_EQ(0, td_inval_entry(self->d, TD_ROOT_ID, "dir"));
	EXPECT_EQ(EBADF, stat_err(mpath(self, "hello"), NULL));
	fuse_hide__destroy(skel);
}

TEST_F(filter, bad_filter_ids_and_names)
{
	struct fuse_bpf_filter_map map = { 0 };

	/* No filter registered under these names */
	EXPECT_EQ(-ENOENT, td_filter_open(self->d, "no-such-filter"));
	memset(map.name, 'x', sizeof(map.name));
	EXPECT_EQ(-1, ioctl(self->d->fuse_fd, FUSE_DEV_IOC_BPF_FILTER_OPEN,
			    &map));
	EXPECT_EQ(EINVAL, errno);
	snprintf(map.name, sizeof(map.name), "hide");
	map.flags = 1;
	EXPECT_EQ(-1, ioctl(self->d->fuse_fd, FUSE_DEV_IOC_BPF_FILTER_OPEN,
			    &map));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, td_filter_close(self->d, 12345));
	/* A LOOKUP reply with a filter id never opened */
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, 77);
	EXPECT_EQ(EBADF, stat_err(mpath(self, "hello"), NULL));
	/* ... with an unknown action, or an id without SET */
	td_set_filter(self->d, self->dir_id, 9, 0);
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_KEEP, 3);
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	/* ... and the mount still works */
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_KEEP, 0);
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
}

static int nobody_filter_open(void *d)
{
	return -td_filter_open(d, "hide");
}

TEST_F(filter, filter_open_needs_cap_sys_admin)
{
	struct fuse_hide *skel = fuse_hide__open_and_load();

	ASSERT_NE(NULL, skel);
	self->link = bpf_map__attach_struct_ops(skel->maps.hide_ops);
	ASSERT_NE(NULL, self->link);
	EXPECT_EQ(EPERM, as_nobody(nobody_filter_open, self->d));
	EXPECT_LT(0, td_filter_open(self->d, "hide"));
	fuse_hide__destroy(skel);
}

TEST_F(filter, names_are_unique)
{
	struct fuse_hide *a = fuse_hide__open_and_load();
	struct fuse_hide *b = fuse_hide__open_and_load();
	struct bpf_link *l;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	self->link = bpf_map__attach_struct_ops(a->maps.hide_ops);
	ASSERT_NE(NULL, self->link);
	l = bpf_map__attach_struct_ops(b->maps.hide_ops);
	EXPECT_EQ(NULL, l);
	EXPECT_EQ(EEXIST, errno);
	bpf_link__destroy(l);
	fuse_hide__destroy(b);
	fuse_hide__destroy(a);
}

TEST_F(filter, root_filter_from_mount_option)
{
	struct fuse_hide *skel = fuse_hide__open_and_load();
	char mo[96], list[512];
	struct td_opts o;
	struct td *d;
	int fd;

	ASSERT_NE(NULL, skel);
	self->link = bpf_map__attach_struct_ops(skel->maps.hide_ops);
	ASSERT_NE(NULL, self->link);
	td_umount(self->d);
	self->d = NULL;
	fd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	snprintf(mo, sizeof(mo), "backing_root_fd=%d,bpf_filter=hide", fd);
	td_default_opts(&o);
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	o.mount_opts = mo;
	d = td_mount(self->mnt, &o);
	close(fd);
	ASSERT_NE(NULL, d) TH_LOG("mount: %s", strerror(errno));
	self->d = d;
	ASSERT_EQ(2, list_dir(self->mnt, list, sizeof(list)));
	EXPECT_FALSE(has_word(list, "secret-a")) TH_LOG("%s", list);
	snprintf(mo, sizeof(mo), "%s/secret-a", self->mnt);
	EXPECT_EQ(ENOENT, stat_err(mo, NULL));
	ASSERT_LOG("INIT");
	/* An unknown name fails the mount */
	snprintf(mo, sizeof(mo), "bpf_filter=nope");
	o.mount_opts = mo;
	EXPECT_EQ(NULL, td_mount(self->mnt, &o));
	fuse_hide__destroy(skel);
}

static struct fuse_user *user_setup(struct _test_data_filter *self)
{
	struct fuse_user *skel = fuse_user__open_and_load();

	memset(&uf, 0, sizeof(uf));
	if (skel && use_filter(self, skel->maps.user_ops, "user") > 0) {
		self->d->handler = user_filter;
		return skel;
	}
	fuse_user__destroy(skel);
	return NULL;
}

TEST_F(filter, userspace_pre_filter_lookup)
{
	struct fuse_user *skel = user_setup(self);

	ASSERT_NE(NULL, skel);
	skel->bss->lookup_v = FUSE_BPF_USER_PRE;
	uf.opcode = FUSE_PREFILTER | FUSE_LOOKUP;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	EXPECT_STREQ("hello", uf.names);
	EXPECT_EQ(0, uf.fin.in_size);
	EXPECT_EQ(1, uf.fin.names);
	/* the daemon says no to this name: the lookup fails, nothing cached */
	uf.err = -EACCES;
	EXPECT_EQ(EACCES, stat_err(mpath(self, "secret-a"), NULL));
	EXPECT_EQ(EACCES, stat_err(mpath(self, "sub/inner"), NULL));
	EXPECT_STREQ("sub", uf.names);
	ASSERT_LOG("INIT LOOKUP(dir) PRE:LOOKUP(hello) PRE:LOOKUP(secret-a) PRE:LOOKUP(sub)");
	fuse_user__destroy(skel);
}

TEST_F(filter, userspace_post_filter_getattr)
{
	struct fuse_user *skel = user_setup(self);
	struct stat st;

	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	skel->bss->getattr_v = FUSE_BPF_USER_POST;
	uf.opcode = FUSE_POSTFILTER | FUSE_GETATTR;
	/* an empty reply keeps the result */
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	EXPECT_EQ(6, st.st_size);
	EXPECT_EQ(0, uf.fin.error);
	EXPECT_EQ(sizeof(struct fuse_getattr_in), uf.fin.in_size);
	EXPECT_EQ(sizeof(struct fuse_attr_out), uf.fin.out_size);
	/* out-args in the reply replace the result's */
	uf.rewrite = true;
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	EXPECT_EQ(4242, st.st_size);
	/* the daemon changes the error code */
	uf.err = -EPERM;
	EXPECT_EQ(EPERM, stat_err(mpath(self, "hello"), NULL));
	/* a reply of the wrong size is EIO, and the mount goes on */
	uf.err = 0;
	uf.bad_size = 8;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	uf.bad_size = 0;
	uf.rewrite = false;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	fuse_user__destroy(skel);
}

TEST_F(filter, userspace_pre_filter_open_mkdir_readdir)
{
	struct fuse_user *skel = user_setup(self);
	char list[512], p[256];
	struct stat st;
	int fd;

	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	/* open: the daemon sees the flags, and may refuse */
	skel->bss->open_v = FUSE_BPF_USER_PRE;
	uf.opcode = FUSE_PREFILTER | FUSE_OPEN;
	fd = open(mpath(self, "hello"), O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(sizeof(struct fuse_open_in), uf.fin.in_size);
	uf.err = -EPERM;
	EXPECT_EQ(-1, open(mpath(self, "hello"), O_RDONLY));
	EXPECT_EQ(EPERM, errno);
	/* mkdir: the daemon rewrites the mode */
	skel->bss->create_v = FUSE_BPF_USER_PRE;
	uf.opcode = FUSE_PREFILTER | FUSE_MKDIR;
	uf.err = 0;
	uf.rewrite = true;
	ASSERT_EQ(0, mkdir(mpath(self, "newdir"), 0777));
	EXPECT_STREQ("newdir", uf.names);
	ASSERT_EQ(0, stat(bpath(self, "newdir", p), &st));
	EXPECT_EQ(040700, st.st_mode);
	/* readdir: the daemon refuses; post filters are not for readdir */
	skel->bss->open_v = FUSE_BPF_BACKING;
	skel->bss->readdir_v = FUSE_BPF_USER_PRE;
	uf.opcode = FUSE_PREFILTER | FUSE_READDIR;
	uf.err = -EACCES;
	EXPECT_EQ(-EACCES, list_dir(mpath(self, ""), list, sizeof(list)));
	uf.err = 0;
	EXPECT_EQ(4, list_dir(mpath(self, ""), list, sizeof(list)));
	skel->bss->readdir_v = FUSE_BPF_USER_POST;
	EXPECT_EQ(-EOPNOTSUPP, list_dir(mpath(self, ""), list, sizeof(list)));
	fuse_user__destroy(skel);
}

/* Programs the verifier must reject, and why. */
static int load_log(struct bpf_object *obj, const char *want, char *log,
		    size_t size)
{
	return bpf_object__load(obj) ? (strstr(log, want) ? 0 : 1) : 2;
}

TEST(verifier_rejects_bad_programs)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	static char log[65536];
	struct fuse_bad_ctx_write *a;
	struct fuse_bad_kfunc_bounds *b;
	struct fuse_bad_kfunc_prog *c;
	struct fuse_bad_attr_write *e;

	if (access("/sys/kernel/btf/vmlinux", R_OK) ||
	    !(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without CONFIG_FUSE_BPF");
	opts.kernel_log_buf = log;
	opts.kernel_log_size = sizeof(log);
	opts.kernel_log_level = 1;

	log[0] = '\0';
	a = fuse_bad_ctx_write__open_opts(&opts);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, load_log(a->obj, "no write to fuse_bpf_ctx", log,
			      sizeof(log))) TH_LOG("%s", log);
	fuse_bad_ctx_write__destroy(a);

	log[0] = '\0';
	e = fuse_bad_attr_write__open_opts(&opts);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, load_log(e->obj, "no write to fuse_bpf_entry_args", log,
			      sizeof(log))) TH_LOG("%s", log);
	fuse_bad_attr_write__destroy(e);

	log[0] = '\0';
	b = fuse_bad_kfunc_bounds__open_opts(&opts);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(0, load_log(b->obj, "invalid", log, sizeof(log)))
		TH_LOG("%s", log);
	fuse_bad_kfunc_bounds__destroy(b);

	log[0] = '\0';
	c = fuse_bad_kfunc_prog__open_opts(&opts);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, load_log(c->obj,
			      "calling kernel function bpf_fuse_get_name is not allowed",
			      log, sizeof(log))) TH_LOG("%s", log);
	fuse_bad_kfunc_prog__destroy(c);
}

TEST_HARNESS_MAIN

/* The node id of the first logged request with @opcode, or 0 */
static uint64_t log_nodeid(struct td *d, uint32_t opcode)
{
	uint64_t id = 0;
	size_t i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nlog && !id; i++)
		if (d->log[i].opcode == opcode)
			id = d->log[i].nodeid;
	pthread_mutex_unlock(&d->lock);
	return id;
}

/*
 * Defect: an open sent to the daemon for a kernel node kept the kernel id
 * in the file, so READ, READDIR and RELEASE named an id the daemon never
 * saw (and RELEASE never reached it: its handle leaked).
 */
TEST_F(filter, open_in_the_daemon_keeps_the_daemon_id)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	char buf[64] = "", names[256];
	uint64_t sub_id, inner_id;
	int fd;

	ASSERT_NE(NULL, skel);
	sub_id = td_add_dir(self->d, self->dir_id, "sub", 0755);
	inner_id = td_add_file(self->d, sub_id, "inner", 0644,
			       "the daemon's inner\n", 19);
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	ASSERT_EQ(0, stat_err(mpath(self, "sub/inner"), NULL));
	td_log_reset(self->d);

	skel->bss->open_pre = FUSE_BPF_DAEMON;
	fd = open(mpath(self, "sub/inner"), O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	/* the size is the backing's (3), the bytes the daemon's */
	EXPECT_EQ(3, read(fd, buf, sizeof(buf))) TH_LOG("read: %s",
							strerror(errno));
	EXPECT_STREQ("the", buf);
	EXPECT_EQ(0, close(fd));
	EXPECT_TRUE(td_log_wait(self->d, FUSE_RELEASE, 1, 5000));
	EXPECT_EQ(inner_id, log_nodeid(self->d, FUSE_OPEN));
	EXPECT_EQ(inner_id, log_nodeid(self->d, FUSE_READ));
	EXPECT_EQ(inner_id, log_nodeid(self->d, FUSE_RELEASE));
	/* a directory: the daemon lists its own entries */
	EXPECT_EQ(1, list_dir(mpath(self, "sub"), names, sizeof(names)));
	EXPECT_STREQ("inner ", names);
	EXPECT_TRUE(td_log_wait(self->d, FUSE_RELEASEDIR, 1, 5000));
	EXPECT_EQ(sub_id, log_nodeid(self->d, FUSE_OPENDIR));
	EXPECT_EQ(sub_id, log_nodeid(self->d, FUSE_READDIR));
	EXPECT_EQ(sub_id, log_nodeid(self->d, FUSE_RELEASEDIR));
	EXPECT_EQ(0, self->d->kernel_ids);
	fuse_verdict__destroy(skel);
}

/*
 * Defect: with setattr's pre phase BACKING_POST and getattr's DAEMON,
 * ->setattr returned the verdict (1) to the VFS.
 */
TEST_F(filter, setattr_when_getattr_goes_to_the_daemon)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	struct stat st;
	char p[256];

	ASSERT_NE(NULL, skel);
	td_add_file(self->d, self->dir_id, "hello", 0644, "daemon\n", 7);
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	skel->bss->setattr_pre = FUSE_BPF_BACKING_POST;
	skel->bss->pre_verdict = FUSE_BPF_DAEMON;
	EXPECT_EQ(0, chmod(mpath(self, "hello"), 0600));
	ASSERT_EQ(0, stat(bpath(self, "hello", p), &st));
	EXPECT_EQ(S_IFREG | 0600, st.st_mode);
	EXPECT_EQ(0, self->d->kernel_ids);
	fuse_verdict__destroy(skel);
}

/* Defect: the kernel's own errnos reached userspace */
TEST_F(filter, kernel_errnos_become_eio)
{
	static const int internal[] = { -512, -515, -516, -524, -529, -4095 };
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	size_t i;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	for (i = 0; i < ARRAY_SIZE(internal); i++) {
		skel->bss->pre_verdict = internal[i];
		EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL))
			TH_LOG("pre %d", internal[i]);
		skel->bss->pre_verdict = FUSE_BPF_BACKING_POST;
		skel->bss->post_verdict = internal[i];
		EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL))
			TH_LOG("post %d", internal[i]);
	}
	/* the largest errno userspace knows passes */
	skel->bss->pre_verdict = -EHWPOISON;
	EXPECT_EQ(EHWPOISON, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = FUSE_BPF_BACKING;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	fuse_verdict__destroy(skel);
}

static int nobody_read_inner(void *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno;
	if (read(fd, buf, sizeof(buf)) != 3 || strcmp(buf, "in\n"))
		return 200;
	close(fd);
	return 0;
}

/*
 * Defect: INHERIT in the reply to a LOOKUP whose parent was resolved on
 * the way named the parent by its old kernel id, and failed with EIO.
 */
TEST_F(filter, inherit_right_after_a_resolution)
{
	struct fuse_uid_gate *skel = fuse_uid_gate__open_and_load();
	uint64_t sub_id, inner_id;
	__u32 root = 0;
	__u8 yes = 1;

	ASSERT_NE(NULL, skel);
	sub_id = td_add_dir(self->d, self->dir_id, "sub", 0755);
	inner_id = td_add_file(self->d, sub_id, "inner", 0644, "daemon\n", 7);
	td_set_backing(self->d, inner_id, FUSE_BPF_ACTION_INHERIT, 0);
	ASSERT_EQ(0, bpf_map__update_elem(skel->maps.allowed_uids, &root,
					  sizeof(root), &yes, sizeof(yes), 0));
	ASSERT_LT(0, use_filter(self, skel->maps.uid_gate_ops, "uid_gate"));
	/* root makes "sub" a kernel node */
	ASSERT_EQ(0, stat_err(mpath(self, "sub"), NULL));
	td_log_reset(self->d);
	/* nobody's lookup of inner goes to the daemon: sub is resolved */
	EXPECT_EQ(0, as_nobody(nobody_read_inner, mpath(self, "sub/inner")));
	ASSERT_LOG("LOOKUP(sub) LOOKUP(inner)");
	EXPECT_EQ(sub_id, self->d->log[1].nodeid);
	fuse_uid_gate__destroy(skel);
}

static int nobody_write(void *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * One rule (documentation section 5): a caller is authorized against the
 * attributes it is shown as well as against the backing's.  A filter that
 * shows 0444 makes the file read-only for callers, as stat says.
 */
TEST_F(filter, shown_attributes_are_authorized)
{
	struct fuse_mode444 *skel = fuse_mode444__open_and_load();
	char p[256];

	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, chmod(bpath(self, "hello", p), 0666));
	ASSERT_EQ(0, as_nobody(nobody_write, p));
	ASSERT_LT(0, use_filter(self, skel->maps.mode444_ops, "mode444"));
	EXPECT_EQ(EACCES, as_nobody(nobody_write, mpath(self, "hello")));
	EXPECT_EQ(0, as_nobody(nobody_read_hello, mpath(self, "hello")));
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_mode444__destroy(skel);
}

/* ------------------------------------------------------- trace events */

#define TRACEFS "/sys/kernel/tracing"

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * A tracefs instance of our own with the fuse_bpf events on, so that the
 * events of no other test or tracer mix in.  Returns 0, or -errno.
 */
static int trace_start(char *inst, size_t size)
{
	char p[300];

	if (access(TRACEFS "/instances", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	snprintf(inst, size, TRACEFS "/instances/fuse-bpf-%d", getpid());
	if (mkdir(inst, 0700) && errno != EEXIST)
		return -errno;
	snprintf(p, sizeof(p), "%s/events/fuse_bpf/enable", inst);
	return write_str(p, "1");
}

/* The instance's trace, which the read consumes (trace_pipe). */
static size_t trace_read(const char *inst, char *buf, size_t size)
{
	size_t len = 0;
	char p[300];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/trace_pipe", inst);
	fd = open(p, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

static void trace_stop(const char *inst)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/events/fuse_bpf/enable", inst);
	write_str(p, "0");
	rmdir(inst);
}

/*
 * Find each of @want (NULL-terminated) in @trace, in that order, each in
 * one line of the events of connection @conn (the first word after the
 * event's name).  Returns the first missing one, or NULL.
 */
static const char *trace_find(const char *trace, unsigned int conn,
			      const char *const *want)
{
	char prefix[32];
	const char *pos = trace, *line, *end;

	snprintf(prefix, sizeof(prefix), "connection=%u ", conn);
	for (; *want; want++) {
		for (line = pos; line && *line; line = end ? end + 1 : NULL) {
			char l[512];

			end = strchr(line, '\n');
			snprintf(l, sizeof(l), "%.*s",
				 (int)(end ? end - line : strlen(line)), line);
			if (strstr(l, *want) &&
			    (strstr(l, prefix) || strstr(l, "connection=0 ")))
				break;
		}
		if (!line || !*line)
			return *want;
		pos = end ? end + 1 : line + strlen(line);
	}
	return NULL;
}

/*
 * The trace events of a scripted sequence: binding at LOOKUP, operations
 * served on the backing (with and without a post phase, successes and
 * errors), a DAEMON verdict and the resolution it needs, an errno verdict,
 * a refused reply, a backing unbound by a reply, and a filter registered,
 * opened, set, inherited, closed and unregistered.
 */
TEST_F(filter, trace_events)
{
	static char trace[1 << 16];
	struct fuse_verdict *skel;
	const char *missing;
	char inst[256], want[4][96];
	unsigned int conn;
	struct stat st;
	int id, fd, err;

	err = trace_start(inst, sizeof(inst));
	if (err == -ENOENT)
		SKIP(return, "kernel without the fuse_bpf trace events");
	ASSERT_EQ(0, err) TH_LOG("tracefs: %s", strerror(-err));
	trace_read(inst, trace, sizeof(trace));
	ASSERT_EQ(0, stat(self->mnt, &st));
	conn = major(st.st_dev) << 20 | minor(st.st_dev);

	skel = fuse_verdict__open_and_load();
	ASSERT_NE(NULL, skel);
	id = use_filter(self, skel->maps.verdict_ops, "verdict");
	ASSERT_LT(0, id);
	/* LOOKUP(dir) binds it; the kernel looks "hello" up and serves GETATTR */
	ASSERT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	/* a backing error, with a post phase (getxattr) and without */
	EXPECT_EQ(-1, getxattr(mpath(self, "hello"), "user.none", NULL, 0));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, removexattr(mpath(self, "hello"), "user.none"));
	EXPECT_EQ(ENODATA, errno);
	/* an errno verdict, then DAEMON: "hello" is resolved first */
	skel->bss->pre_verdict = -EACCES;
	EXPECT_EQ(EACCES, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = FUSE_BPF_DAEMON;
	EXPECT_EQ(ENOENT, stat_err(mpath(self, "hello"), NULL));
	skel->bss->pre_verdict = FUSE_BPF_BACKING;
	trace_read(inst, trace, sizeof(trace));
	snprintf(want[1], sizeof(want[1]), "action=open id=%d name=verdict", id);
	snprintf(want[2], sizeof(want[2]), "nodeid=0x%llx action=set name=verdict",
		 (unsigned long long)self->dir_id);
	snprintf(want[3], sizeof(want[3]), "nodeid=0x%llx action=set backing_ino=",
		 (unsigned long long)self->dir_id);
	{
		const char *const seq[] = {
			"fuse_bpf_filter: connection=0 action=register id=0 name=verdict",
			want[1], want[2], want[3],
			"action=kernel backing_ino=",
			"action=inherit name=verdict",
			"op=LOOKUP pre=BACKING post=none served=backing err=0",
			"op=GETATTR pre=BACKING post=none served=backing err=0",
			"op=GETXATTR pre=BACKING_POST post=bpf served=backing err=-61",
			"op=REMOVEXATTR pre=BACKING post=none served=backing err=-61",
			"op=GETATTR pre=ERRNO post=none served=filter err=-13",
			"op=GETATTR pre=DAEMON post=none served=daemon err=0",
			"new_nodeid=0x0 err=-2",
			NULL
		};

		missing = trace_find(trace, conn, seq);
		EXPECT_EQ(NULL, missing) TH_LOG("no \"%s\" in order in:\n%s",
						missing, trace);
	}
	/* RCU path walks retried in ref-walk mode leave no event */
	EXPECT_EQ(NULL, strstr(trace, "err=-10\n"));

	/*
	 * A refused reply, then a reply that unbinds "dir"; the O_PATH file
	 * keeps the node, which both replies name again.
	 */
	fd = open(mpath(self, ""), O_PATH);
	ASSERT_LE(0, fd);
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, 77);
	ASSERT_EQ(0, td_inval_entry(self->d, TD_ROOT_ID, "dir"));
	EXPECT_EQ(EBADF, stat_err(mpath(self, "hello"), NULL));
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_KEEP, 0);
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_REMOVE, 0);
	/* -ENOENT: the refused LOOKUP left no dentry to invalidate */
	err = td_inval_entry(self->d, TD_ROOT_ID, "dir");
	ASSERT_TRUE(err == 0 || err == -ENOENT) TH_LOG("%s", strerror(-err));
	EXPECT_EQ(0, stat_err(mpath(self, ""), NULL));
	close(fd);
	/* the filter goes: its id is closed, its map detached */
	ASSERT_EQ(0, td_filter_close(self->d, id));
	bpf_link__destroy(self->link);
	self->link = NULL;
	trace_read(inst, trace, sizeof(trace));
	snprintf(want[0], sizeof(want[0]),
		 "nodeid=0x%llx op=LOOKUP reason=no_filter_id",
		 (unsigned long long)self->dir_id);
	snprintf(want[1], sizeof(want[1]), "nodeid=0x%llx action=unbind_remove",
		 (unsigned long long)self->dir_id);
	snprintf(want[2], sizeof(want[2]), "action=close id=%d name=verdict", id);
	{
		const char *const seq[] = {
			want[0], want[1], want[2],
			"fuse_bpf_filter: connection=0 action=unregister id=0 name=verdict",
			NULL
		};

		missing = trace_find(trace, conn, seq);
		EXPECT_EQ(NULL, missing) TH_LOG("no \"%s\" in order in:\n%s",
						missing, trace);
	}
	/* the daemon served the stat of "dir": no event */
	EXPECT_EQ(NULL, strstr(trace, "served=backing"));
	trace_stop(inst);
	fuse_verdict__destroy(skel);
}

/* ---- the fusectl files and /proc/mounts (documentation, section 13) ---- */

/* Read fusectl file @name of the connection mounted on @mnt: length or -errno */
static ssize_t ctl_read(const char *mnt, const char *name, char *buf,
			size_t size)
{
	char path[128];
	struct stat st;
	ssize_t n;

	if (stat(mnt, &st))
		return -errno;
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/%s",
		 minor(st.st_dev), name);
	n = td_read_file(path, buf, size);
	return n < 0 ? -errno : n;
}

/* bpf_stats' columns after opcode and name, in their order */
enum {
	ST_KERNEL, ST_DAEMON, ST_FILTER, ST_USER, ST_ERRORS, ST_PRE_BACKING,
	ST_PRE_BACKING_POST, ST_PRE_DAEMON, ST_PRE_USER_PRE, ST_PRE_USER_POST,
	ST_POST_BPF, ST_POST_USER, NR_ST
};

static const char * const stats_cols[] = {
	"opcode", "name", "kernel", "daemon", "filter", "user", "errors",
	"pre_backing", "pre_backing_post", "pre_daemon", "pre_user_pre",
	"pre_user_post", "post_bpf", "post_user", NULL
};

/* Is @line the documented header, @cols in order?  Its length, or 0. */
static size_t header_len(const char *line, const char * const *cols)
{
	const char *p = line;
	size_t n;

	for (; *cols; cols++) {
		while (*p == ' ')
			p++;
		n = strlen(*cols);
		if (strncmp(p, *cols, n) || (p[n] != ' ' && p[n] != '\n'))
			return 0;
		p += n;
	}
	return *p == '\n' ? p + 1 - line : 0;
}

/*
 * The counters of @opcode in the bpf_stats of @mnt's connection, zeros
 * when it has no line.  Returns the number of opcode lines, or -1 when
 * the file is not as documented (a line without its 14 fields, a name
 * that is not the opcode's, a line of zeros).
 */
static int read_stats(const char *mnt, uint32_t opcode, uint64_t *v)
{
	char buf[8192], name[32], *line, *save = NULL, *end;
	unsigned long long c[NR_ST];
	unsigned int op;
	int i, n, lines = 0;
	bool zero;

	memset(v, 0, NR_ST * sizeof(*v));
	if (ctl_read(mnt, "bpf_stats", buf, sizeof(buf)) <= 0)
		return -1;
	n = header_len(buf, stats_cols);
	if (!n)
		return -1;
	for (line = strtok_r(buf + n, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %31s %n", &op, name, &n) != 2 ||
		    strcmp(name, td_opname(op)))
			return -1;
		line += n;
		zero = true;
		for (i = 0; i < NR_ST; i++) {
			c[i] = strtoull(line, &end, 10);
			if (end == line)
				return -1;
			line = end;
			zero &= !c[i];
		}
		if (zero || *line)
			return -1;
		if (op == opcode)
			for (i = 0; i < NR_ST; i++)
				v[i] = c[i];
		lines++;
	}
	return lines;
}

/* How many requests with @opcode for node @nodeid the daemon logged */
static size_t log_count_node(struct td *d, uint32_t opcode, uint64_t nodeid)
{
	size_t i, n = 0;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nlog; i++)
		n += d->log[i].opcode == opcode && d->log[i].nodeid == nodeid;
	pthread_mutex_unlock(&d->lock);
	return n;
}

/*
 * bpf_stats: per opcode, who served what the hooks handled, the filter's
 * verdicts and the errors, each column driven by the verdict filter; the
 * daemon's column against the requests the daemon saw.
 */
TEST_F(filter, fusectl_bpf_stats)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	uint64_t a[NR_ST], b[NR_ST], l[NR_ST], l2[NR_ST];
	struct statx stx;
	char buf[64];
	size_t seen;

	ASSERT_NE(NULL, skel);
	if (ctl_read(self->mnt, "bpf_stats", buf, sizeof(buf)) == -ENOENT)
		SKIP(return, "no fusectl");
	/* nothing served by fuse-bpf yet: the header alone */
	ASSERT_EQ(0, read_stats(self->mnt, FUSE_GETATTR, a));
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));

	/* served on the backing, the filter said BACKING */
	skel->bss->pre_verdict = FUSE_BPF_BACKING;
	ASSERT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, a));
	ASSERT_LE(1, a[ST_KERNEL]);
	EXPECT_EQ(a[ST_KERNEL], a[ST_PRE_BACKING]);
	EXPECT_GE((uint64_t)skel->bss->pre_calls, a[ST_PRE_BACKING]);
	EXPECT_EQ(0, a[ST_DAEMON] + a[ST_FILTER] + a[ST_ERRORS]);
	/* lookups: the filter has no lookup callback, which is BACKING */
	ASSERT_LE(2, read_stats(self->mnt, FUSE_LOOKUP, l));
	ASSERT_LE(1, l[ST_KERNEL]);
	EXPECT_EQ(l[ST_KERNEL], l[ST_PRE_BACKING]);
	EXPECT_EQ(0, l[ST_ERRORS]);
	/* a name the backing does not have: served, with an error */
	EXPECT_EQ(ENOENT, stat_err(mpath(self, "missing"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_LOOKUP, l2));
	EXPECT_LE(l[ST_KERNEL] + 1, l2[ST_KERNEL]);
	EXPECT_EQ(l2[ST_KERNEL] - l[ST_KERNEL], l2[ST_ERRORS] - l[ST_ERRORS]);

	/* failed by the filter's pre phase: no verdict, no service */
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, a));
	skel->bss->pre_verdict = -EACCES;
	EXPECT_EQ(EACCES, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, b));
	EXPECT_LE(a[ST_FILTER] + 1, b[ST_FILTER]);
	EXPECT_EQ(a[ST_KERNEL], b[ST_KERNEL]);
	EXPECT_EQ(a[ST_PRE_BACKING], b[ST_PRE_BACKING]);

	/* BACKING_POST: served, and the post phase ran */
	memcpy(a, b, sizeof(a));
	skel->bss->pre_verdict = FUSE_BPF_BACKING_POST;
	skel->bss->post_verdict = FUSE_BPF_BACKING;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, b));
	EXPECT_LE(a[ST_PRE_BACKING_POST] + 1, b[ST_PRE_BACKING_POST]);
	EXPECT_EQ(b[ST_PRE_BACKING_POST] - a[ST_PRE_BACKING_POST],
		  b[ST_POST_BPF] - a[ST_POST_BPF]);
	EXPECT_EQ(b[ST_PRE_BACKING_POST] - a[ST_PRE_BACKING_POST],
		  b[ST_KERNEL] - a[ST_KERNEL]);

	/*
	 * To the daemon: "dir" is the daemon's node.  A SETATTR the filter
	 * sends there is one request; a forced stat may be decided twice
	 * (fuse's getattr paths both ask), at least once per request.
	 */
	memcpy(a, b, sizeof(a));
	skel->bss->setattr_pre = FUSE_BPF_DAEMON;
	td_log_reset(self->d);
	ASSERT_LE(2, read_stats(self->mnt, FUSE_SETATTR, l));
	/* this daemon has no SETATTR: what it answers does not matter */
	chmod(mpath(self, ""), 0750);
	ASSERT_TRUE(td_barrier(self->d));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_SETATTR, l2));
	seen = log_count_node(self->d, FUSE_SETATTR, self->dir_id);
	EXPECT_EQ(1, seen);
	EXPECT_EQ(seen, l2[ST_DAEMON] - l[ST_DAEMON]);
	EXPECT_EQ(seen, l2[ST_PRE_DAEMON] - l[ST_PRE_DAEMON]);
	EXPECT_EQ(l[ST_KERNEL], l2[ST_KERNEL]);
	skel->bss->pre_verdict = FUSE_BPF_DAEMON;
	td_log_reset(self->d);
	ASSERT_EQ(0, statx(AT_FDCWD, mpath(self, ""), AT_STATX_FORCE_SYNC,
			   STATX_BASIC_STATS, &stx));
	ASSERT_TRUE(td_barrier(self->d));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, b));
	seen = log_count_node(self->d, FUSE_GETATTR, self->dir_id);
	EXPECT_LE(1, seen);
	EXPECT_LE(seen, b[ST_DAEMON] - a[ST_DAEMON]);
	EXPECT_EQ(b[ST_DAEMON] - a[ST_DAEMON],
		  b[ST_PRE_DAEMON] - a[ST_PRE_DAEMON]);
	EXPECT_EQ(a[ST_KERNEL], b[ST_KERNEL]);

	/* the daemon's userspace pre filter fails it; then a post filter */
	memcpy(a, b, sizeof(a));
	memset(&uf, 0, sizeof(uf));
	self->d->handler = user_filter;
	uf.opcode = FUSE_PREFILTER | FUSE_GETATTR;
	uf.err = -EPERM;
	skel->bss->pre_verdict = FUSE_BPF_USER_PRE;
	EXPECT_EQ(EPERM, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, b));
	EXPECT_LE(a[ST_USER] + 1, b[ST_USER]);
	EXPECT_EQ(b[ST_USER] - a[ST_USER],
		  b[ST_PRE_USER_PRE] - a[ST_PRE_USER_PRE]);
	memcpy(a, b, sizeof(a));
	uf.err = 0;
	uf.opcode = FUSE_POSTFILTER | FUSE_GETATTR;
	skel->bss->pre_verdict = FUSE_BPF_USER_POST;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, b));
	EXPECT_LE(a[ST_PRE_USER_POST] + 1, b[ST_PRE_USER_POST]);
	EXPECT_EQ(b[ST_PRE_USER_POST] - a[ST_PRE_USER_POST],
		  b[ST_POST_USER] - a[ST_POST_USER]);
	self->d->handler = NULL;
	fuse_verdict__destroy(skel);
}

/*
 * Five stats of sub/inner, the daemon's log reset first, with the GETATTR
 * and ACCESS bpf_stats read before (@g, @acc) and after (@g2, @acc2).
 * Return: 0, or -1 when a stat or a read failed.
 */
static int five_stats(struct _test_data_filter *self, uint64_t *g,
		      uint64_t *acc, uint64_t *g2, uint64_t *acc2)
{
	int i;

	if (stat_err(mpath(self, "sub/inner"), NULL) ||
	    read_stats(self->mnt, FUSE_GETATTR, g) < 2 ||
	    read_stats(self->mnt, FUSE_ACCESS, acc) < 2)
		return -1;
	td_log_reset(self->d);
	for (i = 0; i < 5; i++)
		if (stat_err(mpath(self, "sub/inner"), NULL))
			return -1;
	if (read_stats(self->mnt, FUSE_GETATTR, g2) < 2 ||
	    read_stats(self->mnt, FUSE_ACCESS, acc2) < 2)
		return -1;
	return 0;
}

/*
 * bpf_stats of nodes without a filter, which permission and getattr serve
 * without setting a filter call up: the same kernel and error counts as
 * with one, no verdict, and nothing asked of the daemon.
 */
TEST_F(filter, fusectl_bpf_stats_unfiltered)
{
	uint64_t a[NR_ST], b[NR_ST], c[NR_ST], d[NR_ST];
	char buf[64], p[256];
	int i;

	if (ctl_read(self->mnt, "bpf_stats", buf, sizeof(buf)) == -ENOENT)
		SKIP(return, "no fusectl");
	ASSERT_EQ(0, five_stats(self, a, c, b, d));
	/* each stat asks the backing: a getattr, and a search of / and sub */
	EXPECT_LE(a[ST_KERNEL] + 5, b[ST_KERNEL]);
	EXPECT_LE(c[ST_KERNEL] + 10, d[ST_KERNEL]);
	EXPECT_EQ(0, b[ST_DAEMON] + b[ST_FILTER] + b[ST_USER] + b[ST_ERRORS]);
	EXPECT_EQ(0, d[ST_DAEMON] + d[ST_FILTER] + d[ST_USER] + d[ST_ERRORS]);
	for (i = ST_PRE_BACKING; i < NR_ST; i++)
		EXPECT_EQ(0, b[i] + d[i]) TH_LOG("column %d", i);
	EXPECT_EQ(0, td_log_count(self->d, FUSE_GETATTR));
	EXPECT_EQ(0, td_log_count(self->d, FUSE_ACCESS));

	/* refused on the backing: served, with an error */
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0700));
	EXPECT_EQ(EACCES, as_nobody(nobody_stat, mpath(self, "sub/inner")));
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0755));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_ACCESS, c));
	EXPECT_LE(d[ST_KERNEL] + 1, c[ST_KERNEL]);
	EXPECT_LE(d[ST_ERRORS] + 1, c[ST_ERRORS]);
	EXPECT_EQ(0, td_log_count(self->d, FUSE_ACCESS));
	EXPECT_EQ(0, c[ST_DAEMON] + c[ST_PRE_BACKING]);
}

/*
 * A filter without access and getattr callbacks (hide: lookup and
 * readdir) has nothing to say to a permission check or a stat: they are
 * served without setting a filter call up, counted with the BACKING
 * verdict the filter would have given, and the filter still hides its
 * names.  Detached with FUSE_BPF_F_FAIL_CLOSED, it fails them with EIO
 * as every other operation.
 */
TEST_F(filter, no_callback_served_without_a_call)
{
	uint64_t a[NR_ST], b[NR_ST], c[NR_ST], d[NR_ST];
	struct fuse_hide *skel;
	char buf[64];

	if (ctl_read(self->mnt, "bpf_stats", buf, sizeof(buf)) == -ENOENT)
		SKIP(return, "no fusectl");
	skel = fuse_hide__open();
	ASSERT_NE(NULL, skel);
	skel->struct_ops.hide_ops->flags = FUSE_BPF_F_FAIL_CLOSED;
	ASSERT_EQ(0, fuse_hide__load(skel));
	ASSERT_LT(0, use_filter(self, skel->maps.hide_ops, "hide"));
	ASSERT_EQ(0, five_stats(self, a, c, b, d));
	/* a getattr, and a search of the filtered directory and sub */
	EXPECT_LE(a[ST_KERNEL] + 5, b[ST_KERNEL]);
	EXPECT_LE(c[ST_KERNEL] + 10, d[ST_KERNEL]);
	EXPECT_EQ(b[ST_KERNEL] - a[ST_KERNEL],
		  b[ST_PRE_BACKING] - a[ST_PRE_BACKING]);
	EXPECT_EQ(d[ST_KERNEL] - c[ST_KERNEL],
		  d[ST_PRE_BACKING] - c[ST_PRE_BACKING]);
	EXPECT_EQ(0, b[ST_DAEMON] + b[ST_FILTER] + b[ST_ERRORS]);
	EXPECT_EQ(0, d[ST_DAEMON] + d[ST_FILTER] + d[ST_ERRORS]);
	EXPECT_EQ(0, td_log_count(self->d, FUSE_GETATTR));
	EXPECT_EQ(ENOENT, stat_err(mpath(self, "secret-a"), NULL));
	EXPECT_LE(1, skel->bss->hidden_lookups);

	bpf_link__destroy(self->link);
	self->link = NULL;
	EXPECT_EQ(EIO, stat_err(mpath(self, "sub/inner"), NULL));
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_ACCESS, c));
	EXPECT_LE(d[ST_FILTER] + 2, c[ST_FILTER]);
	fuse_hide__destroy(skel);
}

/*
 * A getattr callback that serves on the backing without a post phase
 * shows the backing's attributes (fuse_count here without
 * FUSE_BPF_F_BACKING_ATTR, which permission checks ask): the walk checks
 * them without leaving RCU mode.  In ref-walk, each searched directory (the root and "sub")
 * would refresh its attributes through the filter, a GETATTR served per
 * component on top of the stat's own.  The backing's permissions still
 * hold at once when they change behind the mount.
 */
TEST_F(filter, count_keeps_rcu_walk)
{
	struct fuse_count *skel = count_asked_by_permission();
	uint64_t a[NR_ST], b[NR_ST];
	char buf[64], p[256];
	struct stat st;
	int i;

	ASSERT_NE(NULL, skel);
	if (ctl_read(self->mnt, "bpf_stats", buf, sizeof(buf)) == -ENOENT)
		SKIP(return, "no fusectl");
	ASSERT_LT(0, use_filter(self, skel->maps.count_ops, "count"));
	ASSERT_EQ(0, stat_err(mpath(self, "sub/inner"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, a));
	td_log_reset(self->d);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, stat_err(mpath(self, "sub/inner"), &st));
		ASSERT_EQ(3, st.st_size);
	}
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, b));
	/* 20 in RCU mode (a retry now and then), 60 in ref-walk */
	EXPECT_LE(a[ST_KERNEL] + 20, b[ST_KERNEL]);
	EXPECT_GT(a[ST_KERNEL] + 40, b[ST_KERNEL]);
	EXPECT_LE(20, count_of(skel, FUSE_ACCESS));
	EXPECT_EQ(0, td_log_count(self->d, FUSE_GETATTR));

	/* a search permission taken away behind the mount holds at once */
	ASSERT_EQ(0, as_nobody(nobody_stat, mpath(self, "sub/inner")));
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0700));
	EXPECT_EQ(EACCES, as_nobody(nobody_stat, mpath(self, "sub/inner")));
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0755));
	EXPECT_EQ(0, as_nobody(nobody_stat, mpath(self, "sub/inner")));
	fuse_count__destroy(skel);
}

/*
 * FUSE_BPF_F_BACKING_ATTR: permission checks take the backing's
 * attributes as those shown without asking the getattr callback, so a
 * stat of sub/inner calls it once, not for the root and sub as well; the
 * backing's permissions still hold at once.  A getattr that would show
 * anything else fails with EIO: the daemon asked, or a userspace post
 * filter that changes the attributes.  Observing stays allowed.
 */
TEST_F(filter, backing_attr_flag)
{
	struct fuse_verdict *skel = fuse_verdict__open();
	struct stat st;
	char p[256];
	int i, calls;

	ASSERT_NE(NULL, skel);
	skel->struct_ops.verdict_ops->flags |= FUSE_BPF_F_BACKING_ATTR;
	ASSERT_EQ(0, fuse_verdict__load(skel));
	ASSERT_LT(0, use_filter(self, skel->maps.verdict_ops, "verdict"));
	ASSERT_EQ(0, stat_err(mpath(self, "sub/inner"), NULL));
	td_log_reset(self->d);
	calls = skel->bss->pre_calls;
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, stat_err(mpath(self, "sub/inner"), NULL));
	/* 10, where permission's questions would make 30 */
	EXPECT_LE(calls + 10, skel->bss->pre_calls);
	EXPECT_GT(calls + 20, skel->bss->pre_calls);
	ASSERT_EQ(0, as_nobody(nobody_stat, mpath(self, "sub/inner")));
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0700));
	EXPECT_EQ(EACCES, as_nobody(nobody_stat, mpath(self, "sub/inner")));
	ASSERT_EQ(0, chmod(bpath(self, "sub", p), 0755));
	EXPECT_EQ(0, as_nobody(nobody_stat, mpath(self, "sub/inner")));

	/* a post phase that observes */
	skel->bss->pre_verdict = FUSE_BPF_BACKING_POST;
	calls = skel->bss->post_calls;
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	EXPECT_EQ(6, st.st_size);
	EXPECT_EQ(calls + 1, skel->bss->post_calls);

	/* the daemon asked: EIO, and no GETATTR reaches it */
	skel->bss->pre_verdict = FUSE_BPF_DAEMON;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	EXPECT_EQ(0, td_log_count(self->d, FUSE_GETATTR));

	/* a userspace post filter may look, not rewrite */
	memset(&uf, 0, sizeof(uf));
	self->d->handler = user_filter;
	uf.opcode = FUSE_POSTFILTER | FUSE_GETATTR;
	skel->bss->pre_verdict = FUSE_BPF_USER_POST;
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	EXPECT_LE(1, uf.calls);
	uf.rewrite = true;
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	self->d->handler = NULL;
	skel->bss->pre_verdict = FUSE_BPF_BACKING;
	ASSERT_EQ(0, stat(mpath(self, "hello"), &st));
	EXPECT_EQ(6, st.st_size);
	fuse_verdict__destroy(skel);
}

/*
 * A getattr post phase that rewrites the attributes fails with EIO when
 * its filter declared FUSE_BPF_F_BACKING_ATTR; a flag the kernel does
 * not know fails the filter's registration.
 */
TEST_F(filter, backing_attr_flag_refuses_rewrite)
{
	struct fuse_mode444 *skel = fuse_mode444__open();
	struct stat st;

	ASSERT_NE(NULL, skel);
	skel->struct_ops.mode444_ops->flags = 1u << 31;
	EXPECT_TRUE(fuse_mode444__load(skel) ||
		    !bpf_map__attach_struct_ops(skel->maps.mode444_ops));
	fuse_mode444__destroy(skel);

	skel = fuse_mode444__open();
	ASSERT_NE(NULL, skel);
	skel->struct_ops.mode444_ops->flags = FUSE_BPF_F_BACKING_ATTR;
	ASSERT_EQ(0, fuse_mode444__load(skel));
	ASSERT_LT(0, use_filter(self, skel->maps.mode444_ops, "mode444"));
	EXPECT_EQ(EIO, stat_err(mpath(self, "hello"), NULL));
	EXPECT_LE(1, skel->bss->rewritten);
	/* a directory, which it leaves as it is */
	ASSERT_EQ(0, stat(mpath(self, "sub"), &st));
	EXPECT_EQ(040755, st.st_mode);
	ASSERT_LOG("INIT LOOKUP(dir)");
	fuse_mode444__destroy(skel);
}

/*
 * Outside RCU walk too, a getattr pre phase that serves on the backing
 * needs no refresh of the attributes shown while the FUSE inode has the
 * backing's mode and owners: opening a file does not serve a GETATTR.
 * Once the mode changed behind the mount, the next open refreshes it.
 */
TEST_F(filter, count_open_without_refresh)
{
	struct fuse_count *skel = count_asked_by_permission();
	uint64_t a[NR_ST], b[NR_ST], c[NR_ST];
	char buf[64], p[256];
	struct stat st;
	int i, fd;

	ASSERT_NE(NULL, skel);
	if (ctl_read(self->mnt, "bpf_stats", buf, sizeof(buf)) == -ENOENT)
		SKIP(return, "no fusectl");
	ASSERT_LT(0, use_filter(self, skel->maps.count_ops, "count"));
	ASSERT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, a));
	td_log_reset(self->d);
	for (i = 0; i < 10; i++) {
		fd = open(mpath(self, "hello"), O_RDONLY);
		ASSERT_LE(0, fd);
		close(fd);
	}
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, b));
	EXPECT_GT(a[ST_KERNEL] + 10, b[ST_KERNEL]);

	ASSERT_EQ(0, chmod(bpath(self, "hello", p), 0600));
	fd = open(mpath(self, "hello"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LE(2, read_stats(self->mnt, FUSE_GETATTR, c));
	EXPECT_LE(b[ST_KERNEL] + 1, c[ST_KERNEL]);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	close(fd);
	ASSERT_EQ(0, chmod(bpath(self, "hello", p), 0644));
	EXPECT_EQ(0, td_log_count(self->d, FUSE_GETATTR));
	fuse_count__destroy(skel);
}

/* One backing_files or bpf_filters line, split into its fields */
struct ctl_line {
	char id[16], type[8], path[256];
	unsigned int uid, gid, refs, nodes;
};

static const char * const backing_cols[] = {
	"id", "type", "uid", "gid", "refs", "nodes", "path", NULL
};

static const char * const filters_cols[] = { "id", "nodes", "name", NULL };

/* One line of backing_files into @c: 0, or -1 when not as documented */
static int backing_fields(const char *line, struct ctl_line *c)
{
	return sscanf(line, "%15s %7s %u %u %u %u %255[^\n]", c->id, c->type,
		      &c->uid, &c->gid, &c->refs, &c->nodes, c->path) == 7 ?
	       0 : -1;
}

/* One line of bpf_filters: id, nodes and name (in @c->path) */
static int filter_fields(const char *line, struct ctl_line *c)
{
	return sscanf(line, "%15s %u %255[^\n]", c->id, &c->nodes,
		      c->path) == 3 ? 0 : -1;
}

/*
 * The line of @file (of @mnt's connection, with columns @cols, split by
 * @fields) whose id is @id ("root" for the root's).  Returns 1 when found,
 * 0 when not, -1 when the file is not as documented.
 */
static int ctl_line(const char *mnt, const char *file,
		    const char * const *cols,
		    int (*fields)(const char *, struct ctl_line *),
		    const char *id, struct ctl_line *out)
{
	char buf[8192], *line, *save = NULL;
	struct ctl_line c;
	int found = 0;
	size_t n;

	if (ctl_read(mnt, file, buf, sizeof(buf)) <= 0)
		return -1;
	n = header_len(buf, cols);
	if (!n)
		return -1;
	for (line = strtok_r(buf + n, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		memset(&c, 0, sizeof(c));
		if (fields(line, &c))
			return -1;
		if (!strcmp(c.id, id)) {
			*out = c;
			found++;
		}
	}
	return found;
}

static int backing_line(const char *mnt, const char *id, struct ctl_line *out)
{
	return ctl_line(mnt, "backing_files", backing_cols, backing_fields,
			id, out);
}

static int filter_line(const char *mnt, const char *id, struct ctl_line *out)
{
	return ctl_line(mnt, "bpf_filters", filters_cols, filter_fields, id,
			out);
}

/* Run @fn(@arg) in a child, as the same user; its return value, or -1 */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int open_backing_files(void *mnt)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];
	char buf[256];

	if (syscall(SYS_capget, &h, cap))
		return 255;
	cap[0].effective &= ~(1U << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, cap))
		return 255;
	/* the owner may read bpf_stats, not the paths and credentials */
	if (ctl_read(mnt, "bpf_stats", buf, sizeof(buf)) <= 0)
		return 254;
	return -ctl_read(mnt, "backing_files", buf, sizeof(buf));
}

/*
 * backing_files: each registered backing with its type, credentials,
 * references and bound nodes and its path from the mounter's root;
 * gone once closed; for CAP_SYS_ADMIN only.
 */
TEST_F(filter, fusectl_backing_files)
{
	char p[256], buf[64], id[16];
	struct ctl_line c;
	int fd, fid;

	if (ctl_read(self->mnt, "backing_files", buf, sizeof(buf)) == -ENOENT)
		SKIP(return, "no fusectl");
	/* the fixture's backing directory, not bound yet */
	ASSERT_EQ(1, backing_line(self->mnt, "1", &c));
	EXPECT_STREQ("dir", c.type);
	EXPECT_EQ(0, c.uid);
	EXPECT_EQ(0, c.gid);
	EXPECT_EQ(1, c.refs);
	EXPECT_EQ(0, c.nodes);
	EXPECT_STREQ(self->root, c.path);
	EXPECT_EQ(0, backing_line(self->mnt, "root", &c));
	/* bound to "dir" by its LOOKUP: one node, one more reference */
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	ASSERT_EQ(1, backing_line(self->mnt, "1", &c));
	EXPECT_EQ(2, c.refs);
	EXPECT_EQ(1, c.nodes);
	/* a file, with a name to escape */
	ASSERT_EQ(0, td_write_file(bpath(self, "a b", p), "x", 0644));
	fd = open(p, O_RDONLY);
	ASSERT_LE(0, fd);
	fid = td_backing_open(self->d, fd, 0);
	close(fd);
	ASSERT_LT(1, fid);
	snprintf(id, sizeof(id), "%d", fid);
	ASSERT_EQ(1, backing_line(self->mnt, id, &c));
	EXPECT_STREQ("file", c.type);
	EXPECT_EQ(1, c.refs);
	EXPECT_EQ(0, c.nodes);
	snprintf(p, sizeof(p), "%s/a\\040b", self->root);
	EXPECT_STREQ(p, c.path);
	/* removed from the backing filesystem meanwhile */
	ASSERT_EQ(0, unlink(bpath(self, "a b", p)));
	ASSERT_EQ(1, backing_line(self->mnt, id, &c));
	snprintf(p, sizeof(p), "%s/a\\040b (deleted)", self->root);
	EXPECT_STREQ(p, c.path);
	/* closed: gone */
	ASSERT_EQ(0, td_backing_close(self->d, fid));
	EXPECT_EQ(0, backing_line(self->mnt, id, &c));
	EXPECT_EQ(1, backing_line(self->mnt, "1", &c));
	/* uid 0 without CAP_SYS_ADMIN */
	EXPECT_EQ(EPERM, in_child(open_backing_files, self->mnt));
}

/*
 * Paths are the mounter's: a mount made in a chroot shows its backings
 * from that root, and one outside it as "(unreachable)", never its path.
 */
TEST_F(filter, fusectl_paths_from_the_mounters_root)
{
	char jail[200], p[256], q[256], id[16];
	struct ctl_line c;
	struct td_opts o;
	struct td *d;
	int rootfd, fd, bid;

	if (ctl_read(self->mnt, "backing_files", p, sizeof(p)) == -ENOENT)
		SKIP(return, "no fusectl");
	bpath(self, "jail", jail);
	ASSERT_EQ(0, mkdir(jail, 0755));
	snprintf(p, sizeof(p), "%s/m", jail);
	ASSERT_EQ(0, mkdir(p, 0755));
	snprintf(p, sizeof(p), "%s/dev", jail);
	ASSERT_EQ(0, mkdir(p, 0755));
	ASSERT_EQ(0, mount("/dev", p, NULL, MS_BIND | MS_REC, NULL));
	snprintf(p, sizeof(p), "%s/inside", jail);
	ASSERT_EQ(0, mkdir(p, 0755));

	rootfd = open("/", O_PATH | O_DIRECTORY);
	ASSERT_LE(0, rootfd);
	td_default_opts(&o);
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	ASSERT_EQ(0, chroot(jail));
	ASSERT_EQ(0, chdir("/"));
	d = td_mount("/m", &o);
	if (d)
		td_barrier(d);
	ASSERT_EQ(0, fchdir(rootfd));
	ASSERT_EQ(0, chroot("."));
	ASSERT_EQ(0, chdir("/"));
	close(rootfd);
	ASSERT_NE(NULL, d);
	/* its paths, from here on, are the real ones */
	snprintf(d->mnt, sizeof(d->mnt), "%s/m", jail);

	snprintf(p, sizeof(p), "%s/inside", jail);
	fd = open(p, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	bid = td_backing_open(d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, bid);
	snprintf(id, sizeof(id), "%d", bid);
	ASSERT_EQ(1, backing_line(d->mnt, id, &c));
	EXPECT_STREQ("/inside", c.path);
	fd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	bid = td_backing_open(d, fd, FUSE_BACKING_DIR);
	close(fd);
	ASSERT_LT(0, bid);
	snprintf(id, sizeof(id), "%d", bid);
	ASSERT_EQ(1, backing_line(d->mnt, id, &c));
	EXPECT_STREQ("(unreachable)", c.path);
	/* the test's own mount, made from "/", shows it whole */
	ASSERT_EQ(1, backing_line(self->mnt, "1", &c));
	EXPECT_STREQ(self->root, c.path);
	snprintf(q, sizeof(q), "%s/dev", jail);
	td_umount(d);
	umount2(q, MNT_DETACH);
}

/* bpf_filters: the filter ids the daemon opened, with the nodes using them */
TEST_F(filter, fusectl_bpf_filters)
{
	struct fuse_verdict *skel = fuse_verdict__open_and_load();
	char buf[64], id[16], id2[16];
	struct ctl_line c;
	int fid, fid2;

	ASSERT_NE(NULL, skel);
	if (ctl_read(self->mnt, "bpf_filters", buf, sizeof(buf)) == -ENOENT)
		SKIP(return, "no fusectl");
	ASSERT_EQ(0, filter_line(self->mnt, "root", &c));
	fid = use_filter(self, skel->maps.verdict_ops, "verdict");
	ASSERT_LT(0, fid);
	snprintf(id, sizeof(id), "%d", fid);
	ASSERT_EQ(1, filter_line(self->mnt, id, &c));
	EXPECT_STREQ("verdict", c.path);
	EXPECT_EQ(0, c.nodes);
	/* "dir" (by its LOOKUP reply) and "hello" (inherited) use it */
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	ASSERT_EQ(1, filter_line(self->mnt, id, &c));
	EXPECT_EQ(2, c.nodes);
	EXPECT_EQ(0, stat_err(mpath(self, "sub/inner"), NULL));
	ASSERT_EQ(1, filter_line(self->mnt, id, &c));
	EXPECT_EQ(4, c.nodes);
	/* a second id for the same filter counts the same nodes */
	fid2 = td_filter_open(self->d, "verdict");
	ASSERT_LT(fid, fid2);
	snprintf(id2, sizeof(id2), "%d", fid2);
	ASSERT_EQ(1, filter_line(self->mnt, id2, &c));
	EXPECT_EQ(4, c.nodes);
	/* closed ids are gone; the nodes keep the filter */
	ASSERT_EQ(0, td_filter_close(self->d, fid));
	EXPECT_EQ(0, filter_line(self->mnt, id, &c));
	ASSERT_EQ(0, td_filter_close(self->d, fid2));
	EXPECT_EQ(0, filter_line(self->mnt, id2, &c));
	EXPECT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	fuse_verdict__destroy(skel);
}

/* The mountpoint's line of /proc/self/mounts, or "" */
static void mounts_line(const char *mnt, char *out, size_t size)
{
	char line[1024], want[300];
	FILE *f = fopen("/proc/self/mounts", "r");

	out[0] = '\0';
	snprintf(want, sizeof(want), " %s ", mnt);
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, want))
			snprintf(out, size, "%s", line);
	if (f)
		fclose(f);
}

/*
 * The root backed and filtered by the mount options: /proc/mounts shows
 * backing_root=PATH (escaped; never the descriptor) and bpf_filter=NAME,
 * a bind mount of a subdirectory too, and the fusectl files list the
 * root's backing and filter.
 */
TEST_F(filter, fusectl_root_and_proc_mounts)
{
	struct fuse_hide *skel = fuse_hide__open_and_load();
	char mo[96], p[256], want[400], line[1024], bind[] = "/tmp/fuse-bind-XXXXXX";
	struct ctl_line c;
	struct td_opts o;
	struct td *d;
	int fd;

	ASSERT_NE(NULL, skel);
	if (ctl_read(self->mnt, "bpf_filters", p, sizeof(p)) == -ENOENT)
		SKIP(return, "no fusectl");
	self->link = bpf_map__attach_struct_ops(skel->maps.hide_ops);
	ASSERT_NE(NULL, self->link);
	mounts_line(self->mnt, line, sizeof(line));
	EXPECT_EQ(NULL, strstr(line, "backing_root")) TH_LOG("%s", line);
	EXPECT_EQ(NULL, strstr(line, "bpf_filter")) TH_LOG("%s", line);
	td_umount(self->d);
	self->d = NULL;
	ASSERT_EQ(0, mkdir(bpath(self, "a b,c", p), 0755));
	ASSERT_EQ(0, td_write_file(bpath(self, "a b,c/f", p), "f\n", 0644));
	ASSERT_EQ(0, mkdir(bpath(self, "a b,c/d", p), 0755));
	fd = open(bpath(self, "a b,c", p), O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	snprintf(mo, sizeof(mo), "backing_root_fd=%d,bpf_filter=hide", fd);
	td_default_opts(&o);
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	o.mount_opts = mo;
	d = td_mount(self->mnt, &o);
	close(fd);
	ASSERT_NE(NULL, d) TH_LOG("mount: %s", strerror(errno));
	self->d = d;
	ASSERT_TRUE(td_barrier(d));

	snprintf(want, sizeof(want), ",backing_root=%s/a\\040b\\054c,",
		 self->root);
	mounts_line(self->mnt, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, ",bpf_filter=hide ")) TH_LOG("%s", line);
	EXPECT_EQ(NULL, strstr(line, "backing_root_fd")) TH_LOG("%s", line);
	/* a bind mount of a subdirectory shows the file system's root */
	ASSERT_NE(NULL, mkdtemp(bind));
	snprintf(p, sizeof(p), "%s/d", self->mnt);
	ASSERT_EQ(0, mount(p, bind, NULL, MS_BIND, NULL));
	mounts_line(bind, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	ASSERT_EQ(0, umount(bind));
	rmdir(bind);

	/* the root's lines: its backing, and its filter with its nodes */
	ASSERT_EQ(1, backing_line(self->mnt, "root", &c));
	EXPECT_STREQ("dir", c.type);
	EXPECT_EQ(1, c.nodes);
	snprintf(p, sizeof(p), "%s/a\\040b,c", self->root);
	EXPECT_STREQ(p, c.path);
	ASSERT_EQ(1, filter_line(self->mnt, "root", &c));
	EXPECT_STREQ("hide", c.path);
	snprintf(p, sizeof(p), "%s/f", self->mnt);
	EXPECT_EQ(0, stat_err(p, NULL));
	ASSERT_EQ(1, filter_line(self->mnt, "root", &c));
	/* the root, "d" (the bind mount's) and "f" */
	EXPECT_EQ(3, c.nodes);
	fuse_hide__destroy(skel);
}

/* ------------------------------------------------ data-path filters */

/* pwrite() that returns the errno, or 0 when all @len bytes went */
static int pwrite_err(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : -1;
}

static off_t backing_size(struct _test_data_filter *self, const char *rel)
{
	struct stat st;
	char p[256];

	return stat(bpath(self, rel, p), &st) ? -1 : st.st_size;
}

/*
 * A write quota: the pre phase fails a write that would reach past
 * quota_end before any byte of it is written; the writes below it land
 * on the backing, and the post phase counts what they wrote.
 */
TEST_F(filter, data_write_quota)
{
	struct fuse_data *skel = fuse_data__open_and_load();
	char buf[4096], back[4096], p[256];
	int fd, pfd[2];
	loff_t off = 8191;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.data_ops, "data"));
	skel->bss->quota_end = 8192;
	memset(buf, 'q', sizeof(buf));
	fd = open(mpath(self, "q"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pwrite_err(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, pwrite_err(fd, buf, sizeof(buf), 4096));
	EXPECT_EQ(EDQUOT, pwrite_err(fd, buf, 1, 8192));
	EXPECT_EQ(EDQUOT, pwrite_err(fd, buf, 2, 8191));
	EXPECT_EQ(8191, skel->bss->last_offset);
	EXPECT_EQ(2, skel->bss->last_size);
	/* write(2) at the file position, and splice, meet it too */
	ASSERT_EQ(8192, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(-1, write(fd, buf, 1));
	EXPECT_EQ(EDQUOT, errno);
	EXPECT_EQ(8192, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(2, write(pfd[1], "zz", 2));
	EXPECT_EQ(-1, splice(pfd[0], NULL, fd, &off, 2, 0));
	EXPECT_EQ(EDQUOT, errno);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	EXPECT_EQ(8192, backing_size(self, "q"));
	EXPECT_EQ(6, skel->bss->writes);
	EXPECT_EQ(2, skel->bss->write_posts);
	EXPECT_EQ(8192, skel->bss->written_bytes);
	fd = open(bpath(self, "q", p), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(back), pread(fd, back, sizeof(back), 4096));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(back)));
	close(fd);
	fuse_data__destroy(skel);
}

/*
 * Splice to a file whose writes are filtered: the pre phase sees the
 * length asked for (what the pipe gives is at most that), the post phase
 * what was written.  In the same mount, a file opened once the filter is
 * detached takes passthrough's splice; both take the FUSE inode's lock
 * before the pipe's (lockdep, on the debug kernel, would see the two
 * orders here).
 */
TEST_F(filter, data_splice_write_beside_passthrough)
{
	struct fuse_data *skel = fuse_data__open_and_load();
	int plain, fd, pfd[2];
	loff_t off = 1, off0 = 0;
	char back[64], p[256];

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.data_ops, "data"));
	fd = open(mpath(self, "q"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(8, write(pfd[1], "spliced\n", 8));
	EXPECT_EQ(8, splice(pfd[0], NULL, fd, &off, 64, 0));
	EXPECT_EQ(9, off);
	EXPECT_EQ(1, skel->bss->writes);
	EXPECT_EQ(1, skel->bss->last_offset);
	EXPECT_EQ(64, skel->bss->last_size);
	EXPECT_EQ(1, skel->bss->write_posts);
	EXPECT_EQ(8, skel->bss->written_bytes);
	/* a quota the pipe's byte would pass fails the asked length */
	skel->bss->quota_end = 12;
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	EXPECT_EQ(-1, splice(pfd[0], NULL, fd, &off, 4, 0));
	EXPECT_EQ(EDQUOT, errno);
	EXPECT_EQ(1, read(pfd[0], back, 1));
	/* a file opened once the filter is gone: passthrough, unseen */
	bpf_link__destroy(self->link);
	self->link = NULL;
	plain = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, plain);
	ASSERT_EQ(1, write(pfd[1], "J", 1));
	EXPECT_EQ(1, splice(pfd[0], NULL, plain, &off0, 1, 0));
	EXPECT_EQ(2, skel->bss->writes);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	close(plain);
	ASSERT_EQ(9, td_read_file(bpath(self, "q", p), back, sizeof(back)));
	EXPECT_EQ(0, memcmp(back, "\0spliced\n", 9));
	ASSERT_LT(0, td_read_file(bpath(self, "hello", p), back, sizeof(back)));
	EXPECT_STREQ("Jello\n", back);
	fuse_data__destroy(skel);
}

/* An append-only policy: a write without O_APPEND fails with EPERM. */
TEST_F(filter, data_append_only)
{
	struct fuse_data *skel = fuse_data__open_and_load();
	struct iovec iov = { .iov_base = "rwf\n", .iov_len = 4 };
	char back[64], p[256];
	int fd;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.data_ops, "data"));
	skel->bss->append_only = true;
	fd = open(mpath(self, "hello"), O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EPERM, pwrite_err(fd, "x", 1, 0));
	EXPECT_EQ(0, skel->bss->last_flags & O_APPEND);
	close(fd);
	fd = open(mpath(self, "hello"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4, write(fd, "log\n", 4));
	EXPECT_EQ(O_APPEND, skel->bss->last_flags & O_APPEND);
	/* an appending write's offset is the file's size */
	EXPECT_EQ(6, skel->bss->last_offset);
	close(fd);
	/* RWF_APPEND on a file opened without O_APPEND */
	fd = open(mpath(self, "hello"), O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4, pwritev2(fd, &iov, 1, -1, RWF_APPEND));
	close(fd);
	ASSERT_LT(0, td_read_file(bpath(self, "hello", p), back, sizeof(back)));
	EXPECT_STREQ("hello\nlog\nrwf\n", back);
	fuse_data__destroy(skel);
}

/*
 * Reads are counted from the post phase (bytes actually read), and a
 * post phase errno fails the read without moving the file position.
 */
TEST_F(filter, data_read_count_and_fail)
{
	struct fuse_data *skel = fuse_data__open_and_load();
	char buf[64];
	int fd, pfd[2];
	loff_t off = 1;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.data_ops, "data"));
	fd = open(mpath(self, "hello"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(6, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(2, skel->bss->reads);
	EXPECT_EQ(2, skel->bss->read_posts);
	EXPECT_EQ(6, skel->bss->read_bytes);
	EXPECT_EQ(6, skel->bss->last_offset);
	EXPECT_EQ(sizeof(buf), skel->bss->last_size);
	EXPECT_EQ(0, skel->bss->last_uid);
	/* splice from the file goes through the filter too */
	ASSERT_EQ(0, pipe(pfd));
	EXPECT_EQ(5, splice(fd, &off, pfd[1], NULL, 64, 0));
	EXPECT_EQ(5, read(pfd[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "ello\n", 5));
	EXPECT_EQ(11, skel->bss->read_bytes);
	/* the post phase fails a read: no data is returned, f_pos stays */
	skel->bss->read_post = -EPERM;
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	off = 0;
	EXPECT_EQ(-1, splice(fd, &off, pfd[1], NULL, 64, 0));
	EXPECT_EQ(EPERM, errno);
	/* ... and the pre phase at once */
	skel->bss->read_post = 0;
	skel->bss->read_pre = -EACCES;
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EACCES, errno);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	fuse_data__destroy(skel);
}

/*
 * The data callbacks' verdicts: DAEMON is EOPNOTSUPP (the daemon never
 * opened the file), garbage and a kernel errno are EIO; a write's post
 * phase cannot undo the write, so its verdict is ignored.  A shared
 * writable mapping of a file whose writes are filtered is refused.
 */
TEST_F(filter, data_verdicts_and_mmap)
{
	struct fuse_data *skel = fuse_data__open_and_load();
	char buf[64], p[256];
	void *m;
	int fd;

	ASSERT_NE(NULL, skel);
	ASSERT_LT(0, use_filter(self, skel->maps.data_ops, "data"));
	fd = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, fd);
	skel->bss->read_pre = FUSE_BPF_DAEMON;
	skel->bss->write_pre = FUSE_BPF_DAEMON;
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(EOPNOTSUPP, pwrite_err(fd, "x", 1, 0));
	skel->bss->read_pre = 1234;
	skel->bss->write_pre = -600;
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(EIO, pwrite_err(fd, "x", 1, 0));
	skel->bss->read_pre = FUSE_BPF_SKIP;
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EIO, errno);
	skel->bss->read_pre = FUSE_BPF_BACKING_POST;
	skel->bss->read_post = FUSE_BPF_DAEMON;
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EIO, errno);
	/* a write's post phase only observes */
	skel->bss->write_pre = 0;
	skel->bss->write_post = -EPERM;
	EXPECT_EQ(0, pwrite_err(fd, "J", 1, 0));
	skel->bss->write_post = 4321;
	EXPECT_EQ(0, pwrite_err(fd, "Y", 1, 1));
	EXPECT_EQ(2, skel->bss->write_posts);
	ASSERT_LT(0, td_read_file(bpath(self, "hello", p), buf, sizeof(buf)));
	EXPECT_STREQ("JYllo\n", buf);
	/* mappings: shared writable refused, private and read-only kept */
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENODEV, errno);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, memcmp(m, "JYllo\n", 6));
	munmap(m, 4096);
	close(fd);
	fd = open(mpath(self, "hello"), O_RDONLY);
	ASSERT_LE(0, fd);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	munmap(m, 4096);
	close(fd);
	fuse_data__destroy(skel);
}

/*
 * Handing a file's data to the daemon is decided at open: the open
 * callback's DAEMON verdict.  The daemon then sees OPEN and READ, the
 * data is the daemon's, and the data callbacks are not called for it.
 */
TEST_F(filter, data_to_the_daemon_at_open)
{
	struct fuse_data *skel = fuse_data__open_and_load();
	char buf[64];
	int fd;

	ASSERT_NE(NULL, skel);
	ASSERT_NE(0, td_add_file(self->d, self->dir_id, "hello", 0644,
				 "HELLO\n", 6));
	ASSERT_LT(0, use_filter(self, skel->maps.data_ops, "data"));
	ASSERT_EQ(0, stat_err(mpath(self, "hello"), NULL));
	skel->bss->open_to_daemon = true;
	td_log_reset(self->d);
	fd = open(mpath(self, "hello"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(6, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "HELLO\n", 6));
	close(fd);
	EXPECT_EQ(1, td_log_count(self->d, FUSE_OPEN));
	EXPECT_LE(1, td_log_count(self->d, FUSE_READ));
	EXPECT_EQ(0, skel->bss->reads);
	fuse_data__destroy(skel);
}

/*
 * bpf_stats counts READ and WRITE for files whose filter has the
 * callbacks, and has no line for them when the filter has none: such a
 * file takes passthrough's path, with no hook of fuse-bpf.
 */
TEST_F(filter, data_stats_only_with_a_data_filter)
{
	struct fuse_iocount *io = fuse_iocount__open_and_load();
	struct fuse_hide *hide = fuse_hide__open_and_load();
	uint64_t v[NR_ST];
	struct td_opts o;
	char buf[64];
	int fd, dfd, id;

	ASSERT_NE(NULL, io);
	ASSERT_NE(NULL, hide);
	ASSERT_LT(0, use_filter(self, hide->maps.hide_ops, "hide"));
	fd = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(6, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, pwrite_err(fd, "H", 1, 0));
	close(fd);
	ASSERT_LE(1, read_stats(self->mnt, FUSE_READ, v));
	EXPECT_EQ(0, v[ST_KERNEL]);
	ASSERT_LE(1, read_stats(self->mnt, FUSE_WRITE, v));
	EXPECT_EQ(0, v[ST_KERNEL]);
	bpf_link__destroy(self->link);
	self->link = NULL;

	/* a filter with data callbacks only, on a new mount's "dir" */
	td_umount(self->d);
	self->d = NULL;
	td_default_opts(&o);
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	self->d = td_mount(self->mnt, &o);
	ASSERT_NE(NULL, self->d);
	self->dir_id = td_add_dir(self->d, TD_ROOT_ID, "dir", 0755);
	ASSERT_TRUE(td_barrier(self->d));
	dfd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	id = td_backing_open(self->d, dfd, FUSE_BACKING_DIR);
	close(dfd);
	ASSERT_LT(0, id);
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
	ASSERT_LT(0, use_filter(self, io->maps.iocount_ops, "iocount"));
	fd = open(mpath(self, "hello"), O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(6, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "Hello\n", 6));
	EXPECT_EQ(0, pwrite_err(fd, "hi", 2, 0));
	close(fd);
	EXPECT_EQ(1, io->bss->reads);
	EXPECT_EQ(sizeof(buf), io->bss->read_bytes);
	EXPECT_EQ(1, io->bss->writes);
	EXPECT_EQ(2, io->bss->write_bytes);
	ASSERT_LE(2, read_stats(self->mnt, FUSE_READ, v));
	EXPECT_EQ(1, v[ST_KERNEL]);
	EXPECT_EQ(1, v[ST_PRE_BACKING]);
	ASSERT_LE(2, read_stats(self->mnt, FUSE_WRITE, v));
	EXPECT_EQ(1, v[ST_KERNEL]);
	fuse_iocount__destroy(io);
	fuse_hide__destroy(hide);
}
