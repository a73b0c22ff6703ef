// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_read_fixed(3): "The buffer need not be aligned with the start of the
 * registered buffer." A read_fixed of n bytes at any address inside a 3-page registered
 * buffer (start, middle of the first page, a page boundary, straddling two pages, ending
 * at the last byte) puts the file's bytes at exactly that address and touches nothing
 * else (io_import_fixed(): offset from imu->ubuf, bvec skip). write_fixed the same way
 * writes exactly those bytes.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN (3 * 4096)

FIXTURE(fixed) {
	struct io_uring ring;
	unsigned char *mem;
	int fd;
};

FIXTURE_VARIANT(fixed) {
	size_t off, len;
};

FIXTURE_VARIANT_ADD(fixed, at_start) { .off = 0, .len = 100 };
FIXTURE_VARIANT_ADD(fixed, inside_first_page) { .off = 1000, .len = 200 };
FIXTURE_VARIANT_ADD(fixed, at_page_boundary) { .off = 4096, .len = 4096 };
FIXTURE_VARIANT_ADD(fixed, straddling_pages) { .off = 4000, .len = 5000 };
FIXTURE_VARIANT_ADD(fixed, ending_at_last_byte) { .off = BUF_LEN - 77, .len = 77 };
FIXTURE_VARIANT_ADD(fixed, whole_buffer) { .off = 0, .len = BUF_LEN };

FIXTURE_SETUP(fixed)
{
	struct iovec iov;

	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	self->fd = ubc_tmpfile(BUF_LEN, 23);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(fixed, read_lands_at_address)
{
	size_t off = variant->off, len = variant->len, end = off + len;

	memset(self->mem, 0xee, BUF_LEN);
	ASSERT_EQ((int)len, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem + off, len, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem + off, len, 23, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, off, 0xee));
	ASSERT_EQ(-1, ubc_first_not(self->mem + end, BUF_LEN - end, 0xee));
}

TEST_F(fixed, write_takes_from_address)
{
	size_t off = variant->off, len = variant->len;
	unsigned char back[BUF_LEN];

	memset(self->mem, 0xee, BUF_LEN);
	ubc_fill(self->mem + off, len, 24, 0);
	ASSERT_EQ((int)len, ubc_rw_fixed(&self->ring, 1, self->fd, self->mem + off, len, 0, 0));
	ASSERT_EQ((ssize_t)BUF_LEN, pread(self->fd, back, BUF_LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(back, len, 24, 0));
	/* The rest of the file keeps its old pattern. */
	ASSERT_EQ(-1, ubc_mismatch(back + len, BUF_LEN - len, 23, len));
}

TEST_HARNESS_MAIN
