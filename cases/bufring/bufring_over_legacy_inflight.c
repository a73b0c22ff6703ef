// SPDX-License-Identifier: MIT
/*
 * A buffer ring registered on a bgid while one of its legacy buffers is held by a request in
 * flight (not on the pages). A recv with MSG_WAITALL that got part of its data keeps its
 * buffer while it waits for the rest (net.c io_recv(): io_net_retry() -> partial, buffer not
 * recycled; inline or from io-wq with IOSQE_ASYNC). The group is then empty, so a ring
 * registers on it (kbuf.c io_register_pbuf_ring() replaces an empty legacy group). When the
 * rest arrives the recv completes into its legacy buffer with that buffer's ID (the ring is
 * not touched), and the next recv selects from the ring. The partial state is reached
 * deterministically: 10 of 32 bytes are sent before submitting, and no CQE comes for 100 ms.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 101
#define LEN 64
#define WANT 32

FIXTURE(over_held) {
	struct ubc_held h;
};

FIXTURE_VARIANT(over_held) {
	unsigned int sqe_flags;
};

FIXTURE_VARIANT_ADD(over_held, inline) { .sqe_flags = 0 };
FIXTURE_VARIANT_ADD(over_held, io_wq) { .sqe_flags = IOSQE_ASYNC };

FIXTURE_SETUP(over_held)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	ASSERT_EQ(0, ubc_held_setup(&self->h, LEN));
	ASSERT_EQ(0, ubc_held_give(&self->h, BGID, UBC_HELD_LEGACY));
}

FIXTURE_TEARDOWN(over_held)
{
	ubc_held_free(&self->h);
}

TEST_F(over_held, held_legacy_buffer_completes)
{
	struct ubc_held *h = &self->h;
	unsigned char data[WANT];
	unsigned int flags;
	int res;

	ubc_fill(data, WANT, 71, 0);
	ASSERT_EQ(10, write(h->sv[1], data, 10));
	ASSERT_EQ(0, ubc_held_recv(h, WANT, MSG_WAITALL, BGID, variant->sqe_flags));

	/* The buffer is in the request, not in the group. */
	ASSERT_EQ(0, ubc_remove(&h->ring, 10, BGID, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_held_give(h, BGID, UBC_HELD_RING));

	ASSERT_EQ(WANT - 10, write(h->sv[1], data + 10, WANT - 10));
	ASSERT_EQ(0, ubc_held_done(h, &res, &flags));
	ASSERT_EQ(WANT, res);
	ASSERT_EQ(UBC_BUF_FLAGS(UBC_HELD_LEGACY_ID), flags);
	ASSERT_EQ(-1, ubc_mismatch(h->legacy, WANT, 71, 0));
	ASSERT_EQ(-1, ubc_first_not(h->ringbuf, LEN, 0));

	/* The ring serves the next receive. */
	ASSERT_EQ(5, write(h->sv[1], "after", 5));
	ASSERT_EQ(0, ubc_recv_select(&h->ring, h->sv[0], 0, BGID, &res, &flags));
	ASSERT_EQ(5, res);
	ASSERT_EQ(UBC_BUF_FLAGS(UBC_HELD_RING_ID), flags);
	ASSERT_EQ(0, memcmp(h->ringbuf, "after", 5));
}

TEST_HARNESS_MAIN
