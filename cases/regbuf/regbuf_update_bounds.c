// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers_update_tag(3) outside the table: no table is ENXIO, a range
 * ending past the table EINVAL, an offset + nr that wraps EOVERFLOW, nr 0 EINVAL
 * (__io_register_rsrc_update(), __io_sqe_buffers_update(), io_register_rsrc_update());
 * a refused update changes no slot.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
	int fd;
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
	self->fd = ubc_tmpfile(BUF_LEN, 17);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

TEST_F(regbuf, no_table_is_enxio)
{
	ASSERT_EQ(-ENXIO, io_uring_register_buffers_update_tag(&self->ring, 0, self->iov, NULL, 1));
}

TEST_F(regbuf, past_end_is_einval)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->ring, 0, self->iov, NULL, 2));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->ring, 1, &self->iov[1], NULL, 1));
	/* Slot 0 still maps mem[0], not mem[1]. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 17, 0));
}

TEST_F(regbuf, wrapping_is_eoverflow)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EOVERFLOW, io_uring_register_buffers_update_tag(&self->ring, ~0U, self->iov, NULL, 1));
}

TEST_F(regbuf, nr_zero_is_einval)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->ring, 0, self->iov, NULL, 0));
}

TEST_HARNESS_MAIN
