// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-bpf in the fuse control filesystem and in /proc/mounts.
 *
 * Each connection's directory, /sys/fs/fuse/connections/N, gets three
 * read-only files: bpf_stats (per opcode: who served the operations the
 * fuse-bpf hooks handled, the filters' verdicts, the errors),
 * backing_files (the registered backings and the root's) and bpf_filters
 * (the filter ids the daemon opened and the root's filter).  Their
 * formats are stable: Documentation/filesystems/fuse-bpf.rst, section
 * "The fusectl files".  Paths are shown relative to the root directory
 * of the process that mounted, and never outside it.
 */

#include "fuse_i.h"

#include <linux/bsearch.h>
#include <linux/delay.h>
#include <linux/fs_struct.h>
#include <linux/idr.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <trace/events/fuse_bpf.h>

/* The characters a path or a name is escaped for, as /proc/mounts does */
#define FUSE_BPF_CTL_ESC	" \t\n\\"
#define FUSE_BPF_MNT_ESC	",= \t\n\\"

/* ------------------------------------------------------------ bpf_stats */

/**
 * enum fuse_bpf_stat - the counters of one opcode, bpf_stats' columns
 * @FUSE_BPF_STAT_KERNEL: served by the kernel on the backing
 * @FUSE_BPF_STAT_DAEMON: sent to the daemon as a plain FUSE request
 * @FUSE_BPF_STAT_FILTER: failed by the BPF filter's pre phase
 * @FUSE_BPF_STAT_USER: failed by the daemon's userspace pre filter
 * @FUSE_BPF_STAT_ERRORS: served by the kernel, with an errno as result
 * @FUSE_BPF_STAT_PRE_BACKING: pre phase verdict FUSE_BPF_BACKING
 * @FUSE_BPF_STAT_PRE_BACKING_POST: pre phase verdict FUSE_BPF_BACKING_POST
 * @FUSE_BPF_STAT_PRE_DAEMON: pre phase verdict FUSE_BPF_DAEMON
 * @FUSE_BPF_STAT_PRE_USER_PRE: pre phase verdict FUSE_BPF_USER_PRE
 * @FUSE_BPF_STAT_PRE_USER_POST: pre phase verdict FUSE_BPF_USER_POST
 * @FUSE_BPF_STAT_POST_BPF: a post phase ran the BPF filter
 * @FUSE_BPF_STAT_POST_USER: a post phase sent a userspace post filter
 *	request
 * @FUSE_BPF_NR_STATS: the number of counters
 */
enum fuse_bpf_stat {
	FUSE_BPF_STAT_KERNEL,
	FUSE_BPF_STAT_DAEMON,
	FUSE_BPF_STAT_FILTER,
	FUSE_BPF_STAT_USER,
	FUSE_BPF_STAT_ERRORS,
	FUSE_BPF_STAT_PRE_BACKING,
	FUSE_BPF_STAT_PRE_BACKING_POST,
	FUSE_BPF_STAT_PRE_DAEMON,
	FUSE_BPF_STAT_PRE_USER_PRE,
	FUSE_BPF_STAT_PRE_USER_POST,
	FUSE_BPF_STAT_POST_BPF,
	FUSE_BPF_STAT_POST_USER,
	FUSE_BPF_NR_STATS
};

/* The verdicts count in the order of enum fuse_bpf_verdict */
static_assert(FUSE_BPF_STAT_PRE_BACKING + FUSE_BPF_USER_POST ==
	      FUSE_BPF_STAT_PRE_USER_POST);

static const char *const fuse_bpf_stat_names[FUSE_BPF_NR_STATS] = {
	"kernel", "daemon", "filter", "user", "errors",
	"pre_backing", "pre_backing_post", "pre_daemon", "pre_user_pre",
	"pre_user_post", "post_bpf", "post_user",
};

/* The operations the fuse-bpf hooks handle, in bpf_stats' order */
static const struct fuse_bpf_stats_op {
	u32 opcode;
	const char *name;
} fuse_bpf_stats_ops[] = {
	{ FUSE_LOOKUP, "LOOKUP" },
	{ FUSE_GETATTR, "GETATTR" },
	{ FUSE_SETATTR, "SETATTR" },
	{ FUSE_READLINK, "READLINK" },
	{ FUSE_SYMLINK, "SYMLINK" },
	{ FUSE_MKNOD, "MKNOD" },
	{ FUSE_MKDIR, "MKDIR" },
	{ FUSE_UNLINK, "UNLINK" },
	{ FUSE_RMDIR, "RMDIR" },
	{ FUSE_RENAME, "RENAME" },
	{ FUSE_LINK, "LINK" },
	{ FUSE_OPEN, "OPEN" },
	{ FUSE_READ, "READ" },
	{ FUSE_WRITE, "WRITE" },
	{ FUSE_STATFS, "STATFS" },
	{ FUSE_FSYNC, "FSYNC" },
	{ FUSE_SETXATTR, "SETXATTR" },
	{ FUSE_GETXATTR, "GETXATTR" },
	{ FUSE_LISTXATTR, "LISTXATTR" },
	{ FUSE_REMOVEXATTR, "REMOVEXATTR" },
	{ FUSE_FLUSH, "FLUSH" },
	{ FUSE_OPENDIR, "OPENDIR" },
	{ FUSE_READDIR, "READDIR" },
	{ FUSE_FSYNCDIR, "FSYNCDIR" },
	{ FUSE_GETLK, "GETLK" },
	{ FUSE_SETLK, "SETLK" },
	{ FUSE_SETLKW, "SETLKW" },
	{ FUSE_ACCESS, "ACCESS" },
	{ FUSE_CREATE, "CREATE" },
	{ FUSE_IOCTL, "IOCTL" },
	{ FUSE_FALLOCATE, "FALLOCATE" },
	{ FUSE_RENAME2, "RENAME2" },
	{ FUSE_LSEEK, "LSEEK" },
	{ FUSE_COPY_FILE_RANGE, "COPY_FILE_RANGE" },
	{ FUSE_TMPFILE, "TMPFILE" },
};

#define FUSE_BPF_STATS_NR_OPS	ARRAY_SIZE(fuse_bpf_stats_ops)
#define FUSE_BPF_STATS_OPCODES	64

/**
 * struct fuse_bpf_stats - a connection's counters on one CPU
 * @count: per operation (fuse_bpf_stats_ops[]), per &enum fuse_bpf_stat
 */
struct fuse_bpf_stats {
	u64 count[FUSE_BPF_STATS_NR_OPS][FUSE_BPF_NR_STATS];
};

/* Opcode to 1 + its index in fuse_bpf_stats_ops[]; 0: not counted */
static u8 fuse_bpf_stats_slot[FUSE_BPF_STATS_OPCODES] __ro_after_init;

/**
 * fuse_bpf_stats_init() - index the operations bpf_stats counts
 *
 * Called when fuse is initialised (fuse_bpf_filters_init()).
 */
void fuse_bpf_stats_init(void)
{
	int i;

	BUILD_BUG_ON(FUSE_TMPFILE >= FUSE_BPF_STATS_OPCODES);
	for (i = 0; i < FUSE_BPF_STATS_NR_OPS; i++)
		fuse_bpf_stats_slot[fuse_bpf_stats_ops[i].opcode] = i + 1;
}

/*
 * Count an operation of @opcode that @served (&enum fuse_bpf_trace_served)
 * with the result @err.  Return: its row in @stats plus one, 0 when
 * bpf_stats does not count it.
 */
static unsigned int fuse_bpf_stats_served(struct fuse_bpf_stats __percpu *stats,
					  u32 opcode, int served, int err)
{
	unsigned int slot;

	if (!stats || opcode >= FUSE_BPF_STATS_OPCODES)
		return 0;
	slot = fuse_bpf_stats_slot[opcode];
	if (!slot)
		return 0;
	switch (served) {
	case FUSE_BPF_SERVED_BACKING:
		this_cpu_inc(stats->count[slot - 1][FUSE_BPF_STAT_KERNEL]);
		if (err)
			this_cpu_inc(stats->count[slot - 1][FUSE_BPF_STAT_ERRORS]);
		break;
	case FUSE_BPF_SERVED_DAEMON:
		this_cpu_inc(stats->count[slot - 1][FUSE_BPF_STAT_DAEMON]);
		break;
	case FUSE_BPF_SERVED_FILTER:
		this_cpu_inc(stats->count[slot - 1][FUSE_BPF_STAT_FILTER]);
		break;
	case FUSE_BPF_SERVED_USER:
		this_cpu_inc(stats->count[slot - 1][FUSE_BPF_STAT_USER]);
		break;
	}
	return slot;
}

/**
 * fuse_bpf_stats_add() - count an operation a fuse-bpf hook handled
 * @call: the operation's call, before fuse_bpf_call_end()
 * @served: who served it, &enum fuse_bpf_trace_served
 * @err: its result when the kernel served it: 0 or -errno
 *
 * Context: any; a few per-CPU increments.
 */
void fuse_bpf_stats_add(const struct fuse_bpf_call *call, int served, int err)
{
	struct fuse_bpf_stats __percpu *stats = call->stats;
	unsigned int slot;

	slot = fuse_bpf_stats_served(stats, call->ctx.opcode, served, err);
	if (!slot-- || !call->filter)
		return;
	/* A verdict, unless the filter failed the operation without one */
	if (call->pre >= FUSE_BPF_BACKING && call->pre <= FUSE_BPF_USER_POST &&
	    served != FUSE_BPF_SERVED_FILTER)
		this_cpu_inc(stats->count[slot][FUSE_BPF_STAT_PRE_BACKING +
						call->pre]);
	if (call->post == FUSE_BPF_POST_BPF)
		this_cpu_inc(stats->count[slot][FUSE_BPF_STAT_POST_BPF]);
	else if (call->post == FUSE_BPF_POST_USER)
		this_cpu_inc(stats->count[slot][FUSE_BPF_STAT_POST_USER]);
}

/**
 * fuse_bpf_count() - count and trace an operation served without a call
 * @inode: the FUSE inode it was for
 * @opcode: its FUSE opcode
 * @served: %FUSE_BPF_SERVED_BACKING or %FUSE_BPF_SERVED_DAEMON
 * @err: its result when the kernel served it: 0 or -errno
 *
 * What fuse_bpf_call_done() and fuse_bpf_call_daemon() count and trace
 * for a node without a filter to call, for the hooks that serve such a
 * node without setting a call up (fuse_bpf_unfiltered()): bpf_stats and
 * the fuse_bpf_op trace point do not tell the two ways apart.  A node
 * with a filter (that has no callback for @opcode) gets the
 * %FUSE_BPF_BACKING verdict the filter would have given.
 *
 * Context: any; a few per-CPU increments.
 */
void fuse_bpf_count(struct inode *inode, u32 opcode, int served, int err)
{
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_bpf_stats __percpu *stats = fuse_bpf_stats_of(fc);
	unsigned int slot;

	slot = fuse_bpf_stats_served(stats, opcode, served, err);
	if (slot-- && rcu_access_pointer(get_fuse_inode(inode)->bpf_filter))
		this_cpu_inc(stats->count[slot][FUSE_BPF_STAT_PRE_BACKING]);
	trace_fuse_bpf_op(fc->dev, get_node_id(inode), opcode, FUSE_BPF_BACKING,
			  0, served, err);
}

/**
 * fuse_bpf_stats_alloc() - give a connection its counters
 * @fc: the connection, FUSE_BPF just negotiated
 *
 * Called when the INIT reply is processed, so that connections without
 * FUSE_BPF do not pay for them.  Nothing is counted before, nor when the
 * allocation fails (bpf_stats then fails with ENOMEM).
 */
void fuse_bpf_stats_alloc(struct fuse_conn *fc)
{
	struct fuse_bpf_stats __percpu *stats;

	if (fc->bpf_stats)
		return;
	stats = alloc_percpu(struct fuse_bpf_stats);
	if (!stats) {
		pr_warn_ratelimited("fuse-bpf: no memory for bpf_stats\n");
		return;
	}
	/* fuse_bpf_call_begin() reads it locklessly */
	smp_store_release(&fc->bpf_stats, stats);
}

/* The width of a bpf_stats column: its name's, and at least 8 */
static int fuse_bpf_stats_width(int i)
{
	return max_t(int, strlen(fuse_bpf_stat_names[i]), 8);
}

static int fuse_bpf_stats_show(struct seq_file *m, struct fuse_conn *fc)
{
	struct fuse_bpf_stats __percpu *stats = fuse_bpf_stats_of(fc);
	u64 sum[FUSE_BPF_NR_STATS];
	int cpu, op, i;
	bool any;

	if (!stats && fc->bpf)
		return -ENOMEM;
	seq_printf(m, "%-6s %-15s", "opcode", "name");
	for (i = 0; i < FUSE_BPF_NR_STATS; i++)
		seq_printf(m, " %*s", fuse_bpf_stats_width(i),
			   fuse_bpf_stat_names[i]);
	seq_putc(m, '\n');
	if (!stats)
		return 0;
	for (op = 0; op < FUSE_BPF_STATS_NR_OPS; op++) {
		memset(sum, 0, sizeof(sum));
		any = false;
		for_each_possible_cpu(cpu) {
			const struct fuse_bpf_stats *s = per_cpu_ptr(stats, cpu);

			for (i = 0; i < FUSE_BPF_NR_STATS; i++)
				sum[i] += READ_ONCE(s->count[op][i]);
		}
		for (i = 0; i < FUSE_BPF_NR_STATS; i++)
			any |= sum[i] != 0;
		if (!any)
			continue;
		seq_printf(m, "%-6u %-15s", fuse_bpf_stats_ops[op].opcode,
			   fuse_bpf_stats_ops[op].name);
		for (i = 0; i < FUSE_BPF_NR_STATS; i++)
			seq_printf(m, " %*llu", fuse_bpf_stats_width(i), sum[i]);
		seq_putc(m, '\n');
	}
	return 0;
}

/* ---------------------------------------- backing_files and bpf_filters */

/*
 * One line of backing_files or bpf_filters: a registered backing or an
 * opened filter (a reference to it), or the root's (@id 0), and how many
 * of the connection's nodes it is bound to (@key: its address).
 */
struct fuse_bpf_ctl_entry {
	unsigned long key;
	int id;
	u32 nodes;
	struct fuse_backing *fb;
	struct fuse_bpf_filter *f;
};

struct fuse_bpf_ctl_list {
	struct fuse_bpf_ctl_entry *e;
	unsigned int n;
	unsigned int size;
};

/* Append an entry; the list takes over the reference in @fb or @f. */
static int fuse_bpf_ctl_list_add(struct fuse_bpf_ctl_list *l, int id,
				 struct fuse_backing *fb,
				 struct fuse_bpf_filter *f)
{
	struct fuse_bpf_ctl_entry *e;

	if (l->n == l->size) {
		unsigned int size = max(2 * l->size, 16U);

		e = krealloc_array(l->e, size, sizeof(*e), GFP_KERNEL);
		if (!e) {
			fuse_backing_put(fb);
			fuse_bpf_filter_put(f);
			return -ENOMEM;
		}
		l->e = e;
		l->size = size;
	}
	e = &l->e[l->n++];
	e->key = fb ? (unsigned long)fb : (unsigned long)f;
	e->id = id;
	e->nodes = 0;
	e->fb = fb;
	e->f = f;
	return 0;
}

static void fuse_bpf_ctl_list_free(struct fuse_bpf_ctl_list *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		fuse_backing_put(l->e[i].fb);
		fuse_bpf_filter_put(l->e[i].f);
	}
	kfree(l->e);
}

static int fuse_bpf_ctl_cmp_key(const void *a, const void *b)
{
	const struct fuse_bpf_ctl_entry *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int fuse_bpf_ctl_cmp_id(const void *a, const void *b)
{
	const struct fuse_bpf_ctl_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * fc->killsb for reading the connection's superblocks, without waiting:
 * the files are read under the seq_file's lock, which an unmount holding
 * killsb may need (through a pipe: lockdep saw the cycle).  A few tries;
 * false while a mount or unmount holds it, and the caller leaves the
 * superblocks out.
 */
static bool fuse_bpf_ctl_lock_sbs(struct fuse_conn *fc)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (down_read_trylock(&fc->killsb))
			return true;
		usleep_range(1000, 2000);
	}
	return false;
}

/* The root inode of the connection's first superblock, referenced, or NULL */
static struct inode *fuse_bpf_ctl_root(struct fuse_conn *fc)
{
	struct inode *root = NULL;
	struct fuse_mount *fm;

	if (!fuse_bpf_ctl_lock_sbs(fc))
		return NULL;
	list_for_each_entry(fm, &fc->mounts, fc_entry) {
		if (fm->sb && fm->sb->s_root) {
			root = igrab(d_inode(fm->sb->s_root));
			break;
		}
	}
	up_read(&fc->killsb);
	return root;
}

/*
 * Count, for each entry, the connection's nodes bound to its backing
 * (@filters false) or using its filter.  One pass over the inodes of the
 * connection's superblocks, with the entries sorted by address; they are
 * sorted by id again for printing.
 */
static void fuse_bpf_ctl_count_nodes(struct fuse_conn *fc,
				     struct fuse_bpf_ctl_list *l, bool filters)
{
	struct fuse_bpf_ctl_entry key, *e;
	struct fuse_mount *fm;
	struct inode *inode;
	unsigned int i, j, k;

	sort(l->e, l->n, sizeof(*l->e), fuse_bpf_ctl_cmp_key, NULL);
	if (!fuse_bpf_ctl_lock_sbs(fc))
		goto counted;
	list_for_each_entry(fm, &fc->mounts, fc_entry) {
		struct super_block *sb = fm->sb;

		if (!sb)
			continue;
		spin_lock(&sb->s_inode_list_lock);
		list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
			struct fuse_inode *fi = get_fuse_inode(inode);

			if (filters)
				key.key = (unsigned long)
					  rcu_access_pointer(fi->bpf_filter);
			else
				key.key = (unsigned long)
					  rcu_access_pointer(fi->bpf_backing);
			if (!key.key)
				continue;
			e = bsearch(&key, l->e, l->n, sizeof(*l->e),
				    fuse_bpf_ctl_cmp_key);
			if (e)
				e->nodes++;
		}
		spin_unlock(&sb->s_inode_list_lock);
	}
	up_read(&fc->killsb);
counted:
	/* Two ids of one filter: bsearch() counted in either; both get all */
	for (i = 0; i < l->n; i = j) {
		u32 nodes = 0;

		for (j = i; j < l->n && l->e[j].key == l->e[i].key; j++)
			nodes += l->e[j].nodes;
		for (k = i; k < j; k++)
			l->e[k].nodes = nodes;
	}
	sort(l->e, l->n, sizeof(*l->e), fuse_bpf_ctl_cmp_id, NULL);
}

/* The "id" column: the root's entry is "root" */
static void fuse_bpf_ctl_show_id(struct seq_file *m, int id)
{
	if (id)
		seq_printf(m, "%-6d", id);
	else
		seq_printf(m, "%-6s", "root");
}

/*
 * @path relative to the mounter's root, escaped with @esc;
 * "(unreachable)" when it is not below that root.  @deleted: add
 * " (deleted)" when it was removed (unambiguous: @esc has the space).
 */
static void fuse_bpf_ctl_show_path(struct seq_file *m, struct fuse_conn *fc,
				   const struct path *path, const char *esc,
				   bool deleted)
{
	if (!fc->bpf_mounter_root.mnt ||
	    seq_path_root(m, path, &fc->bpf_mounter_root, esc) == SEQ_SKIP) {
		seq_puts(m, "(unreachable)");
		return;
	}
	if (deleted && d_unlinked(path->dentry))
		seq_puts(m, " (deleted)");
}

static int fuse_bpf_backing_files_show(struct seq_file *m,
				       struct fuse_conn *fc)
{
	struct fuse_bpf_ctl_list l = {};
	struct user_namespace *ns = seq_user_ns(m);
	struct fuse_backing *fb;
	struct inode *root;
	unsigned int i;
	int id, err;

	root = fuse_bpf_ctl_root(fc);
	if (root) {
		rcu_read_lock();
		fb = fuse_backing_get(rcu_dereference(get_fuse_inode(root)->bpf_backing));
		rcu_read_unlock();
		iput(root);
		if (fb) {
			err = fuse_bpf_ctl_list_add(&l, 0, fb, NULL);
			if (err)
				goto out;
		}
	}
	for (id = 1;; id++) {
		rcu_read_lock();
		fb = idr_get_next(&fc->backing_files_map, &id);
		if (fb && !fuse_backing_get(fb))
			fb = ERR_PTR(-ENOENT);
		rcu_read_unlock();
		if (!fb)
			break;
		if (IS_ERR(fb))
			continue;
		err = fuse_bpf_ctl_list_add(&l, id, fb, NULL);
		if (err)
			goto out;
	}
	fuse_bpf_ctl_count_nodes(fc, &l, false);

	seq_printf(m, "%-6s %-4s %10s %10s %6s %6s %s\n", "id", "type", "uid",
		   "gid", "refs", "nodes", "path");
	for (i = 0; i < l.n; i++) {
		const struct cred *cred;

		fb = l.e[i].fb;
		cred = fb->cred;
		fuse_bpf_ctl_show_id(m, l.e[i].id);
		/* Less the reference this listing holds */
		seq_printf(m, " %-4s %10u %10u %6u %6u ",
			   d_is_dir(fb->file->f_path.dentry) ? "dir" : "file",
			   from_kuid_munged(ns, cred->fsuid),
			   from_kgid_munged(ns, cred->fsgid),
			   refcount_read(&fb->count) - 1, l.e[i].nodes);
		fuse_bpf_ctl_show_path(m, fc, &fb->file->f_path,
				       FUSE_BPF_CTL_ESC, true);
		seq_putc(m, '\n');
	}
	err = 0;
out:
	fuse_bpf_ctl_list_free(&l);
	return err;
}

static int fuse_bpf_filters_show(struct seq_file *m, struct fuse_conn *fc)
{
	struct fuse_bpf_ctl_list l = {};
	struct fuse_bpf_filter *f;
	struct inode *root;
	unsigned int i;
	int id, err;

	root = fuse_bpf_ctl_root(fc);
	if (root) {
		f = fuse_bpf_filter_of(root);
		iput(root);
		if (f) {
			err = fuse_bpf_ctl_list_add(&l, 0, NULL, f);
			if (err)
				goto out;
		}
	}
	for (id = 1;; id++) {
		rcu_read_lock();
		f = idr_get_next(&fc->bpf_filter_ids, &id);
		if (f && !fuse_bpf_filter_get(f))
			f = ERR_PTR(-ENOENT);
		rcu_read_unlock();
		if (!f)
			break;
		if (IS_ERR(f))
			continue;
		err = fuse_bpf_ctl_list_add(&l, id, NULL, f);
		if (err)
			goto out;
	}
	fuse_bpf_ctl_count_nodes(fc, &l, true);

	seq_printf(m, "%-6s %6s %s\n", "id", "nodes", "name");
	for (i = 0; i < l.n; i++) {
		fuse_bpf_ctl_show_id(m, l.e[i].id);
		seq_printf(m, " %6u ", l.e[i].nodes);
		seq_escape(m, fuse_bpf_filter_name(l.e[i].f), FUSE_BPF_CTL_ESC);
		seq_putc(m, '\n');
	}
	err = 0;
out:
	fuse_bpf_ctl_list_free(&l);
	return err;
}

/* ------------------------------------------------------ the files */

/* The connection of a fusectl file, referenced, or NULL once it is gone */
static struct fuse_conn *fuse_bpf_ctl_conn_get(struct file *file)
{
	struct fuse_conn *fc;

	mutex_lock(&fuse_mutex);
	fc = file_inode(file)->i_private;
	if (fc)
		fc = fuse_conn_get(fc);
	mutex_unlock(&fuse_mutex);
	return fc;
}

/*
 * Each file takes a reference to its connection at open, in m->private,
 * and drops it at release.
 */
static int fuse_bpf_ctl_open(struct file *file,
			     int (*show)(struct seq_file *m, void *v))
{
	struct fuse_conn *fc = fuse_bpf_ctl_conn_get(file);
	int err;

	if (!fc)
		return -ENOENT;
	err = single_open(file, show, fc);
	if (err)
		fuse_conn_put(fc);
	return err;
}

static int fuse_bpf_ctl_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	fuse_conn_put(m->private);
	return single_release(inode, file);
}

static int fuse_bpf_stats_seq_show(struct seq_file *m, void *v)
{
	return fuse_bpf_stats_show(m, m->private);
}

static int fuse_bpf_backing_files_seq_show(struct seq_file *m, void *v)
{
	return fuse_bpf_backing_files_show(m, m->private);
}

static int fuse_bpf_filters_seq_show(struct seq_file *m, void *v)
{
	return fuse_bpf_filters_show(m, m->private);
}

static int fuse_bpf_stats_open(struct inode *inode, struct file *file)
{
	return fuse_bpf_ctl_open(file, fuse_bpf_stats_seq_show);
}

/* Paths and credentials: for CAP_SYS_ADMIN only, whatever the mode */
static int fuse_bpf_backing_files_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return fuse_bpf_ctl_open(file, fuse_bpf_backing_files_seq_show);
}

static int fuse_bpf_filters_open(struct inode *inode, struct file *file)
{
	return fuse_bpf_ctl_open(file, fuse_bpf_filters_seq_show);
}

static const struct file_operations fuse_bpf_stats_fops = {
	.open = fuse_bpf_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = fuse_bpf_ctl_release,
};

static const struct file_operations fuse_bpf_backing_files_fops = {
	.open = fuse_bpf_backing_files_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = fuse_bpf_ctl_release,
};

static const struct file_operations fuse_bpf_filters_fops = {
	.open = fuse_bpf_filters_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = fuse_bpf_ctl_release,
};

/**
 * fuse_bpf_ctl_add_conn() - add fuse-bpf's files to a connection's directory
 * @parent: /sys/fs/fuse/connections/N
 * @fc: the connection
 *
 * Mode 0400 and the connection's owner, as upstream's "waiting";
 * backing_files also needs CAP_SYS_ADMIN to open.
 *
 * Context: fuse_mutex held (fuse_ctl_add_conn()).
 * Return: 0 or -ENOMEM.
 */
int fuse_bpf_ctl_add_conn(struct dentry *parent, struct fuse_conn *fc)
{
	if (!fuse_ctl_add_dentry(parent, fc, "bpf_stats", S_IFREG | 0400, 1,
				 NULL, &fuse_bpf_stats_fops) ||
	    !fuse_ctl_add_dentry(parent, fc, "backing_files", S_IFREG | 0400,
				 1, NULL, &fuse_bpf_backing_files_fops) ||
	    !fuse_ctl_add_dentry(parent, fc, "bpf_filters", S_IFREG | 0400, 1,
				 NULL, &fuse_bpf_filters_fops))
		return -ENOMEM;
	return 0;
}

/**
 * fuse_bpf_ctl_mount() - remember the mounter's root directory
 * @fc: the connection, its first superblock being set up
 *
 * Called in the mounter's context.  The paths of the fusectl files and
 * of /proc/mounts are shown relative to it, and never outside it.
 */
void fuse_bpf_ctl_mount(struct fuse_conn *fc)
{
	if (!fc->bpf_mounter_root.mnt && current->fs)
		get_fs_root(current->fs, &fc->bpf_mounter_root);
}

/**
 * fuse_bpf_ctl_conn_free() - drop what the fusectl files use
 * @fc: the connection, going away
 */
void fuse_bpf_ctl_conn_free(struct fuse_conn *fc)
{
	path_put(&fc->bpf_mounter_root);
	free_percpu(fc->bpf_stats);
}

/**
 * fuse_bpf_show_options() - fuse-bpf's mount options in /proc/mounts
 * @m: the seq_file
 * @root: the root of the mount shown (of a bind mount: its directory)
 *
 * The root's backing as backing_root=PATH (a path relative to the
 * mounter's root, never the descriptor given as backing_root_fd=; output
 * only), and the root's filter as bpf_filter=NAME.
 */
void fuse_bpf_show_options(struct seq_file *m, struct dentry *root)
{
	struct inode *inode = d_inode(root->d_sb->s_root);
	struct fuse_conn *fc = get_fuse_conn(inode);
	struct fuse_bpf_filter *f;
	struct fuse_backing *fb;

	rcu_read_lock();
	fb = fuse_backing_get(rcu_dereference(get_fuse_inode(inode)->bpf_backing));
	rcu_read_unlock();
	if (fb) {
		seq_puts(m, ",backing_root=");
		fuse_bpf_ctl_show_path(m, fc, &fb->file->f_path,
				       FUSE_BPF_MNT_ESC, false);
		fuse_backing_put(fb);
	}
	f = fuse_bpf_filter_of(inode);
	if (f) {
		seq_show_option(m, "bpf_filter", fuse_bpf_filter_name(f));
		fuse_bpf_filter_put(f);
	}
}
