// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS says a successful provide's res is the number of
 * buffers provided; kbuf.c io_add_buffers() returns 0 on success in 6.1, 6.12 and 7.3.
 * The buffers are there all the same: a read selects the first ID, remove takes the rest.
 */
#include "ubc_test.h"

#define LEN 32

FIXTURE(provide_res) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(provide_res) {
	int nr;
};

FIXTURE_VARIANT_ADD(provide_res, one_buffer) { .nr = 1 };
FIXTURE_VARIANT_ADD(provide_res, sixteen_buffers) { .nr = 16 };

FIXTURE_SETUP(provide_res)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 16 * LEN);
	self->fd = ubc_tmpfile(LEN, 32);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(provide_res)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 16 * LEN);
}

/* The provide CQE: res 0 (not nr) and no flags. */
TEST_F(provide_res, res_is_zero_not_count)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	io_uring_prep_provide_buffers(sqe, self->mem, LEN, variant->nr, 3, 40);
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(0, res) TH_LOG("provide of %d buffers: res %d", variant->nr, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, 3, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (40u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 32, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 100, 3, &res));
	ASSERT_EQ(variant->nr - 1, res);
}

TEST_HARNESS_MAIN
