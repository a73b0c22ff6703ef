// SPDX-License-Identifier: MIT
/*
 * A registered buffer need not start on a page: registered at page + 123 for 3 pages,
 * read_fixed at its start, across the first page boundary of the mapping (the first bvec
 * is short), in the middle and at its very end puts every byte at its address
 * (io_sqe_buffer_register(): first bvec offset; io_import_fixed(): first-bvec skip), and
 * the byte before the registered base is outside it (EFAULT).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define MAP_LEN (4 * 4096)
#define BASE_OFF 123
#define REG_LEN (3 * 4096)

FIXTURE(fixed) {
	struct io_uring ring;
	unsigned char *mem, *base;
	int fd;
};

FIXTURE_VARIANT(fixed) {
	size_t off, len;	/* from the registered base */
};

FIXTURE_VARIANT_ADD(fixed, at_base) { .off = 0, .len = 500 };
FIXTURE_VARIANT_ADD(fixed, across_first_page_end) { .off = 4096 - BASE_OFF - 10, .len = 20 };
FIXTURE_VARIANT_ADD(fixed, second_bvec_start) { .off = 4096 - BASE_OFF, .len = 4096 };
FIXTURE_VARIANT_ADD(fixed, middle_to_end) { .off = 5000, .len = REG_LEN - 5000 };
FIXTURE_VARIANT_ADD(fixed, whole) { .off = 0, .len = REG_LEN };

FIXTURE_SETUP(fixed)
{
	struct iovec iov;

	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, MAP_LEN);
	self->base = self->mem + BASE_OFF;
	iov = (struct iovec){ .iov_base = self->base, .iov_len = REG_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	self->fd = ubc_tmpfile(REG_LEN, 43);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, MAP_LEN);
}

TEST_F(fixed, read_lands_at_address)
{
	size_t off = variant->off, len = variant->len;

	memset(self->mem, 0xee, MAP_LEN);
	ASSERT_EQ((int)len, ubc_rw_fixed(&self->ring, 0, self->fd, self->base + off, len, off, 0));
	/* File offset off: the bytes must be the pattern at off, at base + off. */
	ASSERT_EQ(-1, ubc_mismatch(self->base + off, len, 43, off));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BASE_OFF + off, 0xee));
	ASSERT_EQ(-1, ubc_first_not(self->base + off + len, MAP_LEN - BASE_OFF - off - len, 0xee));
}

TEST_F(fixed, byte_before_base_is_efault)
{
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->base - 1, 2, 0, 0));
}

TEST_HARNESS_MAIN
