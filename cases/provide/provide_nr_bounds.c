// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS: -E2BIG when nr is too big, "a max value of
 * USHRT_MAX". kbuf.c io_provide_buffers_prep(): nr 0 or nr > MAX_BIDS_PER_BGID (65536) is
 * -E2BIG, so the real maximum is 65536, one more than USHRT_MAX (6.1, 6.12, 7.3).
 * An accepted provide must have added all nr buffers: a read selects ID 0 (the byte at mem)
 * and remove takes the other nr - 1. Kernels whose legacy group holds at most 65535
 * (6.16 .. 7.1, see provide_group_capacity) fail nr_65536_ok here: expected/ marks it.
 */
#include "ubc_test.h"

#define MAXNR 65536

FIXTURE(nr_bounds) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(nr_bounds) {
	int nr;
	int res;
};

FIXTURE_VARIANT_ADD(nr_bounds, nr_0_e2big) { .nr = 0, .res = -E2BIG };
FIXTURE_VARIANT_ADD(nr_bounds, nr_65535_ok) { .nr = 65535, .res = 0 };
FIXTURE_VARIANT_ADD(nr_bounds, nr_65536_ok) { .nr = 65536, .res = 0 };
FIXTURE_VARIANT_ADD(nr_bounds, nr_65537_e2big) { .nr = 65537, .res = -E2BIG };

FIXTURE_SETUP(nr_bounds)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	/* Room for 65537 one-byte buffers, so only the count can be refused. */
	UBC_BUF(self->mem, MAXNR + 1);
	self->fd = ubc_tmpfile(1, 33);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(nr_bounds)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, MAXNR + 1);
}

/* One-byte buffers from ID 0: only nr varies. */
TEST_F(nr_bounds, provide_res)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 1, variant->nr, 1, 0, &res));
	ASSERT_EQ(variant->res, res) TH_LOG("nr %d: res %d (%s)", variant->nr, res, strerror(-res));
	if (variant->res)
		return;
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 1, 0, 1, &res, &flags));
	ASSERT_EQ(1, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (0u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, 1, 33, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, MAXNR, 1, &res));
	ASSERT_EQ(variant->nr - 1, res) TH_LOG("a provide of %d kept %d", variant->nr, res + 1);
}

TEST_HARNESS_MAIN
