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
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *legacy, *ringbuf;
	int sv[2];
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
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->legacy, LEN);
	UBC_BUF(self->ringbuf, LEN);
	memset(self->legacy, 0, LEN);
	memset(self->ringbuf, 0, LEN);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->ringbuf, LEN, 1, 9);
}

FIXTURE_TEARDOWN(unreg_held)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->legacy, LEN);
	ubc_buf_free(self->ringbuf, LEN);
}

TEST_F(unreg_held, held_ring_buffer_completes)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char data[WANT];
	unsigned long long ud;
	unsigned int flags;
	int res;

	ubc_fill(data, WANT, 73, 0);
	ASSERT_EQ(10, write(self->sv[1], data, 10));
	io_uring_prep_recv(sqe, self->sv[0], NULL, WANT, MSG_WAITALL);
	sqe->flags |= IOSQE_BUFFER_SELECT | variant->sqe_flags;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud));

	ASSERT_EQ(0, ubc_br_unregister(&self->ring, &self->b));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->legacy, LEN, 1, BGID, 7, &res));
	ASSERT_EQ(0, res);

	ASSERT_EQ(WANT - 10, write(self->sv[1], data + 10, WANT - 10));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(1u, ud);
	ASSERT_EQ(WANT, res);
	ASSERT_EQ(UBC_BUF_FLAGS(9), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->ringbuf, WANT, 73, 0));
	ASSERT_EQ(-1, ubc_first_not(self->legacy, LEN, 0));

	ASSERT_EQ(5, write(self->sv[1], "later", 5));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], 0, BGID, &res, &flags));
	ASSERT_EQ(5, res);
	ASSERT_EQ(UBC_BUF_FLAGS(7), flags);
	ASSERT_EQ(0, memcmp(self->legacy, "later", 5));
}

TEST_HARNESS_MAIN
