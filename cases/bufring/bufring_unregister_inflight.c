// SPDX-License-Identifier: MIT
/*
 * A buffer ring unregistered while one of its buffers is held by a request in flight, and
 * legacy buffers provided on the bgid meanwhile (not on the pages). A recv with MSG_WAITALL
 * that got part of its data keeps its ring buffer (net.c io_net_kbuf_recyle(): the buffer is
 * committed and not recycled; inline or from io-wq). Unregister succeeds, a legacy buffer is
 * provided on the same bgid, and when the rest of the data comes the recv completes into the
 * ring buffer it holds, with that buffer's ID; the next recv selects the legacy buffer. Older
 * kernels kept a pointer to the freed buffer list in the request here; the case shows it
 * completes cleanly (the runner reports a crash or KASAN report against this case).
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 103
#define LEN 64
#define WANT 32

FIXTURE(unreg_held) {
	struct ubc_held h;
};

FIXTURE_VARIANT(unreg_held) {
	unsigned int sqe_flags;
};

FIXTURE_VARIANT_ADD(unreg_held, inline) { .sqe_flags = 0 };
FIXTURE_VARIANT_ADD(unreg_held, io_wq) { .sqe_flags = IOSQE_ASYNC };

FIXTURE_SETUP(unreg_held)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	ASSERT_EQ(0, ubc_held_setup(&self->h, LEN));
	ASSERT_EQ(0, ubc_held_give(&self->h, BGID, UBC_HELD_RING));
}

FIXTURE_TEARDOWN(unreg_held)
{
	ubc_held_free(&self->h);
}

TEST_F(unreg_held, held_ring_buffer_completes)
{
	struct ubc_held *h = &self->h;
	unsigned char data[WANT];
	unsigned int flags;
	int res;

	ubc_fill(data, WANT, 73, 0);
	ASSERT_EQ(10, write(h->sv[1], data, 10));
	ASSERT_EQ(0, ubc_held_recv(h, WANT, MSG_WAITALL, BGID, variant->sqe_flags));

	ASSERT_EQ(0, ubc_br_unregister(&h->ring, &h->b));
	ASSERT_EQ(0, ubc_held_give(h, BGID, UBC_HELD_LEGACY));

	ASSERT_EQ(WANT - 10, write(h->sv[1], data + 10, WANT - 10));
	ASSERT_EQ(0, ubc_held_done(h, &res, &flags));
	ASSERT_EQ(WANT, res);
	ASSERT_EQ(UBC_BUF_FLAGS(UBC_HELD_RING_ID), flags);
	ASSERT_EQ(-1, ubc_mismatch(h->ringbuf, WANT, 73, 0));
	ASSERT_EQ(-1, ubc_first_not(h->legacy, LEN, 0));

	ASSERT_EQ(5, write(h->sv[1], "later", 5));
	ASSERT_EQ(0, ubc_recv_select(&h->ring, h->sv[0], 0, BGID, &res, &flags));
	ASSERT_EQ(5, res);
	ASSERT_EQ(UBC_BUF_FLAGS(UBC_HELD_LEGACY_ID), flags);
	ASSERT_EQ(0, memcmp(h->legacy, "later", 5));
}

TEST_HARNESS_MAIN
