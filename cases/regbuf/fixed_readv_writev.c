// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_readv_fixed(3) / io_uring_prep_writev_fixed(3): every iovec must lie in
 * the registered buffer buf_index. Two iovecs at different places inside it are filled in
 * order (readv) or written in order (writev), res is the total; an iovec reaching one byte
 * past the buffer is EFAULT and moves nothing (io_vec_fill_bvec(): validate_fixed_range()
 * per iovec). An iovec of length 0 is EFAULT too (io_vec_fill_bvec() "!iov_len"). Before any
 * check of the ranges, io_estimate_bvec_size() sizes the bvec array as (iov_len >> 12) + 2 per
 * iovec: one iovec of (INT_MAX - 2) pages asks for exactly INT_MAX entries, which is allowed
 * and then cannot be allocated (ENOMEM, io_vec_realloc() with __GFP_NOWARN); one page more is
 * over INT_MAX and EOVERFLOW (the estimate's overflow check, a stable fix). Needs
 * IORING_OP_READV_FIXED (6.15, probe UBC_F_RW_VEC_FIXED). No iovecs at all is a read of 0
 * bytes (the estimate is 0 and the import builds an empty iterator), also right after a short
 * read left the request cache's iterator with bytes to go: nothing is written.
 */
#include <limits.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN (2 * 4096)

FIXTURE(fixed) {
	struct io_uring ring;
	unsigned char *mem;
	int fd;
};

FIXTURE_SETUP(fixed)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_RW_VEC_FIXED);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN + 4096);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	self->fd = ubc_tmpfile(BUF_LEN, 47);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN + 4096);
}

TEST_F(fixed, readv_fills_in_order)
{
	/* Second iovec first in memory: order is the iovec array's, not the addresses'. */
	struct iovec v[2] = {
		{ .iov_base = self->mem + 5000, .iov_len = 300 },
		{ .iov_base = self->mem + 10, .iov_len = 4200 },
	};

	memset(self->mem, 0xee, BUF_LEN);
	ASSERT_EQ(4500, ubc_vec_fixed(&self->ring, 0, self->fd, v, 2));
	ASSERT_EQ(-1, ubc_mismatch(self->mem + 5000, 300, 47, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem + 10, 4200, 47, 300));
	ASSERT_EQ(-1, ubc_first_not(self->mem, 10, 0xee));
	ASSERT_EQ(-1, ubc_first_not(self->mem + 4210, 5000 - 4210, 0xee));
	ASSERT_EQ(-1, ubc_first_not(self->mem + 5300, BUF_LEN - 5300, 0xee));
}

TEST_F(fixed, writev_takes_in_order)
{
	struct iovec v[2] = {
		{ .iov_base = self->mem + 6000, .iov_len = 100 },
		{ .iov_base = self->mem + 1, .iov_len = 4100 },
	};
	unsigned char back[4200];

	ubc_fill(self->mem + 6000, 100, 48, 0);
	ubc_fill(self->mem + 1, 4100, 48, 100);
	ASSERT_EQ(4200, ubc_vec_fixed(&self->ring, 1, self->fd, v, 2));
	ASSERT_EQ(4200, pread(self->fd, back, sizeof(back), 0));
	ASSERT_EQ(-1, ubc_mismatch(back, sizeof(back), 48, 0));
}

TEST_F(fixed, iovec_past_end_is_efault)
{
	struct iovec v[2] = {
		{ .iov_base = self->mem, .iov_len = 100 },
		{ .iov_base = self->mem + BUF_LEN - 50, .iov_len = 51 },
	};
	unsigned char back[BUF_LEN];

	memset(self->mem, 0xee, BUF_LEN + 4096);
	ASSERT_EQ(-EFAULT, ubc_vec_fixed(&self->ring, 0, self->fd, v, 2));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN + 4096, 0xee));
	ASSERT_EQ(-EFAULT, ubc_vec_fixed(&self->ring, 1, self->fd, v, 2));
	ASSERT_EQ((ssize_t)BUF_LEN, pread(self->fd, back, BUF_LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 47, 0));
}

TEST_F(fixed, zero_len_iovec_is_efault)
{
	struct iovec v[2] = {
		{ .iov_base = self->mem, .iov_len = 100 },
		{ .iov_base = self->mem + 200, .iov_len = 0 },
	};
	unsigned char back[BUF_LEN];

	memset(self->mem, 0xee, BUF_LEN + 4096);
	ASSERT_EQ(-EFAULT, ubc_vec_fixed(&self->ring, 0, self->fd, v, 2));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN + 4096, 0xee));
	ASSERT_EQ(-EFAULT, ubc_vec_fixed(&self->ring, 1, self->fd, v, 2));
	ASSERT_EQ((ssize_t)BUF_LEN, pread(self->fd, back, BUF_LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 47, 0));
}

/* iov_len of this many 4 KiB pages makes the estimate (pages + 2) exactly INT_MAX + extra. */
static int estimate_past(struct io_uring *ring, int fd, void *base, int extra)
{
	struct iovec v = { .iov_base = base, .iov_len = (size_t)(INT_MAX - 2 + extra) << 12 };

	return ubc_vec_fixed(ring, 0, fd, &v, 1);
}

TEST_F(fixed, estimate_int_max_is_enomem)
{
	memset(self->mem, 0xee, BUF_LEN + 4096);
	ASSERT_EQ(-ENOMEM, estimate_past(&self->ring, self->fd, self->mem, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN + 4096, 0xee));
}

TEST_F(fixed, estimate_over_int_max_is_eoverflow)
{
	memset(self->mem, 0xee, BUF_LEN + 4096);
	ASSERT_EQ(-EOVERFLOW, estimate_past(&self->ring, self->fd, self->mem, 1));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN + 4096, 0xee));
}

TEST_F(fixed, zero_iovecs_read_nothing)
{
	struct iovec v[2] = {
		{ .iov_base = self->mem, .iov_len = 100 },
		{ .iov_base = self->mem + 4096, .iov_len = 4000 },
	};
	struct io_uring_sqe *sqe;
	unsigned int flags;
	int res;

	/* A short read: 150 bytes left in the file of 4100 asked for. */
	memset(self->mem, 0xee, BUF_LEN + 4096);
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_readv_fixed(sqe, self->fd, v, 2, BUF_LEN - 150, 0, 0);
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(150, res);
	memset(self->mem, 0xee, BUF_LEN + 4096);
	ASSERT_EQ(0, ubc_vec_fixed(&self->ring, 0, self->fd, v, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN + 4096, 0xee));
}

TEST_HARNESS_MAIN
