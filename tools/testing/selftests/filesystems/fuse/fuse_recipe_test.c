// SPDX-License-Identifier: GPL-2.0
/*
 * The policy recipes of Documentation/filesystems/fuse-bpf.rst, on tmpfs
 * and ext4 backings: the redacting mirror (fuse_mirror.bpf.c), tried with
 * every escape the recipe names, as root and as uid 65534; and the
 * per-uid fast path (fuse_uid_gate.bpf.c).  Each test checks the errnos,
 * the backing, and which requests reached the daemon.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"

#include "fuse_mirror.skel.h"
#include "fuse_uid_gate.skel.h"

#define NOBODY	65534

FIXTURE(recipe) {
	char mnt[64];
	char root[128];
	struct td *d;
	uint64_t dir_id;
	int backing_id;
	struct fuse_mirror *mirror;
	struct bpf_link *links[2];
};

FIXTURE_VARIANT(recipe) {
	const char *fs_env;
	const char *fs_default;
};

FIXTURE_VARIANT_ADD(recipe, tmpfs) {
	.fs_env = "FBPF_TMPFS",
	.fs_default = "/tmp",
};

FIXTURE_VARIANT_ADD(recipe, ext4) {
	.fs_env = "FBPF_EXT4",
	.fs_default = NULL,
};

/* Path @rel under the mirror ("dir" of the mount) or the backing */
static const char *mp(struct _test_data_recipe *self, const char *rel)
{
	static __thread char buf[4][256];
	static __thread int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/dir/%s", self->mnt, rel);
	return p;
}

static const char *bp(struct _test_data_recipe *self, const char *rel)
{
	static __thread char buf[4][256];
	static __thread int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", self->root, rel);
	return p;
}

/* A backing file or directory owned by uid 65534, world-writable */
static int make(struct _test_data_recipe *self, const char *rel, bool dir)
{
	const char *p = bp(self, rel);

	if (dir ? mkdir(p, 0777) : td_write_file(p, "data\n", 0666))
		return -1;
	return chmod(p, dir ? 0777 : 0666) || chown(p, NOBODY, NOBODY);
}

/* A backing id for the directory @path, or -errno */
static int backing_open(struct td *d, const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY), id;

	if (fd < 0)
		return -errno;
	id = td_backing_open(d, fd, FUSE_BACKING_DIR);
	close(fd);
	return id;
}

FIXTURE_SETUP(recipe)
{
	const char *fs = getenv(variant->fs_env);
	struct td_opts o;

	if (!fs)
		fs = variant->fs_default;
	if (!fs || access(fs, W_OK))
		SKIP(return, "no %s backing filesystem", variant->fs_env);
	ASSERT_EQ(0, td_isolate());
	if (!(td_kernel_init_flags() & FUSE_BPF))
		SKIP(return, "kernel without CONFIG_FUSE_BPF");

	/*
	 * Everything is writable by everyone on the backing: only the
	 * filters stand between uid 65534 and a change.
	 */
	snprintf(self->root, sizeof(self->root), "%s/rc-XXXXXX", fs);
	ASSERT_NE(NULL, mkdtemp(self->root));
	ASSERT_EQ(0, chmod(self->root, 0777));
	ASSERT_EQ(0, make(self, "hello", false));
	ASSERT_EQ(0, make(self, "a.pem", false));
	ASSERT_EQ(0, make(self, "sub", true));
	ASSERT_EQ(0, make(self, "sub/b.key", false));
	ASSERT_EQ(0, make(self, "sub/inner", false));
	ASSERT_EQ(0, symlink("readonly/doc", bp(self, "to-doc")));
	ASSERT_EQ(0, symlink("a.pem", bp(self, "to-pem")));

	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fuse-rc-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	td_default_opts(&o);
	o.entry_timeout = 60;
	o.attr_timeout = 60;
	o.init_flags = FUSE_PASSTHROUGH | FUSE_BPF;
	o.max_stack_depth = 1;
	o.mount_opts = "allow_other";
	self->d = td_mount(self->mnt, &o);
	ASSERT_NE(NULL, self->d) TH_LOG("mount: %s", strerror(errno));
	self->dir_id = td_add_dir(self->d, TD_ROOT_ID, "dir", 0777);
	ASSERT_TRUE(td_barrier(self->d));
	self->backing_id = backing_open(self->d, self->root);
	ASSERT_LT(0, self->backing_id);
	td_set_backing(self->d, self->dir_id, FUSE_BPF_ACTION_SET,
		       self->backing_id);
}

FIXTURE_TEARDOWN(recipe)
{
	char cmd[256];

	if (self->d)
		td_umount(self->d);
	bpf_link__destroy(self->links[0]);
	bpf_link__destroy(self->links[1]);
	fuse_mirror__destroy(self->mirror);
	rmdir(self->mnt);
	if (self->root[0] && !strchr(self->root, '\'')) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
		system(cmd);
	}
}

/*
 * The daemon's part of the mirror: "dir" (the mirror's root) gets the
 * backing and "mirror"; the lookup of "readonly" that mirror sends to the
 * daemon is answered with that directory's backing and "mirror_ro".
 * With @has_readonly false the backing has no "readonly" and the daemon
 * answers its lookup with ENOENT.
 */
static int mirror_setup(struct _test_data_recipe *self, bool has_readonly)
{
	struct fuse_mirror *skel = fuse_mirror__open_and_load();
	uint64_t ro;
	int id, ro_id, bid;

	if (!skel)
		return -1;
	self->mirror = skel;
	self->links[0] = bpf_map__attach_struct_ops(skel->maps.mirror_ops);
	self->links[1] = bpf_map__attach_struct_ops(skel->maps.mirror_ro_ops);
	if (!self->links[0] || !self->links[1])
		return -2;
	id = td_filter_open(self->d, "mirror");
	ro_id = td_filter_open(self->d, "mirror_ro");
	if (id <= 0 || ro_id <= 0)
		return -3;
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
	if (!has_readonly)
		return 0;
	if (make(self, "readonly", true) || make(self, "readonly/doc", false) ||
	    make(self, "readonly/c.key", false) ||
	    make(self, "readonly/inner", true) ||
	    make(self, "readonly/inner/deep", false))
		return -4;
	bid = backing_open(self->d, bp(self, "readonly"));
	if (bid <= 0)
		return -5;
	ro = td_add_dir(self->d, self->dir_id, "readonly", 0777);
	td_set_backing(self->d, ro, FUSE_BPF_ACTION_SET, bid);
	td_set_filter(self->d, ro, FUSE_BPF_ACTION_SET, ro_id);
	return 0;
}

/* -errno of a call returning -1 on error, 0 on success */
static int err_of(int ret)
{
	return ret < 0 ? -errno : 0;
}

static int open_err(const char *path, int flags)
{
	int fd = open(path, flags, 0666);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int stat_err(const char *path)
{
	struct stat st;

	return err_of(stat(path, &st));
}

/* Names in a directory, space-separated, without . and ..; or -errno */
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
		if (de->d_name[0] == '.')
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

/*
 * One escape: what it tries, and the errno the recipe answers with.  The
 * paths are under the mirror.
 */
struct escape {
	const char *what;
	int expect;
	int (*fn)(struct _test_data_recipe *self, const char *a, const char *b);
	const char *a, *b;
};

static int do_open_w(struct _test_data_recipe *s, const char *a, const char *b)
{
	return open_err(mp(s, a), O_WRONLY);
}

static int do_create(struct _test_data_recipe *s, const char *a, const char *b)
{
	return open_err(mp(s, a), O_WRONLY | O_CREAT);
}

static int do_trunc(struct _test_data_recipe *s, const char *a, const char *b)
{
	return err_of(truncate(mp(s, a), 0));
}

static int do_chmod(struct _test_data_recipe *s, const char *a, const char *b)
{
	return err_of(chmod(mp(s, a), 0600));
}

static int do_xattr(struct _test_data_recipe *s, const char *a, const char *b)
{
	return err_of(setxattr(mp(s, a), "user.x", "1", 1, 0));
}

static int do_mkdir(struct _test_data_recipe *s, const char *a, const char *b)
{
	return err_of(mkdir(mp(s, a), 0777));
}

static int do_symlink(struct _test_data_recipe *s, const char *a,
		      const char *b)
{
	return err_of(symlink(b, mp(s, a)));
}

static int do_unlink(struct _test_data_recipe *s, const char *a,
		     const char *b)
{
	return err_of(unlink(mp(s, a)));
}

static int do_rmdir(struct _test_data_recipe *s, const char *a, const char *b)
{
	return err_of(rmdir(mp(s, a)));
}

static int do_rename(struct _test_data_recipe *s, const char *a,
		     const char *b)
{
	return err_of(rename(mp(s, a), mp(s, b)));
}

static int do_exchange(struct _test_data_recipe *s, const char *a,
		       const char *b)
{
	return err_of(renameat2(AT_FDCWD, mp(s, a), AT_FDCWD, mp(s, b),
				RENAME_EXCHANGE));
}

static int do_link(struct _test_data_recipe *s, const char *a, const char *b)
{
	return err_of(link(mp(s, a), mp(s, b)));
}

static int do_stat(struct _test_data_recipe *s, const char *a, const char *b)
{
	return stat_err(mp(s, a));
}

static const struct escape mirror_escapes[] = {
	/* hidden names: not seen, not reached through a new name */
	{ "stat a hidden file", -ENOENT, do_stat, "a.pem", NULL },
	{ "stat one in a subdirectory", -ENOENT, do_stat, "sub/b.key", NULL },
	{ "stat one in readonly/", -ENOENT, do_stat, "readonly/c.key", NULL },
	{ "follow a symlink to one", -ENOENT, do_stat, "to-pem", NULL },
	{ "O_CREAT over a hidden file", -EPERM, do_create, "a.pem", NULL },
	{ "mkdir a hidden name", -EPERM, do_mkdir, "x.key", NULL },
	{ "rename onto a hidden name", -EPERM, do_rename, "hello", "a.pem" },
	{ "link to a hidden name", -EPERM, do_link, "hello", "sub/b.key" },
	{ "symlink of a hidden name", -EPERM, do_symlink, "y.pem", "hello" },
	/* readonly/ refuses changes, at any depth */
	{ "open for writing", -EROFS, do_open_w, "readonly/doc", NULL },
	{ "open deeper for writing", -EROFS, do_open_w, "readonly/inner/deep", NULL },
	{ "write through a symlink", -EROFS, do_open_w, "to-doc", NULL },
	{ "truncate", -EROFS, do_trunc, "readonly/doc", NULL },
	{ "chmod", -EROFS, do_chmod, "readonly/doc", NULL },
	{ "setxattr", -EROFS, do_xattr, "readonly/doc", NULL },
	{ "create", -EROFS, do_create, "readonly/new", NULL },
	{ "mkdir", -EROFS, do_mkdir, "readonly/d", NULL },
	{ "symlink", -EROFS, do_symlink, "readonly/s", "/" },
	{ "unlink", -EROFS, do_unlink, "readonly/doc", NULL },
	/* nothing leaves readonly/ or enters it */
	{ "rename a file out", -EROFS, do_rename, "readonly/doc", "doc" },
	{ "rename a file in", -EROFS, do_rename, "hello", "readonly/hello" },
	{ "exchange with a file in", -EROFS, do_exchange, "hello",
	  "readonly/doc" },
	{ "hard link a file out", -EXDEV, do_link, "readonly/doc", "stolen" },
	{ "hard link a deeper file out", -EXDEV, do_link,
	  "readonly/inner/deep", "sub/stolen" },
	{ "hard link a file in", -EROFS, do_link, "hello", "readonly/h" },
	/* the policy directory stays where it is, with its filter */
	{ "rename it away", -EPERM, do_rename, "readonly", "moved" },
	{ "rename another over it", -EPERM, do_rename, "sub", "readonly" },
	{ "exchange it", -EPERM, do_exchange, "sub", "readonly" },
	{ "rmdir it", -EPERM, do_rmdir, "readonly", NULL },
	{ NULL, 0, NULL, NULL, NULL }
};

/* With no "readonly" yet: no operation may make one in the root */
static const struct escape make_policy_dir[] = {
	{ "mkdir it", -EPERM, do_mkdir, "readonly", NULL },
	{ "create it", -EPERM, do_create, "readonly", NULL },
	{ "symlink it", -EPERM, do_symlink, "readonly", "sub" },
	{ "hard link it", -EPERM, do_link, "hello", "readonly" },
	{ "rename a directory to it", -EPERM, do_rename, "sub", "readonly" },
	{ NULL, 0, NULL, NULL, NULL }
};

/* Try every escape; the number of those that did not fail as expected */
static int try_escapes(struct _test_data_recipe *self,
		       const struct escape *e, const char *who)
{
	int bad = 0, ret;

	for (; e->what; e++) {
		ret = e->fn(self, e->a, e->b);
		if (ret == e->expect)
			continue;
		fprintf(stderr, "# %s: %s (%s %s): %s, not %s\n", who, e->what,
			e->a, e->b ?: "", ret ? strerror(-ret) : "success",
			strerror(-e->expect));
		bad++;
	}
	return bad;
}

/* try_escapes() in a child running as uid and gid 65534 */
static int try_escapes_as_nobody(struct _test_data_recipe *self,
				 const struct escape *e)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(255);
		_exit(try_escapes(self, e, "uid 65534"));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define ASSERT_LOG(expected) do { \
	char __log[2048]; \
	ASSERT_TRUE(td_barrier(self->d)); \
	ASSERT_STREQ(expected, td_log_str(self->d, __log, sizeof(__log), \
					  td_async_ops)); \
} while (0)

/*
 * Did only lookups of @name reach the daemon since the last reset?  The
 * daemon's ENOENT for it is not cached: every walk asks again.
 */
static bool only_lookups_of(struct td *d, const char *name)
{
	bool only = true;
	size_t i;

	if (!td_barrier(d))
		return false;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nlog; i++) {
		const struct td_req *r = &d->log[i];

		if (!strcmp(r->name, TD_BARRIER) ||
		    r->opcode == FUSE_FORGET || r->opcode == FUSE_BATCH_FORGET)
			continue;
		if (r->opcode != FUSE_LOOKUP || strcmp(r->name, name)) {
			fprintf(stderr, "# the daemon saw %s(%s)\n",
				td_opname(r->opcode), r->name);
			only = false;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return only;
}

TEST_F(recipe, mirror_hides_keys_in_lookup_and_readdir)
{
	char list[512];

	ASSERT_EQ(0, mirror_setup(self, true));
	ASSERT_EQ(0, stat_err(mp(self, "")));
	td_log_reset(self->d);

	ASSERT_EQ(5, list_dir(mp(self, ""), list, sizeof(list)));
	EXPECT_EQ(NULL, strstr(list, ".pem")) TH_LOG("%s", list);
	EXPECT_NE(NULL, strstr(list, "readonly ")) TH_LOG("%s", list);
	ASSERT_EQ(1, list_dir(mp(self, "sub"), list, sizeof(list)));
	EXPECT_STREQ("inner ", list);
	ASSERT_EQ(2, list_dir(mp(self, "readonly"), list, sizeof(list)));
	EXPECT_EQ(NULL, strstr(list, ".key")) TH_LOG("%s", list);
	EXPECT_EQ(0, stat_err(mp(self, "readonly/doc")));
	EXPECT_EQ(3, self->mirror->bss->hidden_entries);
	/* The daemon answered "readonly", and saw nothing else */
	EXPECT_LE(1, self->mirror->bss->to_daemon);
	EXPECT_EQ(self->mirror->bss->to_daemon,
		  td_log_count(self->d, FUSE_LOOKUP));
	EXPECT_TRUE(only_lookups_of(self->d, "readonly"));
	EXPECT_EQ(0, self->d->kernel_ids);
}

TEST_F(recipe, mirror_readonly_cannot_be_escaped)
{
	char buf[64];

	ASSERT_EQ(0, mirror_setup(self, true));
	ASSERT_EQ(0, stat_err(mp(self, "readonly")));
	td_log_reset(self->d);

	EXPECT_EQ(0, try_escapes(self, mirror_escapes, "root"));
	EXPECT_EQ(0, try_escapes_as_nobody(self, mirror_escapes));

	/* The backing is as it was */
	ASSERT_EQ(5, td_read_file(bp(self, "readonly/doc"), buf, sizeof(buf)));
	EXPECT_STREQ("data\n", buf);
	ASSERT_EQ(5, td_read_file(bp(self, "a.pem"), buf, sizeof(buf)));
	EXPECT_EQ(0, access(bp(self, "readonly/inner/deep"), F_OK));
	EXPECT_EQ(0, access(bp(self, "sub/b.key"), F_OK));
	EXPECT_EQ(0, access(bp(self, "hello"), F_OK));
	EXPECT_EQ(-1, access(bp(self, "stolen"), F_OK));
	EXPECT_EQ(-1, access(bp(self, "sub/stolen"), F_OK));
	EXPECT_EQ(-1, access(bp(self, "moved"), F_OK));
	EXPECT_EQ(-1, access(bp(self, "readonly/h"), F_OK));
	EXPECT_EQ(-1, access(bp(self, "x.key"), F_OK));
	EXPECT_LT(0, self->mirror->bss->refused);
	/* No change reached the daemon either, only lookups of "readonly" */
	EXPECT_TRUE(only_lookups_of(self->d, "readonly"));
	EXPECT_EQ(0, self->d->kernel_ids);
}

TEST_F(recipe, mirror_root_cannot_make_the_policy_dir)
{
	ASSERT_EQ(0, mirror_setup(self, false));
	ASSERT_EQ(0, stat_err(mp(self, "")));
	td_log_reset(self->d);
	ASSERT_EQ(-ENOENT, stat_err(mp(self, "readonly")));
	ASSERT_LOG("LOOKUP(readonly)");

	EXPECT_EQ(0, try_escapes(self, make_policy_dir, "root"));
	EXPECT_EQ(0, try_escapes_as_nobody(self, make_policy_dir));
	EXPECT_EQ(-1, access(bp(self, "readonly"), F_OK));
	EXPECT_EQ(0, access(bp(self, "sub/inner"), F_OK));
	EXPECT_TRUE(only_lookups_of(self->d, "readonly"));
	EXPECT_EQ(0, self->d->kernel_ids);
}

/* FUSE_BPF_F_FAIL_CLOSED: with the filters detached, nothing is served */
TEST_F(recipe, mirror_fails_closed_when_detached)
{
	char list[512];

	ASSERT_EQ(0, mirror_setup(self, true));
	ASSERT_EQ(0, stat_err(mp(self, "readonly/doc")));
	ASSERT_EQ(-EROFS, open_err(mp(self, "readonly/doc"), O_WRONLY));
	bpf_link__destroy(self->links[0]);
	bpf_link__destroy(self->links[1]);
	self->links[0] = NULL;
	self->links[1] = NULL;

	EXPECT_EQ(-EIO, open_err(mp(self, "readonly/doc"), O_WRONLY));
	EXPECT_EQ(-EIO, open_err(mp(self, "readonly/doc"), O_RDONLY));
	EXPECT_EQ(-EIO, stat_err(mp(self, "sub/b.key")));
	EXPECT_EQ(-EIO, stat_err(mp(self, "readonly/c.key")));
	EXPECT_EQ(-EIO, list_dir(mp(self, ""), list, sizeof(list)));
	EXPECT_EQ(-EIO, list_dir(mp(self, "readonly"), list, sizeof(list)));
	EXPECT_EQ(-EIO, err_of(link(mp(self, "readonly/doc"),
				    mp(self, "stolen"))));
	EXPECT_EQ(-1, access(bp(self, "stolen"), F_OK));
	EXPECT_EQ(0, self->d->kernel_ids);
}

/* Flags the kernel does not know fail the registration */
TEST_F(recipe, unknown_filter_flags_are_refused)
{
	struct fuse_mirror *skel = fuse_mirror__open();

	struct bpf_link *link;
	int err;

	ASSERT_NE(NULL, skel);
	skel->struct_ops.mirror_ops->flags = 1u << 31;
	/* The kernel sees the ops when libbpf writes the map's value */
	err = fuse_mirror__load(skel);
	if (!err) {
		link = bpf_map__attach_struct_ops(skel->maps.mirror_ops);
		err = link ? 0 : -errno;
		bpf_link__destroy(link);
	}
	EXPECT_EQ(-EINVAL, err);
	fuse_mirror__destroy(skel);
}

/*
 * The per-uid split: uid 0 is served by the kernel, uid 65534 by the
 * daemon, whose tree has the same names with other contents and answers
 * lookups with INHERIT (the backing child of that name, the parent's
 * filter), so that both share the nodes.
 */
static struct fuse_uid_gate *uid_setup(struct _test_data_recipe *self,
				       bool gate_all)
{
	struct fuse_uid_gate *skel = fuse_uid_gate__open_and_load();
	uint64_t hid, sid;
	__u32 root = 0;
	__u8 yes = 1;
	int id;

	if (!skel)
		return NULL;
	skel->bss->gate_all = gate_all;
	hid = td_add_file(self->d, self->dir_id, "hello", 0666, "daemon\n", 7);
	td_set_backing(self->d, hid, FUSE_BPF_ACTION_INHERIT, 0);
	sid = td_add_dir(self->d, self->dir_id, "sub", 0777);
	td_set_backing(self->d, sid, FUSE_BPF_ACTION_INHERIT, 0);
	if (bpf_map__update_elem(skel->maps.allowed_uids, &root, sizeof(root),
				 &yes, sizeof(yes), 0))
		goto fail;
	self->links[0] = bpf_map__attach_struct_ops(skel->maps.uid_gate_ops);
	if (!self->links[0])
		goto fail;
	id = td_filter_open(self->d, "uid_gate");
	if (id <= 0)
		goto fail;
	td_set_filter(self->d, self->dir_id, FUSE_BPF_ACTION_SET, id);
	return skel;
fail:
	fuse_uid_gate__destroy(skel);
	return NULL;
}

/* The contents of @path, read by the caller: "hello" is 5 or 7 bytes */
static int read_hello(const char *path, char *buf, size_t size)
{
	return td_read_file(path, buf, size) < 0 ? -errno : 0;
}

/* As uid 65534: 0 when it read "daemon\n", 1 for the backing's, else errno */
static int read_as_nobody(const char *path)
{
	char buf[64] = "";
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(255);
		if (read_hello(path, buf, sizeof(buf)))
			_exit(errno);
		_exit(!strcmp(buf, "daemon\n") ? 0 :
		      !strcmp(buf, "data\n") ? 1 : 254);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The synchronous requests logged, and how many were by uid 65534 */
static size_t requests_by(struct td *d, uint32_t uid, size_t *all)
{
	size_t i, n = 0;

	*all = 0;
	if (!td_barrier(d))
		return 0;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nlog; i++) {
		const struct td_req *r = &d->log[i];

		/* Sent by the kernel on its own, not for a caller */
		if (!strcmp(r->name, TD_BARRIER) ||
		    r->opcode == FUSE_FORGET || r->opcode == FUSE_BATCH_FORGET ||
		    r->opcode == FUSE_RELEASE || r->opcode == FUSE_RELEASEDIR ||
		    r->opcode == FUSE_INTERRUPT)
			continue;
		(*all)++;
		if (r->uid == uid)
			n++;
		else
			fprintf(stderr, "# %s(%s) by uid %u\n",
				td_opname(r->opcode), r->name, r->uid);
	}
	pthread_mutex_unlock(&d->lock);
	return n;
}

TEST_F(recipe, uid_split_daemon_sees_exactly_the_other_uid)
{
	struct fuse_uid_gate *skel = uid_setup(self, true);
	char buf[64];
	size_t all, n;

	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, stat_err(mp(self, "")));
	td_log_reset(self->d);

	/* uid 0 first: the kernel serves it, the nodes stay in the cache */
	ASSERT_EQ(0, read_hello(mp(self, "hello"), buf, sizeof(buf)));
	EXPECT_STREQ("data\n", buf);
	EXPECT_EQ(0, stat_err(mp(self, "sub/b.key")));
	EXPECT_EQ(0, requests_by(self->d, 0, &all));
	EXPECT_EQ(0, all);
	/* uid 65534 on the same cached nodes: the daemon serves all of it */
	EXPECT_EQ(0, read_as_nobody(mp(self, "hello")));
	n = requests_by(self->d, NOBODY, &all);
	EXPECT_EQ(all, n);
	EXPECT_LT(0, n);
	EXPECT_LT(0, td_log_count(self->d, FUSE_READ));
	EXPECT_LT(0, skel->bss->slow);
	/* and uid 0 is still served by the kernel, on the same names */
	td_log_reset(self->d);
	ASSERT_EQ(0, read_hello(mp(self, "hello"), buf, sizeof(buf)));
	EXPECT_STREQ("data\n", buf);
	EXPECT_EQ(0, err_of(chmod(mp(self, "hello"), 0644)));
	EXPECT_EQ(0, requests_by(self->d, 0, &all));
	EXPECT_EQ(0, all);
	EXPECT_EQ(0, self->d->kernel_ids);
	fuse_uid_gate__destroy(skel);
}

/*
 * The trap: a gate on lookups only.  uid 65534 walks the dentry uid 0's
 * lookup left in the cache and is served by the kernel.
 */
TEST_F(recipe, uid_split_on_lookups_only_leaks_cached_nodes)
{
	struct fuse_uid_gate *skel = uid_setup(self, false);
	char buf[64];
	size_t all;

	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, stat_err(mp(self, "")));
	td_log_reset(self->d);
	ASSERT_EQ(0, read_hello(mp(self, "hello"), buf, sizeof(buf)));
	EXPECT_EQ(1, read_as_nobody(mp(self, "hello")));
	EXPECT_EQ(0, requests_by(self->d, NOBODY, &all));
	EXPECT_EQ(0, all);
	fuse_uid_gate__destroy(skel);
}

TEST_HARNESS_MAIN
