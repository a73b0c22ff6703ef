// SPDX-License-Identifier: MIT
/*
 * A selecting recv with MSG_WAITALL wants len bytes; when the peer sends fewer and shuts down,
 * it completes with what came (recv(2) MSG_WAITALL: "may return less ... if ... the connection
 * is terminated"). net.c io_recv() (7.3): the first part (ret > 0, short) is kept in done_io
 * and the request retried; the retry reads 0 (EOF), which is not retried again (`ret > 0 &&
 * io_net_retry()`), so the CQE has res = the first part, the buffer flag and ID, and comes
 * at once. The bytes are in the selected buffer.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define LEN 64
#define WANT 32
#define HALF 16
#define BGID 62

FIXTURE(waitall) {
	struct io_uring ring;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_VARIANT(waitall) {
	int data_first;		/* 1: half sent and shut down before the recv is submitted */
};

FIXTURE_VARIANT_ADD(waitall, half_then_shutdown_before_recv) { .data_first = 1 };
FIXTURE_VARIANT_ADD(waitall, recv_waits_then_half_and_shutdown) { .data_first = 0 };

FIXTURE_SETUP(waitall)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	memset(self->mem, 0xee, LEN);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 9, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(waitall)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
}

static int half_and_shutdown(int fd)
{
	unsigned char half[HALF];

	ubc_fill(half, HALF, 33, 0);
	if (write(fd, half, HALF) != HALF)
		return -1;
	return shutdown(fd, SHUT_WR);
}

TEST_F(waitall, short_at_eof_completes_with_the_part)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned long long ud;
	unsigned int flags;
	int res;

	if (variant->data_first)
		ASSERT_EQ(0, half_and_shutdown(self->sv[1]));
	io_uring_prep_recv(sqe, self->sv[0], NULL, WANT, MSG_WAITALL);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 5;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	if (!variant->data_first) {
		ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud));
		ASSERT_EQ(0, half_and_shutdown(self->sv[1]));
	}
	/* A kernel that retries at EOF never posts it. */
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud)) TH_LOG("no CQE in 5 s");
	ASSERT_EQ(5u, ud);
	ASSERT_EQ(HALF, res);
	ASSERT_EQ(UBC_BUF_FLAGS(9), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, HALF, 33, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + HALF, LEN - HALF, 0xee));
}

TEST_HARNESS_MAIN
