// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers(3): an iovec { NULL, 0 } registers an empty slot (read_fixed
 * through it is EFAULT while its neighbour works); { NULL, len > 0 } is EFAULT and leaves
 * no table (io_buffer_validate() / io_sqe_buffer_register()).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem;
	int fd;
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	self->fd = ubc_tmpfile(BUF_LEN, 5);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(regbuf, null_zero_is_empty_slot)
{
	struct iovec iov[2] = {
		{ .iov_base = NULL, .iov_len = 0 },
		{ .iov_base = self->mem, .iov_len = BUF_LEN },
	};

	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, iov, 2));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 5, 0));
}

TEST_F(regbuf, null_with_length_is_efault)
{
	struct iovec iov[2] = {
		{ .iov_base = self->mem, .iov_len = BUF_LEN },
		{ .iov_base = NULL, .iov_len = BUF_LEN },
	};

	ASSERT_EQ(-EFAULT, io_uring_register_buffers(&self->ring, iov, 2));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_HARNESS_MAIN
