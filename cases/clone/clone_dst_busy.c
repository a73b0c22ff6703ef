// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3): "The dst ring must not have any buffers currently
 * registered" (RETURN VALUE: -EBUSY); after io_uring_unregister_buffers(dst) the same
 * clone succeeds. A sparse table counts as registered (io_register_clone_buffers checks
 * the table size, not whether slots are filled).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[2];
	int fd;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem[0], BUF_LEN);
	UBC_BUF(self->mem[1], BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem[0], .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	self->fd = ubc_tmpfile(BUF_LEN, 9);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem[0], BUF_LEN);
	ubc_buf_free(self->mem[1], BUF_LEN);
}

TEST_F(clone, dst_with_buffers_is_ebusy_until_unregistered)
{
	struct iovec own = { .iov_base = self->mem[1], .iov_len = BUF_LEN };

	ASSERT_EQ(0, io_uring_register_buffers(&self->dst, &own, 1));
	ASSERT_EQ(-EBUSY, io_uring_clone_buffers(&self->dst, &self->src));
	/* The refused clone left dst's own buffer in slot 0. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[1], BUF_LEN, 0, 0));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 9, 0));
}

TEST_F(clone, dst_with_sparse_table_is_ebusy)
{
	ASSERT_EQ(0, io_uring_register_buffers_sparse(&self->dst, 4));
	ASSERT_EQ(-EBUSY, io_uring_clone_buffers(&self->dst, &self->src));
}

/* A dst that had buffers and unregistered them is empty again. */
TEST_F(clone, clone_twice_needs_unregister)
{
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ(-EBUSY, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	memset(self->mem[0], 0, BUF_LEN);
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 9, 0));
}

TEST_HARNESS_MAIN
