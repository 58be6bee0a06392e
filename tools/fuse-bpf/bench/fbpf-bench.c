// SPDX-License-Identifier: GPL-2.0
/*
 * fbpf-bench: the metadata workloads of the fuse-bpf benchmark suite.
 *
 * Each subcommand runs one timed loop of system calls on a directory and
 * prints one line, "OPS SECONDS RATE", where RATE = OPS / SECONDS (per
 * second) is measured with clock_gettime(CLOCK_MONOTONIC) around the loop
 * only; setup and clean-up are not timed.  Cache state (cold or warm) is the
 * caller's business: run-bench.sh drops caches where it says so.
 *
 * A "tree" is DIR/dNNN/fNNNNN, FILES_PER_DIR files per directory, the shape
 * of a source tree whose files git status lstat()s one by one.  With
 * "-d DEPTH" before the subcommand (default 1), each group of FILES_PER_DIR
 * files sits DEPTH directories below DIR: DIR/dNNN/s/.../s/fNNNNN, with
 * DEPTH - 1 directories named "s" under each dNNN, so that every path
 * walk crosses DEPTH + 1 components (dev/fbpf bench --scaling).
 *
 *   fbpf-bench create DIR N SIZE   create+write(SIZE bytes)+close N files (tree)
 *   fbpf-bench stat DIR N [MIN]    lstat() the N files of a tree
 *   fbpf-bench open DIR N [MIN]    open(O_RDONLY)+close() the N files of a tree
 *   fbpf-bench unlink DIR N        unlink() the N files of a tree (then rmdir, untimed)
 *   fbpf-bench mkflat DIR N        create N empty files in DIR itself
 *   fbpf-bench readdir DIR [MIN]   list DIR with getdents64; OPS = entries
 *
 * With MIN (seconds), stat, open and readdir repeat their whole pass until
 * at least that long has passed: a warm pass can take a few milliseconds,
 * too short to time on a shared TCG host.  With "-j JOBS" (default 1), JOBS
 * processes run stat or open at once on the same files, each for MIN
 * seconds: OPS is their sum, the parallel walk of several CPUs.
 *   fbpf-bench run CMD [ARG...]    run a command; OPS = 1
 *   fbpf-bench rmtree DIR N        remove a tree made by create (untimed)
 *
 * Every failing system call is fatal: a benchmark that skipped work would
 * report a rate for work it did not do.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILES_PER_DIR 100
#define MAX_DEPTH 64
#define MAX_JOBS 64

static const char *prog = "fbpf-bench";
/* directories between DIR and a file of a tree (-d) */
static long depth = 1;
/* processes running stat or open at once (-j) */
static long jobs = 1;

static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(long ops, double t0)
{
	double s = now() - t0;

	if (s <= 0) {
		/* a jiffies clocksource: no rate can be told */
		fprintf(stderr, "%s: the clock did not advance over %ld operations\n",
			prog, ops);
		exit(1);
	}
	printf("%ld %.6f %.2f\n", ops, s, ops / s);
}

static long parse_n(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 0) {
		fprintf(stderr, "%s: bad number '%s'\n", prog, s);
		exit(2);
	}
	return n;
}

/* DIR/dNNN/s/.../s: the directory of group G of a tree, LEVELS deep (<= depth) */
static void tree_dir(char *buf, size_t size, const char *dir, long g, long levels)
{
	size_t len;
	long l;

	snprintf(buf, size, "%s/d%03ld", dir, g);
	for (l = 1; l < levels; l++) {
		len = strlen(buf);
		if (len + 3 > size) {
			fprintf(stderr, "%s: path too long\n", prog);
			exit(2);
		}
		memcpy(buf + len, "/s", 3);
	}
}

/* Paths of a tree, computed up front so the timed loop only does syscalls. */
static char **tree_paths(const char *dir, long n)
{
	char **p = calloc(n ? n : 1, sizeof(*p));
	char d[4096];
	long i;

	if (!p)
		die("calloc");
	for (i = 0; i < n; i++) {
		if (i % FILES_PER_DIR == 0)
			tree_dir(d, sizeof(d), dir, i / FILES_PER_DIR, depth);
		if (asprintf(&p[i], "%s/f%05ld", d, i) < 0)
			die("asprintf");
	}
	return p;
}

static void tree_mkdirs(const char *dir, long n)
{
	char path[4096];
	long g, l;

	if (mkdir(dir, 0755) && errno != EEXIST)
		die("mkdir %s", dir);
	for (g = 0; g * FILES_PER_DIR < n; g++) {
		for (l = 1; l <= depth; l++) {
			tree_dir(path, sizeof(path), dir, g, l);
			if (mkdir(path, 0755) && errno != EEXIST)
				die("mkdir %s", path);
		}
	}
}

/* rmdir the directories of a tree, deepest first */
static void tree_rmdirs(const char *dir, long n)
{
	char path[4096];
	long g, l;

	for (g = 0; g * FILES_PER_DIR < n; g++) {
		for (l = depth; l >= 1; l--) {
			tree_dir(path, sizeof(path), dir, g, l);
			if (rmdir(path))
				die("rmdir %s", path);
		}
	}
}

static int cmd_create(const char *dir, long n, long size)
{
	char **p = tree_paths(dir, n);
	char *buf = malloc(size ? size : 1);
	double t0;
	long i;

	if (!buf)
		die("malloc");
	memset(buf, 'x', size);
	tree_mkdirs(dir, n);
	t0 = now();
	for (i = 0; i < n; i++) {
		int fd = open(p[i], O_WRONLY | O_CREAT | O_EXCL, 0644);

		if (fd < 0)
			die("create %s", p[i]);
		if (size && write(fd, buf, size) != size)
			die("write %s", p[i]);
		if (close(fd))
			die("close %s", p[i]);
	}
	report(n, t0);
	return 0;
}

/* One pass of a warm workload over the N paths of a tree: N operations. */
typedef void (*pass_fn)(char **p, long n);

static void stat_pass(char **p, long n)
{
	struct stat st;
	long i;

	for (i = 0; i < n; i++)
		if (lstat(p[i], &st))
			die("lstat %s", p[i]);
}

static void open_pass(char **p, long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = open(p[i], O_RDONLY);

		if (fd < 0)
			die("open %s", p[i]);
		if (close(fd))
			die("close %s", p[i]);
	}
}

/* Whole passes until at least MIN_SECS passed since T0: the operations. */
static long passes(pass_fn pass, char **p, long n, double t0, double min_secs)
{
	long ops = 0;

	do {
		pass(p, n);
		ops += n;
	} while (now() - t0 < min_secs);
	return ops;
}

/*
 * -j JOBS: JOBS processes run the passes at once on the same files, from
 * the moment the parent lets them go; OPS is their sum, SECONDS the
 * parent's time until the last one reported.
 */
static int cmd_passes(pass_fn pass, const char *dir, long n, double min_secs)
{
	char **p = tree_paths(dir, n);
	int go[2], res[2];
	long j, ops = 0, one;
	double t0;
	char c;

	if (jobs == 1) {
		t0 = now();
		report(passes(pass, p, n, t0, min_secs), t0);
		return 0;
	}
	if (pipe(go) || pipe(res))
		die("pipe");
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid)
			continue;
		close(go[1]);
		if (read(go[0], &c, 1) < 0)
			die("read");
		one = passes(pass, p, n, now(), min_secs);
		if (write(res[1], &one, sizeof(one)) != sizeof(one))
			die("write");
		_exit(0);
	}
	close(go[0]);
	close(res[1]);
	t0 = now();
	close(go[1]);		/* every child's read returns: go */
	for (j = 0; j < jobs; j++) {
		if (read(res[0], &one, sizeof(one)) != sizeof(one)) {
			fprintf(stderr, "%s: a job failed\n", prog);
			exit(1);
		}
		ops += one;
	}
	report(ops, t0);
	while (wait(NULL) > 0)
		;
	return 0;
}

static int cmd_unlink(const char *dir, long n, int timed)
{
	char **p = tree_paths(dir, n);
	double t0 = now();
	long i;

	for (i = 0; i < n; i++)
		if (unlink(p[i]))
			die("unlink %s", p[i]);
	if (timed)
		report(n, t0);
	tree_rmdirs(dir, n);
	return 0;
}

static int cmd_mkflat(const char *dir, long n)
{
	char path[4096];
	double t0 = now();
	long i;

	for (i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/entry-%06ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("create %s", path);
		if (close(fd))
			die("close %s", path);
	}
	report(n, t0);
	return 0;
}

static long list_dir(const char *dir)
{
	static char buf[64 * 1024];
	long entries = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		die("open %s", dir);
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		long off = 0;

		if (got < 0)
			die("getdents64 %s", dir);
		if (got == 0)
			break;
		while (off < got) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);

			entries++;
			off += de->d_reclen;
		}
	}
	if (close(fd))
		die("close %s", dir);
	return entries;
}

static int cmd_readdir(const char *dir, double min_secs)
{
	double t0 = now();
	long ops = 0;

	do
		ops += list_dir(dir);
	while (now() - t0 < min_secs);
	report(ops, t0);
	return 0;
}

static int cmd_run(char **argv)
{
	double t0 = now();
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		die("exec %s", argv[0]);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: %s failed (status 0x%x)\n", prog, argv[0], status);
		return 1;
	}
	report(1, t0);
	return 0;
}

static double parse_secs(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || d < 0) {
		fprintf(stderr, "%s: bad number of seconds '%s'\n", prog, s);
		exit(2);
	}
	return d;
}

static void usage_exit(void)
{
	fprintf(stderr,
		"usage: %s [-d DEPTH] create DIR N SIZE\n"
		"       %s [-d DEPTH] [-j JOBS] stat DIR N [MIN_SECS] | open DIR N [MIN_SECS]\n"
		"       %s [-d DEPTH] unlink DIR N | rmtree DIR N\n"
		"       %s mkflat DIR N | readdir DIR [MIN_SECS] | run CMD [ARG...]\n"
		"Prints \"OPS SECONDS OPS_PER_SECOND\" for the timed loop.  With MIN_SECS,\n"
		"stat, open and readdir repeat their whole pass until that much time passed.\n"
		"-d: the files of a tree are DEPTH directories below DIR (default 1).\n"
		"-j: JOBS processes run stat or open at once; OPS is their sum.\n",
		prog, prog, prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd;

	while (argc > 2 && (!strcmp(argv[1], "-d") || !strcmp(argv[1], "-j"))) {
		long v = parse_n(argv[2]);

		if (argv[1][1] == 'd' && (v < 1 || v > MAX_DEPTH)) {
			fprintf(stderr, "%s: -d wants 1 to %d\n", prog, MAX_DEPTH);
			exit(2);
		}
		if (argv[1][1] == 'j' && (v < 1 || v > MAX_JOBS)) {
			fprintf(stderr, "%s: -j wants 1 to %d\n", prog, MAX_JOBS);
			exit(2);
		}
		*(argv[1][1] == 'd' ? &depth : &jobs) = v;
		argc -= 2;
		argv += 2;
	}
	if (argc < 3)
		usage_exit();
	cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argv + 2);
	if (!strcmp(cmd, "readdir") && argc <= 4)
		return cmd_readdir(argv[2], argc == 4 ? parse_secs(argv[3]) : 0);
	if (!strcmp(cmd, "create") && argc == 5)
		return cmd_create(argv[2], parse_n(argv[3]), parse_n(argv[4]));
	if ((!strcmp(cmd, "stat") || !strcmp(cmd, "open")) && (argc == 4 || argc == 5)) {
		double min = argc == 5 ? parse_secs(argv[4]) : 0;

		return cmd_passes(!strcmp(cmd, "stat") ? stat_pass : open_pass,
				  argv[2], parse_n(argv[3]), min);
	}
	if (argc != 4)
		usage_exit();
	if (!strcmp(cmd, "unlink"))
		return cmd_unlink(argv[2], parse_n(argv[3]), 1);
	if (!strcmp(cmd, "rmtree"))
		return cmd_unlink(argv[2], parse_n(argv[3]), 0);
	if (!strcmp(cmd, "mkflat"))
		return cmd_mkflat(argv[2], parse_n(argv[3]));
	usage_exit();
	return 2;
}
