// SPDX-License-Identifier: MIT
/*
 * A send bundle from an incrementally consumed ring (IOU_PBUF_RING_INC, 6.12) with an sqe len
 * shorter than the buffer sends len bytes from the buffer's start and keeps the rest: the CQE
 * has the ID with IORING_CQE_F_BUF_MORE (kbuf.c io_buffers_select(): io_kbuf_commit() of a
 * partial use -> REQ_F_BUF_MORE), the entry's addr and len move by len, and the next send
 * bundle continues from there; the one that uses the last bytes has no BUF_MORE.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 101
#define BUFSZ 64
#define LEN 10

FIXTURE(incsend) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem, *got;
	int sv[2];
};

FIXTURE_SETUP(incsend)
{
	UBC_REQUIRE(UBC_F_SEND_BUFFER_SELECT);
	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	UBC_REQUIRE(UBC_F_PBUF_RING_INC);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, BUFSZ);
	UBC_BUF(self->got, 2 * BUFSZ);
	ubc_fill(self->mem, BUFSZ, 75, 0);
	memset(self->got, 0, 2 * BUFSZ);
	ASSERT_EQ(0, ubc_tcp_pair(self->sv));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 1, BGID, IOU_PBUF_RING_INC, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 1, 60);
}

FIXTURE_TEARDOWN(incsend)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUFSZ);
	ubc_buf_free(self->got, 2 * BUFSZ);
}

static int bundle_send(struct io_uring *ring, int fd, unsigned int len, int *res,
		       unsigned int *flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_send(sqe, fd, NULL, len, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	return ubc_submit_select(ring, sqe, BGID, res, flags);
}

TEST_F(incsend, partial_use_buf_more)
{
	struct io_uring_buf *e = ubc_br_entry(&self->b, 0);
	unsigned int flags;
	int res;

	ASSERT_EQ(0, bundle_send(&self->ring, self->sv[1], LEN, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(60) | IORING_CQE_F_BUF_MORE, flags);
	ASSERT_EQ((unsigned long long)(uintptr_t)self->mem + LEN, e->addr);
	ASSERT_EQ((unsigned int)(BUFSZ - LEN), e->len);
	ASSERT_EQ(0, ubc_wait_readable(self->sv[0], LEN));
	ASSERT_EQ(LEN, recv(self->sv[0], self->got, 2 * BUFSZ, MSG_DONTWAIT));
	ASSERT_EQ(-1, ubc_mismatch(self->got, LEN, 75, 0));

	/* The rest, len 0: the whole remaining buffer, no BUF_MORE. */
	ASSERT_EQ(0, bundle_send(&self->ring, self->sv[1], 0, &res, &flags));
	ASSERT_EQ(BUFSZ - LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(60), flags);
	ASSERT_EQ(0, ubc_wait_readable(self->sv[0], BUFSZ - LEN));
	ASSERT_EQ(BUFSZ - LEN, recv(self->sv[0], self->got, 2 * BUFSZ, MSG_DONTWAIT));
	ASSERT_EQ(-1, ubc_mismatch(self->got, BUFSZ - LEN, 75, LEN));
}

TEST_HARNESS_MAIN
