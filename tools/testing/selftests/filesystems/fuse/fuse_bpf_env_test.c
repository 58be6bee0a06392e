// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side of the environment: BTF is there, a CO-RE skeleton built
 * with the in-tree libbpf loads and runs, and the kernel's BTF knows fuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "../../kselftest_harness.h"
#include "fuse_env.skel.h"

TEST(vmlinux_btf)
{
	ASSERT_EQ(0, access("/sys/kernel/btf/vmlinux", R_OK))
		TH_LOG("no kernel BTF: %s", strerror(errno));
}

TEST(core_skeleton_sees_fuse)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct fuse_env *skel;
	int prog_fd;

	skel = fuse_env__open_and_load();
	ASSERT_NE(NULL, skel) TH_LOG("load: %s", strerror(errno));
	prog_fd = bpf_program__fd(skel->progs.probe_fuse);
	ASSERT_EQ(0, bpf_prog_test_run_opts(prog_fd, &opts));
	ASSERT_EQ(0, opts.retval);
	ASSERT_EQ(1, skel->bss->runs);
	EXPECT_EQ(1, skel->bss->has_fuse_conn);
	EXPECT_EQ(1, skel->bss->has_max_stack_depth);
	EXPECT_EQ(1, skel->bss->has_fuse_backing);
	fuse_env__destroy(skel);
}

/*
 * The module kernel variant: fuse is fuse.ko, and the struct_ops and
 * kfuncs of fuse-bpf filters come from its BTF (fuse_filter_test runs
 * against that).
 */
TEST(fuse_is_a_module_with_btf)
{
	const char *kernel = getenv("FBPF_KERNEL");
	char line[256];
	bool found = false;
	FILE *f;

	if (!kernel || strcmp(kernel, "module"))
		SKIP(return, "not the module kernel variant");
	f = fopen("/proc/modules", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "fuse ", 5))
			found = true;
	fclose(f);
	EXPECT_TRUE(found);
	EXPECT_EQ(0, access("/sys/kernel/btf/fuse", R_OK));
}

TEST_HARNESS_MAIN
