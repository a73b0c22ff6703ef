// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3) with rings that use registered ring fds
 * (io_uring_register_ring_fd(3)): liburing then registers through the dst's index
 * (IORING_REGISTER_USE_REGISTERED_RING) and names a registered src by index
 * (IORING_REGISTER_SRC_REGISTERED). The clone works with the dst registered, with the
 * dst's real fd closed (io_uring_close_ring_fd(3): only the index is left), and with both
 * registered; fixed reads through the dst land in src's memory each time.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem;
	int fd;
};

FIXTURE_VARIANT(clone) {
	int close_dst_fd;
	int register_src;
};

FIXTURE_VARIANT_ADD(clone, dst_registered) { .close_dst_fd = 0, .register_src = 0 };
FIXTURE_VARIANT_ADD(clone, dst_index_only) { .close_dst_fd = 1, .register_src = 0 };
FIXTURE_VARIANT_ADD(clone, both_registered) { .close_dst_fd = 0, .register_src = 1 };

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_REQUIRE(UBC_F_REGISTER_RING_FD);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	self->fd = ubc_tmpfile(BUF_LEN, 53);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, clone_and_read)
{
	ASSERT_EQ(1, io_uring_register_ring_fd(&self->dst));
	if (variant->close_dst_fd)
		ASSERT_EQ(1, io_uring_close_ring_fd(&self->dst));
	if (variant->register_src)
		ASSERT_EQ(1, io_uring_register_ring_fd(&self->src));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	memset(self->mem, 0, BUF_LEN);
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 53, 0));
	/* The dst really has a table now: a second clone is EBUSY. */
	ASSERT_EQ(-EBUSY, io_uring_clone_buffers(&self->dst, &self->src));
}

TEST_HARNESS_MAIN
