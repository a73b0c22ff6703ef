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
 * through the unregister and completes into it; the legacy buffer stays in the group.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 102
#define LEN 16

FIXTURE(rev_wait) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *legacy, *ringbuf;
	int sv[2];
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
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->legacy, LEN);
	UBC_BUF(self->ringbuf, LEN);
	memset(self->legacy, 0, LEN);
	memset(self->ringbuf, 0, LEN);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->ringbuf, LEN, 1, 9);
}

FIXTURE_TEARDOWN(rev_wait)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->legacy, LEN);
	ubc_buf_free(self->ringbuf, LEN);
}

TEST_F(rev_wait, waiting_recv_moves_to_legacy)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char data[LEN];
	unsigned long long ud;
	unsigned int flags;
	int res;

	io_uring_prep_recv(sqe, self->sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT | variant->sqe_flags;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud));

	ASSERT_EQ(0, ubc_provide(&self->ring, self->legacy, LEN, 1, BGID, 7, &res));
	ASSERT_EQ(-EINVAL, res);
	ASSERT_EQ(0, ubc_br_unregister(&self->ring, &self->b));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->legacy, LEN, 1, BGID, 7, &res));
	ASSERT_EQ(0, res);

	ubc_fill(data, LEN, 72, 0);
	ASSERT_EQ(LEN, write(self->sv[1], data, LEN));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(1u, ud);
	ASSERT_EQ(LEN, res);
	if (variant->holds_ring_buffer) {
		ASSERT_EQ(UBC_BUF_FLAGS(9), flags);
		ASSERT_EQ(-1, ubc_mismatch(self->ringbuf, LEN, 72, 0));
		ASSERT_EQ(-1, ubc_first_not(self->legacy, LEN, 0));
		ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
		ASSERT_EQ(1, res);
	} else {
		ASSERT_EQ(UBC_BUF_FLAGS(7), flags);
		ASSERT_EQ(-1, ubc_mismatch(self->legacy, LEN, 72, 0));
		ASSERT_EQ(-1, ubc_first_not(self->ringbuf, LEN, 0));
		ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
		ASSERT_EQ(0, res);
	}
}

TEST_HARNESS_MAIN
