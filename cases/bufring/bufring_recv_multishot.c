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

/*
 * MSG_WAITALL cannot be multishot (net.c io_recvmsg_prep(): -EINVAL, 6.1 .. 7.3): the CQE is
 * -EINVAL without flags and no buffer is taken (the next recv gets ID 0).
 */
TEST_F(mshot, waitall_einval)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char chunk[CHUNK] = { 0 };
	unsigned int flags;
	int res;

	io_uring_prep_recv_multishot(sqe, self->sv[0], NULL, 0, MSG_WAITALL);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(-EINVAL, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(CHUNK, write(self->sv[1], chunk, CHUNK));
	ASSERT_EQ(0, ubc_take(&self->ring, self->sv[0], 1, 0, BGID, &res, &flags));
	ASSERT_EQ(CHUNK, res);
	ASSERT_EQ(UBC_BUF_FLAGS(0), flags & ~IORING_CQE_F_SOCK_NONEMPTY);
}

/*
 * More than MULTISHOT_MAX_RETRY (32) receives in one go: 160 bytes waiting, a multishot recv
 * whose 4-byte buffers cap each receive (sqe len 0: a per-receive len is refused before 6.17).
 * io_recv_finish() (7.3) loops while the socket is not empty
 * and forces a requeue after 32 loops; every one of the 40 CQEs still comes, in order, with
 * IORING_CQE_F_MORE, its ID and its 4 bytes, and the request stays armed: 4 more bytes later
 * give a 41st CQE with F_MORE. TCP, so that the bytes left are known on every kernel
 * (IORING_CQE_F_SOCK_NONEMPTY may be set while bytes remain, never on the last of the 40).
 */
#define LONG_NR 40
#define LONG_SZ 4

FIXTURE(mshot_long) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_SETUP(mshot_long)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 64, 0);
	UBC_BUF(self->mem, 64 * LONG_SZ);
	memset(self->mem, 0, 64 * LONG_SZ);
	ASSERT_EQ(0, ubc_tcp_pair(self->sv));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 64, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, LONG_SZ, 64, 0);
}

FIXTURE_TEARDOWN(mshot_long)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 64 * LONG_SZ);
}

TEST_F(mshot_long, forty_back_to_back_stays_armed)
{
	unsigned char more[LONG_SZ];
	struct io_uring_sqe *sqe;
	unsigned long long ud;
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_tcp_send(self->sv, LONG_NR * LONG_SZ, 61, 0));
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_recv_multishot(sqe, self->sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 8;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	for (int i = 0; i < LONG_NR; i++) {
		unsigned int nonempty;

		ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud)) TH_LOG("CQE %d missing", i);
		ASSERT_EQ(8u, ud);
		ASSERT_EQ(LONG_SZ, res) TH_LOG("CQE %d", i);
		nonempty = i < LONG_NR - 1 ? (flags & IORING_CQE_F_SOCK_NONEMPTY) : 0;
		ASSERT_EQ(UBC_BUF_FLAGS(i) | IORING_CQE_F_MORE | nonempty, flags) TH_LOG("CQE %d", i);
	}
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LONG_NR * LONG_SZ, 61, 0));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	ubc_fill(more, LONG_SZ, 61, LONG_NR * LONG_SZ);
	ASSERT_EQ(LONG_SZ, write(self->sv[1], more, LONG_SZ));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(LONG_SZ, res);
	ASSERT_EQ(UBC_BUF_FLAGS(LONG_NR) | IORING_CQE_F_MORE, flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + LONG_NR * LONG_SZ, LONG_SZ, 61, LONG_NR * LONG_SZ));
}

TEST_HARNESS_MAIN
