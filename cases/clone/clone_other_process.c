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
	int fd;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	self->fd = ubc_tmpfile(BUF_LEN, 29);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

/*
 * What a new ring (made by the calling task) got from cloning src_fd: ring is the
 * io_uring_queue_init result, clone the clone's, and after an accepted clone io the
 * read_fixed of file into mem through the new ring's slot 0 and bad the first byte of mem
 * that does not hold the file's pattern (-1: none).
 */
struct clone_try {
	int src_fd, file_fd;
	void *mem;
	int ring, clone, io;
	long bad;
};

static void clone_into_new_ring(struct clone_try *t)
{
	struct io_uring dst;

	t->clone = t->io = 1;
	t->bad = 0;
	t->ring = io_uring_queue_init(8, &dst, 0);
	if (t->ring)
		return;
	t->clone = ubc_clone_raw(dst.ring_fd, t->src_fd, 0, 0, 0, 0);
	if (!t->clone) {
		memset(t->mem, 0, BUF_LEN);
		t->io = ubc_rw_fixed(&dst, 0, t->file_fd, t->mem, BUF_LEN, 0, 0);
		t->bad = ubc_mismatch(t->mem, BUF_LEN, 29, 0);
	}
	io_uring_queue_exit(&dst);
}

/* An accepted clone whose slot 0 read the file into src's memory, byte for byte. */
#define ASSERT_CLONED_AND_READ(t) do {							\
	ASSERT_EQ(0, (t).ring) TH_LOG("io_uring_queue_init: %s", strerror(-(t).ring));	\
	ASSERT_EQ(0, (t).clone) TH_LOG("clone: %s", strerror(-(t).clone));		\
	ASSERT_EQ(BUF_LEN, (t).io) TH_LOG("read_fixed through the cloned slot: %d", (t).io); \
	ASSERT_EQ(-1, (t).bad) TH_LOG("byte %ld of src's buffer is not the file's", (t).bad); \
} while (0)

/* The child's result as an exit status: the clone's errno, 0, or 255 for anything else. */
static int status_of(const struct clone_try *t)
{
	if (t->ring)
		return 255;
	if (t->clone == 0)
		return t->io == BUF_LEN && t->bad == -1 ? 0 : 254;
	return t->clone < 0 && t->clone > -254 ? -t->clone : 255;
}

TEST_F(clone, forked_child_cannot_clone_parent_ring)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct clone_try t = { .src_fd = self->src.ring_fd, .file_fd = self->fd, .mem = self->mem };

		clone_into_new_ring(&t);
		_exit(status_of(&t));
	}
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
	/* A child that could not make its ring exits (1 or 2) without writing: the read gets 0. */
	ASSERT_EQ((ssize_t)sizeof(int), read(up[0], &theirs, sizeof(int)))
		TH_LOG("the child could not make its ring");
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd) TH_LOG("pidfd_open: %s", strerror(errno));
	child_fd = syscall(SYS_pidfd_getfd, pidfd, theirs, 0);
	ASSERT_LE(0, child_fd) TH_LOG("pidfd_getfd: %s", strerror(errno));
	{
		struct io_uring dst;

		UBC_RING_INIT(&dst, 8, 0);
		EXPECT_EQ(-EINVAL, ubc_clone_raw(dst.ring_fd, child_fd, 0, 0, 0, 0));
		/* And dst got no table. */
		EXPECT_EQ(-ENXIO, io_uring_unregister_buffers(&dst));
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

static void *thread_clone(void *p)
{
	clone_into_new_ring(p);
	return NULL;
}

TEST_F(clone, thread_of_same_process_clones)
{
	struct clone_try t = { .src_fd = self->src.ring_fd, .file_fd = self->fd, .mem = self->mem };
	pthread_t th;

	ASSERT_EQ(0, pthread_create(&th, NULL, thread_clone, &t));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_CLONED_AND_READ(t);
}

static int vm_child(void *p)
{
	clone_into_new_ring(p);
	return 0;
}

/* Another process, but the same mm (clone(2) with CLONE_VM): allowed. */
TEST_F(clone, process_sharing_mm_clones)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	struct clone_try t = { .src_fd = self->src.ring_fd, .file_fd = self->fd, .mem = self->mem };
	int status;
	pid_t pid = clone(vm_child, stack + sizeof(stack), CLONE_VM | SIGCHLD, &t);

	ASSERT_LE(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_CLONED_AND_READ(t);
}

TEST_HARNESS_MAIN
