#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-bench.sh: the guest side of `dev/fbpf bench`.  Runs every workload on
# every configuration, REPS times, and prints one line per measurement:
#
#   bench: CONFIG WORKLOAD REP VALUE UNIT
#   bench-skip: CONFIG REASON            (a configuration that cannot run)
#   bench-fail: CONFIG WORKLOAD REP WHY  (a measurement that failed)
#   bench-info: TEXT
#
# The host (dev/fbpf) turns those into medians, spreads and ratios.  Nothing
# here judges a number.
#
# Arguments (from fbpf.tests= on the kernel command line):
#   reps=N  quick=0|1  backing=ext4|tmpfs  configs=a+b+c
#   realworld=TARBALL  the real-world workloads (git, find, du, tar, make) on a
#                      source tree and a C project from TARBALL, a path in the
#                      host's root that dev/guest/init mounted at /hostroot
#   scaling=1 scaling_max=N  instead of all that, the scaling run: per-op cost
#                      of create, lstat and readdir against N (and depth)
#   perf=1             perf profiles (see perf_config) into the host's
#                      directory shared as fbpfout, /hostroot/run/fbpf here
#
# More lines in those modes:
#   bench-scale: CONFIG WORKLOAD N DEPTH REP MICROSECONDS_PER_OP
#
# Configurations: tmpfs and ext4 (native); overlay, the anchor for a
# stacking file system: overlayfs at /mnt/overlay whose upper directory (and
# workdir, and an empty lower one) are in its backing directory, so that
# every object the workloads make is forwarded to the backing file system
# as fuse-bpf forwards it; then the FUSE ones, each served by
# fuse-bpf-passthrough at /mnt/fuse-CONFIG from its own backing directory on
# the `backing` file system:
#   bpf          fuse-bpf, root bound with backing_root_fd=, no filter
#   bpf-filter   the same with --filter (a BPF filter on every operation)
#   bpf-data     the same with a filter with read and write callbacks only
#                (fuse_iocount: counts), so that data I/O takes the hook
#   passthrough  upstream passthrough: the daemon answers every metadata
#                request, reads and writes go to the backing file
#   plain        plain FUSE: the daemon answers everything
set -u

REPS=5 QUICK=0 BACKING=ext4 CONFIGS="tmpfs ext4 overlay bpf bpf-filter bpf-data passthrough plain"
PROFILE=0 PERF=0 RW_TAR='' SCALING=0 SCALE_MAX=100000
for a in "$@"; do
	case "$a" in
	profile=*) PROFILE=${a#*=};;
	perf=*) PERF=${a#*=};;
	realworld=*) RW_TAR=${a#*=};;
	scaling=*) SCALING=${a#*=};;
	scaling_max=*) SCALE_MAX=${a#*=};;
	reps=*) REPS=${a#*=};;
	quick=*) QUICK=${a#*=};;
	backing=*) BACKING=${a#*=};;
	configs=*) CONFIGS=$(echo "${a#*=}" | tr + ' ');;
	'') ;;
	*) echo "bench-info: ignoring unknown argument '$a'";;
	esac
done

DAEMON=${FBPF_DAEMON:-/usr/bin/fuse-bpf-passthrough}
FILTER=${FBPF_FILTER:-/bench/filter.bpf.o}
DATA_FILTER=${FBPF_DATA_FILTER:-/bench/data-filter.bpf.o}
TARBALL=/bench/src.tar
B=fbpf-bench
# A hung file system must not eat the whole run: one step gets this long.
STEP_TIMEOUT=600

# Sizes (see README.md, "Benchmarks").  TCG is slow: these keep a full run of
# six configurations under about 25 minutes.
if [ "$QUICK" = 1 ]; then
	N_TREE=1000 N_FLAT=2000 FIO_MB=32 FIO_SECS=1 WARM_SECS=0.2
else
	N_TREE=5000 N_FLAT=10000 FIO_MB=128 FIO_SECS=3 WARM_SECS=0.5
fi
# The scaling run makes its own directories, of every size it measures.
[ "$SCALING" = 1 ] && N_FLAT=0
FILE_SIZE=4096

# Twice: the first pass frees FUSE dentries and inodes, whose eviction
# (and the daemon's FORGET handling) only then unpins the backing ones.
drop_caches() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 0.2
	echo 3 > /proc/sys/vm/drop_caches
}

out() { echo "bench: $cfg $1 $rep $2 $3"; }

# In the first repetition, the daemon's request counts (--stats, rewritten
# on SIGUSR1) are read before and after each timed step of a FUSE
# configuration:  "bench-req: CONFIG WORKLOAD total=N OPCODE=N ...".
req_snap() { # req_snap FILE: 0 if FILE now holds the daemon's counts
	pid=$(cat "/tmp/pid-$cfg" 2>/dev/null)
	[ "$rep" = 1 ] && [ -n "$pid" ] || return 1
	rm -f "/tmp/stats-$cfg"
	kill -USR1 "$pid" 2>/dev/null || return 1
	i=0
	while [ ! -s "/tmp/stats-$cfg" ]; do
		i=$((i + 1))
		[ $i -le 50 ] || return 1
		sleep 0.02
	done
	sleep 0.05
	cp "/tmp/stats-$cfg" "$1"
}
req_begin() { req_snap /tmp/req-before || rm -f /tmp/req-before; }
req_end() {
	[ -f /tmp/req-before ] && req_snap /tmp/req-after || return 0
	# opcodes only: the daemon's own counters (backing_opens) follow
	echo "bench-req: $cfg $1 $(awk 'NR == FNR { a[$1] = $2; next }
		$1 !~ /^[A-Z0-9_]+$/ { next }
		{ d = $2 - a[$1]; if (d > 0) { t += d; l = l " " $1 "=" d } }
		END { print "total=" t + 0 l }' /tmp/req-before /tmp/req-after)"
	rm -f /tmp/req-before /tmp/req-after
}
fail() { echo "bench-fail: $cfg $1 $rep $2"; }

# timed WORKLOAD UNIT fbpf-bench ARGS...: one measurement from fbpf-bench's
# "OPS SECONDS RATE" line.
timed() {
	w=$1 unit=$2
	shift 2
	req_begin
	if r=$(timeout $STEP_TIMEOUT "$@" 2>/tmp/bench.err); then
		req_end "$w"
		out "$w" "$(echo "$r" | awk '{ print $3 }')" "$unit"
	else
		fail "$w" "$(tr '\n' ' ' < /tmp/bench.err)"
		return 1
	fi
}

# fio_job WORKLOAD RW BS EXTRA...: one fio job on $DIR/fio.dat.  Buffered
# I/O, one job, psync; fio's own cache invalidation is off (invalidate=0)
# so that this script decides what is cold.
fio_job() {
	w=$1 rw=$2 bs=$3
	shift 3
	req_begin
	if r=$(timeout $STEP_TIMEOUT fio --minimal --name="$w" --filename="$DIR/fio.dat" \
		--rw="$rw" --bs="$bs" --size="${FIO_MB}M" --ioengine=psync \
		--invalidate=0 "$@" 2>/tmp/bench.err); then
		req_end "$w"
		# Terse v3: field 7/8 read KiB/s and IOPS, 48/49 the same for writes.
		case "$rw" in
		read) out "$w" "$(echo "$r" | awk -F';' '{ printf "%.2f", $7 / 1024 }')" MB/s;;
		write) out "$w" "$(echo "$r" | awk -F';' '{ printf "%.2f", $48 / 1024 }')" MB/s;;
		randread) out "$w" "$(echo "$r" | awk -F';' '{ print $8 }')" IOPS;;
		randwrite) out "$w" "$(echo "$r" | awk -F';' '{ print $49 }')" IOPS;;
		esac
	else
		fail "$w" "$(echo "$r" | head -c 300 | tr '\n' ' ') $(tr '\n' ' ' < /tmp/bench.err)"
	fi
}

tar_entries=$(tar -tf $TARBALL 2>/dev/null | wc -l)

# One repetition of every workload in $DIR.
run_rep() {
	# Small files in a tree: create+write 4 KiB+close, then the lstat walk
	# (cold: after drop_caches, every lookup misses the dcache; warm: the
	# same walk again, repeated for WARM_SECS), open+close, unlink.
	timed create files/s $B create "$DIR/tree" $N_TREE $FILE_SIZE
	drop_caches
	timed stat-cold files/s $B stat "$DIR/tree" $N_TREE
	timed stat-warm files/s $B stat "$DIR/tree" $N_TREE $WARM_SECS
	timed open-close files/s $B open "$DIR/tree" $N_TREE $WARM_SECS
	# The same, a process per CPU on the same files at once: what the
	# CPUs share (cache lines written, locks) shows here.
	timed stat-warm-smp files/s $B -j "$(nproc)" stat "$DIR/tree" $N_TREE $WARM_SECS
	timed open-close-smp files/s $B -j "$(nproc)" open "$DIR/tree" $N_TREE $WARM_SECS
	sync
	timed unlink files/s $B unlink "$DIR/tree" $N_TREE
	sync

	# A directory of N_FLAT entries, made once per configuration.
	drop_caches
	timed readdir-cold entries/s $B readdir "$DIR/flat"
	timed readdir-warm entries/s $B readdir "$DIR/flat" $WARM_SECS

	# Untar a source tree (the archive is in the initramfs, in memory):
	# files+directories per second, tar's own time, writeback excluded.
	drop_caches
	req_begin
	if r=$(timeout $STEP_TIMEOUT $B run tar -xf $TARBALL -C "$DIR/untar" 2>/tmp/bench.err); then
		req_end untar
		out untar "$(echo "$r" |
			     awk -v n="$tar_entries" '{ printf "%.2f", n / $2 }')" files/s
	else
		fail untar "$(tr '\n' ' ' < /tmp/bench.err)"
	fi
	rm -rf "$DIR/untar"
	mkdir -p "$DIR/untar"
	sync

	# fio, 1 MiB sequential, 4 KiB random.  seq-write lays the file out
	# (end_fsync: writeback included); seq-read starts cold; the random
	# jobs run on the file seq-read just cached (warm), for FIO_SECS each.
	rm -f "$DIR/fio.dat"
	fio_job seq-write write 1M --end_fsync=1
	drop_caches
	fio_job seq-read read 1M
	fio_job rand-read randread 4k --time_based --runtime="$FIO_SECS"
	fio_job rand-write randwrite 4k --time_based --runtime="$FIO_SECS" --end_fsync=1
	rm -f "$DIR/fio.dat"
	sync
}

# Per configuration: the mount point, the backing directory, the daemon.
mnt() {
	case "$1" in
	overlay) echo /mnt/overlay;;
	*) echo "/mnt/fuse-$1";;
	esac
}
backdir() { echo "/mnt/$BACKING/backing-$1"; }
workdir() {
	case "$1" in
	tmpfs|ext4) echo "/mnt/$1/bench";;
	*) echo "$(mnt "$1")/bench";;
	esac
}

# start_daemon MODE [ARGS...]: mount $(mnt $cfg) over $(backdir $cfg) and
# check that it works.
start_daemon() {
	mode=$1
	shift
	m=$(mnt "$cfg") bd=$(backdir "$cfg")
	mkdir -p "$m" "$bd"
	# In the foreground (-f), so that it is ours to wait for; entries and
	# attributes cached for a day, the best case for the daemon-served modes.
	"$DAEMON" "$bd" "$m" -f --mode "$mode" --timeout 86400 \
		--stats "/tmp/stats-$cfg" "$@" > "/tmp/daemon-$cfg.log" 2>&1 &
	echo $! > "/tmp/pid-$cfg"
	# Up to 30 s; a daemon that forks away and exits 0 is waited for too.
	i=0
	while ! grep -q " $m fuse" /proc/mounts; do
		i=$((i + 1))
		st=0
		pid=$(cat "/tmp/pid-$cfg")
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" || st=$?
			: > "/tmp/pid-$cfg"
		fi
		if [ $i -gt 300 ] || [ $st != 0 ]; then
			skip_reason="the daemon did not mount (--mode $mode $*, exit status $st)"
			daemon_log=$(tail -n 3 "/tmp/daemon-$cfg.log" | tr '\n' ' ')
			skip_reason="$skip_reason: $daemon_log"
			stop_daemon
			return 1
		fi
		sleep 0.1
	done
	# Something written through the mount must land in the backing dir.
	if ! { mkdir "$m/probe" && echo probe > "$m/probe/f" &&
	       [ "$(cat "$m/probe/f")" = probe ] &&
	       [ "$(cat "$bd/probe/f")" = probe ] &&
	       rm -r "$m/probe"; } 2>/tmp/bench.err; then
		skip_reason="the $mode mount does not pass through to the backing dir"
		skip_reason="$skip_reason: $(tr '\n' ' ' < /tmp/bench.err)"
		stop_daemon
		return 1
	fi
	return 0
}

# start_overlay: overlayfs at $(mnt overlay), all of it in $(backdir overlay)
start_overlay() {
	m=$(mnt "$cfg") bd=$(backdir "$cfg")
	mkdir -p "$m" "$bd/lower" "$bd/upper" "$bd/work"
	if ! mount -t overlay -o "lowerdir=$bd/lower,upperdir=$bd/upper,workdir=$bd/work" \
	     overlay "$m" 2> /tmp/bench.err; then
		skip_reason="cannot mount overlayfs: $(tr '\n' ' ' < /tmp/bench.err)"
		return 1
	fi
	if ! { mkdir "$m/probe" && echo probe > "$m/probe/f" &&
	       [ "$(cat "$bd/upper/probe/f")" = probe ] &&
	       rm -r "$m/probe"; } 2> /tmp/bench.err; then
		skip_reason="overlayfs does not write to its upper directory"
		skip_reason="$skip_reason: $(tr '\n' ' ' < /tmp/bench.err)"
		umount "$m"
		return 1
	fi
}

stop_daemon() {
	m=$(mnt "$cfg")
	if grep -q " $m fuse" /proc/mounts; then
		umount "$m" 2>/dev/null || umount -l "$m"
	fi
	pid=$(cat "/tmp/pid-$cfg" 2>/dev/null)
	if [ -n "$pid" ]; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -f "/tmp/pid-$cfg"
}

# setup_config: mounts what $cfg needs and fills its directory of N_FLAT
# entries, or sets skip_reason and returns 1.
setup_config() {
	skip_reason=
	case "$cfg" in
	tmpfs|ext4) ;;
	overlay)
		if ! grep -qw overlay /proc/filesystems; then
			skip_reason="the kernel has no overlayfs (CONFIG_OVERLAY_FS)"
			return 1
		fi
		;;
	bpf|bpf-filter|bpf-data|passthrough|plain)
		if [ ! -x "$DAEMON" ]; then
			skip_reason="no $DAEMON in the guest (the example daemon is not built)"
			return 1
		fi
		;;
	*) skip_reason="unknown configuration"; return 1;;
	esac
	case "$cfg" in
	overlay) start_overlay || return 1;;
	bpf) start_daemon bpf || return 1;;
	bpf-filter)
		if [ ! -f "$FILTER" ]; then
			skip_reason="no BPF filter object (build/tools/selftests/fuse_count.bpf.o,"
			skip_reason="$skip_reason or dev/fbpf bench --filter PROG.bpf.o)"
			return 1
		fi
		start_daemon bpf --filter "$FILTER" || return 1
		;;
	bpf-data)
		if [ ! -f "$DATA_FILTER" ]; then
			skip_reason="no data filter object"
			skip_reason="$skip_reason (build/tools/selftests/fuse_iocount.bpf.o)"
			return 1
		fi
		start_daemon bpf --filter "$DATA_FILTER" || return 1
		;;
	passthrough) start_daemon passthrough || return 1;;
	plain) start_daemon plain || return 1;;
	esac
	DIR=$(workdir "$cfg")
	mkdir -p "$DIR/untar" "$DIR/flat"
	if [ "$N_FLAT" -gt 0 ] && ! $B mkflat "$DIR/flat" $N_FLAT > /tmp/bench.err 2>&1; then
		skip_reason="cannot fill a directory of $N_FLAT entries"
		skip_reason="$skip_reason: $(tr '\n' ' ' < /tmp/bench.err)"
		teardown_config
		return 1
	fi
}

teardown_config() {
	case "$cfg" in
	tmpfs|ext4) ;;
	overlay) umount "$(mnt "$cfg")" 2> /dev/null || umount -l "$(mnt "$cfg")";;
	*)
		# The counting filter's map: proof that the filter ran, and how often.
		if [ "$cfg" = bpf-filter ] && command -v bpftool > /dev/null; then
			calls=$(bpftool -j map dump name counts 2>/dev/null |
				grep -o '"value":[0-9]*' |
				awk -F: '{ n += $2 } END { print n + 0 }')
			echo "bench-info: $cfg filter calls counted (fuse_count's map): $calls"
		fi
		# The kernel's READ and WRITE counts: the data hook ran (bpf-data,
		# bpf-filter) or did not (bpf: no line).
		case "$cfg" in
		bpf|bpf-filter|bpf-data)
			conn=$(awk -v m="$(mnt "$cfg")" \
				'$5 == m { split($3, d, ":"); print d[2] }' /proc/self/mountinfo)
			echo "bench-info: $cfg bpf_stats READ/WRITE (kernel column):" \
			     "$(awk '$2 == "READ" || $2 == "WRITE" { printf "%s %s ", $2, $3 }' \
				"/sys/fs/fuse/connections/$conn/bpf_stats" 2>/dev/null)"
			;;
		esac
		stop_daemon
		if [ -s "/tmp/stats-$cfg" ]; then
			echo "bench-info: $cfg daemon requests:" \
			     "$(tr '\n' ' ' < "/tmp/stats-$cfg" | head -c 2000)"
		fi
		;;
	esac
	rm -rf "$(workdir "$cfg")" "$(backdir "$cfg")"
}

# ------------------------------------------------------ real-world workloads
# realworld=TARBALL: everyday commands on a source tree, in every
# configuration, after the micro-benchmarks of each repetition.  They need
# git, GNU find, xargs, stat, du, tar, make and gcc, which the initramfs
# lacks: they run chrooted in the host's root (dev/guest/init's hostroot(),
# /hostroot: 9p, read-only, under a tmpfs overlay), whose /mnt is this
# guest's /mnt (bound recursively, FUSE mounts included).  TARBALL, made by
# dev/fbpf on the host and read from $RW_LOWER, holds src/, a git
# repository of a pinned part of the kernel tree, and proj/, a generated C
# project with a Makefile.  The commands' own binaries come over 9p: after
# a drop_caches, rw_warm_tools reads them back before anything is timed.
RW_ROOT=/hostroot
# the host's root as is (the chroot has tmpfs on /tmp, /run and /mnt)
RW_LOWER=/lower
RW_PATH=/usr/local/bin:/usr/bin:/bin
RW_FILES=0 RW_TUS=0 RW_TOUCH=10
rw_active=

inroot() {
	chroot "$RW_ROOT" /usr/bin/env -i PATH="$RW_PATH" HOME=/tmp/rw-home \
		LC_ALL=C GIT_CONFIG_NOSYSTEM=1 "$@"
}

# rw_init: once, every configuration mounted; 0 if the phase can run.
rw_init() {
	[ -n "$RW_TAR" ] || return 1
	if [ ! -x "$RW_ROOT/usr/bin/env" ]; then
		echo "bench-info: real-world workloads skipped: no host root at $RW_ROOT"
		return 1
	fi
	for t in git make gcc find xargs stat du tar; do
		if ! inroot sh -c "command -v $t" > /dev/null 2>&1; then
			echo "bench-info: real-world workloads skipped: no $t in the host root"
			return 1
		fi
	done
	if [ ! -f "$RW_LOWER$RW_TAR" ]; then
		echo "bench-info: real-world workloads skipped: no $RW_TAR in the host root"
		return 1
	fi
	mkdir -p "$RW_ROOT/usr/local/bin" "$RW_ROOT/tmp/rw-home"
	cp /usr/bin/fbpf-bench "$RW_ROOT/usr/local/bin/fbpf-bench"
	mount -o rbind /mnt "$RW_ROOT/mnt" || return 1
	return 0
}

# rw_setup_config: unpack the tree and the project into $DIR/rw (untimed)
# and let git refresh its index there once.
rw_setup_config() {
	d=$DIR/rw
	mkdir -p "$d"
	if ! inroot tar -xf - -C "$d" < "$RW_LOWER$RW_TAR" 2> /tmp/bench.err ||
	   ! inroot git -C "$d/src" status --porcelain > /dev/null 2>> /tmp/bench.err; then
		echo "bench-fail: $cfg realworld 0 cannot unpack $RW_TAR:" \
		     "$(tr '\n' ' ' < /tmp/bench.err)"
		return 1
	fi
	if [ "$RW_FILES" = 0 ]; then
		RW_FILES=$(inroot git -C "$d/src" ls-files | wc -l)
		RW_TUS=$(find "$d/proj/src" -name '*.c' | wc -l)
		echo "bench-info: real-world tree: $RW_FILES files" \
		     "($(du -sm "$d/src" | cut -f1) MiB with .git)," \
		     "C project: $RW_TUS translation units"
	fi
}

# What the commands run from the host's root, back in the page cache.
rw_warm_tools() {
	inroot sh -c 'git --version; make --version; tar --version; du --version
		find /tmp -maxdepth 0; echo / | xargs stat
		printf "#include <%s.h>\n" stdio stdlib string > /tmp/rw-hello.c
		echo "int main(void) { return 0; }" >> /tmp/rw-hello.c
		gcc -O1 -o /tmp/rw-hello /tmp/rw-hello.c' > /dev/null 2>&1
}

# rw_timed WORKLOAD OPS UNIT DIR COMMAND: sh -c COMMAND in DIR, in the host's
# root, timed by fbpf-bench run (sh's start included: the same everywhere);
# the value is OPS per second.
rw_timed() {
	w=$1 ops=$2 unit=$3 d=$4 c=$5
	req_begin
	if r=$(timeout $STEP_TIMEOUT chroot "$RW_ROOT" /usr/bin/env -i PATH="$RW_PATH" \
		HOME=/tmp/rw-home LC_ALL=C GIT_CONFIG_NOSYSTEM=1 \
		fbpf-bench run sh -c "cd '$d' && $c" 2>/tmp/bench.err); then
		req_end "$w"
		out "$w" "$(echo "$r" | awk -v n="$ops" '{ printf "%.2f", n / $2 }')" "$unit"
	else
		fail "$w" "$(tr '\n' ' ' < /tmp/bench.err | head -c 300)"
	fi
}

# One repetition of the real-world workloads in $DIR/rw.  Rates are files of
# the tree (git ls-files, .git itself excluded) per second, and translation
# units per second for make.
rw_rep() {
	s=$DIR/rw/src p=$DIR/rw/proj
	drop_caches
	rw_warm_tools
	rw_timed git-status-cold "$RW_FILES" files/s "$s" 'git status --porcelain > /dev/null'
	rw_timed git-status-warm "$RW_FILES" files/s "$s" 'git status --porcelain > /dev/null'
	# RW_TOUCH files changed (a line appended), then restored (untimed)
	inroot sh -c "cd '$s' && git ls-files | awk 'NR % $((RW_FILES / RW_TOUCH)) == 1' |
		while read -r f; do echo '/* bench */' >> \"\$f\"; done"
	rw_timed git-diff-stat "$RW_FILES" files/s "$s" 'git diff --stat > /dev/null'
	inroot git -C "$s" checkout -q -- .
	rw_timed find-stat "$RW_FILES" files/s "$s" \
		'find . -path ./.git -prune -o -type f -print0 | xargs -0 stat > /dev/null'
	rw_timed du "$RW_FILES" files/s "$s" 'du -s --exclude=.git . > /dev/null'
	# tar -c reads every file: cold.  (GNU tar skips reading when its
	# archive is /dev/null: the archive goes through a pipe.)
	drop_caches
	rw_warm_tools
	rw_timed tar-c "$RW_FILES" files/s "$s" 'tar -c --exclude=.git -f - . | cat > /dev/null'
	rw_timed make "$RW_TUS" TUs/s "$p" "make -s -j$(nproc) > /dev/null"
	inroot make -s -C "$p" clean > /dev/null 2>&1
}

# rw_teardown: the host root's view of /mnt goes before the mounts do.
rw_teardown() {
	[ -n "$rw_active" ] || return 0
	umount -l "$RW_ROOT/mnt" 2> /dev/null
	rw_active=
}

# ------------------------------------------------------------------ scaling
# scaling=1: how the cost of one operation grows with the work, on every
# configuration (no micro-benchmark, no real-world workload): create
# (open(O_CREAT)+close of empty files) and the lstat walk (cold, warm) of
# N files at depth 1, 4 and 16 (fbpf-bench -d: every group of 100 files
# that many directories below the top), and readdir (cold, warm) of a
# directory of N entries; N = 1,000, 10,000, 100,000 up to scaling_max.
# Each line gives microseconds per operation.
SCALE_NS="1000 10000 100000"
SCALE_DEPTHS="1 4 16"

scale_timed() { # scale_timed WORKLOAD N DEPTH COMMAND...
	w=$1 n=$2 dp=$3
	shift 3
	if r=$(timeout $STEP_TIMEOUT "$@" 2>/tmp/bench.err); then
		us=$(echo "$r" | awk '{ printf "%.3f", 1e6 / $3 }')
		echo "bench-scale: $cfg $w $n $dp $rep $us"
	else
		fail "$w-n$n-d$dp" "$(tr '\n' ' ' < /tmp/bench.err | head -c 300)"
	fi
}

run_scaling() {
	for n in $SCALE_NS; do
		[ "$n" -le "$SCALE_MAX" ] || continue
		t0=$(cut -d. -f1 /proc/uptime)
		for dp in $SCALE_DEPTHS; do
			rep=1
			while [ $rep -le "$REPS" ]; do
				for cfg in $active; do
					d=$(workdir "$cfg")/scale
					scale_timed create "$n" "$dp" $B -d "$dp" create "$d" "$n" 0
					drop_caches
					scale_timed stat-cold "$n" "$dp" $B -d "$dp" stat "$d" "$n"
					scale_timed stat-warm "$n" "$dp" \
						$B -d "$dp" stat "$d" "$n" $WARM_SECS
					rm -rf "$d"
				done
				rep=$((rep + 1))
			done
		done
		rep=1
		while [ $rep -le "$REPS" ]; do
			for cfg in $active; do
				d=$(workdir "$cfg")/scale-flat
				mkdir -p "$d"
				if $B mkflat "$d" "$n" > /tmp/bench.err 2>&1; then
					drop_caches
					scale_timed readdir-cold "$n" 1 $B readdir "$d"
					scale_timed readdir-warm "$n" 1 $B readdir "$d" $WARM_SECS
				else
					fail "readdir-n$n" \
					     "$(tr '\n' ' ' < /tmp/bench.err | head -c 300)"
				fi
				rm -rf "$d"
			done
			rep=$((rep + 1))
		done
		echo "bench-info: scaling N=$n took $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	done
}

# The daemon keeps a descriptor per node the kernel holds (tens of thousands
# here); the default hard limit, 4096, would fail the large directories.
# shellcheck disable=SC3045 # busybox ash has it
ulimit -n 262144 2>/dev/null || echo "bench-info: cannot raise RLIMIT_NOFILE: $(ulimit -n)"
clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
mem=$(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)
echo "bench-info: kernel $(uname -r), $(nproc) CPUs, $mem, clocksource $clocksource"
echo "bench-info: reps=$REPS quick=$QUICK backing=$BACKING" \
     "tree=$N_TREE files of $FILE_SIZE B, flat dir=$N_FLAT," \
     "untar=$tar_entries entries ($(($(wc -c < $TARBALL) / 1048576)) MiB)," \
     "fio=${FIO_MB} MiB file, random ${FIO_SECS}s, warm passes >= ${WARM_SECS}s"
case "$clocksource" in
*jiffies*)
	echo "bench-info: WARNING: the clocksource is jiffies:" \
	     "timings have a resolution of 1/HZ";;
esac
start=$(cut -d. -f1 /proc/uptime)
# Every configuration is set up first; each repetition then runs them all
# in turn, so that a slow spell of the host hits all of them alike.
active=
rep=0
for cfg in $CONFIGS; do
	if setup_config; then
		active="$active $cfg"
	else
		echo "bench-skip: $cfg $skip_reason"
	fi
done
echo "bench-info: measuring:$active (set up in $(($(cut -d. -f1 /proc/uptime) - start)) s)"
if command -v bpftool > /dev/null; then
	echo "bench-info: struct_ops attached: $(bpftool struct_ops list 2>/dev/null | tr '\n' ' ')"
fi
# The real-world workloads' trees, in every configuration (untimed).
rep=0
if [ "$SCALING" != 1 ] && rw_init; then
	t0=$(cut -d. -f1 /proc/uptime)
	for cfg in $active; do
		DIR=$(workdir "$cfg")
		if rw_setup_config; then rw_active="$rw_active $cfg"; fi
	done
	echo "bench-info: real-world workloads on:$rw_active" \
	     "(set up in $(($(cut -d. -f1 /proc/uptime) - t0)) s)"
fi
rep=1
while [ "$SCALING" != 1 ] && [ $rep -le "$REPS" ]; do
	t0=$(cut -d. -f1 /proc/uptime)
	for cfg in $active; do
		DIR=$(workdir "$cfg")
		run_rep
	done
	for cfg in $rw_active; do
		DIR=$(workdir "$cfg")
		rw_rep
	done
	echo "bench-info: repetition $rep took $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	rep=$((rep + 1))
done
if [ "$SCALING" = 1 ]; then
	echo "bench-info: scaling: N up to $SCALE_MAX, depths $SCALE_DEPTHS," \
	     "warm passes >= ${WARM_SECS}s"
	run_scaling
fi
# profile: where the time of a warm lstat, an open+close, a create (and
# close) and an unlink goes, per configuration, from the function graph
# tracer (inclusive microseconds and calls per function, summed over 200
# files; tracer overhead included, so compare calls, rows and
# configurations, not absolute times).
# profile_trace WORKLOAD SYSCALL...: trace the syscalls of profile_WORKLOAD
profile_trace() {
	work=$1
	shift
	echo 0 > $T/tracing_on
	echo nop > $T/current_tracer
	: > $T/set_graph_function
	for f in "$@"; do
		echo "$f" >> $T/set_graph_function 2>/dev/null
	done
	echo 12 > $T/max_graph_depth
	echo 65536 > $T/buffer_size_kb
	echo funcgraph-tail > $T/trace_options
	echo function_graph > $T/current_tracer
	echo > $T/trace
	echo 1 > $T/tracing_on
	"profile_$work"
	echo 0 > $T/tracing_on
	awk -v cfg="$cfg" -v work="$work" '
		/ us / {
			d = $0; sub(/^ *[0-9]+\) */, "", d); gsub(/[+!#*@$]/, "", d)
			split(d, f, " "); us = f[1] + 0
			name = ""
			if (match($0, /\/\* [A-Za-z0-9_.]+ \*\//))
				name = substr($0, RSTART + 3, RLENGTH - 6)
			else if (match($0, /[A-Za-z0-9_.]+\(\);/))
				name = substr($0, RSTART, RLENGTH - 3)
			if (name != "") { t[name] += us; n[name]++ }
		}
		END {
			for (k in t)
				printf "bench-profile: %s %s %s %.1f %d\n",
					cfg, work, k, t[k], n[k]
		}
	' $T/trace | sort -k5 -n -r | head -n 40
	calls=$(echo "$@" | tr ' ' '|')
	echo "bench-info: $cfg $work profile: $(grep -cE "($calls)\(\)|($calls) \*/" $T/trace)" \
	     "system calls traced, $(grep overrun $T/per_cpu/cpu0/stats 2>/dev/null)"
}
profile_lstat() { ls -l "$p" > /dev/null; }
profile_create() {
	i=0
	while [ $i -lt 200 ]; do : > "$p/c$i"; i=$((i + 1)); done
}
profile_unlink() { rm -f "$p"/c*; }
profile_open() {
	for f in "$p"/f*; do
		exec 3< "$f"
		exec 3<&-
	done
}
profile_config() {
	T=/sys/kernel/tracing
	[ -w $T/current_tracer ] || T=/sys/kernel/debug/tracing
	p=$DIR/prof
	mkdir -p "$p"
	i=0
	while [ $i -lt 200 ]; do : > "$p/f$i"; i=$((i + 1)); done
	ls -l "$p" > /dev/null
	profile_trace lstat __x64_sys_newfstatat __x64_sys_statx
	profile_trace open __x64_sys_openat __x64_sys_close
	profile_trace create __x64_sys_openat __x64_sys_close
	profile_trace unlink __x64_sys_unlinkat __x64_sys_unlink
	echo nop > $T/current_tracer
	rm -rf "$p"
}
if [ "$PROFILE" = 1 ]; then
	for cfg in $active; do
		DIR=$(workdir "$cfg")
		profile_config
	done
fi
# perf: sampled call stacks of a warm lstat walk and of open+close, per
# configuration, for flame graphs (the host's flamegraph.py).  perf is the
# host's, run chrooted in the host's root (as the real-world workloads);
# every CPU is sampled (-a), so that a daemon's share shows too.  The
# walks are relative to a directory of the mount: from the chroot's root,
# over 9p, every walk would leave RCU mode at its first component.  For
# each configuration and workload the host gets perf-CONFIG-WORK.folded
# (one line per distinct stack, the workload's command as its root) and
# perf-CONFIG-WORK.rate (fbpf-bench's "OPS SECONDS RATE" line).
PERF_OUT=$RW_ROOT/run/fbpf
perf_record() { # perf_record WORK "ARGS": fbpf-bench ARGS under perf
	work=$1
	shift
	f=perf-$cfg-$work
	if ! inroot sh -c "cd '$DIR/perf' && exec perf record -q -e cpu-clock \
		-F $PERF_HZ -a -g -o /tmp/$f.data -- fbpf-bench $*" \
		> "$PERF_OUT/$f.rate" 2> /tmp/bench.err; then
		echo "bench-fail: $cfg perf-$work 0 $(tr '\n' ' ' < /tmp/bench.err | head -c 300)"
		return 1
	fi
	inroot perf script -i "/tmp/$f.data" -F comm,ip,sym 2> /dev/null | awk '
		# a sample: "COMM" then one "ADDR SYMBOL+OFF (DSO)" line per frame,
		# innermost first, and an empty line
		function flush() {
			if (s != "") n[s]++
			s = ""
		}
		/^$/ { flush(); next }
		/^[^ \t]/ { flush(); s = $1; gsub(/;/, ":", s); top = s; next }
		{
			sym = $2
			sub(/\+0x[0-9a-f]+$/, "", sym)
			if (sym == "" || sym == "[unknown]") sym = "[unknown]"
			s = top ";" sym substr(s, length(top) + 1)
		}
		END { flush(); for (k in n) print k, n[k] }
	' > "$PERF_OUT/$f.folded"
	rm -f "$RW_ROOT/tmp/$f.data"
	echo "bench-info: $cfg perf $work: $(awk '{ t += $NF } END { print t + 0 }' \
		"$PERF_OUT/$f.folded") samples, $(cat "$PERF_OUT/$f.rate")"
}
perf_config() {
	mkdir -p "$DIR/perf"
	fbpf-bench create "$DIR/perf/tree" $N_TREE $FILE_SIZE > /dev/null &&
		fbpf-bench stat "$DIR/perf/tree" $N_TREE 1 > /dev/null || {
		echo "bench-fail: $cfg perf 0 cannot make $DIR/perf/tree"
		return 1
	}
	perf_record lstat "stat tree $N_TREE $PERF_SECS"
	perf_record open "open tree $N_TREE $PERF_SECS"
	rm -rf "$DIR/perf"
}
if [ "$PERF" = 1 ]; then
	PERF_HZ=4000 PERF_SECS=5
	[ "$QUICK" = 1 ] && PERF_SECS=2
	if ! inroot sh -c 'command -v perf' > /dev/null 2>&1; then
		echo "bench-info: perf profiles skipped: no perf in the host root"
	elif [ ! -d "$PERF_OUT" ] || ! : > "$PERF_OUT/.probe"; then
		echo "bench-info: perf profiles skipped: no writable share at $PERF_OUT"
	else
		rm -f "$PERF_OUT/.probe"
		mkdir -p "$RW_ROOT/usr/local/bin"
		cp /usr/bin/fbpf-bench "$RW_ROOT/usr/local/bin/fbpf-bench"
		mount -o rbind /mnt "$RW_ROOT/mnt"
		# perf's sampling is slow under TCG: do not let the kernel throttle it
		echo 0 > /proc/sys/kernel/perf_cpu_time_max_percent
		for cfg in $active; do
			DIR=$(workdir "$cfg")
			perf_config
		done
		umount -l "$RW_ROOT/mnt"
	fi
fi
rw_teardown
for cfg in $active; do
	teardown_config
done
echo "bench-info: the whole run took $(($(cut -d. -f1 /proc/uptime) - start)) s"
