// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS says a successful provide's res is the number of
 * buffers provided; kbuf.c io_add_buffers() returns 0 on success in 6.1, 6.12 and 7.3.
 */
#include "ubc_test.h"

#define LEN 32

FIXTURE(provide_res) {
	struct io_uring ring;
	char *mem;
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
}

FIXTURE_TEARDOWN(provide_res)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 16 * LEN);
}

/* The provide CQE: res 0 (not nr) and no flags. */
TEST_F(provide_res, res_is_zero_not_count)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	io_uring_prep_provide_buffers(sqe, self->mem, LEN, variant->nr, 3, 0);
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(0, res) TH_LOG("provide of %d buffers: res %d", variant->nr, res);
	ASSERT_EQ(0u, flags);
}

TEST_HARNESS_MAIN
