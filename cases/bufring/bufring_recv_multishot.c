// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_recv_multishot(3): one request "repeatedly posts a CQE when data is
 * available"; "each CQE will take a buffer out of a provided buffer pool"; "If a posted CQE
 * does not have the IORING_CQE_F_MORE flag set, then the multishot receive is done". With a
 * ring of 3 buffers, three chunks sent one at a time give three CQEs with
 * IORING_CQE_F_MORE | IORING_CQE_F_BUFFER and IDs 0, 1, 2; a fourth chunk finds the group
 * empty and the request ends with res -ENOBUFS and no flags (net.c io_recv_buf_select() ->
 * -ENOBUFS, io_recv_finish() without F_MORE). The chunks are sent only after the previous CQE
 * arrived, so each receive sees exactly one chunk.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 93
#define BUFSZ 32
#define CHUNK 20

FIXTURE(mshot) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_SETUP(mshot)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 3 * BUFSZ);
	memset(self->mem, 0, 3 * BUFSZ);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 3, 0);
}

FIXTURE_TEARDOWN(mshot)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 3 * BUFSZ);
}

TEST_F(mshot, more_until_group_runs_dry)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char chunk[CHUNK];
	unsigned long long ud;
	unsigned int flags;
	int res;

	io_uring_prep_recv_multishot(sqe, self->sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 7;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* Armed and waiting: no CQE yet. */
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	for (int i = 0; i < 3; i++) {
		ubc_fill(chunk, CHUNK, 60, i * CHUNK);
		ASSERT_EQ(CHUNK, write(self->sv[1], chunk, CHUNK));
		ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
		ASSERT_EQ(7u, ud);
		ASSERT_EQ(CHUNK, res) TH_LOG("chunk %d", i);
		ASSERT_EQ(UBC_BUF_FLAGS(i) | IORING_CQE_F_MORE, flags) TH_LOG("chunk %d", i);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + i * BUFSZ, CHUNK, 60, i * CHUNK));
	}
	ASSERT_EQ(CHUNK, write(self->sv[1], chunk, CHUNK));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(7u, ud);
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	/* Terminated: nothing more comes, and the fourth chunk is still in the socket. */
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	ASSERT_EQ(CHUNK, recv(self->sv[0], chunk, sizeof(chunk), MSG_DONTWAIT));
}

TEST_HARNESS_MAIN
