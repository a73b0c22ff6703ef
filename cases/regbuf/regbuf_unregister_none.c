// SPDX-License-Identifier: MIT
/*
 * io_uring_unregister_buffers(3) on a ring without a buffer table is ENXIO: never
 * registered, after an unregister (the second one), and after a failed registration
 * (io_sqe_buffers_unregister(): no table). A sparse table counts as a table.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem;
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
}

FIXTURE_TEARDOWN(regbuf)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(regbuf, never_registered)
{
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_F(regbuf, twice)
{
	struct iovec iov = { .iov_base = self->mem, .iov_len = BUF_LEN };

	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_F(regbuf, sparse_table_unregisters)
{
	ASSERT_EQ(0, io_uring_register_buffers_sparse(&self->ring, 4));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_HARNESS_MAIN
