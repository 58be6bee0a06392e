// SPDX-License-Identifier: GPL-2.0
/*
 * Per-uid access with a fast path in BPF and a slow path in the daemon,
 * as media-storage daemons do: callers whose uid is in allowed_uids are
 * served on the backing; lookups by anyone else go to the daemon, which
 * decides (and may answer with or without backing).
 */
#include "fuse_filter.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} allowed_uids SEC(".maps");

__u64 fast, slow;

SEC("struct_ops/gate_lookup")
int BPF_PROG(gate_lookup, struct fuse_bpf_ctx *fc,
	     struct fuse_bpf_entry_args *args)
{
	__u32 uid = fc->uid;

	if (bpf_map_lookup_elem(&allowed_uids, &uid)) {
		__sync_fetch_and_add(&fast, 1);
		return FUSE_BPF_BACKING;
	}
	__sync_fetch_and_add(&slow, 1);
	return FUSE_BPF_DAEMON;
}

SEC(".struct_ops.link")
struct fuse_bpf_ops uid_gate_ops = {
	.lookup = (void *)gate_lookup,
	.name = "uid_gate",
};

char LICENSE[] SEC("license") = "GPL";
