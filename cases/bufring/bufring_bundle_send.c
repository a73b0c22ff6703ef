// SPDX-License-Identifier: MIT
/*
 * A send bundle (IORING_OP_SEND with IOSQE_BUFFER_SELECT and IORING_RECVSEND_BUNDLE, 6.10)
 * sends every buffer the ring has, in ring order, in one CQE: res the total, the first ID,
 * no IORING_CQE_F_MORE (the ring ran empty: net.c io_send_finish()). The buffers are consumed
 * (kbuf.c io_buffers_select() commits them at selection): the ring's head moves by their
 * number and a second send bundle finds the ring empty, -ENOBUFS with no flags, sending
 * nothing. A send bundle without buffer selection and len 0 sends nothing and ends at once:
 * one CQE, res 0, no flags (io_send_finish(): a result <= 0 finishes the bundle).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 100
#define BUFSZ 16
#define NBUF 3

FIXTURE(bsend) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem, *got;
	int sv[2];
};

FIXTURE_SETUP(bsend)
{
	UBC_REQUIRE(UBC_F_SEND_BUFFER_SELECT);
	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, NBUF * BUFSZ);
	UBC_BUF(self->got, 2 * NBUF * BUFSZ);
	ubc_fill(self->mem, NBUF * BUFSZ, 74, 0);
	memset(self->got, 0, 2 * NBUF * BUFSZ);
	ASSERT_EQ(0, ubc_tcp_pair(self->sv));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, NBUF, 50);
}

FIXTURE_TEARDOWN(bsend)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, NBUF * BUFSZ);
	ubc_buf_free(self->got, 2 * NBUF * BUFSZ);
}

static int bundle_send(struct io_uring *ring, int fd, int *res, unsigned int *flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_send(sqe, fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	return ubc_submit_select(ring, sqe, BGID, res, flags);
}

TEST_F(bsend, sends_all_and_commits)
{
	unsigned int flags, head = 99;
	int res, n = -1;

	ASSERT_EQ(0, bundle_send(&self->ring, self->sv[1], &res, &flags));
	ASSERT_EQ(NBUF * BUFSZ, res);
	ASSERT_EQ(UBC_BUF_FLAGS(50), flags);
	ASSERT_EQ(0, ubc_wait_readable(self->sv[0], NBUF * BUFSZ));
	ASSERT_EQ(NBUF * BUFSZ, recv(self->sv[0], self->got, 2 * NBUF * BUFSZ, MSG_DONTWAIT));
	ASSERT_EQ(-1, ubc_mismatch(self->got, NBUF * BUFSZ, 74, 0));
	ASSERT_EQ(0, ubc_br_head(&self->ring, BGID, &head));
	ASSERT_EQ((unsigned int)NBUF, head);

	ASSERT_EQ(0, bundle_send(&self->ring, self->sv[1], &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	usleep(20000);
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(0, n);
}

TEST_F(bsend, no_select_zero_len_one_cqe)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned long long ud;
	unsigned int flags;
	int res, n = -1;

	io_uring_prep_send(sqe, self->sv[1], self->mem, 0, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	sqe->user_data = 3;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(3u, ud);
	ASSERT_EQ(0, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(0, n);
}

TEST_HARNESS_MAIN
