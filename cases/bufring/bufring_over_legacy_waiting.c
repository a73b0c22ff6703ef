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
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 100
#define LEN 16

FIXTURE(over_wait) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *legacy, *ringbuf;
	int sv[2];
};

FIXTURE_VARIANT(over_wait) {
	unsigned int sqe_flags;
};

FIXTURE_VARIANT_ADD(over_wait, inline) { .sqe_flags = 0 };
FIXTURE_VARIANT_ADD(over_wait, io_wq) { .sqe_flags = IOSQE_ASYNC };

FIXTURE_SETUP(over_wait)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->legacy, LEN);
	UBC_BUF(self->ringbuf, LEN);
	memset(self->legacy, 0, LEN);
	memset(self->ringbuf, 0, LEN);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->legacy, LEN, 1, BGID, 7, &res));
	ASSERT_EQ(0, res);
	self->b.br = NULL;
}

FIXTURE_TEARDOWN(over_wait)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->legacy, LEN);
	ubc_buf_free(self->ringbuf, LEN);
}

TEST_F(over_wait, waiting_recv_moves_to_ring)
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

	ASSERT_EQ(-EEXIST, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->ringbuf, LEN, 1, 9);

	ubc_fill(data, LEN, 70, 0);
	ASSERT_EQ(LEN, write(self->sv[1], data, LEN));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(1u, ud);
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(9), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->ringbuf, LEN, 70, 0));
	ASSERT_EQ(-1, ubc_first_not(self->legacy, LEN, 0));
}

TEST_HARNESS_MAIN
