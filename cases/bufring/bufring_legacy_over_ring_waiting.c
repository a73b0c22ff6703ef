// SPDX-License-Identifier: MIT
/*
 * The reverse: legacy buffers on a bgid whose ring was unregistered while a receive waits on
 * it (not on the pages). A waiting recv holds no ring buffer (net.c: -EAGAIN ->
 * io_kbuf_recycle(), the head is not moved), so provide on the ring's bgid is -EINVAL
 * (kbuf.c io_provide_buffers(): "can't add buffers via this command for a mapped buffer
 * ring"), unregister succeeds, provide then succeeds, and the recv selects the legacy buffer
 * when data comes; the old ring's buffer is never written. From io-wq (IOSQE_ASYNC) it is
 * different: a selection made unlocked consumes the ring buffer at once (kbuf.c
 * io_ring_buffer_select(): "If we came in unlocked, we have no choice but to consume the buffer
 * here ... it'll be pinned until the IO completes"), so the waiting recv keeps ring buffer 9
 * through the unregister and completes into it; the legacy buffer stays in the group. Where
 * IORING_REGISTER_PBUF_STATUS exists (6.8) the ring's head shows it while the recv waits: 1
 * from io-wq, 0 inline.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 102
#define LEN 16

FIXTURE(rev_wait) {
	struct ubc_held h;
};

FIXTURE_VARIANT(rev_wait) {
	unsigned int sqe_flags;
	int holds_ring_buffer;
};

FIXTURE_VARIANT_ADD(rev_wait, inline) { .sqe_flags = 0, .holds_ring_buffer = 0 };
FIXTURE_VARIANT_ADD(rev_wait, io_wq) { .sqe_flags = IOSQE_ASYNC, .holds_ring_buffer = 1 };

FIXTURE_SETUP(rev_wait)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	ASSERT_EQ(0, ubc_held_setup(&self->h, LEN));
	ASSERT_EQ(0, ubc_held_give(&self->h, BGID, UBC_HELD_RING));
}

FIXTURE_TEARDOWN(rev_wait)
{
	ubc_held_free(&self->h);
}

TEST_F(rev_wait, waiting_recv_moves_to_legacy)
{
	struct ubc_held *h = &self->h;
	unsigned char data[LEN];
	unsigned int flags;
	uint16_t head;
	char why[256];
	int res, st;

	ASSERT_EQ(0, ubc_held_recv(h, 0, 0, BGID, variant->sqe_flags));
	/*
	 * Where the kernel reports the head (6.8 on): inline, the waiting recv holds no buffer
	 * (head 0, settled when the submit returned); from io-wq the worker takes buffer 9 when
	 * it issues the recv (head 1), which is waited for here rather than assumed done within
	 * ubc_held_recv()'s 100 ms, so a slow worker cannot make the case lie.
	 */
	st = ubc_probe(UBC_F_PBUF_STATUS, why, sizeof(why));
	ASSERT_LE(0, st) TH_LOG("%s", why);
	if (st) {
		for (int ms = 0;; ms++) {
			ASSERT_EQ(0, io_uring_buf_ring_head(&h->ring, BGID, &head));
			if (head == variant->holds_ring_buffer || ms == 5000)
				break;
			usleep(1000);
		}
		ASSERT_EQ(variant->holds_ring_buffer, head);
	}

	ASSERT_EQ(-EINVAL, ubc_held_give(h, BGID, UBC_HELD_LEGACY));
	ASSERT_EQ(0, ubc_br_unregister(&h->ring, &h->b));
	ASSERT_EQ(0, ubc_held_give(h, BGID, UBC_HELD_LEGACY));

	ubc_fill(data, LEN, 72, 0);
	ASSERT_EQ(LEN, write(h->sv[1], data, LEN));
	ASSERT_EQ(0, ubc_held_done(h, &res, &flags));
	ASSERT_EQ(LEN, res);
	if (variant->holds_ring_buffer) {
		ASSERT_EQ(UBC_BUF_FLAGS(UBC_HELD_RING_ID), flags);
		ASSERT_EQ(-1, ubc_mismatch(h->ringbuf, LEN, 72, 0));
		ASSERT_EQ(-1, ubc_first_not(h->legacy, LEN, 0));
		ASSERT_EQ(0, ubc_remove(&h->ring, 10, BGID, &res));
		ASSERT_EQ(1, res);
	} else {
		ASSERT_EQ(UBC_BUF_FLAGS(UBC_HELD_LEGACY_ID), flags);
		ASSERT_EQ(-1, ubc_mismatch(h->legacy, LEN, 72, 0));
		ASSERT_EQ(-1, ubc_first_not(h->ringbuf, LEN, 0));
		ASSERT_EQ(0, ubc_remove(&h->ring, 10, BGID, &res));
		ASSERT_EQ(0, res);
	}
}

TEST_HARNESS_MAIN
