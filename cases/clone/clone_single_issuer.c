// SPDX-License-Identifier: MIT
/*
 * IORING_SETUP_SINGLE_ISSUER rings and clone (not on the page):
 * - dst owned by another task: __io_uring_register() refuses any register call, EEXIST,
 *   although dst has a buffer table (which would be EBUSY): checked in fdinfo
 *   (ubc_ring_bufs()), since this task may not use that ring.
 * - both owned by the caller: the clone works, and I/O through the clone reaches the buffer.
 * (A src owned by another task: clone_src_single_issuer_other_task.)
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring plain, other;	/* other: SINGLE_ISSUER, made by another thread */
	void *mem;
	struct iovec iov;
};

FIXTURE_SETUP(clone)
{
	struct iovec got;
	int ret;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->plain, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	self->iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ret = ubc_ring_in_thread(&self->other, 8, IORING_SETUP_SINGLE_ISSUER, &self->iov, 1);
	ASSERT_EQ(0, ret) TH_LOG("SINGLE_ISSUER ring in a thread: %s", strerror(-ret));
	/* The premise, as the kernel reports it: other's table is exactly mem. */
	ret = ubc_ring_bufs(self->other.ring_fd, &got, 1);
	ASSERT_EQ(1, ret) TH_LOG("other's buffer table (fdinfo): %d", ret);
	ASSERT_EQ(self->mem, got.iov_base);
	ASSERT_EQ((size_t)BUF_LEN, got.iov_len);
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->other);
	io_uring_queue_exit(&self->plain);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, dst_of_other_task_is_eexist)
{
	struct iovec got;

	ASSERT_EQ(0, io_uring_register_buffers(&self->plain, &self->iov, 1));
	/* other has buffers, but EEXIST comes before the dst-busy check. */
	ASSERT_EQ(-EEXIST, ubc_clone_raw(self->other.ring_fd, self->plain.ring_fd, 0, 0, 0, 0));
	/* and other's table is as it was. */
	ASSERT_EQ(1, ubc_ring_bufs(self->other.ring_fd, &got, 1));
	ASSERT_EQ(self->mem, got.iov_base);
}

TEST_F(clone, both_of_caller_clone)
{
	struct io_uring a, b;

	UBC_RING_INIT(&a, 8, IORING_SETUP_SINGLE_ISSUER);
	UBC_RING_INIT(&b, 8, IORING_SETUP_SINGLE_ISSUER);
	int fd = ubc_tmpfile(BUF_LEN, 31), res = -1;

	EXPECT_LE(0, fd);
	EXPECT_EQ(0, io_uring_register_buffers(&a, &self->iov, 1));
	EXPECT_EQ(0, io_uring_clone_buffers(&b, &a));
	/* b's slot 0 is a's buffer: a fixed read through it fills that memory. */
	memset(self->mem, 0, BUF_LEN);
	if (fd >= 0)
		res = ubc_rw_fixed(&b, 0, fd, self->mem, BUF_LEN, 0, 0);
	EXPECT_EQ(BUF_LEN, res);
	EXPECT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 31, 0));
	if (fd >= 0)
		close(fd);
	io_uring_queue_exit(&b);
	io_uring_queue_exit(&a);
}

TEST_HARNESS_MAIN
