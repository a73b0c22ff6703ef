// SPDX-License-Identifier: MIT
/*
 * Guarded buffers (harness/ubc_buf.c): the whole body is usable, and the pages just before
 * and just after it really fault. A child process touches a guard byte and must die of
 * SIGSEGV; touching the last body byte must not.
 */
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ubc_test.h"

/* Fork, write one byte at p in the child, and return the child's wait status. */
static int touch_in_child(volatile char *p)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		*p = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

#define ASSERT_SEGV(status) do {							\
	int __s = (status);								\
	ASSERT_TRUE(WIFSIGNALED(__s)) TH_LOG("status 0x%x: the child did not die", __s); \
	ASSERT_EQ(SIGSEGV, WTERMSIG(__s));						\
} while (0)
#define ASSERT_CLEAN_EXIT(status) do {							\
	int __s = (status);								\
	ASSERT_TRUE(WIFEXITED(__s)) TH_LOG("status 0x%x", __s);			\
	ASSERT_EQ(0, WEXITSTATUS(__s));							\
} while (0)

TEST(guard_pages_fault)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = 3 * pg;
	char *p = ubc_buf_alloc(len);

	ASSERT_NE(NULL, p);
	memset(p, 0x5a, len);
	ASSERT_CLEAN_EXIT(touch_in_child(p));
	ASSERT_CLEAN_EXIT(touch_in_child(p + len - 1));
	ASSERT_SEGV(touch_in_child(p - 1));
	ASSERT_SEGV(touch_in_child(p - pg));
	ASSERT_SEGV(touch_in_child(p + len));
	ASSERT_SEGV(touch_in_child(p + len + pg - 1));
	ubc_buf_free(p, len);
}

/* A length that is not a page multiple is rounded up: the guard starts at the next page. */
TEST(odd_length_rounds_up_to_pages)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char *p = ubc_buf_alloc(100);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0u, (uintptr_t)p % pg);
	ASSERT_CLEAN_EXIT(touch_in_child(p + pg - 1));
	ASSERT_SEGV(touch_in_child(p + pg));
	ASSERT_SEGV(touch_in_child(p - 1));
	ubc_buf_free(p, 100);
}

TEST(array_of_guarded_buffers)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *mem[3];
	struct iovec iov[3];

	ASSERT_EQ(0, ubc_bufs_alloc(mem, iov, 3, pg));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(mem[i], iov[i].iov_base);
		ASSERT_EQ(pg, iov[i].iov_len);
		memset(mem[i], i, pg);
		ASSERT_SEGV(touch_in_child((char *)mem[i] + pg));
		ASSERT_SEGV(touch_in_child((char *)mem[i] - 1));
		for (int j = 0; j < i; j++) {
			ASSERT_NE(mem[i], mem[j]);
		}
	}
	ubc_bufs_free(mem, 3, pg);
}

TEST_HARNESS_MAIN
