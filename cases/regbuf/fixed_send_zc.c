// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_send_zc_fixed(3): a zero-copy send from a registered buffer (buf and len
 * inside slot buf_index) "will usually generate two CQEs": the first with the bytes sent
 * and IORING_CQE_F_MORE, then the notification with res 0 and IORING_CQE_F_NOTIF, both with
 * the request's user_data (net.c io_send_zc_prep()/io_send_zc() 6.0 .. 7.3, TCP loopback).
 * Checked twice (offsets 100 and 4000, the second across a page boundary): the two flag words
 * whole and the bytes the peer gets.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define REG_LEN (2 * 4096)
#define LEN 300

FIXTURE(zc) {
	struct io_uring ring;
	unsigned char *reg;
	int sv[2];
};

FIXTURE_SETUP(zc)
{
	struct iovec iov;

	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->reg, REG_LEN);
	ubc_fill(self->reg, REG_LEN, 77, 0);
	iov = (struct iovec){ .iov_base = self->reg, .iov_len = REG_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, ubc_tcp_pair(self->sv));
}

FIXTURE_TEARDOWN(zc)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->reg, REG_LEN);
}

TEST_F(zc, two_cqes_and_the_bytes)
{
	static const size_t off[2] = { 100, 4000 };

	for (int i = 0; i < 2; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
		unsigned char got[LEN + 1];
		unsigned long long ud[2];
		unsigned int flags[2];
		int res[2];

		io_uring_prep_send_zc_fixed(sqe, self->sv[1], self->reg + off[i], LEN, 0, 0, 0);
		sqe->user_data = 20 + i;
		ASSERT_EQ(0, ubc_submit_reap(&self->ring, 1, res, flags, ud));
		ASSERT_EQ(20u + i, ud[0]);
		ASSERT_EQ(LEN, res[0]) TH_LOG("send %d", i);
		ASSERT_EQ(IORING_CQE_F_MORE, flags[0]) TH_LOG("send %d flags 0x%x", i, flags[0]);
		{
			struct io_uring_cqe *cqe;

			ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
			ud[1] = cqe->user_data;
			res[1] = cqe->res;
			flags[1] = cqe->flags;
			io_uring_cqe_seen(&self->ring, cqe);
		}
		ASSERT_EQ(20u + i, ud[1]);
		ASSERT_EQ(0, res[1]);
		ASSERT_EQ(IORING_CQE_F_NOTIF, flags[1]) TH_LOG("notif %d flags 0x%x", i, flags[1]);
		ASSERT_EQ(0, ubc_wait_readable(self->sv[0], LEN));
		ASSERT_EQ(LEN, recv(self->sv[0], got, sizeof(got), MSG_DONTWAIT));
		ASSERT_EQ(-1, ubc_mismatch(got, LEN, 77, off[i])) TH_LOG("send %d", i);
	}
}

TEST_HARNESS_MAIN
