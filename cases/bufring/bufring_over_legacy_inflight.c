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
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *legacy, *ringbuf;
	int sv[2];
};

FIXTURE_VARIANT(over_held) {
	unsigned int sqe_flags;
};

FIXTURE_VARIANT_ADD(over_held, inline) { .sqe_flags = 0 };
FIXTURE_VARIANT_ADD(over_held, io_wq) { .sqe_flags = IOSQE_ASYNC };

FIXTURE_SETUP(over_held)
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

FIXTURE_TEARDOWN(over_held)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->legacy, LEN);
	ubc_buf_free(self->ringbuf, LEN);
}

TEST_F(over_held, held_legacy_buffer_completes)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char data[WANT];
	unsigned long long ud;
	unsigned int flags;
	int res;

	ubc_fill(data, WANT, 71, 0);
	ASSERT_EQ(10, write(self->sv[1], data, 10));
	io_uring_prep_recv(sqe, self->sv[0], NULL, WANT, MSG_WAITALL);
	sqe->flags |= IOSQE_BUFFER_SELECT | variant->sqe_flags;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud));

	/* The buffer is in the request, not in the group. */
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->ringbuf, LEN, 1, 9);

	ASSERT_EQ(WANT - 10, write(self->sv[1], data + 10, WANT - 10));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(1u, ud);
	ASSERT_EQ(WANT, res);
	ASSERT_EQ(UBC_BUF_FLAGS(7), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->legacy, WANT, 71, 0));
	ASSERT_EQ(-1, ubc_first_not(self->ringbuf, LEN, 0));

	/* The ring serves the next receive. */
	ASSERT_EQ(5, write(self->sv[1], "after", 5));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], 0, BGID, &res, &flags));
	ASSERT_EQ(5, res);
	ASSERT_EQ(UBC_BUF_FLAGS(9), flags);
	ASSERT_EQ(0, memcmp(self->ringbuf, "after", 5));
}

TEST_HARNESS_MAIN
