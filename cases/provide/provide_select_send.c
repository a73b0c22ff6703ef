// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) says selection is for requests that receive data, not
 * ones that "write or provide data". Since 6.10 IORING_OP_SEND has .buffer_select (opdef.c):
 * a send with IOSQE_BUFFER_SELECT sends the head buffer of the group, reports its ID with
 * IORING_CQE_F_BUFFER and consumes it (net.c io_send_select_buffer(), 6.12, 7.3), whole:
 * sqe->len does not cap it (second test).
 */
#include <sys/socket.h>
#include "ubc_test.h"

#define LEN 48
#define BGID 60

FIXTURE(send) {
	struct io_uring ring;
	char *mem;
	int sv[2];
};

FIXTURE_SETUP(send)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_SEND_BUFFER_SELECT);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	ubc_fill(self->mem, 2 * LEN, 28, 0);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 40, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(send)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

/* len 0: the whole head buffer (ID 40) goes out; the peer reads exactly its bytes; 1 is left. */
TEST_F(send, send_uses_and_consumes_head_buffer)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char got[2 * LEN];
	unsigned int flags;
	int res;

	io_uring_prep_send(sqe, self->sv[0], NULL, 0, 0);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (40u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(LEN, recv(self->sv[1], got, sizeof(got), MSG_DONTWAIT));
	ASSERT_EQ(-1, ubc_mismatch(got, LEN, 28, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
}

/*
 * sqe->len does not limit a send from a legacy group: len 16 and len 100 both send the whole
 * 48-byte head buffer (IDs 40, then 41). io_send_select_buffer() passes the length as
 * max_len, which only a buffer ring applies; a legacy selection goes through
 * io_buffers_select() -> io_provided_buffers_select() with arg->out_len, which starts at 0,
 * meaning "the whole buffer" (7.3 kbuf.c). Not on the page, which knows no selecting send.
 */
TEST_F(send, send_len_does_not_cap_legacy_buffer)
{
	static const unsigned int lens[2] = { 16, 100 };
	unsigned char got[2 * LEN + 1];

	for (int i = 0; i < 2; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
		unsigned int flags;
		int res;

		io_uring_prep_send(sqe, self->sv[0], NULL, lens[i], 0);
		ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
		ASSERT_EQ(LEN, res) TH_LOG("send len %u", lens[i]);
		ASSERT_EQ(IORING_CQE_F_BUFFER | ((40u + i) << IORING_CQE_BUFFER_SHIFT), flags);
		ASSERT_EQ(LEN, recv(self->sv[1], got, sizeof(got), MSG_DONTWAIT));
		ASSERT_EQ(-1, ubc_mismatch(got, LEN, 28, (size_t)i * LEN));
	}
}

/*
 * A selecting send to a peer that has closed fails with its own errno, -EPIPE (net.c io_send()
 * 7.3: only -ERESTARTSYS is turned into -EINTR; MSG_NOSIGNAL is always set, so no SIGPIPE).
 * The buffer is used up all the same: the CQE names it (IORING_CQE_F_BUFFER, ID 40) and the
 * remove finds only the other one (io_send_finish() -> io_put_kbuf() whatever the result).
 */
TEST_F(send, send_to_closed_peer_epipe)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	ASSERT_EQ(0, close(self->sv[1]));
	self->sv[1] = -1;
	io_uring_prep_send(sqe, self->sv[0], NULL, 0, 0);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(-EPIPE, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (40u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
}

TEST_HARNESS_MAIN
