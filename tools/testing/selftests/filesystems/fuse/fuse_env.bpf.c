// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE probe of the kernel under test: proves that clang, vmlinux.h, the
 * in-tree libbpf and the kernel's BTF agree, and that BTF describes fuse.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

int has_fuse_conn;
int has_max_stack_depth;
int has_fuse_backing;
int runs;

SEC("syscall")
int probe_fuse(void *ctx)
{
	has_fuse_conn = bpf_core_type_exists(struct fuse_conn);
	has_max_stack_depth = bpf_core_field_exists(struct fuse_conn,
						    max_stack_depth);
	has_fuse_backing = bpf_core_type_exists(struct fuse_backing);
	runs++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
