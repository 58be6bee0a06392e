// SPDX-License-Identifier: GPL-2.0
/* Must not load: the fuse kfuncs are for fuse_bpf_ops programs only. */
#include "fuse_filter.bpf.h"

SEC("syscall")
int bad_caller(void *arg)
{
	char name[8] = {};

	return bpf_fuse_get_name(NULL, 0, name, sizeof(name));
}

char LICENSE[] SEC("license") = "GPL";
