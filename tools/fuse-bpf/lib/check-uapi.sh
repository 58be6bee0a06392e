#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-uapi.sh CC KHDR_INCLUDES...: does fuse_bpf_uapi.h's copy of the
# fuse-bpf interface (the block under "#ifndef FUSE_BPF") say what a
# fuse-bpf kernel's <linux/fuse.h> says?  The copy is compiled beside the
# kernel's header under other names (LIBCHK_ before each macro it
# defines, struct libchk_* for its structures), with a static assertion
# per macro (same value), per structure (same size) and per member (same
# offset and size).  A uapi change made in the kernel but not in the
# library's copy, or the reverse, fails here.  dev/fbpf tools runs it.
set -eu

cc=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The block, renamed
awk '/^#ifndef FUSE_BPF$/ { on = 1; next }
     /^#endif \/\* FUSE_BPF \*\/$/ { on = 0 }
     on' "$here/fuse_bpf_uapi.h" > "$tmp/block.h"
[ -s "$tmp/block.h" ] || { echo "check-uapi: no fuse-bpf block in fuse_bpf_uapi.h" >&2; exit 1; }
macros=$(sed -n 's/^#define[ \t]\{1,\}\([A-Z0-9_]\{1,\}\)[ \t(].*/\1/p' "$tmp/block.h")
structs=$(sed -n 's/^struct[ \t]\{1,\}\([a-z0-9_]\{1,\}\)[ \t]*{.*/\1/p' "$tmp/block.h")
cp "$tmp/block.h" "$tmp/renamed.h"
for m in $macros; do
	sed -i "s/\\b$m\\b/LIBCHK_$m/g" "$tmp/renamed.h"
done
for s in $structs; do
	sed -i "s/\\bstruct $s\\b/struct libchk_$s/g" "$tmp/renamed.h"
done

{
	echo '#include <stdint.h>'
	echo '#include <stddef.h>'
	echo '#include <linux/ioctl.h>'
	echo '#include <linux/fuse.h>'
	echo '#ifndef FUSE_BPF'
	echo '#error "<linux/fuse.h> is not a fuse-bpf kernel'"'"'s (KHDR_INCLUDES)"'
	echo '#endif'
	echo '#include "renamed.h"'
	echo '#define SAME(a, b) _Static_assert((a) == (b), \'
	echo '	#a " differs from the library'"'"'s copy")'
	for m in $macros; do
		echo "SAME($m, LIBCHK_$m);"
	done
	for s in $structs; do
		echo "SAME(sizeof(struct $s), sizeof(struct libchk_$s));"
		awk -v s="$s" '
			$0 ~ "^struct " s "[ \t]*{" { on = 1; next }
			on && /^};/ { on = 0 }
			on && /;/ {
				f = $NF; sub(/;.*/, "", f); sub(/\[.*/, "", f)
				o = "SAME(offsetof(struct %s, %s), "
				o = o "offsetof(struct libchk_%s, %s));\n"
				z = "SAME(sizeof(((struct %s *)0)->%s), "
				z = z "sizeof(((struct libchk_%s *)0)->%s));\n"
				printf o, s, f, s, f
				printf z, s, f, s, f
			}' "$tmp/block.h"
	done
} > "$tmp/check.c"

if ! "$cc" "$@" -I"$tmp" -Werror -Wfatal-errors -fsyntax-only "$tmp/check.c"; then
	echo "check-uapi: lib/fuse_bpf_uapi.h and the kernel's <linux/fuse.h> disagree (above)" >&2
	exit 1
fi
nm=$(echo $macros | wc -w)
ns=$(echo $structs | wc -w)
echo "check-uapi: $nm macros and $ns structures agree with <linux/fuse.h>"
