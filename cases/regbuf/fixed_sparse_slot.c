// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers_sparse(3): "These buffers must be updated before use". A
 * read_fixed or write_fixed through a never-filled sparse slot is EFAULT (6.1: the dummy
 * ubuf's empty range; later: no node), whatever address is passed, also an address of a
 * buffer registered in another slot; after an update the same request works.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(fixed) {
	struct io_uring ring;
	void *mem;
	int fd;
};

FIXTURE_SETUP(fixed)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	ASSERT_EQ(0, io_uring_register_buffers_sparse(&self->ring, 4));
	self->fd = ubc_tmpfile(BUF_LEN, 37);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(fixed, empty_until_updated)
{
	struct iovec iov = { .iov_base = self->mem, .iov_len = BUF_LEN };

	memset(self->mem, 0xee, BUF_LEN);
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 1));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 1, self->fd, self->mem, BUF_LEN, 0, 1));
	/* Slot 3 gets the buffer; slot 1 stays empty even for slot 3's address. */
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->ring, 3, &iov, NULL, 1));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN, 0xee));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 3));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 37, 0));
}

TEST_HARNESS_MAIN
