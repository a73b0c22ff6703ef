// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3) NOTES: source and target ring must share the address space
 * (and so the memory accounting). io_clone_buffers() compares the rings' mm_account
 * (and user): a ring made by another process is refused with EINVAL, in either
 * direction; a ring made by another thread, or by a process sharing the mm (CLONE_VM),
 * is fine. The page does not give the errno.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src;
	void *mem;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

/* A new ring (made by the caller's task) clones from src_fd: 0 or -errno, or -1000 - errno if the ring failed. */
static int clone_into_new_ring(int src_fd)
{
	struct io_uring dst;
	int ret = io_uring_queue_init(8, &dst, 0);

	if (ret)
		return -1000 + ret;
	ret = ubc_clone_raw(dst.ring_fd, src_fd, 0, 0, 0, 0);
	io_uring_queue_exit(&dst);
	return ret;
}

/* The child's result as an exit status: errno, 0, or 255 for anything unexpected. */
static int status_of(int ret)
{
	return ret <= 0 && ret > -255 ? -ret : 255;
}

TEST_F(clone, forked_child_cannot_clone_parent_ring)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(status_of(clone_into_new_ring(self->src.ring_fd)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(EINVAL, WEXITSTATUS(status));
}

/*
 * The reverse: the child owns src; the parent takes a copy of its fd with pidfd_getfd(2)
 * (io_uring fds cannot travel over SCM_RIGHTS) and clones from it.
 */
TEST_F(clone, parent_cannot_clone_child_ring)
{
	int up[2], down[2], status, child_fd, pidfd, theirs = -1;
	char byte = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct io_uring own;
		struct iovec iov = { .iov_base = self->mem, .iov_len = BUF_LEN };

		if (io_uring_queue_init(8, &own, 0) || io_uring_register_buffers(&own, &iov, 1))
			_exit(1);
		if (write(up[1], &own.ring_fd, sizeof(int)) != sizeof(int))
			_exit(2);
		/* Keep the ring's owner alive until the parent is done. */
		if (read(down[0], &byte, 1) != 1)
			_exit(3);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &theirs, sizeof(int)) != sizeof(int)) {
		waitpid(pid, &status, 0);
		ASSERT_EQ(0, status) TH_LOG("the child could not make its ring");
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd) TH_LOG("pidfd_open: %s", strerror(errno));
	child_fd = syscall(SYS_pidfd_getfd, pidfd, theirs, 0);
	ASSERT_LE(0, child_fd) TH_LOG("pidfd_getfd: %s", strerror(errno));
	{
		struct io_uring dst;

		UBC_RING_INIT(&dst, 8, 0);
		EXPECT_EQ(-EINVAL, ubc_clone_raw(dst.ring_fd, child_fd, 0, 0, 0, 0));
		io_uring_queue_exit(&dst);
	}
	close(child_fd);
	close(pidfd);
	ASSERT_EQ(1, write(down[1], &byte, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(up[0]);
	close(down[1]);
}

struct thread_arg {
	int src_fd, ret;
};

static void *thread_clone(void *p)
{
	struct thread_arg *a = p;

	a->ret = clone_into_new_ring(a->src_fd);
	return NULL;
}

TEST_F(clone, thread_of_same_process_clones)
{
	struct thread_arg a = { .src_fd = self->src.ring_fd, .ret = 1 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, thread_clone, &a));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, a.ret);
}

static int vm_child(void *p)
{
	struct thread_arg *a = p;

	a->ret = clone_into_new_ring(a->src_fd);
	return 0;
}

/* Another process, but the same mm (clone(2) with CLONE_VM): allowed. */
TEST_F(clone, process_sharing_mm_clones)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	struct thread_arg a = { .src_fd = self->src.ring_fd, .ret = 1 };
	int status;
	pid_t pid = clone(vm_child, stack + sizeof(stack), CLONE_VM | SIGCHLD, &a);

	ASSERT_LE(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, a.ret);
}

TEST_HARNESS_MAIN
