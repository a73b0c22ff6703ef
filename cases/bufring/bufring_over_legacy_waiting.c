// SPDX-License-Identifier: MIT
/*
 * A buffer ring registered on a bgid whose legacy buffer is being recycled by a waiting
 * receive (not on the pages). A recv that finds no data puts its legacy buffer back
 * (kbuf.c io_kbuf_recycle_legacy(), also from io-wq with IOSQE_ASYNC before it arms poll), so
 * the group still holds it: registering a ring is -EEXIST (io_register_pbuf_ring(): "if
 * mapped buffer ring OR classic exists, don't allow") and remove_buffers finds 1. Once removed,
 * the ring registers, and the waiting recv, when data comes, selects from the ring.
 * The wait is observed (no CQE for 100 ms) before anything is changed.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 100
#define LEN 16

FIXTURE(over_wait) {
	struct ubc_held h;
};

FIXTURE_VARIANT(over_wait) {
	unsigned int sqe_flags;
};

FIXTURE_VARIANT_ADD(over_wait, inline) { .sqe_flags = 0 };
FIXTURE_VARIANT_ADD(over_wait, io_wq) { .sqe_flags = IOSQE_ASYNC };

FIXTURE_SETUP(over_wait)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	ASSERT_EQ(0, ubc_held_setup(&self->h, LEN));
	ASSERT_EQ(0, ubc_held_give(&self->h, BGID, UBC_HELD_LEGACY));
}

FIXTURE_TEARDOWN(over_wait)
{
	ubc_held_free(&self->h);
}

TEST_F(over_wait, waiting_recv_moves_to_ring)
{
	struct ubc_held *h = &self->h;
	unsigned char data[LEN];
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_held_recv(h, 0, 0, BGID, variant->sqe_flags));

	ASSERT_EQ(-EEXIST, ubc_br_setup(&h->ring, &h->b, 4, BGID, 0, 0));
	ASSERT_EQ(0, ubc_remove(&h->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
	ASSERT_EQ(0, ubc_held_give(h, BGID, UBC_HELD_RING));

	ubc_fill(data, LEN, 70, 0);
	ASSERT_EQ(LEN, write(h->sv[1], data, LEN));
	ASSERT_EQ(0, ubc_held_done(h, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(UBC_HELD_RING_ID), flags);
	ASSERT_EQ(-1, ubc_mismatch(h->ringbuf, LEN, 70, 0));
	ASSERT_EQ(-1, ubc_first_not(h->legacy, LEN, 0));
}

TEST_HARNESS_MAIN
