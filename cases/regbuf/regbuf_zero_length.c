// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers(3): a buffer with a base but iov_len 0 is refused with EFAULT
 * (io_buffer_validate() / io_validate_user_buf_range()), also when it is not the first
 * iovec, and the whole registration fails: no table is left (unregister gives ENXIO).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
};

FIXTURE_VARIANT(regbuf) {
	int zero_slot;
};

FIXTURE_VARIANT_ADD(regbuf, first) { .zero_slot = 0 };
FIXTURE_VARIANT_ADD(regbuf, second) { .zero_slot = 1 };

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
}

FIXTURE_TEARDOWN(regbuf)
{
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

TEST_F(regbuf, efault_and_no_table)
{
	self->iov[variant->zero_slot].iov_len = 0;
	ASSERT_EQ(-EFAULT, io_uring_register_buffers(&self->ring, self->iov, 2));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
	/* The same table with the length back registers. */
	self->iov[variant->zero_slot].iov_len = BUF_LEN;
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 2));
}

TEST_HARNESS_MAIN
