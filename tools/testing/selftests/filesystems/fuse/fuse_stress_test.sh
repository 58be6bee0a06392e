#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fuse-bpf under stress, with data verification.  fsx (two processes, one
# with AIO) and fsstress (four processes) from xfstests run at once through
# a fuse-bpf-passthrough mount, while caches are dropped and memory is
# taken away in a loop beside them.  Three configurations over tmpfs and
# over ext4:
#
#   bpf       the root is backed: the kernel serves the whole tree
#   filter    the same with fuse_count.bpf.o on every node (every callback)
#   fallback  --no-root-backing: the daemon serves the root and the nodes
#             its MKDIR and CREATE replies make (their data through
#             upstream passthrough); LOOKUPs bind backings, so daemon-served
#             and kernel-served nodes mix in one tree
#
# fsx checks every byte it reads against its own model of the file.  After
# the run the file trees seen through the mount and on the backing must
# match (names, types, modes, sizes, link counts, owners, and the bytes
# of every regular file), the mount must unmount without MNT_DETACH, the
# daemon must exit 0, and its request counts must show who served what.
#
# Environment: FBPF_STRESS_SEED (1), FBPF_STRESS_FSX_OPS (ops per fsx
# process, 2000; 1000 when FBPF_KERNEL is debug), FBPF_STRESS_FSSTRESS_OPS
# (ops per fsstress process, 250; 125 on debug), FBPF_STRESS_CONFIGS
# ("bpf filter fallback"), FBPF_STRESS_ALL (on the debug kernel, 1 runs
# every configuration on both backings; by default it runs three: bpf and
# fallback over ext4, filter over tmpfs, so that each configuration and
# each backing is seen under KASAN and lockdep, and the full six run on
# the default kernel and in dev/fbpf soak), FBPF_TMPFS and FBPF_EXT4 (the
# backing filesystems' mount points).  A failure replays with the seed it
# prints.

seed=${FBPF_STRESS_SEED:-1}
# KASAN and lockdep make every operation several times dearer
if [ "$FBPF_KERNEL" = debug ]; then
	fsx_ops=${FBPF_STRESS_FSX_OPS:-1000}
	fss_ops=${FBPF_STRESS_FSSTRESS_OPS:-125}
else
	fsx_ops=${FBPF_STRESS_FSX_OPS:-2000}
	fss_ops=${FBPF_STRESS_FSSTRESS_OPS:-250}
fi
configs=${FBPF_STRESS_CONFIGS:-bpf filter fallback}
fss_procs=4
filter=/usr/share/fuse-bpf/fuse_count.bpf.o
work=/tmp/fuse-stress
daemon=fuse-bpf-passthrough

backings=
[ -n "$FBPF_TMPFS" ] && backings="$backings tmpfs:$FBPF_TMPFS"
[ -n "$FBPF_EXT4" ] && backings="$backings ext4:$FBPF_EXT4"

# runs: BACKING-NAME:PATH:CONFIG, one per test
runs=
for b in $backings; do
	for c in $configs; do
		if [ "$FBPF_KERNEL" = debug ] && [ "${FBPF_STRESS_ALL:-0}" = 0 ]; then
			case "${b%%:*}.$c" in
			ext4.bpf|tmpfs.filter|ext4.fallback) ;;
			*) continue;;
			esac
		fi
		runs="$runs $b:$c"
	done
done
ntests=$(echo $runs | wc -w)

echo "TAP version 13"
echo "1..$ntests"
n=0

# Without fsx and fsstress nothing can run: a guest of dev/fbpf has them
# (FBPF_KERNEL is set there), so only elsewhere is that a skip.
missing=
for t in fsx fsstress $daemon; do
	command -v $t > /dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	for r in $runs; do
		n=$((n + 1))
		if [ -n "$FBPF_KERNEL" ]; then
			echo "not ok $n stress.${r%%:*}.${r##*:} # not installed:$missing"
		else
			echo "ok $n stress.${r%%:*}.${r##*:} # SKIP not installed:$missing"
		fi
	done
	[ -n "$FBPF_KERNEL" ] && exit 1
	exit 0
fi

# Caches dropped and half of the available memory taken and given back,
# once a second: backing pages, dentries and FUSE inodes get evicted
# under the workload (FORGET, re-LOOKUP, backing inode put and re-get).
pressure() {
	while :; do
		echo 3 > /proc/sys/vm/drop_caches
		mb=$(awk '/^MemAvailable:/ { print int($2 / 2048) }' /proc/meminfo)
		dd if=/dev/zero of=$work/hog bs=1M count=$mb 2> /dev/null
		rm -f $work/hog
		sleep 1
	done
}

# The daemon's count for one opcode (its --stats file), 0 when absent.
count() {
	awk -v op="$1" '$1 == op { print $2; found = 1 } END { if (!found) print 0 }' "$2"
}

# The fuse_count filter's count for one opcode, non-zero or not.
filter_counted() {
	v=$(bpftool -j map lookup name counts key "$1" 0 0 0 2> /dev/null |
	    grep -o '"value":[0-9]*' | cut -d: -f2)
	[ -n "$v" ] && [ "$v" != 0 ]
}

# One line per object: name, type, mode, size, link count, owner.
tree() {
	(cd "$1" && find . -exec stat -c '%n %F %a %s %h %u %g' {} + | sort)
}

errors=0
fail() {
	echo "# $name: $*"
	errors=$((errors + 1))
}

# stress NAME BACKING_DIR CONFIG
stress() {
	name=$1 src=$2/stress-$3 cfg=$3
	mnt=$work/mnt
	stats=$work/stats
	errors=0
	rm -rf "$src"
	mkdir -p "$src" "$mnt" "$work/log"
	rm -f "$stats" "$work"/log/*

	set -- --mode bpf --threads 4 --stats "$stats"
	case $cfg in
	filter) set -- "$@" --filter $filter;;
	fallback) set -- "$@" --no-root-backing;;
	esac
	$daemon "$src" "$mnt" -f "$@" 2> "$work/daemon.log" &
	dpid=$!
	i=0
	while ! grep -q " $mnt fuse" /proc/mounts; do
		if ! kill -0 $dpid 2> /dev/null; then
			wait $dpid
			st=$?
			if [ $st = 3 ]; then
				echo "ok $n $name # SKIP the kernel has no fuse-bpf"
				return 0
			fi
			cat "$work/daemon.log"
			echo "not ok $n $name # the daemon exited with $st"
			return 1
		fi
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			kill -9 $dpid
			echo "not ok $n $name # no mount after 10 s"
			return 1
		fi
		sleep 0.1
	done
	# With no backing at the root the mount exists before INIT: the
	# daemon learns there that the kernel has no fuse-bpf, logs it and
	# only then replies, so after the first request it is in its log.
	stat "$mnt" > /dev/null 2>&1
	if grep -q "does not offer FUSE_BPF" "$work/daemon.log"; then
		umount "$mnt" 2> /dev/null
		wait $dpid
		echo "ok $n $name # SKIP the kernel has no fuse-bpf"
		return 0
	fi

	t0=$(date +%s)
	fsstress -d "$mnt/fss" -p $fss_procs -n $fss_ops -s $seed \
		> "$work/log/fsstress" 2>&1 &
	p1=$!
	fsx -q -N $fsx_ops -S $seed -P "$work/log" "$mnt/fsx0" \
		> "$work/log/fsx0" 2>&1 &
	p2=$!
	fsx -q -A -N $fsx_ops -S $((seed + 1)) -P "$work/log" "$mnt/fsx1" \
		> "$work/log/fsx1" 2>&1 &
	p3=$!
	wait $p1 || fail "fsstress exited with $?"
	wait $p2 || fail "fsx (read/write/mmap) exited with $?"
	wait $p3 || fail "fsx (AIO) exited with $?"
	t1=$(date +%s)
	for f in fsx0 fsx1; do
		grep -q 'operations completed A-OK' "$work/log/$f" ||
			{ tail -n 20 "$work/log/$f"; fail "$f did not complete"; }
	done

	# The attribute cache of daemon-served nodes times out after 1 s.
	sleep 2
	tree "$mnt/fss" > "$work/tree.mnt"
	tree "$src/fss" > "$work/tree.src"
	if ! cmp -s "$work/tree.mnt" "$work/tree.src"; then
		diff "$work/tree.src" "$work/tree.mnt" | head -n 20 | sed 's/^/# /'
		fail "the trees through the mount and on the backing differ"
	fi
	files=0
	for f in $(cd "$src" && find ./fss -type f) ./fsx0 ./fsx1; do
		files=$((files + 1))
		cmp -s "$src/$f" "$mnt/$f" || fail "$f differs through the mount"
	done

	if [ $cfg = filter ]; then
		# LOOKUP and CREATE: the filter ran on the kernel's own work.
		filter_counted 1 || fail "the filter counted no LOOKUP"
		filter_counted 35 || fail "the filter counted no CREATE"
	fi

	if ! umount "$mnt"; then
		fail "umount failed"
		umount -l "$mnt"
	fi
	wait $dpid || fail "the daemon exited with $?"
	case $cfg in
	bpf|filter)
		# Everything was the kernel's: no data, no creation reached
		# the daemon.
		for op in READ WRITE CREATE MKDIR UNLINK RENAME; do
			[ "$(count $op "$stats")" = 0 ] ||
				fail "$(count $op "$stats") $op requests reached the daemon"
		done;;
	fallback)
		# Data goes through upstream passthrough (the daemon opens
		# with FOPEN_PASSTHROUGH): no READ or WRITE either.
		for op in CREATE MKDIR LOOKUP SETATTR FALLOCATE; do
			[ "$(count $op "$stats")" != 0 ] ||
				fail "no $op request reached the daemon"
		done;;
	esac
	echo "# $name: seed $seed, $((t1 - t0)) s, fsx 2x$fsx_ops ops," \
	     "fsstress ${fss_procs}x$fss_ops ops, $files files verified;" \
	     "daemon: $(tr '\n' ' ' < "$stats")"
	echo "# stress-summary: seconds=$((t1 - t0)) fsx-ops=$((2 * fsx_ops))" \
	     "fsstress-ops=$((fss_procs * fss_ops)) files=$files errors=$errors"
	rm -rf "$src"
	if [ $errors != 0 ]; then
		echo "# daemon log:" && sed 's/^/#   /' "$work/daemon.log" | tail -n 20
		echo "not ok $n $name # replay: FBPF_STRESS_SEED=$seed"
		return 1
	fi
	echo "ok $n $name"
}

mkdir -p $work
pressure > /dev/null 2>&1 &
ppid=$!
rc=0
for r in $runs; do
	n=$((n + 1))
	b=${r%:*}
	stress "stress.${r%%:*}.${r##*:}" "${b#*:}" "${r##*:}" || rc=1
done
kill $ppid
wait $ppid 2> /dev/null
rm -rf $work
exit $rc
