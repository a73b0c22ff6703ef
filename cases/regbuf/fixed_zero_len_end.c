// SPDX-License-Identifier: MIT
/*
 * A read_fixed or write_fixed of 0 bytes whose address is the registered buffer's end
 * (or its start) is inside the region (end == imu end is allowed by io_import_fixed()):
 * res 0, nothing moved. The same 0-byte request one byte past the end is EFAULT.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(fixed) {
	struct io_uring ring;
	unsigned char *mem;
	int fd;
};

FIXTURE_VARIANT(fixed) {
	int write;
	size_t off;
	int expect;
};

FIXTURE_VARIANT_ADD(fixed, read_at_end) { .write = 0, .off = BUF_LEN, .expect = 0 };
FIXTURE_VARIANT_ADD(fixed, write_at_end) { .write = 1, .off = BUF_LEN, .expect = 0 };
FIXTURE_VARIANT_ADD(fixed, read_at_start) { .write = 0, .off = 0, .expect = 0 };
FIXTURE_VARIANT_ADD(fixed, read_past_end) { .write = 0, .off = BUF_LEN + 1, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(fixed, write_past_end) { .write = 1, .off = BUF_LEN + 1, .expect = -EFAULT };

FIXTURE_SETUP(fixed)
{
	struct iovec iov;

	UBC_RING_INIT(&self->ring, 8, 0);
	/* Twice the registered length, so off + 1 past the end is still mapped memory. */
	UBC_BUF(self->mem, 2 * BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	self->fd = ubc_tmpfile(BUF_LEN, 29);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * BUF_LEN);
}

TEST_F(fixed, zero_bytes)
{
	unsigned char back[BUF_LEN];

	memset(self->mem, 0xee, 2 * BUF_LEN);
	ASSERT_EQ(variant->expect, ubc_rw_fixed(&self->ring, variant->write, self->fd,
						self->mem + variant->off, 0, 0, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, 2 * BUF_LEN, 0xee));
	ASSERT_EQ((ssize_t)BUF_LEN, pread(self->fd, back, BUF_LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 29, 0));
}

TEST_HARNESS_MAIN
