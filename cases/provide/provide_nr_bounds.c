// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS: -E2BIG when nr is too big, "a max value of
 * USHRT_MAX". kbuf.c io_provide_buffers_prep(): nr 0 or nr > MAX_BIDS_PER_BGID (65536) is
 * -E2BIG, so the real maximum is 65536, one more than USHRT_MAX (6.1, 6.12, 7.3).
 */
#include "ubc_test.h"

#define MAXNR 65536

FIXTURE(nr_bounds) {
	struct io_uring ring;
	char *mem;
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
}

FIXTURE_TEARDOWN(nr_bounds)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, MAXNR + 1);
}

/* One-byte buffers from ID 0: only nr varies. */
TEST_F(nr_bounds, provide_res)
{
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 1, variant->nr, 1, 0, &res));
	ASSERT_EQ(variant->res, res) TH_LOG("nr %d: res %d (%s)", variant->nr, res, strerror(-res));
}

TEST_HARNESS_MAIN
