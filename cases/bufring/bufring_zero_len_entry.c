// SPDX-License-Identifier: MIT
/*
 * A ring entry whose len is 0 (register_buf_ring(3) says nothing of it). A selecting recv
 * (sqe len 0) takes the head entry: kbuf.c io_ring_buffer_select() (7.3) makes the length
 * the entry's, 0, and net.c io_recv() receives 0 bytes into it: res 0 and, nothing consumed,
 * the entry is recycled (no buffer flag, the head does not move; io_recv() `ret <= 0` ->
 * io_kbuf_recycle()). That 0 is not an error: io_recv_buf_select()'s length 0 is not < 0,
 * so the request is not failed (a linked NOP runs) and the socket's state is reported
 * (IORING_CQE_F_SOCK_NONEMPTY: the 16 bytes are still there, TCP). The next recv takes the
 * same entry again (0 bytes, no buffer flag): the head stayed on it.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 94
#define LEN 64
#define DATA 16

FIXTURE(zle) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_SETUP(zle)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 2 * LEN);
	memset(self->mem, 0xee, 2 * LEN);
	ASSERT_EQ(0, ubc_tcp_pair_fill(self->sv, DATA, 62));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	/* ID 5 of length 0 at the head, ID 6 of LEN bytes after it. */
	io_uring_buf_ring_add(self->b.br, self->mem, 0, 5, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_add(self->b.br, self->mem + LEN, LEN, 6, io_uring_buf_ring_mask(4), 1);
	io_uring_buf_ring_advance(self->b.br, 2);
}

FIXTURE_TEARDOWN(zle)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(zle, recv_into_zero_len_entry)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned long long ud[2];
	unsigned int flags[2];
	int res[2];

	io_uring_prep_recv(sqe, self->sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT | IOSQE_IO_LINK;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 2;
	ASSERT_EQ(0, ubc_submit_reap(&self->ring, 2, res, flags, ud));
	ASSERT_EQ(1u, ud[0]);
	ASSERT_EQ(0, res[0]);
	ASSERT_EQ(IORING_CQE_F_SOCK_NONEMPTY, flags[0]) TH_LOG("flags 0x%x", flags[0]);
	/* Not failed: the linked NOP ran (-ECANCELED if it were). */
	ASSERT_EQ(2u, ud[1]);
	ASSERT_EQ(0, res[1]);
	ASSERT_EQ(-1, ubc_first_not(self->mem, 2 * LEN, 0xee));
	/* The head did not move: the next recv meets the same 0-length entry. */
	ASSERT_EQ(0, ubc_take(&self->ring, self->sv[0], 1, 0, BGID, &res[0], &flags[0]));
	ASSERT_EQ(0, res[0]);
	ASSERT_EQ(IORING_CQE_F_SOCK_NONEMPTY, flags[0]) TH_LOG("flags 0x%x", flags[0]);
	ASSERT_EQ(-1, ubc_first_not(self->mem, 2 * LEN, 0xee));
}

TEST_HARNESS_MAIN
