// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf robustness: a reply fuzzer and a verdict fuzzer, on tmpfs and
 * ext4 backings.
 *
 * fuzz.replies answers every request with a reply mutated from a valid one
 * (wrong lengths and uniques, odd fields, hostile fuse-bpf extensions,
 * malformed userspace filter answers, replies held back and sent late or
 * twice), while a second thread sends unsolicited notifications and
 * worker threads use the mount.  fuzz.short_mounts does the same on many
 * short mounts with a random INIT reply and mount options.  fuzz.verdicts
 * attaches fuse_fuzz.bpf.c, whose every callback answers from a plan the
 * seed fills, with the daemon answering the userspace filters, while a
 * thread detaches, re-attaches, re-opens and re-binds the filter; on ext4
 * the filter declares FUSE_BPF_F_BACKING_ATTR, which its attribute
 * rewrites and daemon verdicts then break (-EIO).
 *
 * Every test checks that no worker operation hangs (a watchdog aborts the
 * connection and fails the test), that callers and the daemon's write()
 * only see real errnos (never a kernel-internal one, 512 and up), that the
 * kernel never accepts a second reply to one request, never forgets more
 * lookups of a node than the daemon handed out and never shows the daemon
 * a kernel node id, and that the mount works afterwards.  Each prints a
 * "# fuzz-summary:" line that dev/fbpf adds up.
 *
 * Environment (the harness owns the command line):
 *   FBPF_FUZZ_SEED     the seed (default 1); decisions derive from it
 *   FBPF_FUZZ_COUNT    per test: mutated replies (replies), mounts
 *                      (short_mounts) or verdicts (verdicts) to reach;
 *                      0: run for FBPF_FUZZ_SECONDS only
 *   FBPF_FUZZ_SECONDS  time limit of each test; with a count, not reaching
 *                      it in time fails
 *   FBPF_FUZZ_WORKERS  worker threads (default 3; 1 replays most exactly)
 *   FBPF_FUZZ_HANG     seconds one operation may take (default 60)
 * Defaults scale with FBPF_KERNEL (set in the test guest): see
 * Documentation/filesystems/fuse-bpf.rst, "Robustness".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../kselftest_harness.h"
#include "fuse_daemon.h"
#include "fuse_fuzz.skel.h"

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
	FUSE_BPF_F_BACKING_ATTR = 8,
};

/* Must match fuse_fuzz.bpf.c */
#define FZ_SLOTS	1024
#define FZ_RW_MODE	(1 << 0)
#define FZ_RW_TYPE	(1 << 1)
#define FZ_RW_SIZE	(1 << 2)
#define FZ_RW_INO	(1 << 3)
#define FZ_RW_OWNER	(1 << 4)
#define FZ_RW_VALID	(1 << 5)
#define FZ_RW_NAME	(1 << 6)
#define FZ_RW_KFUNC	(1 << 7)
#define FZ_RW_MISC	(1 << 8)
#define FZ_NAMES	8

struct fz_slot {
	int32_t pre;
	int32_t post;
	uint32_t rw;
	uint32_t mode;
	uint64_t val;
	uint32_t valid;
	uint32_t name;
};

/* The errno that tells the kernel an op is not implemented by the daemon */
#define FZ_NOSYS	ENOSYS

/* ------------------------------------------------------------ the seed */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

#define PICK(r, a)	((a)[below(r, ARRAY_SIZE(a))])

static void rng_init(struct rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed * 0x100000001b3ULL ^ stream * 0x9e3779b97f4a7c15ULL;
	rnd(r);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static bool debug_kernel(void)
{
	const char *k = getenv("FBPF_KERNEL");

	return k && !strcmp(k, "debug");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* --------------------------------------------------------- the state */

#define FZ_ERRNO_MAX	4096	/* errnos at or past this are counted here */
#define FZ_ID_BASE	0x1000	/* node ids of objects the fuzzer "creates" */
#define FZ_NIDS		64
#define FZ_MAP		1024	/* node ids the forget accounting tracks */
#define FZ_HELD		3
#define FZ_WBUF		(72 * 1024)
#define FZ_ARG		1024

struct fz_node_count {
	uint64_t id;
	uint64_t given;		/* lookups handed out in accepted replies */
	uint64_t forgotten;
};

struct fz_held {
	uint64_t unique;
	uint32_t opcode;
	uint64_t nodeid;
	uint64_t since;
	size_t arglen;
	char arg[FZ_ARG];
};

struct fz;

struct fz_worker {
	struct fz *z;
	pthread_t thread;
	struct rng rng;
	uint64_t started;	/* ms when the current op began, 0 idle */
	const char *op;
	char path[300];
	uint64_t ops;
};

#define FZ_WORKERS_MAX	8

enum fz_mode { FZ_REPLIES, FZ_VERDICTS };

/* The other threads the watchdog watches: ms when busy began, 0 idle */
enum {
	FZ_B_DAEMON, FZ_B_NOTIFIER, FZ_B_FLUSHER, FZ_B_CHURN, FZ_B_MAIN,
	FZ_BEATS
};

static const char *const fz_beat_names[FZ_BEATS] = {
	"daemon thread", "notifier", "flusher", "filter churn", "test thread",
};

struct fz {
	struct td *d;
	enum fz_mode mode;
	uint64_t seed;
	bool bpf;
	bool armed;		/* mutate replies (else answer validly) */
	bool fuzz_init;		/* a random INIT reply */
	bool fuzz_user;		/* fuzz the userspace filter answers */
	uint64_t init_flags;
	uint32_t max_stack_depth;
	struct rng rng;		/* the daemon thread's */
	char wbuf[FZ_WBUF];	/* the daemon thread's */
	char fbuf[FZ_WBUF];	/* the flusher's */
	char mnt[64];
	char abort_path[128];

	/* ids to put in replies */
	int back_dir, back_file, back_closed;
	uint32_t filt, filt_closed;
	uint32_t nodes;		/* daemon tree node ids are 1..nodes */
	uint64_t p_node;	/* "p" */

	pthread_mutex_t lock;	/* everything below */
	uint32_t fz_mode[FZ_NIDS];
	uint32_t next_fz;
	uint64_t replies, mutated, refused, ended_by_refusal, dup_accepted;
	uint64_t held_sent, cross_sent, user_filters, user_fuzzed;
	uint64_t notifies, notify_refused;
	uint64_t forgets, forget_over;
	unsigned int kernel_ids;	/* the daemon's count, at unmount */
	uint32_t kernel_id_opcode;	/* the first such request's */
	uint64_t kernel_id;
	uint64_t forget_over_id;
	uint64_t odd_write_errno;	/* a write errno outside the known set */
	uint64_t werr[FZ_ERRNO_MAX + 1];
	uint64_t nerr[FZ_ERRNO_MAX + 1];
	uint64_t cerr[FZ_ERRNO_MAX + 1];	/* callers */
	uint64_t internal_errno, internal_op;	/* first one seen */
	const char *internal_opname;
	struct fz_node_count ids[FZ_MAP];
	struct fz_held held[FZ_HELD];
	int nheld;

	/* threads */
	bool stop_workers, stop_helpers, stop_watchdog;
	int nworkers;
	uint64_t ops_budget;	/* per worker, 0: until stopped */
	struct fz_worker w[FZ_WORKERS_MAX];
	pthread_t notifier, flusher, watchdog, churn;
	bool have_notifier, have_flusher, have_watchdog, have_churn;
	bool hang;
	uint64_t busy[FZ_BEATS];
	char hang_what[400];
	uint64_t hang_sec;
	struct rng nrng, frng, crng;
	uint64_t churns, churn_errors;
	struct fuse_fuzz *skel;
	struct bpf_link *link;
	uint64_t dir_node;
};

static struct fz_node_count *fz_count(struct fz *z, uint64_t id)
{
	size_t h = (id * 0x9e3779b97f4a7c15ULL) >> 54, i;

	for (i = 0; i < FZ_MAP; i++) {
		struct fz_node_count *c = &z->ids[(h + i) % FZ_MAP];

		if (c->id == id)
			return c;
		if (!c->id) {
			c->id = id;
			return c;
		}
	}
	return NULL;
}

/*
 * The first word of a reply body may be a node id: count it (@n = 1) before
 * the write, and take it back (@n = -1) if the write is refused.  Counting
 * after an accepted write would race: once write() returns, the kernel may
 * already have dropped the node and queued its FORGET, which the daemon
 * thread can read before a flusher thread that sent the reply is counted.
 * Called with z->lock held.
 */
static void fz_given(struct fz *z, const void *body, size_t len, int n)
{
	struct fz_node_count *c;
	uint64_t id;

	if (len < sizeof(id))
		return;
	memcpy(&id, body, sizeof(id));
	if (!id)
		return;
	c = fz_count(z, id);
	if (c)
		c->given += n;
}

static void fz_forget(struct fz *z, uint64_t id, uint64_t n)
{
	struct fz_node_count *c;

	pthread_mutex_lock(&z->lock);
	z->forgets++;
	c = fz_count(z, id);
	if (c) {
		c->forgotten += n;
		if (c->forgotten > c->given && !z->forget_over++)
			z->forget_over_id = id;
	}
	pthread_mutex_unlock(&z->lock);
}

static void fz_busy(struct fz *z, int beat, bool busy)
{
	__atomic_store_n(&z->busy[beat], busy ? now_ms() : 0,
			 __ATOMIC_RELEASE);
}

static void hist(uint64_t *h, int e)
{
	if (e < 0)
		e = -e;
	h[e > FZ_ERRNO_MAX ? FZ_ERRNO_MAX : e]++;
}

/*
 * Write a reply: @hlen is the header's length field (0: the true one),
 * @wlen how many bytes to write (0: all).  Returns 0 or -errno.
 */
static int fz_send(struct fz *z, char *buf, uint64_t unique, int32_t error,
		   const void *body, size_t blen, uint32_t hlen, size_t wlen)
{
	struct fuse_out_header *oh = (void *)buf;
	size_t total = sizeof(*oh) + blen;
	ssize_t ret;
	int err;

	if (total > FZ_WBUF)
		total = FZ_WBUF, blen = total - sizeof(*oh);
	if (body && body != buf + sizeof(*oh))
		memmove(buf + sizeof(*oh), body, blen);
	oh->len = hlen ? hlen : total;
	oh->error = error;
	oh->unique = unique;
	if (unique && !error) {
		pthread_mutex_lock(&z->lock);
		fz_given(z, buf + sizeof(*oh), blen, 1);
		pthread_mutex_unlock(&z->lock);
	}
	ret = write(z->d->fuse_fd, buf, wlen ? wlen : total);
	err = ret < 0 ? -errno : 0;
	pthread_mutex_lock(&z->lock);
	if (unique)
		z->replies++;
	else
		z->notifies++;
	if (err) {
		if (unique) {
			z->refused++;
			hist(z->werr, err);
			if (err != -EINVAL && err != -ENOENT && err != -ENODEV &&
			    err != -E2BIG && err != -ENOMEM)
				z->odd_write_errno = -err;
		} else {
			z->notify_refused++;
			hist(z->nerr, err);
		}
		if (unique && !error)
			fz_given(z, buf + sizeof(*oh), blen, -1);
	}
	pthread_mutex_unlock(&z->lock);
	return err;
}

/* ------------------------------------------------------ valid replies */

static uint32_t fz_id_mode(struct fz *z, uint64_t id)
{
	struct td_node *n;
	uint32_t m = 0;

	if (id >= FZ_ID_BASE && id < FZ_ID_BASE + FZ_NIDS) {
		pthread_mutex_lock(&z->lock);
		m = z->fz_mode[id - FZ_ID_BASE];
		pthread_mutex_unlock(&z->lock);
		return m;
	}
	n = td_node(z->d, id);
	return n ? n->mode : 0;
}

static uint64_t fz_new_id(struct fz *z, uint32_t mode)
{
	uint64_t id;

	pthread_mutex_lock(&z->lock);
	id = z->next_fz++ % FZ_NIDS;
	z->fz_mode[id] = mode;
	pthread_mutex_unlock(&z->lock);
	return FZ_ID_BASE + id;
}

static void fz_attr(struct fz *z, uint64_t id, uint32_t mode,
		    struct fuse_attr *a)
{
	struct td_node *n = td_node(z->d, id);

	memset(a, 0, sizeof(*a));
	a->ino = id;
	a->mode = mode;
	a->size = n ? n->size : 0;
	a->blocks = (a->size + 511) / 512;
	a->nlink = S_ISDIR(mode) ? 2 : 1;
	a->blksize = 4096;
}

static size_t fz_entry(struct fz *z, uint64_t id, uint32_t mode, void *out)
{
	struct fuse_entry_out *e = out;

	memset(e, 0, sizeof(*e));
	e->nodeid = id;
	e->generation = 1;
	fz_attr(z, id, mode, &e->attr);
	return sizeof(*e);
}

static const char *fz_name(const void *arg, size_t arglen, size_t off)
{
	static __thread char name[TD_NAME_MAX + 1];

	if (off >= arglen)
		return "";
	snprintf(name, sizeof(name), "%.*s", (int)(arglen - off),
		 (const char *)arg + off);
	return name;
}

static size_t fz_readdir(struct fz *z, uint64_t dir, uint64_t offset,
			 size_t size, char *buf)
{
	size_t used = 0, i;

	for (i = 0; i < z->d->nnodes + 2; i++) {
		struct fuse_dirent *de = (void *)(buf + used);
		const char *name;
		uint64_t ino;
		size_t len;

		if (i == 0) {
			name = ".";
			ino = dir;
		} else if (i == 1) {
			name = "..";
			ino = 1;
		} else {
			struct td_node *n = &z->d->nodes[i - 2];

			if (n->parent != dir || n->nodeid == dir)
				continue;
			name = n->name;
			ino = n->nodeid;
		}
		if (i + 1 <= offset)
			continue;
		len = FUSE_DIRENT_SIZE(&(struct fuse_dirent){
			.namelen = strlen(name) });
		if (used + len > size || used + len > FZ_WBUF - 64)
			break;
		memset(de, 0, len);
		de->ino = ino;
		de->off = i + 1;
		de->namelen = strlen(name);
		de->type = DT_UNKNOWN;
		memcpy(de->name, name, de->namelen);
		used += len;
	}
	return used;
}

/* Not an errno, nor any value a mutation sends */
#define FZ_NOREPLY	(INT_MAX - 1)

/*
 * The valid answer to a request: returns the error (0 or -errno) and puts
 * the body in @body (*@len bytes).  Returns FZ_NOREPLY for requests without reply.
 */
static int fz_valid(struct fz *z, uint32_t opcode, uint64_t nodeid,
		    const void *arg, size_t arglen, char *body, size_t *len)
{
	uint32_t op = opcode & ~(FUSE_PREFILTER | FUSE_POSTFILTER);
	uint32_t mode = fz_id_mode(z, nodeid);
	struct td_node *c;
	size_t i;

	*len = 0;
	if (opcode & (FUSE_PREFILTER | FUSE_POSTFILTER))
		return 0;	/* an empty body: go on, keep the result */
	switch (op) {
	case FUSE_FORGET: case FUSE_BATCH_FORGET: case FUSE_INTERRUPT:
	case FUSE_NOTIFY_REPLY:
		return FZ_NOREPLY;
	case FUSE_LOOKUP: {
		const char *name = fz_name(arg, arglen, 0);

		c = NULL;
		for (i = 0; i < z->d->nnodes; i++)
			if (z->d->nodes[i].parent == nodeid &&
			    z->d->nodes[i].nodeid != nodeid &&
			    !strcmp(z->d->nodes[i].name, name))
				c = &z->d->nodes[i];
		if (!c)
			return -ENOENT;
		*len = fz_entry(z, c->nodeid, c->mode, body);
		if (c->bpf_ext) {
			struct fuse_entry_bpf_out *x = (void *)(body + *len);

			memset(x, 0, sizeof(*x));
			x->backing_action = c->bpf_action;
			x->backing_id = c->bpf_id;
			x->filter_action = c->bpf_filter_action;
			x->filter_id = c->bpf_filter_id;
			*len += sizeof(*x);
		}
		return 0;
	}
	case FUSE_GETATTR: case FUSE_SETATTR: {
		struct fuse_attr_out *a = (void *)body;

		if (!mode)
			return -ESTALE;
		memset(a, 0, sizeof(*a));
		fz_attr(z, nodeid, mode, &a->attr);
		*len = sizeof(*a);
		return 0;
	}
	case FUSE_OPEN: case FUSE_OPENDIR: {
		struct fuse_open_out *o = (void *)body;

		if (!mode)
			return -ESTALE;
		if (S_ISDIR(mode) != (op == FUSE_OPENDIR))
			return S_ISDIR(mode) ? -EISDIR : -ENOTDIR;
		memset(o, 0, sizeof(*o));
		o->fh = nodeid;
		*len = sizeof(*o);
		return 0;
	}
	case FUSE_READ: {
		const struct fuse_read_in *ri = arg;
		struct td_node *n = td_node(z->d, nodeid);

		if (arglen < sizeof(*ri))
			return -EINVAL;
		if (n && n->data && ri->offset < n->size) {
			*len = n->size - ri->offset;
			if (*len > ri->size)
				*len = ri->size;
			memcpy(body, n->data + ri->offset, *len);
		}
		return 0;
	}
	case FUSE_WRITE: {
		const struct fuse_write_in *wi = arg;
		struct fuse_write_out *wo = (void *)body;

		if (arglen < sizeof(*wi))
			return -EINVAL;
		memset(wo, 0, sizeof(*wo));
		wo->size = wi->size;
		*len = sizeof(*wo);
		return 0;
	}
	case FUSE_READDIR: {
		const struct fuse_read_in *ri = arg;

		if (arglen < sizeof(*ri))
			return -EINVAL;
		*len = fz_readdir(z, nodeid, ri->offset, ri->size, body);
		return 0;
	}
	case FUSE_CREATE: {
		uint32_t m = S_IFREG | 0644;

		*len = fz_entry(z, fz_new_id(z, m), m, body);
		memset(body + *len, 0, sizeof(struct fuse_open_out));
		*len += sizeof(struct fuse_open_out);
		return 0;
	}
	case FUSE_MKNOD: case FUSE_MKDIR: case FUSE_SYMLINK: {
		uint32_t m = op == FUSE_MKDIR ? S_IFDIR | 0755 :
			     op == FUSE_SYMLINK ? S_IFLNK | 0777 :
			     S_IFIFO | 0644;

		*len = fz_entry(z, fz_new_id(z, m), m, body);
		return 0;
	}
	case FUSE_LINK: {
		const struct fuse_link_in *li = arg;
		uint32_t m;

		if (arglen < sizeof(*li))
			return -EINVAL;
		m = fz_id_mode(z, li->oldnodeid);
		if (!m || S_ISDIR(m))
			return -EPERM;
		*len = fz_entry(z, li->oldnodeid, m, body);
		return 0;
	}
	case FUSE_READLINK:
		memcpy(body, "target", 6);
		*len = 6;
		return 0;
	case FUSE_STATFS: {
		struct fuse_statfs_out *s = (void *)body;

		memset(s, 0, sizeof(*s));
		s->st.bsize = 4096;
		s->st.frsize = 4096;
		s->st.namelen = 255;
		*len = sizeof(*s);
		return 0;
	}
	case FUSE_GETXATTR:
		return -ENODATA;
	case FUSE_LISTXATTR: {
		const struct fuse_getxattr_in *gi = arg;
		struct fuse_getxattr_out *go = (void *)body;

		if (arglen < sizeof(*gi) || gi->size)
			return 0;
		memset(go, 0, sizeof(*go));
		*len = sizeof(*go);
		return 0;
	}
	case FUSE_UNLINK: case FUSE_RMDIR: case FUSE_RENAME: case FUSE_RENAME2:
	case FUSE_RELEASE: case FUSE_RELEASEDIR: case FUSE_FLUSH:
	case FUSE_FSYNC: case FUSE_FSYNCDIR: case FUSE_ACCESS:
	case FUSE_SETXATTR: case FUSE_REMOVEXATTR: case FUSE_DESTROY:
		return 0;
	default:
		return -FZ_NOSYS;
	}
}

/* ------------------------------------------------------ mutated replies */

static const int32_t fz_errnos[] = {
	-EIO, -ENOENT, -EPERM, -EACCES, -ENOSPC, -EINTR, -EAGAIN, -ESTALE,
	-ENAMETOOLONG, -ENOTDIR, -EISDIR, -EEXIST, -ERANGE, -E2BIG,
	-EOVERFLOW, -EINVAL, -ENOTEMPTY, -EXDEV, -EOPNOTSUPP, -ENOTCONN,
	-EROFS, -EBADF, -ENOMEM, -EFBIG, -ELOOP, -ECHILD, -EDEADLK,
	-133, -200, -511,
	/* the write must refuse these */
	-512, -513, -514, -515, -516, -517, -518, -519, -521, -524, -529,
	-530, -4095, -4096, INT_MIN, 1, 5, 1000, INT_MAX,
};

static uint64_t fz_pick_id(struct fz *z, struct rng *r)
{
	switch (below(r, 10)) {
	case 0: return FUSE_ROOT_ID;
	case 1: return FUSE_NODEID_KERNEL | below(r, 64);
	case 2: return 0;
	case 3: return 1ULL << 62;
	case 4: return ~0ULL;
	case 5: case 6: return FZ_ID_BASE + below(r, FZ_NIDS);
	default: return 1 + below(r, z->nodes);
	}
}

static int32_t fz_pick_backing(struct fz *z, struct rng *r)
{
	switch (below(r, 9)) {
	case 0: return z->back_dir;
	case 1: return z->back_file;
	case 2: return z->back_closed;
	case 3: return 4242;	/* never opened */
	case 4: return 0;
	case 5: return -1;
	case 6: return INT_MIN;
	case 7: return INT_MAX;
	default: return z->back_dir;
	}
}

static uint32_t fz_pick_filter(struct fz *z, struct rng *r)
{
	switch (below(r, 6)) {
	case 0: case 1: return z->filt;
	case 2: return z->filt_closed;
	case 3: return 4242;
	case 4: return 0;
	default: return ~0U;
	}
}

static uint32_t fz_pick_mode(struct rng *r)
{
	static const uint32_t types[] = {
		S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR,
		S_IFBLK, 0, 0170000, 0030000,
	};

	return PICK(r, types) | below(r, 010000);
}

static uint64_t fz_pick_u64(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 4095, 4096, 1ULL << 31, 1ULL << 32, 1ULL << 62,
		LLONG_MAX, ~0ULL, ~0ULL - 1, 1000000000, 999999999,
	};

	return chance(r, 80) ? PICK(r, v) : rnd(r);
}

static void fz_mut_entry_fields(struct fz *z, struct rng *r,
				struct fuse_entry_out *e)
{
	switch (below(r, 8)) {
	case 0:
		e->nodeid = fz_pick_id(z, r);
		break;
	case 1:
		e->attr.mode = fz_pick_mode(r);
		break;
	case 2:
		e->attr.size = fz_pick_u64(r);
		e->attr.blocks = fz_pick_u64(r);
		break;
	case 3:
		e->entry_valid = fz_pick_u64(r);
		e->attr_valid = fz_pick_u64(r);
		e->entry_valid_nsec = rnd(r);
		e->attr_valid_nsec = rnd(r);
		break;
	case 4:
		e->generation = fz_pick_u64(r);
		e->attr.ino = fz_pick_u64(r);
		break;
	case 5:
		e->attr.nlink = rnd(r);
		e->attr.blksize = rnd(r);
		e->attr.flags = rnd(r);
		break;
	case 6:
		e->attr.mtimensec = rnd(r);
		e->attr.atime = fz_pick_u64(r);
		e->attr.ctimensec = 1000000000;
		break;
	default:
		e->nodeid = fz_pick_id(z, r);
		e->attr.mode = fz_pick_mode(r);
		break;
	}
}

/*
 * Mutate the fields of an entry reply.  The root id may come back as a
 * child, but as the directory it is: a root of another type or size is
 * marked bad for good (upstream's rule), and the fuzzing would stop there.
 */
static void fz_mut_entry(struct fz *z, struct rng *r, struct fuse_entry_out *e)
{
	fz_mut_entry_fields(z, r, e);
	if (e->nodeid == FUSE_ROOT_ID) {
		e->attr.mode = S_IFDIR | 0755;
		e->attr.size = 0;
	}
}

static void fz_mut_ext(struct fz *z, struct rng *r,
		       struct fuse_entry_bpf_out *x)
{
	x->backing_action = chance(r, 85) ? below(r, 4) : below(r, 1000);
	x->backing_id = chance(r, 20) ? 0 : fz_pick_backing(z, r);
	x->filter_action = chance(r, 85) ? below(r, 3) : rnd(r);
	x->filter_id = chance(r, 30) ? 0 : fz_pick_filter(z, r);
	x->flags = chance(r, 5) ? 1ULL << below(r, 64) : 0;
	x->reserved = chance(r, 5) ? rnd(r) : 0;
}

static void fz_mut_dirents(struct rng *r, char *body, size_t len)
{
	struct fuse_dirent *de = (void *)body;

	if (len < sizeof(*de))
		return;
	switch (below(r, 6)) {
	case 0:
		de->namelen = 0;
		break;
	case 1:
		de->namelen = rnd(r);
		break;
	case 2:
		de->name[0] = '/';
		break;
	case 3:
		de->off = 0;
		break;
	case 4:
		de->off = fz_pick_u64(r);
		de->ino = fz_pick_u64(r);
		break;
	default:
		de->type = rnd(r);
		de->name[0] = 0;
		break;
	}
}

/* Mutate a valid body in place; may change its length. */
static void fz_mut_fields(struct fz *z, struct rng *r, uint32_t opcode,
			  uint64_t nodeid, char *body, size_t *len,
			  size_t cap)
{
	uint32_t op = opcode & ~(FUSE_PREFILTER | FUSE_POSTFILTER);

	if (opcode & (FUSE_PREFILTER | FUSE_POSTFILTER)) {
		size_t n = below(r, 300);

		memset(body, 0, n);
		if (chance(r, 50))
			body[below(r, n + 1)] = rnd(r);
		*len = n;
		return;
	}
	switch (op) {
	case FUSE_LOOKUP: case FUSE_MKNOD: case FUSE_MKDIR:
	case FUSE_SYMLINK: case FUSE_LINK: case FUSE_CREATE:
		if (*len >= sizeof(struct fuse_entry_out))
			fz_mut_entry(z, r, (void *)body);
		if (op != FUSE_CREATE && z->bpf && chance(r, 60)) {
			size_t el = sizeof(struct fuse_entry_out);
			struct fuse_entry_bpf_out *x = (void *)(body + el);

			memset(x, 0, sizeof(*x));
			fz_mut_ext(z, r, x);
			/* mostly 32 bytes; sometimes truncated or oversized */
			*len = el + (chance(r, 75) ? sizeof(*x) : below(r, 72));
			if (*len > el + sizeof(*x))
				memset(body + el + sizeof(*x), 0xa5,
				       *len - el - sizeof(*x));
		}
		break;
	case FUSE_GETATTR: case FUSE_SETATTR: {
		struct fuse_attr_out *a = (void *)body;

		if (*len < sizeof(*a))
			break;
		a->attr_valid = fz_pick_u64(r);
		a->attr_valid_nsec = rnd(r);
		if (chance(r, 30))
			a->attr.ino = fz_pick_u64(r);
		/* a bad root attribute breaks the mount by design */
		if (nodeid == FUSE_ROOT_ID)
			break;
		a->attr.size = fz_pick_u64(r);
		if (chance(r, 40))
			a->attr.mode = fz_pick_mode(r);
		break;
	}
	case FUSE_OPEN: case FUSE_OPENDIR: {
		struct fuse_open_out *o = (void *)body;

		if (*len < sizeof(*o))
			break;
		o->open_flags = chance(r, 50) ? 1U << below(r, 9) : rnd(r);
		o->backing_id = chance(r, 50) ? 0 : fz_pick_backing(z, r);
		o->fh = fz_pick_u64(r);
		break;
	}
	case FUSE_READ: case FUSE_READLINK: case FUSE_LISTXATTR:
	case FUSE_GETXATTR: {
		/* more than asked, or a big one */
		size_t n = chance(r, 50) ? *len + 1 + below(r, 8192) :
			   below(r, 70000);

		if (n > cap)
			n = cap;
		memset(body + *len, 'z', n > *len ? n - *len : 0);
		*len = n;
		break;
	}
	case FUSE_WRITE: {
		struct fuse_write_out *wo = (void *)body;

		if (*len >= sizeof(*wo))
			wo->size = chance(r, 50) ? wo->size + 1 + below(r, 99) :
				   rnd(r);
		break;
	}
	case FUSE_READDIR:
		fz_mut_dirents(r, body, *len);
		break;
	case FUSE_STATFS: {
		struct fuse_statfs_out *s = (void *)body;

		if (*len < sizeof(*s))
			break;
		s->st.bsize = chance(r, 50) ? 0 : rnd(r);
		s->st.frsize = chance(r, 50) ? 0 : rnd(r);
		s->st.namelen = rnd(r);
		s->st.blocks = fz_pick_u64(r);
		s->st.bfree = fz_pick_u64(r);
		break;
	}
	default:
		/* a body where none is expected */
		*len = 1 + below(r, 128);
		memset(body, 'q', *len);
		break;
	}
}

/* The userspace filter's side: a correct answer, or a hostile one. */
static void fz_user_filter(struct fz *z, struct rng *r,
			   const struct fuse_in_header *in, const void *arg,
			   size_t arglen, char *body, size_t *len, int *err)
{
	const struct fuse_filter_in *fin = arg;
	bool post = in->opcode & FUSE_POSTFILTER;
	uint32_t op = in->opcode & ~(FUSE_PREFILTER | FUSE_POSTFILTER);
	bool fuzz = z->fuzz_user && chance(r, 50);

	*len = 0;
	*err = 0;
	pthread_mutex_lock(&z->lock);
	z->user_filters++;
	z->user_fuzzed += fuzz;
	pthread_mutex_unlock(&z->lock);
	if (arglen < sizeof(*fin) ||
	    arglen < sizeof(*fin) + (size_t)fin->in_size + fin->out_size) {
		*err = -EPROTO;
		return;
	}
	if (!fuzz) {
		/* echo what may be replaced, unchanged, half the time */
		if (chance(r, 50)) {
			if (post && !fin->error && fin->out_size) {
				*len = fin->out_size;
				memcpy(body, (const char *)(fin + 1) +
				       fin->in_size, *len);
			} else if (!post && (op == FUSE_SETATTR ||
					     op == FUSE_MKDIR ||
					     op == FUSE_MKNOD ||
					     op == FUSE_CREATE ||
					     op == FUSE_SYMLINK ||
					     op == FUSE_TMPFILE)) {
				*len = fin->in_size;
				memcpy(body, fin + 1, *len);
			}
		}
		return;
	}
	switch (below(r, 6)) {
	case 0:
		*err = PICK(r, fz_errnos);
		break;
	case 1:	/* another size */
		*len = below(r, fin->in_size + fin->out_size + 64);
		memset(body, 0, *len);
		break;
	case 2:	/* out-args for a failed operation, or a good one */
		*len = fin->out_size ? fin->out_size : fin->in_size;
		memcpy(body, fin + 1, fin->in_size);
		break;
	case 3:	/* in-args rewritten with garbage (type bits included) */
		*len = fin->in_size;
		memcpy(body, fin + 1, *len);
		if (*len >= 8) {
			uint32_t v = rnd(r);

			memcpy(body + below(r, *len - 3), &v, sizeof(v));
		}
		break;
	case 4:	/* post: out-args with attributes of another type */
		if (post && fin->out_size >= sizeof(struct fuse_attr_out) &&
		    op == FUSE_GETATTR) {
			struct fuse_attr_out a;

			memcpy(&a, (const char *)(fin + 1) + fin->in_size,
			       sizeof(a));
			a.attr.mode = fz_pick_mode(r);
			a.attr.ino = fz_pick_u64(r);
			memcpy(body, &a, sizeof(a));
			*len = sizeof(a);
		}
		break;
	default:
		*err = -EPERM;
		break;
	}
}

/* INIT: the valid reply, mutated when fuzz_init is set. */
static void fz_init_reply(struct fz *z, struct rng *r,
			  const struct fuse_in_header *in,
			  const struct fuse_init_in *ii)
{
	struct fuse_init_out out = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
		.max_readahead = ii->max_readahead,
		.max_write = 128 * 1024,
		.time_gran = 1,
		.max_pages = 32,
		.max_background = 16,
		.congestion_threshold = 12,
		.max_stack_depth = z->max_stack_depth,
	};
	uint64_t offered = ii->flags, flags;
	size_t len = sizeof(out);

	if (ii->flags & FUSE_INIT_EXT)
		offered |= (uint64_t)ii->flags2 << 32;
	z->d->kernel_flags = offered;
	flags = offered & z->init_flags;
	if (z->fuzz_init) {
		if (chance(r, 60))
			flags = offered & rnd(r);
		if (chance(r, 10))
			flags |= 1ULL << below(r, 64);
		if (chance(r, 50))
			flags |= offered & (FUSE_PASSTHROUGH | FUSE_BPF);
		if (chance(r, 10))
			out.major = PICK(r, ((uint32_t[]){ 0, 6, 8, ~0U }));
		if (chance(r, 20))
			out.minor = below(r, 50);
		if (chance(r, 30))
			out.max_stack_depth = PICK(r, ((uint32_t[]){
				0, 1, 2, 3, 100, ~0U }));
		/*
		 * Not past the daemon's read buffer: every read would then
		 * fail with EINVAL (upstream's rule), the daemon would stop
		 */
		if (chance(r, 20))
			out.max_write = PICK(r, ((uint32_t[]){
				0, 1, 4095, 1 << 20 }));
		if (chance(r, 20))
			out.max_pages = rnd(r);
		if (chance(r, 20))
			out.time_gran = PICK(r, ((uint32_t[]){
				0, 3, 1000000000, 1000000001, ~0U }));
		if (chance(r, 10))
			out.max_background = rnd(r);
		if (chance(r, 10))
			out.congestion_threshold = rnd(r);
		if (chance(r, 10))
			out.map_alignment = rnd(r);
		if (chance(r, 10))
			out.unused[below(r, 6)] = rnd(r);
		if (chance(r, 15))
			len = PICK(r, ((size_t[]){ 0, 8, 23, 24, 25, 40,
						   sizeof(out) + 8 }));
	}
	if (flags >> 32)
		flags |= FUSE_INIT_EXT;
	out.flags = flags;
	out.flags2 = flags >> 32;
	if (fz_send(z, z->wbuf, in->unique, 0, &out, len > sizeof(out) ?
		    sizeof(out) : len, len > sizeof(out) ?
		    sizeof(struct fuse_out_header) + len : 0, 0)) {
		/* refused: give it a good one (or an error if it was taken) */
		len = sizeof(out);
		fz_send(z, z->wbuf, in->unique, 0, &out, len, 0, 0);
	}
}

/* The good reply, then -EIO if even that was refused. */
static void fz_fallback(struct fz *z, char *wbuf, uint64_t unique,
			uint32_t opcode, uint64_t nodeid, const void *arg,
			size_t arglen, bool dup)
{
	static __thread char body[FZ_WBUF];
	size_t len;
	int err, ret;

	err = fz_valid(z, opcode, nodeid, arg, arglen, body, &len);
	if (err == FZ_NOREPLY)
		return;
	ret = fz_send(z, wbuf, unique, err, body, err ? 0 : len, 0, 0);
	if (ret == -ENOENT) {
		/* the mutated reply ended it (the caller got -EIO) */
		pthread_mutex_lock(&z->lock);
		z->ended_by_refusal++;
		pthread_mutex_unlock(&z->lock);
		return;
	}
	if (ret)
		ret = fz_send(z, wbuf, unique, -EIO, NULL, 0, 0, 0);
	if (!ret && dup) {
		/* a second good reply must not be accepted */
		if (!fz_send(z, wbuf, unique, err, body, err ? 0 : len, 0, 0)) {
			pthread_mutex_lock(&z->lock);
			z->dup_accepted++;
			pthread_mutex_unlock(&z->lock);
		}
	}
}

static void fz_answer_held(struct fz *z, struct rng *r, char *wbuf,
			   bool all);

/*
 * A request whose reply carries the root's attributes is never held: a
 * held request may first get another request's reply (the crossed
 * replies of fz_handle(), fz_answer_held()), and a GETATTR or SETATTR
 * reply of a file marks the root bad for good (upstream's rule:
 * fuse_do_getattr(), fuse_do_setattr()).  Every operation under the mount
 * then fails with EIO and the fuzzing ends there.  Only held requests and
 * the one being answered await a reply, so no crossed reply reaches one.
 */
static bool fz_root_attr(const struct fuse_in_header *in)
{
	return in->nodeid == FUSE_ROOT_ID &&
	       (in->opcode == FUSE_GETATTR || in->opcode == FUSE_SETATTR ||
		in->opcode == FUSE_STATX);
}

static int fz_handle(struct td *d, const struct fuse_in_header *in,
		     const void *arg, size_t arglen)
{
	struct fz *z = d->priv;
	struct rng *r = &z->rng;
	static char body[FZ_WBUF];
	size_t len = 0;
	uint64_t target;
	int err, ret;

	/* INIT may come before td_mount() returned */
	z->d = d;

	switch (in->opcode) {
	case FUSE_FORGET:
		if (arglen >= sizeof(struct fuse_forget_in))
			fz_forget(z, in->nodeid,
				  ((const struct fuse_forget_in *)arg)->nlookup);
		return 0;
	case FUSE_BATCH_FORGET: {
		const struct fuse_batch_forget_in *b = arg;
		const struct fuse_forget_one *one = (const void *)(b + 1);
		uint32_t i;

		if (arglen < sizeof(*b))
			return 0;
		for (i = 0; i < b->count &&
		     (const char *)(one + i + 1) <= (const char *)arg + arglen;
		     i++)
			fz_forget(z, one[i].nodeid, one[i].nlookup);
		return 0;
	}
	case FUSE_INIT:
		fz_init_reply(z, r, in, arg);
		return 0;
	}

	if (in->opcode & (FUSE_PREFILTER | FUSE_POSTFILTER)) {
		fz_user_filter(z, r, in, arg, arglen, body, &len, &err);
	} else {
		err = fz_valid(z, in->opcode, in->nodeid, arg, arglen, body,
			       &len);
	}
	if (!__atomic_load_n(&z->armed, __ATOMIC_RELAXED)) {
		/* a userspace filter's bad answer still needs a good one */
		if (err != FZ_NOREPLY &&
		    fz_send(z, z->wbuf, in->unique, err, body, err ? 0 : len,
			    0, 0))
			fz_fallback(z, z->wbuf, in->unique, in->opcode,
				    in->nodeid, arg, arglen, false);
		return 0;
	}

	/* Let a held request go first, now and then, in any order */
	if (z->nheld && chance(r, 30))
		fz_answer_held(z, r, z->wbuf, false);

	if (err == FZ_NOREPLY) {
		/* no reply expected; sometimes send one anyway */
		if (in->opcode != FUSE_FORGET && chance(r, 20)) {
			pthread_mutex_lock(&z->lock);
			z->mutated++;
			pthread_mutex_unlock(&z->lock);
			fz_send(z, z->wbuf, in->unique,
				chance(r, 50) ? -EAGAIN : 0, NULL, 0, 0, 0);
		}
		return 0;
	}
	if (chance(r, 20)) {
		ret = fz_send(z, z->wbuf, in->unique, err, body,
			      err ? 0 : len, 0, 0);
		if (ret)
			fz_fallback(z, z->wbuf, in->unique, in->opcode,
				    in->nodeid, arg, arglen, false);
		return 0;
	}
	pthread_mutex_lock(&z->lock);
	z->mutated++;
	pthread_mutex_unlock(&z->lock);

	switch (below(r, 10)) {
	case 0:	/* an error, valid or not */
		ret = fz_send(z, z->wbuf, in->unique, PICK(r, fz_errnos),
			      NULL, 0, 0, 0);
		break;
	case 1:	/* the header lies about the length */
		ret = fz_send(z, z->wbuf, in->unique, err, body,
			      err ? 0 : len,
			      PICK(r, ((uint32_t[]){ 0, 1, 15, 16, 17,
						     4096, ~0U })) +
			      (chance(r, 50) ? below(r, 3) : 0), 0);
		break;
	case 2:	/* a short or long write */
		ret = fz_send(z, z->wbuf, in->unique, err, body,
			      err ? 0 : len, 0,
			      chance(r, 50) ? 1 + below(r, 16) :
			      sizeof(struct fuse_out_header) + len +
			      1 + below(r, 64));
		break;
	case 3:	/* the body truncated or grown */
		if (!err && len) {
			len = chance(r, 60) ? below(r, len) :
			      len + 1 + below(r, 64);
			if (len > sizeof(body) - 1024)
				len = sizeof(body) - 1024;
		}
		ret = fz_send(z, z->wbuf, in->unique, 0, body, len, 0, 0);
		break;
	case 4: case 5: case 6:	/* odd fields, fuse-bpf extensions */
		if (err)
			len = 0;
		fz_mut_fields(z, r, in->opcode, in->nodeid, body, &len,
			      sizeof(body) - 1024);
		ret = fz_send(z, z->wbuf, in->unique, 0, body, len, 0, 0);
		break;
	case 7:	/* another request's unique, or one already answered */
		target = in->unique;
		switch (below(r, 5)) {
		case 0:
			target ^= 1ULL << below(r, 64);
			break;
		case 1:
			target -= 2 * (1 + below(r, 8));
			break;
		case 2:
			target += 2;
			break;
		case 3: /* the interrupt bit */
			target |= 1;
			break;
		default:
			pthread_mutex_lock(&z->lock);
			if (z->nheld)
				target = z->held[below(r, z->nheld)].unique;
			pthread_mutex_unlock(&z->lock);
			break;
		}
		pthread_mutex_lock(&z->lock);
		z->cross_sent++;
		pthread_mutex_unlock(&z->lock);
		fz_send(z, z->wbuf, target, err, body, err ? 0 : len, 0, 0);
		ret = -ENOENT;	/* this request still waits */
		break;
	case 8:	/* answer twice */
		fz_fallback(z, z->wbuf, in->unique, in->opcode, in->nodeid,
			    arg, arglen, true);
		return 0;
	default: /* hold it: answered later, after others */
		pthread_mutex_lock(&z->lock);
		if (z->nheld < FZ_HELD && arglen <= FZ_ARG &&
		    !fz_root_attr(in)) {
			struct fz_held *h = &z->held[z->nheld++];

			h->unique = in->unique;
			h->opcode = in->opcode;
			h->nodeid = in->nodeid;
			h->since = now_ms();
			h->arglen = arglen;
			memcpy(h->arg, arg, arglen);
			pthread_mutex_unlock(&z->lock);
			return 0;
		}
		pthread_mutex_unlock(&z->lock);
		ret = -ENOENT;
		break;
	}
	if (ret)
		fz_fallback(z, z->wbuf, in->unique, in->opcode, in->nodeid,
			    arg, arglen, false);
	return 0;
}

static int fz_handler(struct td *d, const struct fuse_in_header *in,
		      const void *arg, size_t arglen)
{
	struct fz *z = d->priv;
	int ret;

	fz_busy(z, FZ_B_DAEMON, true);
	ret = fz_handle(d, in, arg, arglen);
	fz_busy(z, FZ_B_DAEMON, false);
	return ret;
}

/* Answer one held request (or all): good, or first another's. */
static void fz_answer_held(struct fz *z, struct rng *r, char *wbuf, bool all)
{
	struct fz_held h;
	uint64_t other;

	do {
		pthread_mutex_lock(&z->lock);
		if (!z->nheld) {
			pthread_mutex_unlock(&z->lock);
			return;
		}
		h = z->held[0];
		memmove(&z->held[0], &z->held[1],
			--z->nheld * sizeof(z->held[0]));
		other = z->nheld ? z->held[0].unique : 0;
		z->held_sent++;
		pthread_mutex_unlock(&z->lock);
		/*
		 * Sometimes the reply of this one goes to the next held
		 * request first: a reply of the wrong type.
		 */
		if (other && !all && chance(r, 30)) {
			static __thread char body[FZ_WBUF];
			size_t len;
			int err = fz_valid(z, h.opcode, h.nodeid, h.arg,
					   h.arglen, body, &len);

			if (err != FZ_NOREPLY)
				fz_send(z, wbuf, other, err, body,
					err ? 0 : len, 0, 0);
		}
		fz_fallback(z, wbuf, h.unique, h.opcode, h.nodeid, h.arg,
			    h.arglen, false);
	} while (all);
}

/* ------------------------------------------------------- notifications */

static const char *const fz_notify_names[] = {
	"a", "b", "c", "d", "p", "f", "g", "x", "sub", "e", "n1", "", ".",
	"..", "a/b", TD_BARRIER,
};

static void fz_notify_one(struct fz *z, struct rng *r)
{
	char buf[8192 + 256], name[1100];
	struct fuse_out_header *oh = (void *)buf;
	char *p = buf + sizeof(*oh);
	size_t n = 0, namelen;
	int32_t code = below(r, 9);

	if (chance(r, 10)) {
		memset(name, 'n', sizeof(name));
		namelen = chance(r, 50) ? 255 : 256 + below(r, 800);
	} else {
		snprintf(name, sizeof(name), "%s", PICK(r, fz_notify_names));
		namelen = strlen(name);
	}
	switch (code) {
	case FUSE_NOTIFY_POLL: {
		struct fuse_notify_poll_wakeup_out o = { .kh = rnd(r) };

		memcpy(p, &o, sizeof(o));
		n = sizeof(o);
		break;
	}
	case FUSE_NOTIFY_INVAL_INODE: {
		struct fuse_notify_inval_inode_out o = {
			.ino = fz_pick_id(z, r),
			.off = chance(r, 50) ? 0 : (int64_t)fz_pick_u64(r),
			.len = chance(r, 50) ? -1 : (int64_t)fz_pick_u64(r),
		};

		memcpy(p, &o, sizeof(o));
		n = sizeof(o);
		break;
	}
	case FUSE_NOTIFY_INVAL_ENTRY: case FUSE_NOTIFY_DELETE: {
		struct fuse_notify_inval_entry_out ie = {
			.parent = chance(r, 50) ? FUSE_ROOT_ID :
				  fz_pick_id(z, r),
			.namelen = namelen,
			.flags = chance(r, 80) ? below(r, 2) : rnd(r),
		};
		struct fuse_notify_delete_out de = {
			.parent = ie.parent,
			.child = fz_pick_id(z, r),
			.namelen = namelen,
		};

		if (chance(r, 10)) {
			ie.namelen = rnd(r) % 2048;
			de.namelen = ie.namelen;
		}
		if (code == FUSE_NOTIFY_DELETE) {
			memcpy(p, &de, sizeof(de));
			n = sizeof(de);
		} else {
			memcpy(p, &ie, sizeof(ie));
			n = sizeof(ie);
		}
		memcpy(p + n, name, namelen > 1024 ? 1024 : namelen);
		n += namelen > 1024 ? 1024 : namelen;
		p[n++] = chance(r, 90) ? '\0' : 'x';
		break;
	}
	case FUSE_NOTIFY_STORE: {
		struct fuse_notify_store_out o = {
			.nodeid = fz_pick_id(z, r),
			.offset = chance(r, 60) ? below(r, 8192) :
				  fz_pick_u64(r),
			.size = below(r, 8192),
		};

		memcpy(p, &o, sizeof(o));
		n = sizeof(o);
		memset(p + n, 's', o.size);
		n += chance(r, 80) ? o.size : below(r, o.size + 1);
		break;
	}
	case FUSE_NOTIFY_RETRIEVE: {
		struct fuse_notify_retrieve_out o = {
			.notify_unique = rnd(r),
			.nodeid = fz_pick_id(z, r),
			.offset = chance(r, 60) ? below(r, 8192) :
				  fz_pick_u64(r),
			.size = chance(r, 60) ? below(r, 65536) : rnd(r),
		};

		memcpy(p, &o, sizeof(o));
		n = sizeof(o);
		break;
	}
	case FUSE_NOTIFY_RESEND:
		break;
	default:	/* unknown codes */
		code = chance(r, 50) ? FUSE_NOTIFY_CODE_MAX + below(r, 100) :
		       (int32_t)rnd(r);
		n = below(r, 64);
		memset(p, 0, n);
		break;
	}
	if (chance(r, 5) && n)
		n = below(r, n);	/* truncated */
	fz_send(z, buf, 0, code, p, n, 0, 0);
}

static void fz_sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
			       .tv_nsec = (us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

static void *fz_notifier(void *p)
{
	struct fz *z = p;

	while (!__atomic_load_n(&z->stop_helpers, __ATOMIC_RELAXED)) {
		if (__atomic_load_n(&z->armed, __ATOMIC_RELAXED)) {
			fz_busy(z, FZ_B_NOTIFIER, true);
			fz_notify_one(z, &z->nrng);
			fz_busy(z, FZ_B_NOTIFIER, false);
		}
		fz_sleep_us(500 + below(&z->nrng, 4000));
	}
	return NULL;
}

/* Held requests wait a few milliseconds at most. */
static void *fz_flusher(void *p)
{
	struct fz *z = p;

	while (!__atomic_load_n(&z->stop_helpers, __ATOMIC_RELAXED)) {
		bool old;

		pthread_mutex_lock(&z->lock);
		old = z->nheld && now_ms() - z->held[0].since >= 3;
		pthread_mutex_unlock(&z->lock);
		if (old) {
			fz_busy(z, FZ_B_FLUSHER, true);
			fz_answer_held(z, &z->frng, z->fbuf, false);
			fz_busy(z, FZ_B_FLUSHER, false);
		}
		fz_sleep_us(1000);
	}
	fz_answer_held(z, &z->frng, z->fbuf, true);
	return NULL;
}

/* --------------------------------------------------------- workers */

static const char *const fz_paths[] = {
	"", "d", "d/a", "d/b", "d/sub", "d/sub/c", "d/e", "d/n1", "d/n2",
	"d/sub/n3", "d/e/n4", "d/l", "p", "p/x", "p/y", "p/n5", "f", "g",
	"n6", "d/sub/e", "p/y/n7", "d/sub/l2",
};

static void fz_path(struct fz_worker *w, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", w->z->mnt, PICK(&w->rng, fz_paths));
}

#define FZ_OP(name)	(w->op = (name))
/* Workers create FIFOs: opening one must not wait for the other end */
#define FZ_NB		O_NONBLOCK

/* One random operation; returns 0 or an errno */
static int fz_op(struct fz_worker *w)
{
	struct rng *r = &w->rng;
	char *p = w->path, q[300], buf[512];
	struct stat st;
	struct statfs sfs;
	int fd, ret = 0, i;
	DIR *dir;

	fz_path(w, p, sizeof(w->path));
	fz_path(w, q, sizeof(q));
	errno = 0;
	switch (below(r, 29)) {
	case 0:
		FZ_OP("stat");
		ret = stat(p, &st);
		break;
	case 1:
		FZ_OP("lstat");
		ret = lstat(p, &st);
		break;
	case 2:
		FZ_OP("read");
		fd = open(p, FZ_NB | O_RDONLY | (chance(r, 20) ? O_DIRECT : 0));
		if (fd < 0)
			return errno;
		for (i = 0; i < 3 && ret >= 0; i++)
			ret = read(fd, buf, sizeof(buf)) > 0 ? 0 : -1;
		ret = ret < 0 && errno ? errno : 0;
		close(fd);
		return ret;
	case 3:
		FZ_OP("write");
		fd = open(p, FZ_NB | O_WRONLY | (chance(r, 50) ? O_APPEND : O_TRUNC));
		if (fd < 0)
			return errno;
		ret = write(fd, "fuzz\n", 5) < 0 ? errno : 0;
		if (!ret && chance(r, 30))
			ret = fsync(fd) ? errno : 0;
		close(fd);
		return ret;
	case 4:
		FZ_OP("create");
		fd = open(p, FZ_NB | O_CREAT | O_RDWR | (chance(r, 30) ? O_EXCL : 0),
			  0644);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	case 5:
		FZ_OP("mkdir");
		ret = mkdir(p, 0755);
		break;
	case 6:
		FZ_OP("rmdir");
		ret = rmdir(p);
		break;
	case 7:
		FZ_OP("unlink");
		ret = unlink(p);
		break;
	case 8:
		FZ_OP("rename");
		ret = renameat2(AT_FDCWD, p, AT_FDCWD, q,
				PICK(r, ((unsigned int[]){ 0, 0,
					RENAME_NOREPLACE, RENAME_EXCHANGE })));
		break;
	case 9: {
		struct dirent *de;

		FZ_OP("readdir");
		dir = opendir(p);
		if (!dir)
			return errno;
		/* a hostile daemon's offsets may loop: bounded */
		for (i = 0; i < 200 && (de = readdir(dir)); i++)
			;
		ret = errno;
		if (chance(r, 30)) {
			seekdir(dir, chance(r, 50) ? 0 : 3);
			readdir(dir);
		}
		closedir(dir);
		return ret;
	}
	case 10:
		FZ_OP("setxattr");
		ret = setxattr(p, "user.fz", "v", 1,
			       PICK(r, ((int[]){ 0, XATTR_CREATE,
						 XATTR_REPLACE })));
		break;
	case 11:
		FZ_OP("getxattr");
		ret = getxattr(p, "user.fz", buf, chance(r, 30) ? 0 :
			       sizeof(buf)) < 0 ? -1 : 0;
		break;
	case 12:
		FZ_OP("listxattr");
		ret = listxattr(p, buf, chance(r, 30) ? 0 : sizeof(buf)) < 0 ?
		      -1 : 0;
		break;
	case 13:
		FZ_OP("truncate");
		ret = truncate(p, below(r, 8192));
		break;
	case 14:
		FZ_OP("chmod");
		ret = chmod(p, 0600 | below(r, 0200));
		break;
	case 15:
		FZ_OP("symlink");
		ret = symlink("a", p);
		break;
	case 16:
		FZ_OP("readlink");
		ret = readlink(p, buf, sizeof(buf)) < 0 ? -1 : 0;
		break;
	case 17:
		FZ_OP("link");
		ret = link(p, q);
		break;
	case 18:
		FZ_OP("statfs");
		ret = statfs(p, &sfs);
		break;
	case 19:
		FZ_OP("access");
		ret = access(p, R_OK | W_OK);
		break;
	case 20:
		FZ_OP("fsync/seek/fallocate");
		fd = open(p, FZ_NB | O_RDWR);
		if (fd < 0)
			return errno;
		ret = fdatasync(fd) ? errno : 0;
		if (lseek(fd, 0, SEEK_DATA) < 0 && !ret)
			ret = errno;
		if (fallocate(fd, 0, 0, 4096) && !ret)
			ret = errno;
		close(fd);
		return ret;
	case 21: {
		struct flock fl = { .l_type = F_WRLCK, .l_len = 1 };

		FZ_OP("lock");
		fd = open(p, FZ_NB | O_RDWR);
		if (fd < 0)
			return errno;
		ret = flock(fd, LOCK_EX | LOCK_NB) ? errno : 0;
		if (fcntl(fd, F_SETLK, &fl) && !ret)
			ret = errno;
		fl.l_type = F_UNLCK;
		fcntl(fd, F_SETLK, &fl);
		close(fd);
		return ret;
	}
	case 22:
		FZ_OP("removexattr");
		ret = removexattr(p, "user.fz");
		break;
	case 23:
		FZ_OP("utimens");
		ret = utimensat(AT_FDCWD, p, NULL, 0);
		break;
	case 24:
		FZ_OP("mknod");
		ret = mknod(p, S_IFIFO | 0644, 0);
		break;
	case 25:
		FZ_OP("tmpfile");
		fd = open(p, FZ_NB | O_TMPFILE | O_RDWR, 0600);
		if (fd < 0)
			return errno;
		ret = write(fd, "t", 1) < 0 ? errno : 0;
		close(fd);
		return ret;
	case 26: {
		int flags;

		FZ_OP("ioctl");
		fd = open(p, FZ_NB | O_RDONLY);
		if (fd < 0)
			return errno;
		ret = ioctl(fd, FS_IOC_GETFLAGS, &flags) ? errno : 0;
		close(fd);
		return ret;
	}
	case 27: {
		int in, out;

		FZ_OP("copy_file_range");
		in = open(p, FZ_NB | O_RDONLY);
		if (in < 0)
			return errno;
		out = open(q, FZ_NB | O_WRONLY);
		if (out < 0) {
			ret = errno;
			close(in);
			return ret;
		}
		ret = copy_file_range(in, NULL, out, NULL, 64, 0) < 0 ?
		      errno : 0;
		close(in);
		close(out);
		return ret;
	}
	default:
		FZ_OP("mmap-read");
		fd = open(p, FZ_NB | O_RDONLY);
		if (fd < 0)
			return errno;
		ret = pread(fd, buf, 16, below(r, 8192)) < 0 ? errno : 0;
		close(fd);
		return ret;
	}
	return ret ? errno : 0;
}

static void *fz_worker(void *p)
{
	struct fz_worker *w = p;
	struct fz *z = w->z;

	while (!__atomic_load_n(&z->stop_workers, __ATOMIC_RELAXED) &&
	       (!z->ops_budget || w->ops < z->ops_budget)) {
		int e;

		__atomic_store_n(&w->started, now_ms(), __ATOMIC_RELEASE);
		e = fz_op(w);
		__atomic_store_n(&w->started, 0, __ATOMIC_RELEASE);
		w->ops++;
		pthread_mutex_lock(&z->lock);
		hist(z->cerr, e);
		if (e >= 512 && !z->internal_errno) {
			z->internal_errno = e;
			z->internal_opname = w->op;
		}
		pthread_mutex_unlock(&z->lock);
	}
	return NULL;
}

/* Every thread's kernel stack, to the test's log and the console */
static void fz_dump_stacks(const char *why)
{
	struct dirent *de;
	char p[300], buf[4096];
	int kmsg = open("/dev/console", O_WRONLY | O_NOCTTY), fd;
	DIR *dir;
	ssize_t n;

	if (kmsg >= 0)
		dprintf(kmsg, "fuse_fuzz_test: hang: %s\n", why);
	dir = opendir("/proc/self/task");
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/stack", de->d_name);
		fd = open(p, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		fprintf(stderr, "# task %s:\n%s", de->d_name, buf);
		if (kmsg >= 0)
			dprintf(kmsg, "fuse_fuzz_test: task %s:\n%s",
				de->d_name, buf);
	}
	if (dir)
		closedir(dir);
	if (kmsg >= 0)
		close(kmsg);
	/* and every blocked task of the system */
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		n = write(fd, "w", 1);
		close(fd);
	}
}

/*
 * A worker stuck in one operation, or another thread in one step: say
 * which, dump the stacks, and abort the connection so that the run ends.
 */
static void *fz_watchdog(void *p)
{
	struct fz *z = p;
	int i;

	while (!__atomic_load_n(&z->stop_watchdog, __ATOMIC_RELAXED)) {
		uint64_t t = now_ms(), lim = z->hang_sec * 1000;
		int fd;

		for (i = 0; i < z->nworkers + FZ_BEATS && !z->hang; i++) {
			uint64_t s;

			if (i < z->nworkers) {
				struct fz_worker *w = &z->w[i];

				s = __atomic_load_n(&w->started,
						    __ATOMIC_ACQUIRE);
				if (!s || s > t || t - s < lim)
					continue;
				snprintf(z->hang_what, sizeof(z->hang_what),
					 "worker %d stuck in %s(%s) for %llu s",
					 i, w->op, w->path,
					 (unsigned long long)(t - s) / 1000);
			} else {
				int b = i - z->nworkers;

				s = __atomic_load_n(&z->busy[b],
						    __ATOMIC_ACQUIRE);
				if (!s || s > t || t - s < lim)
					continue;
				snprintf(z->hang_what, sizeof(z->hang_what),
					 "%s stuck for %llu s",
					 fz_beat_names[b],
					 (unsigned long long)(t - s) / 1000);
			}
			z->hang = true;
			fz_dump_stacks(z->hang_what);
			fd = open(z->abort_path, O_WRONLY);
			if (fd >= 0) {
				ssize_t n = write(fd, "1", 1);

				close(fd);
				(void)n;
			}
		}
		fz_sleep_us(200000);
	}
	return NULL;
}

static void fz_start_workers(struct fz *z, int n)
{
	int i;

	z->stop_workers = false;
	z->nworkers = n;
	for (i = 0; i < n; i++) {
		memset(&z->w[i], 0, sizeof(z->w[i]));
		z->w[i].z = z;
		rng_init(&z->w[i].rng, z->seed, 100 + i);
		pthread_create(&z->w[i].thread, NULL, fz_worker, &z->w[i]);
	}
}

static uint64_t fz_stop_workers(struct fz *z)
{
	uint64_t ops = 0;
	int i;

	__atomic_store_n(&z->stop_workers, true, __ATOMIC_RELAXED);
	fz_busy(z, FZ_B_MAIN, true);
	for (i = 0; i < z->nworkers; i++) {
		pthread_join(z->w[i].thread, NULL);
		ops += z->w[i].ops;
	}
	fz_busy(z, FZ_B_MAIN, false);
	z->nworkers = 0;
	return ops;
}

static void fz_start_helpers(struct fz *z)
{
	z->stop_helpers = false;
	z->stop_watchdog = false;
	rng_init(&z->nrng, z->seed, 2);
	rng_init(&z->frng, z->seed, 3);
	z->have_notifier = !pthread_create(&z->notifier, NULL, fz_notifier, z);
	z->have_flusher = !pthread_create(&z->flusher, NULL, fz_flusher, z);
	if (!z->have_watchdog)
		z->have_watchdog = !pthread_create(&z->watchdog, NULL,
						   fz_watchdog, z);
}

/* The watchdog alone, before the mount: mounting may hang too */
static void fz_start_watchdog(struct fz *z)
{
	z->stop_watchdog = false;
	z->have_watchdog = !pthread_create(&z->watchdog, NULL, fz_watchdog, z);
}

/* Unmount under the watchdog's eye; keep what the assertions need */
static void fz_umount(struct fz *z)
{
	if (!z->d)
		return;
	fz_busy(z, FZ_B_MAIN, true);
	z->kernel_ids = z->d->kernel_ids;
	z->kernel_id_opcode = z->d->kernel_id_opcode;
	z->kernel_id = z->d->kernel_id;
	td_umount(z->d);
	z->d = NULL;
	fz_busy(z, FZ_B_MAIN, false);
}

static void fz_stop_helpers(struct fz *z)
{
	__atomic_store_n(&z->stop_helpers, true, __ATOMIC_RELAXED);
	fz_busy(z, FZ_B_MAIN, true);
	if (z->have_notifier)
		pthread_join(z->notifier, NULL);
	if (z->have_flusher)
		pthread_join(z->flusher, NULL);
	fz_busy(z, FZ_B_MAIN, false);
	z->have_notifier = false;
	z->have_flusher = false;
}

static void fz_stop_watchdog(struct fz *z)
{
	__atomic_store_n(&z->stop_watchdog, true, __ATOMIC_RELAXED);
	if (z->have_watchdog)
		pthread_join(z->watchdog, NULL);
	z->have_watchdog = false;
}

/*
 * Good answers from now on: no mutation, a benign plan, a live filter on
 * "d".  The watchdog keeps watching: the caller is "worker 0".
 */
static void fz_calm(struct fz *z)
{
	uint32_t i;

	__atomic_store_n(&z->armed, false, __ATOMIC_RELAXED);
	z->fuzz_user = false;
	fz_stop_helpers(z);
	if (z->skel) {
		for (i = 0; i < FZ_SLOTS; i++) {
			struct fz_slot s = { 0 };

			bpf_map_update_elem(bpf_map__fd(z->skel->maps.plan),
					    &i, &s, 0);
		}
		if (!z->link)
			z->link = bpf_map__attach_struct_ops(z->skel->maps.fuzz_ops);
		td_set_filter(z->d, z->dir_node, FUSE_BPF_ACTION_SET, z->filt);
	}
	z->nworkers = 1;
	z->w[0].op = "final check";
	snprintf(z->w[0].path, sizeof(z->w[0].path), "%s", z->mnt);
	__atomic_store_n(&z->w[0].started, now_ms(), __ATOMIC_RELEASE);
}

static void fz_hist_str(const uint64_t *h, char *buf, size_t size)
{
	size_t used = 0;
	int e;

	buf[0] = '\0';
	for (e = 0; e <= FZ_ERRNO_MAX && used < size; e++) {
		if (!h[e])
			continue;
		used += snprintf(buf + used, size - used, "%s%s:%llu",
				 used ? "," : "",
				 e == 0 ? "ok" : e == FZ_ERRNO_MAX ? "4096+" :
				 e < 134 ? strerrorname_np(e) ?: "?" : "?",
				 (unsigned long long)h[e]);
		if (e >= 134 && e < FZ_ERRNO_MAX && used < size)
			used += snprintf(buf + used, size - used, "(%d)", e);
	}
}

static void fz_report(struct fz *z, const char *test, const char *fs,
		      uint64_t ops, uint64_t verdicts, uint64_t mounts,
		      uint64_t ms)
{
	char h[1024];

	printf(
		"# fuzz-summary: test=%s fs=%s kernel=%s seed=%llu seconds=%llu replies=%llu mutated=%llu refused=%llu ended-by-refusal=%llu held=%llu cross=%llu notifies=%llu notify-refused=%llu user-filters=%llu user-fuzzed=%llu verdicts=%llu churns=%llu mounts=%llu ops=%llu forgets=%llu\n",
		test, fs, getenv("FBPF_KERNEL") ?: "?",
		(unsigned long long)z->seed, (unsigned long long)ms / 1000,
		(unsigned long long)z->replies,
		(unsigned long long)z->mutated,
		(unsigned long long)z->refused,
		(unsigned long long)z->ended_by_refusal,
		(unsigned long long)z->held_sent,
		(unsigned long long)z->cross_sent,
		(unsigned long long)z->notifies,
		(unsigned long long)z->notify_refused,
		(unsigned long long)z->user_filters,
		(unsigned long long)z->user_fuzzed,
		(unsigned long long)verdicts, (unsigned long long)z->churns,
		(unsigned long long)mounts, (unsigned long long)ops,
		(unsigned long long)z->forgets);
	fz_hist_str(z->werr, h, sizeof(h));
	printf("# fuzz-errnos: write: %s\n", h);
	fz_hist_str(z->nerr, h, sizeof(h));
	printf("# fuzz-errnos: notify: %s\n", h);
	fz_hist_str(z->cerr, h, sizeof(h));
	printf("# fuzz-errnos: callers: %s\n", h);
	fflush(stdout);
}

/* ---------------------------------------------------------- fixture */

FIXTURE(fuzz) {
	char root[128];
	struct fz *z;
	const char *fs;
	uint64_t seed, count, seconds;
	int workers;
};

FIXTURE_VARIANT(fuzz) {
	const char *fs_env;
	const char *fs_default;
	const char *name;
};

FIXTURE_VARIANT_ADD(fuzz, tmpfs) {
	.fs_env = "FBPF_TMPFS",
	.fs_default = "/tmp",
	.name = "tmpfs",
};

FIXTURE_VARIANT_ADD(fuzz, ext4) {
	.fs_env = "FBPF_EXT4",
	.fs_default = NULL,
	.name = "ext4",
};

static int fz_mkfile(const char *root, const char *rel, const char *data)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return td_write_file(p, data, 0644);
}

FIXTURE_SETUP(fuzz)
{
	const char *fs = getenv(variant->fs_env);
	char p[300];

	if (!fs)
		fs = variant->fs_default;
	if (!fs || access(fs, W_OK))
		SKIP(return, "no %s backing filesystem", variant->fs_env);
	self->fs = variant->name;
	/* workers write to FIFOs they made, whose readers may be gone */
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, td_isolate());
	self->seed = env_u64("FBPF_FUZZ_SEED", 1);
	self->workers = env_u64("FBPF_FUZZ_WORKERS", 3);
	if (self->workers < 1 || self->workers > FZ_WORKERS_MAX)
		self->workers = 3;
	self->seconds = env_u64("FBPF_FUZZ_SECONDS",
				debug_kernel() ? 900 : 300);
	snprintf(self->root, sizeof(self->root), "%s/fz-XXXXXX", fs);
	ASSERT_NE(NULL, mkdtemp(self->root));
	ASSERT_EQ(0, chmod(self->root, 0755));
	ASSERT_EQ(0, fz_mkfile(self->root, "a", "hello\n"));
	ASSERT_EQ(0, fz_mkfile(self->root, "b", "bee\n"));
	snprintf(p, sizeof(p), "%s/sub", self->root);
	ASSERT_EQ(0, mkdir(p, 0755));
	ASSERT_EQ(0, fz_mkfile(self->root, "sub/c", "sea\n"));
	snprintf(p, sizeof(p), "%s/e", self->root);
	ASSERT_EQ(0, mkdir(p, 0755));
	snprintf(p, sizeof(p), "%s/l", self->root);
	ASSERT_EQ(0, symlink("a", p));
}

FIXTURE_TEARDOWN(fuzz)
{
	char cmd[300];

	if (self->root[0] && !strchr(self->root, '\'')) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->root);
		system(cmd);
	}
}

static struct fz *fz_new(uint64_t seed, enum fz_mode mode)
{
	struct fz *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->seed = seed;
	z->mode = mode;
	pthread_mutex_init(&z->lock, NULL);
	rng_init(&z->rng, seed, 1);
	rng_init(&z->crng, seed, 4);
	z->hang_sec = env_u64("FBPF_FUZZ_HANG", 60);
	z->back_dir = -1;
	z->back_file = -1;
	z->back_closed = -1;
	return z;
}

/*
 * fusectl's abort file of the mount, from /proc/self/mountinfo: a stat()
 * of the mount would wait for INIT.
 */
static void fz_abort_path(struct fz *z)
{
	unsigned int maj, min;
	char line[1024], mp[300];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %*s %299s", &maj, &min, mp) != 3 ||
		    strcmp(mp, z->mnt))
			continue;
		snprintf(z->abort_path, sizeof(z->abort_path),
			 "/sys/fs/fuse/connections/%u/abort", maj << 20 | min);
	}
	if (f)
		fclose(f);
}

/*
 * Mount the fuzzing daemon on a new directory: "d" (bound to the backing
 * on fuse-bpf kernels) with "d/a" and "d/sub" known to the daemon too,
 * "p" with "p/x" and "p/y", "f" and "g".
 */
static struct td *fz_mount(struct fz *z, const char *mount_opts)
{
	struct td_opts o;
	struct td *d;

	snprintf(z->mnt, sizeof(z->mnt), "/tmp/fuse-fz-XXXXXX");
	if (!mkdtemp(z->mnt))
		return NULL;
	td_default_opts(&o);
	o.entry_timeout = 0;
	o.attr_timeout = 0;
	o.init_flags = z->bpf ? FUSE_PASSTHROUGH | FUSE_BPF : 0;
	o.max_stack_depth = 1;
	o.mount_opts = mount_opts;
	o.handler = fz_handler;
	o.priv = z;
	z->init_flags = o.init_flags;
	z->max_stack_depth = o.max_stack_depth;
	d = td_mount(z->mnt, &o);
	if (!d) {
		rmdir(z->mnt);
		return NULL;
	}
	z->d = d;
	fz_abort_path(z);
	z->dir_node = td_add_dir(d, TD_ROOT_ID, "d", 0755);
	td_add_file(d, z->dir_node, "a", 0644, "hello\n", 6);
	td_add_dir(d, z->dir_node, "sub", 0755);
	z->p_node = td_add_dir(d, TD_ROOT_ID, "p", 0755);
	td_add_file(d, td_add_dir(d, TD_ROOT_ID, "g", 0755), "x", 0644,
		    "gx\n", 3);
	td_add_file(d, z->p_node, "x", 0644, "xdata\n", 6);
	td_add_dir(d, z->p_node, "y", 0755);
	td_add_file(d, TD_ROOT_ID, "f", 0644, "fdata\n", 6);
	z->nodes = d->nnodes;
	return d;
}

/* Backings, and ids that are closed or of the wrong type, for replies */
static int fz_register(struct fz *z, const char *root)
{
	char p[300];
	int fd;

	fd = open(root, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	z->back_dir = td_backing_open(z->d, fd, FUSE_BACKING_DIR);
	close(fd);
	snprintf(p, sizeof(p), "%s/a", root);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -errno;
	z->back_file = td_backing_open(z->d, fd, 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/sub", root);
	fd = open(p, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	z->back_closed = td_backing_open(z->d, fd, FUSE_BACKING_DIR);
	close(fd);
	if (z->back_dir <= 0 || z->back_file <= 0 || z->back_closed <= 0)
		return -EIO;
	if (td_backing_close(z->d, z->back_closed))
		return -EIO;
	td_set_backing(z->d, z->dir_node, FUSE_BPF_ACTION_SET, z->back_dir);
	return 0;
}

static void fz_fill_plan(struct fz *z, bool hostile)
{
	struct rng r;
	uint32_t i;
	int fd = bpf_map__fd(z->skel->maps.plan);
	static const char *const names[FZ_NAMES] = {
		"renamed", "", ".", "..", "a/b", "a", "sub",
		"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
	};

	rng_init(&r, z->seed, hostile ? 5 : 6);
	for (i = 0; i < FZ_NAMES; i++)
		snprintf(z->skel->bss->names[i], sizeof(z->skel->bss->names[i]),
			 "%s", names[i]);
	for (i = 0; i < FZ_SLOTS; i++) {
		struct fz_slot s = { 0 };
		uint32_t k = below(&r, 100);

		if (!hostile) {
			/* mostly the backing; some userspace filters */
			s.pre = k < 80 ? FUSE_BPF_BACKING :
				k < 85 ? FUSE_BPF_BACKING_POST :
				k < 90 ? FUSE_BPF_USER_PRE :
				k < 95 ? FUSE_BPF_USER_POST : FUSE_BPF_DAEMON;
			s.post = FUSE_BPF_BACKING;
		} else {
			s.pre = k < 35 ? FUSE_BPF_BACKING :
				k < 50 ? FUSE_BPF_BACKING_POST :
				k < 56 ? FUSE_BPF_DAEMON :
				k < 62 ? FUSE_BPF_USER_PRE :
				k < 68 ? FUSE_BPF_USER_POST :
				k < 71 ? FUSE_BPF_SKIP :
				k < 82 ? -(int32_t)(1 + below(&r, 133)) :
				k < 88 ? -(int32_t)(512 + below(&r, 19)) :
				k < 94 ? PICK(&r, ((int32_t[]){ 6, 7, 100,
					-4096, -4095, -134, INT_MIN,
					INT_MAX })) :
				(int32_t)rnd(&r);
			k = below(&r, 100);
			s.post = k < 45 ? FUSE_BPF_BACKING :
				 k < 55 ? FUSE_BPF_SKIP :
				 k < 65 ? -(int32_t)(1 + below(&r, 133)) :
				 k < 70 ? -(int32_t)(512 + below(&r, 19)) :
				 k < 85 ? (int32_t)(1 + below(&r, 4)) :
				 (int32_t)rnd(&r);
			if (chance(&r, 40))
				s.rw = rnd(&r) & 0x1ff;
			s.mode = chance(&r, 70) ? below(&r, 010000) :
				 fz_pick_mode(&r);
			s.val = fz_pick_u64(&r);
			s.valid = chance(&r, 50) ? below(&r, 0x3ff) : rnd(&r);
			s.name = below(&r, FZ_NAMES);
		}
		bpf_map_update_elem(fd, &i, &s, 0);
	}
}

static int fz_attach(struct fz *z)
{
	int id;

	z->link = bpf_map__attach_struct_ops(z->skel->maps.fuzz_ops);
	if (!z->link)
		return -errno;
	id = td_filter_open(z->d, "fuzz");
	if (id <= 0)
		return id ? id : -EIO;
	z->filt = id;
	return 0;
}

/*
 * The "fuzz" filter, registered and bound to "d"; with @backing_attr it
 * declares FUSE_BPF_F_BACKING_ATTR, which its getattr rewrites and
 * daemon verdicts then break.
 */
static int fz_setup_bpf(struct fz *z, const char *root, bool hostile,
			bool backing_attr)
{
	int ret, id;

	ret = fz_register(z, root);
	if (ret)
		return ret;
	z->skel = fuse_fuzz__open();
	if (!z->skel)
		return -errno ?: -EIO;
	if (backing_attr)
		z->skel->struct_ops.fuzz_ops->flags |= FUSE_BPF_F_BACKING_ATTR;
	ret = fuse_fuzz__load(z->skel);
	if (ret)
		return ret;
	fz_fill_plan(z, hostile);
	ret = fz_attach(z);
	if (ret)
		return ret;
	id = td_filter_open(z->d, "fuzz");
	if (id <= 0)
		return -EIO;
	z->filt_closed = id;
	if (td_filter_close(z->d, id))
		return -EIO;
	td_set_filter(z->d, z->dir_node, FUSE_BPF_ACTION_SET, z->filt);
	return 0;
}

/*
 * After fuzzing, with good answers again: the mount must work.  The
 * daemon may have told the kernel anything about the nodes it fuzzed
 * (deleted, of another type, cached for years), so the check uses nodes
 * it never named: a directory "zz" with a file, and on fuse-bpf kernels
 * a directory "zb" bound to the backing, with the filter.
 */
static int fz_check_usable(struct fz *z, const char *root, char *why,
			   size_t size)
{
	char p[300], buf[64];
	uint64_t zz, zb;
	struct stat st;
	int fd, n;

	zz = td_add_dir(z->d, TD_ROOT_ID, "zz", 0755);
	td_add_file(z->d, zz, "x", 0644, "zzdata\n", 7);
	snprintf(p, sizeof(p), "%s/zz/x", z->mnt);
	fd = open(p, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n != 7 || memcmp(buf, "zzdata\n", 7)) {
		snprintf(why, size, "read %s: %d (%s)", p, n, strerror(errno));
		return -1;
	}
	if (stat(z->mnt, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, size, "stat %s: %s", z->mnt, strerror(errno));
		return -1;
	}
	if (!z->bpf)
		return 0;
	/* a backed directory: a new file lands on the backing */
	zb = td_add_dir(z->d, TD_ROOT_ID, "zb", 0755);
	td_set_backing(z->d, zb, FUSE_BPF_ACTION_SET, z->back_dir);
	td_set_filter(z->d, zb, FUSE_BPF_ACTION_SET, z->filt);
	snprintf(p, sizeof(p), "%s/zb/zz-check", z->mnt);
	if (td_write_file(p, "check\n", 0644)) {
		snprintf(why, size, "create %s: %s", p, strerror(errno));
		return -1;
	}
	fd = open(p, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n != 6 || memcmp(buf, "check\n", 6)) {
		snprintf(why, size, "read %s: %d (%s)", p, n, strerror(errno));
		return -1;
	}
	snprintf(p, sizeof(p), "%s/zz-check", root);
	if (stat(p, &st) || st.st_size != 6) {
		snprintf(why, size, "backing %s: %s", p, strerror(errno));
		return -1;
	}
	return 0;
}

/* Wait until @counter reaches @target, time runs out or a worker hangs. */
static bool fz_wait(struct fz *z, uint64_t *counter, uint64_t target,
		    uint64_t seconds, uint64_t t0, char *why, size_t size)
{
	uint64_t last = 0, last_change = now_ms();

	for (;;) {
		uint64_t v = __atomic_load_n(counter, __ATOMIC_RELAXED);
		uint64_t t = now_ms();

		if (z->hang) {
			snprintf(why, size, "%s", z->hang_what);
			return false;
		}
		if (target && v >= target)
			return true;
		if (seconds && t - t0 >= seconds * 1000) {
			if (!target)
				return true;
			snprintf(why, size, "%llu of %llu in %llu s",
				 (unsigned long long)v,
				 (unsigned long long)target,
				 (unsigned long long)seconds);
			return false;
		}
		if (v != last) {
			last = v;
			last_change = t;
		} else if (t - last_change > 120000) {
			snprintf(why, size, "no progress for 120 s at %llu",
				 (unsigned long long)v);
			return false;
		}
		fz_sleep_us(50000);
	}
}

static void fz_free(struct fz *z)
{
	if (z->d)
		td_umount(z->d);
	if (z->mnt[0])
		rmdir(z->mnt);
	bpf_link__destroy(z->link);
	if (z->skel)
		fuse_fuzz__destroy(z->skel);
	free(z);
}

/* The assertions every fuzz test shares, once the workers stopped */
#define FZ_ASSERT_SANE(z) do { \
	EXPECT_FALSE((z)->hang) TH_LOG("%s", (z)->hang_what); \
	EXPECT_EQ(0, (z)->internal_errno) \
		TH_LOG("kernel-internal errno %llu reached a caller (%s)", \
		       (unsigned long long)(z)->internal_errno, \
		       (z)->internal_opname); \
	EXPECT_EQ(0, (z)->odd_write_errno) \
		TH_LOG("a reply's write() failed with errno %llu", \
		       (unsigned long long)(z)->odd_write_errno); \
	EXPECT_EQ(0, (z)->dup_accepted) \
		TH_LOG("a second reply to one request was accepted"); \
	EXPECT_EQ(0, (z)->forget_over) \
		TH_LOG("FORGET gave back more than was looked up: id %#llx", \
		       (unsigned long long)(z)->forget_over_id); \
	/* without fuse-bpf, an id with the kernel's bit is the daemon's */ \
	if ((z)->bpf) \
		EXPECT_EQ(0, (z)->kernel_ids) \
			TH_LOG("the daemon was sent a kernel node id, first in %s: %#llx", \
			       td_opname((z)->kernel_id_opcode), \
			       (unsigned long long)(z)->kernel_id); \
} while (0)

static uint64_t fz_default_count(uint64_t debug, uint64_t other)
{
	return env_u64("FBPF_FUZZ_COUNT", debug_kernel() ? debug : other);
}

TEST_F_TIMEOUT(fuzz, replies, 3600)
{
	uint64_t t0, target = fz_default_count(50000, 15000), ops;
	char why[512] = "";
	struct fz *z;
	int ret;

	z = fz_new(self->seed, FZ_REPLIES);
	ASSERT_NE(NULL, z);
	self->z = z;
	z->bpf = td_kernel_init_flags() & FUSE_BPF;
	ASSERT_NE(NULL, fz_mount(z, NULL)) TH_LOG("mount: %s", strerror(errno));
	ASSERT_TRUE(td_barrier(z->d));
	if (z->bpf) {
		ret = fz_setup_bpf(z, self->root, false, false);
		ASSERT_EQ(0, ret) TH_LOG("fuse-bpf setup: %s", strerror(-ret));
		/* userspace filter answers are part of the reply fuzz */
		z->fuzz_user = true;
	}
	printf("# fuzz: replies on %s, seed %llu, %llu mutated replies, %d workers%s\n",
	       self->fs, (unsigned long long)self->seed,
	       (unsigned long long)target, self->workers,
	       z->bpf ? "" : " (no fuse-bpf: plain FUSE only)");
	fflush(stdout);

	t0 = now_ms();
	__atomic_store_n(&z->armed, true, __ATOMIC_RELAXED);
	fz_start_helpers(z);
	fz_start_workers(z, self->workers);
	EXPECT_TRUE(fz_wait(z, &z->mutated, target, self->seconds, t0, why,
			    sizeof(why))) TH_LOG("%s", why);
	ops = fz_stop_workers(z);
	fz_calm(z);
	if (!z->hang)
		EXPECT_EQ(0, fz_check_usable(z, self->root, why, sizeof(why)))
			TH_LOG("mount not usable after fuzzing: %s", why);
	fz_umount(z);
	fz_stop_watchdog(z);
	FZ_ASSERT_SANE(z);
	fz_report(z, "replies", self->fs, ops, 0, 1, now_ms() - t0);
	fz_free(z);
}

/* Random mount options and INIT replies, a few operations each. */
TEST_F_TIMEOUT(fuzz, short_mounts, 3600)
{
	uint64_t t0, mounts = fz_default_count(10, 40), done = 0, ops = 0;
	uint64_t kflags = td_kernel_init_flags();
	struct fz *total = fz_new(self->seed, FZ_REPLIES);
	bool bpf = kflags & FUSE_BPF;
	struct fuse_fuzz *skel = NULL;
	struct bpf_link *link = NULL;
	char why[512] = "";
	struct rng r;
	int rootfd;
	size_t i;

	ASSERT_NE(NULL, total);
	rng_init(&r, self->seed, 7);
	rootfd = open(self->root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, rootfd);
	if (bpf) {
		/* a registered "fuzz" filter for bpf_filter= */
		skel = fuse_fuzz__open_and_load();
		ASSERT_NE(NULL, skel);
		link = bpf_map__attach_struct_ops(skel->maps.fuzz_ops);
		ASSERT_NE(NULL, link);
	}
	printf("# fuzz: short mounts on %s, seed %llu, %llu mounts\n",
	       self->fs, (unsigned long long)self->seed,
	       (unsigned long long)mounts);
	fflush(stdout);
	t0 = now_ms();
	while (!mounts || done < mounts) {
		char opts[128] = "";
		struct fz *z;

		if (self->seconds && now_ms() - t0 >= self->seconds * 1000)
			break;
		z = fz_new(self->seed + done * 7919, FZ_REPLIES);
		ASSERT_NE(NULL, z);
		z->bpf = bpf;
		z->fuzz_init = chance(&r, 85);
		z->fuzz_user = true;
		fz_start_watchdog(z);
		fz_busy(z, FZ_B_MAIN, true);
		if (bpf && chance(&r, 40))
			snprintf(opts, sizeof(opts), "backing_root_fd=%d",
				 rootfd);
		if (bpf && chance(&r, 30))
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
				 "%sbpf_filter=fuzz", opts[0] ? "," : "");
		if (chance(&r, 20))
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
				 "%sdefault_permissions", opts[0] ? "," : "");
		if (chance(&r, 20))
			snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
				 "%smax_read=%u", opts[0] ? "," : "",
				 PICK(&r, ((unsigned int[]){ 1, 4096, 100000 })));
		if (!fz_mount(z, opts[0] ? opts : NULL)) {
			/* a mount option may be refused: that is all */
			fz_busy(z, FZ_B_MAIN, false);
			fz_stop_watchdog(z);
			fz_free(z);
			done++;
			continue;
		}
		/* INIT answered (or refused) before anything else */
		td_barrier(z->d);
		if (bpf && chance(&r, 70) &&
		    !fz_register(z, self->root) && chance(&r, 50)) {
			z->filt = td_filter_open(z->d, "fuzz");
			td_set_filter(z->d, z->dir_node, FUSE_BPF_ACTION_SET,
				      z->filt);
		}
		fz_busy(z, FZ_B_MAIN, false);
		__atomic_store_n(&z->armed, true, __ATOMIC_RELAXED);
		fz_start_helpers(z);
		z->ops_budget = 20 + below(&r, 60);
		fz_start_workers(z, 1 + below(&r, 2));
		ops += fz_stop_workers(z);
		__atomic_store_n(&z->armed, false, __ATOMIC_RELAXED);
		fz_stop_helpers(z);
		fz_umount(z);
		fz_stop_watchdog(z);
		FZ_ASSERT_SANE(z);
		if (z->hang)
			snprintf(why, sizeof(why), "mount %llu: %s",
				 (unsigned long long)done, z->hang_what);
		/* add up */
		total->replies += z->replies;
		total->mutated += z->mutated;
		total->refused += z->refused;
		total->ended_by_refusal += z->ended_by_refusal;
		total->held_sent += z->held_sent;
		total->cross_sent += z->cross_sent;
		total->notifies += z->notifies;
		total->notify_refused += z->notify_refused;
		total->user_filters += z->user_filters;
		total->user_fuzzed += z->user_fuzzed;
		total->forgets += z->forgets;
		for (i = 0; i <= FZ_ERRNO_MAX; i++) {
			total->werr[i] += z->werr[i];
			total->nerr[i] += z->nerr[i];
			total->cerr[i] += z->cerr[i];
		}
		fz_free(z);
		done++;
		if (why[0])
			break;
	}
	EXPECT_STREQ("", why);
	if (mounts && self->seconds && done < mounts)
		EXPECT_EQ(mounts, done) TH_LOG("time ran out");
	fz_report(total, "short_mounts", self->fs, ops, 0, done,
		  now_ms() - t0);
	total->d = NULL;
	free(total);
	bpf_link__destroy(link);
	if (skel)
		fuse_fuzz__destroy(skel);
	close(rootfd);
}

/*
 * Detach, re-attach, re-open and re-bind the filter while the workers
 * run; and re-plan some slots.
 */
static void *fz_churn(void *p)
{
	struct fz *z = p;
	struct rng *r = &z->crng;

	while (!__atomic_load_n(&z->stop_helpers, __ATOMIC_RELAXED)) {
		int id, bad = 0;

		fz_busy(z, FZ_B_CHURN, true);
		switch (below(r, 6)) {
		case 0:	/* bpf_link destroy and attach */
			bpf_link__destroy(z->link);
			z->link = bpf_map__attach_struct_ops(z->skel->maps.fuzz_ops);
			bad = !z->link;
			break;
		case 1:	/* a new id; the old one closed */
			id = td_filter_open(z->d, "fuzz");
			if (id > 0) {
				td_set_filter(z->d, z->dir_node,
					      FUSE_BPF_ACTION_SET, id);
				td_filter_close(z->d, z->filt);
				z->filt = id;
			} else {
				bad = !!z->link;
			}
			break;
		case 2:	/* the LOOKUP reply removes the filter */
			td_set_filter(z->d, z->dir_node,
				      FUSE_BPF_ACTION_REMOVE, 0);
			td_inval_entry(z->d, TD_ROOT_ID, "d");
			break;
		case 3:	/* and sets it again */
			td_set_filter(z->d, z->dir_node, FUSE_BPF_ACTION_SET,
				      z->filt);
			td_inval_entry(z->d, TD_ROOT_ID, "d");
			break;
		case 4: {	/* re-plan a slot */
			struct fz_slot s = {
				.pre = chance(r, 50) ? below(r, 6) :
				       -(int32_t)below(r, 600),
				.post = below(r, 6),
				.rw = rnd(r) & 0x1ff,
				.mode = fz_pick_mode(r),
				.val = fz_pick_u64(r),
			};
			uint32_t k = below(r, FZ_SLOTS);

			bpf_map_update_elem(bpf_map__fd(z->skel->maps.plan),
					    &k, &s, 0);
			break;
		}
		default:	/* a closed id in the reply: -EBADF */
			td_set_filter(z->d, z->dir_node, FUSE_BPF_ACTION_SET,
				      z->filt_closed);
			td_inval_entry(z->d, TD_ROOT_ID, "d");
			td_set_filter(z->d, z->dir_node, FUSE_BPF_ACTION_SET,
				      z->filt);
			break;
		}
		fz_busy(z, FZ_B_CHURN, false);
		pthread_mutex_lock(&z->lock);
		z->churns++;
		z->churn_errors += bad;
		pthread_mutex_unlock(&z->lock);
		fz_sleep_us(1000 + below(r, 5000));
	}
	return NULL;
}

TEST_F_TIMEOUT(fuzz, verdicts, 3600)
{
	uint64_t t0, target = fz_default_count(4000, 20000), ops;
	char why[512] = "";
	bool backing_attr;
	struct fz *z;
	int ret;

	z = fz_new(self->seed, FZ_VERDICTS);
	ASSERT_NE(NULL, z);
	z->bpf = td_kernel_init_flags() & FUSE_BPF;
	if (!z->bpf) {
		free(z);
		SKIP(return, "kernel without CONFIG_FUSE_BPF");
	}
	ASSERT_NE(NULL, fz_mount(z, NULL)) TH_LOG("mount: %s", strerror(errno));
	ASSERT_TRUE(td_barrier(z->d));
	/* both rules for the attributes shown, one per backing filesystem */
	backing_attr = !strcmp(self->fs, "ext4");
	ret = fz_setup_bpf(z, self->root, true, backing_attr);
	ASSERT_EQ(0, ret) TH_LOG("fuse-bpf setup: %s", strerror(-ret));
	z->fuzz_user = true;
	printf("# fuzz: verdicts on %s, seed %llu, %llu verdicts, %d workers%s\n",
	       self->fs, (unsigned long long)self->seed,
	       (unsigned long long)target, self->workers,
	       backing_attr ? ", FUSE_BPF_F_BACKING_ATTR" : "");
	fflush(stdout);

	t0 = now_ms();
	fz_start_helpers(z);
	z->have_churn = !pthread_create(&z->churn, NULL, fz_churn, z);
	fz_start_workers(z, self->workers);
	EXPECT_TRUE(fz_wait(z, (uint64_t *)&z->skel->bss->calls, target,
			    self->seconds, t0, why, sizeof(why)))
		TH_LOG("%s", why);
	ops = fz_stop_workers(z);
	__atomic_store_n(&z->stop_helpers, true, __ATOMIC_RELAXED);
	fz_busy(z, FZ_B_MAIN, true);
	if (z->have_churn)
		pthread_join(z->churn, NULL);
	fz_busy(z, FZ_B_MAIN, false);
	/* a benign plan and a live filter: the mount works again */
	fz_calm(z);
	if (!z->hang)
		EXPECT_EQ(0, fz_check_usable(z, self->root, why, sizeof(why)))
			TH_LOG("mount not usable after fuzzing: %s", why);
	fz_umount(z);
	fz_stop_watchdog(z);
	FZ_ASSERT_SANE(z);
	EXPECT_EQ(0, z->churn_errors);
	fz_report(z, "verdicts", self->fs, ops, z->skel->bss->calls, 1,
		  now_ms() - t0);
	fz_free(z);
}

TEST_HARNESS_MAIN
