// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers(3) / io_uring_register(2) IORING_REGISTER_BUFFERS: a table
 * holds 1 .. 16384 (IORING_MAX_REG_BUFFERS) slots; 0 and 16385 are EINVAL
 * (io_sqe_buffers_register()). The old UIO_MAXIOV (1024) cap is gone since 5.13: 1025
 * iovecs register. The last slot of a 16384-slot table really holds its buffer.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096
#define MAX_BUFS 16384

FIXTURE(regbuf) {
	struct io_uring ring;
	struct iovec *iov;
	void *mem;
	int fd;
};

FIXTURE_VARIANT(regbuf) {
	unsigned int nr;
	int expect;
};

FIXTURE_VARIANT_ADD(regbuf, zero) { .nr = 0, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(regbuf, one) { .nr = 1, .expect = 0 };
FIXTURE_VARIANT_ADD(regbuf, uio_maxiov_plus_one) { .nr = 1025, .expect = 0 };
FIXTURE_VARIANT_ADD(regbuf, max) { .nr = MAX_BUFS, .expect = 0 };
FIXTURE_VARIANT_ADD(regbuf, max_plus_one) { .nr = MAX_BUFS + 1, .expect = -EINVAL };

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	/* Every slot empty (NULL, 0) but the last, which maps mem. */
	self->iov = calloc(MAX_BUFS + 1, sizeof(*self->iov));
	ASSERT_NE(NULL, self->iov);
	self->fd = ubc_tmpfile(BUF_LEN, 21);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	free(self->iov);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(regbuf, count)
{
	int last = (int)variant->nr - 1;

	if (variant->nr)
		self->iov[last] = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(variant->expect, io_uring_register_buffers(&self->ring, self->iov, variant->nr));
	if (variant->expect) {
		/* Nothing was registered. */
		ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
		return;
	}
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, last));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 21, 0));
	/* The table ends at nr: one past the last slot is not a slot. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, last + 1));
}

TEST_HARNESS_MAIN
