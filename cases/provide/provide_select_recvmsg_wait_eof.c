// SPDX-License-Identifier: MIT
/*
 * A selecting recvmsg is asynchronous like any io_uring request: issued before the data, it
 * waits and completes with the data (net.c io_recvmsg() 7.3: -EAGAIN from the non-blocking
 * attempt recycles the buffer and arms poll, `ret == -EAGAIN && force_nonblock`), never with
 * -EAGAIN. At EOF it completes with res 0 and is not failed: `ret < min_ret` is false for 0
 * without MSG_WAITALL, so a linked request still runs; the buffer goes back to the group
 * (io_kbuf_recycle(), nothing consumed) and the CQE has no buffer flag.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define LEN 64
#define DATA 24
#define BGID 63

FIXTURE(rmsg) {
	struct io_uring ring;
	unsigned char *mem;
	struct msghdr msg;
	int sv[2];
};

FIXTURE_SETUP(rmsg)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, LEN);
	memset(self->mem, 0xee, LEN);
	memset(&self->msg, 0, sizeof(self->msg));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 11, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(rmsg)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
}

static struct io_uring_sqe *prep_recvmsg(struct io_uring *ring, int fd, struct msghdr *msg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_recvmsg(sqe, fd, msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	return sqe;
}

TEST_F(rmsg, issued_before_data_waits_for_it)
{
	unsigned char data[DATA];
	unsigned long long ud;
	unsigned int flags;
	int res;

	prep_recvmsg(&self->ring, self->sv[0], &self->msg);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud))
		TH_LOG("completed before any data: res %d", res);
	ubc_fill(data, DATA, 34, 0);
	ASSERT_EQ(DATA, write(self->sv[1], data, DATA));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(1u, ud);
	ASSERT_EQ(DATA, res);
	ASSERT_EQ(UBC_BUF_FLAGS(11), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, DATA, 34, 0));
}

TEST_F(rmsg, eof_res_0_link_not_failed)
{
	struct io_uring_sqe *sqe;
	unsigned long long ud[2];
	unsigned int flags[2];
	int res[2];

	ASSERT_EQ(0, shutdown(self->sv[1], SHUT_WR));
	sqe = prep_recvmsg(&self->ring, self->sv[0], &self->msg);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 2;
	ASSERT_EQ(0, ubc_submit_reap(&self->ring, 2, res, flags, ud));
	ASSERT_EQ(1u, ud[0]);
	ASSERT_EQ(0, res[0]);
	ASSERT_EQ(0u, flags[0]);
	/* The link was not failed: the NOP ran (-ECANCELED if it were). */
	ASSERT_EQ(2u, ud[1]);
	ASSERT_EQ(0, res[1]);
	/* Nothing consumed: the one buffer is back in the group, untouched. */
	ASSERT_EQ(-1, ubc_first_not(self->mem, LEN, 0xee));
	ASSERT_EQ(0, ubc_remove(&self->ring, 4, BGID, &res[0]));
	ASSERT_EQ(1, res[0]);
}

TEST_HARNESS_MAIN
