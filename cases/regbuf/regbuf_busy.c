// SPDX-License-Identifier: MIT
/*
 * A ring that has a buffer table refuses a second registration with EBUSY
 * (io_sqe_buffers_register(): table already set), whether the first was a normal or a
 * sparse table and the second a normal or sparse one; the first table is untouched and,
 * after io_uring_unregister_buffers(3), the same registration works.
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

FIXTURE_VARIANT(regbuf) {
	int first_sparse, second_sparse;
};

FIXTURE_VARIANT_ADD(regbuf, normal_then_normal) { 0, 0 };
FIXTURE_VARIANT_ADD(regbuf, normal_then_sparse) { 0, 1 };
FIXTURE_VARIANT_ADD(regbuf, sparse_then_normal) { 1, 0 };

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
	self->fd = ubc_tmpfile(BUF_LEN, 9);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

static int reg(struct io_uring *ring, int sparse, struct iovec *iov)
{
	return sparse ? io_uring_register_buffers_sparse(ring, 2) : io_uring_register_buffers(ring, iov, 1);
}

TEST_F(regbuf, second_is_ebusy)
{
	ASSERT_EQ(0, reg(&self->ring, variant->first_sparse, &self->iov[0]));
	ASSERT_EQ(-EBUSY, reg(&self->ring, variant->second_sparse, &self->iov[1]));
	/* The first table is still the one in place. */
	if (variant->first_sparse) {
		ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
		ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
	} else {
		ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
		ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 9, 0));
		ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 0));
	}
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(0, reg(&self->ring, variant->second_sparse, &self->iov[1]));
}

TEST_HARNESS_MAIN
