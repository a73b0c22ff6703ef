// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS: -E2BIG when bid is too big. kbuf.c
 * io_provide_buffers_prep(): bid > USHRT_MAX is -E2BIG, but bid + nr > 65536 (IDs past
 * 65535) is -EINVAL, an errno the page does not give for it (6.1, 6.12, 7.3).
 * An accepted provide must have added the buffers from ID bid: a read selects ID bid (the
 * byte at mem) and remove takes the other nr - 1.
 */
#include "ubc_test.h"

FIXTURE(bid_bounds) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(bid_bounds) {
	int bid;
	int nr;
	int res;
};

FIXTURE_VARIANT_ADD(bid_bounds, bid_65535_nr_1_ok) { .bid = 65535, .nr = 1, .res = 0 };
FIXTURE_VARIANT_ADD(bid_bounds, bid_65535_nr_2_einval) { .bid = 65535, .nr = 2, .res = -EINVAL };
FIXTURE_VARIANT_ADD(bid_bounds, bid_1_nr_65535_ok) { .bid = 1, .nr = 65535, .res = 0 };
FIXTURE_VARIANT_ADD(bid_bounds, bid_1_nr_65536_einval) { .bid = 1, .nr = 65536, .res = -EINVAL };
FIXTURE_VARIANT_ADD(bid_bounds, bid_65536_e2big) { .bid = 65536, .nr = 1, .res = -E2BIG };

FIXTURE_SETUP(bid_bounds)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 65536);
	self->fd = ubc_tmpfile(1, 34);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(bid_bounds)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 65536);
}

TEST_F(bid_bounds, provide_res)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 1, variant->nr, 2, variant->bid, &res));
	ASSERT_EQ(variant->res, res)
		TH_LOG("bid %d nr %d: res %d (%s)", variant->bid, variant->nr, res, strerror(-res));
	if (variant->res)
		return;
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 1, 0, 2, &res, &flags));
	ASSERT_EQ(1, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | ((unsigned int)variant->bid << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, 1, 34, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 65536, 2, &res));
	ASSERT_EQ(variant->nr - 1, res);
}

TEST_HARNESS_MAIN
