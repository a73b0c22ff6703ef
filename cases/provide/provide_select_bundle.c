// SPDX-License-Identifier: MIT
/*
 * A recv bundle (IORING_RECVSEND_BUNDLE, 6.10) on a legacy group (IORING_OP_PROVIDE_BUFFERS)
 * takes one buffer at a time (kbuf.c io_buffers_peek(): "don't support multiple buffer
 * selections for legacy" -> io_provided_buffers_select()). Over TCP, 64-byte buffers IDs
 * 500, 501:
 * - one_buffer: 20 bytes waiting: one CQE of 20 with ID 500; the next recv gets ID 501;
 * - empty_group: a group whose buffers were all removed: -ENOBUFS, no flags, the bytes stay;
 * - mshot_ends_on_empty: a multishot bundle, 20-byte chunks sent one at a time: the first
 *   CQE has IORING_CQE_F_MORE with ID 500, the one that takes the group's last buffer (501)
 *   has none (REQ_F_BL_EMPTY: net.c io_recv_finish() ends a bundle with no buffers left), no
 *   CQE follows and a third chunk stays in the socket.
 */
#include <sys/ioctl.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define LEN 64
#define BGID 23
#define CHUNK 20

FIXTURE(lbundle) {
	struct io_uring ring;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_SETUP(lbundle)
{
	int res;

	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	memset(self->mem, 0, 2 * LEN);
	ASSERT_EQ(0, ubc_tcp_pair(self->sv));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 500, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(lbundle)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

static void prep_bundle(struct io_uring_sqe *sqe, int fd, int mshot)
{
	if (mshot)
		io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	else
		io_uring_prep_recv(sqe, fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
}

TEST_F(lbundle, one_buffer)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_tcp_send(self->sv, CHUNK, 31, 0));
	prep_bundle(sqe, self->sv[0], 0);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(CHUNK, res);
	ASSERT_EQ(UBC_BUF_FLAGS(500), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, CHUNK, 31, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + CHUNK, 2 * LEN - CHUNK, 0));
	ASSERT_EQ(0, ubc_tcp_send(self->sv, CHUNK, 31, CHUNK));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], 0, BGID, &res, &flags));
	ASSERT_EQ(CHUNK, res);
	ASSERT_EQ(UBC_BUF_FLAGS(501), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + LEN, CHUNK, 31, CHUNK));
}

TEST_F(lbundle, empty_group)
{
	struct io_uring_sqe *sqe;
	unsigned int flags;
	int res, n = -1;

	ASSERT_EQ(0, ubc_remove(&self->ring, 2, BGID, &res));
	ASSERT_EQ(2, res);
	ASSERT_EQ(0, ubc_tcp_send(self->sv, CHUNK, 32, 0));
	sqe = io_uring_get_sqe(&self->ring);
	prep_bundle(sqe, self->sv[0], 0);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(CHUNK, n);
	ASSERT_EQ(-1, ubc_first_not(self->mem, 2 * LEN, 0));
}

TEST_F(lbundle, mshot_ends_on_empty)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char chunk[CHUNK];
	unsigned long long ud;
	unsigned int flags;
	int res, n = -1;

	prep_bundle(sqe, self->sv[0], 1);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 7;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	for (int i = 0; i < 2; i++) {
		/* Written, not ubc_tcp_send(): the armed receive may take it before FIONREAD sees it. */
		ubc_fill(chunk, CHUNK, 33, i * CHUNK);
		ASSERT_EQ(CHUNK, write(self->sv[1], chunk, CHUNK));
		ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
		ASSERT_EQ(7u, ud);
		ASSERT_EQ(CHUNK, res) TH_LOG("chunk %d", i);
		ASSERT_EQ(UBC_BUF_FLAGS(500 + i) | (i ? 0 : IORING_CQE_F_MORE), flags) TH_LOG("chunk %d", i);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + i * LEN, CHUNK, 33, i * CHUNK));
	}
	ASSERT_EQ(0, ubc_tcp_send(self->sv, CHUNK, 33, 2 * CHUNK));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(CHUNK, n);
}

TEST_HARNESS_MAIN
