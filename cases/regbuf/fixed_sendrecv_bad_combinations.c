// SPDX-License-Identifier: MIT
/*
 * IORING_RECVSEND_FIXED_BUF (sqe->ioprio, index in sqe->buf_index) on plain send and recv
 * (7.2 on; before, only SEND_ZC knew it) is for IORING_OP_SEND / IORING_OP_RECV alone:
 * net.c io_sendmsg_prep() refuses it on SENDMSG and together with IOSQE_BUFFER_SELECT,
 * io_recvmsg_prep() on RECVMSG, with IOSQE_BUFFER_SELECT and with IORING_RECV_MULTISHOT,
 * all -EINVAL (7.3). The group's one provided buffer is not taken and the data stays in the
 * socket.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define LEN 64
#define BGID 70

enum combo { SENDMSG_FIXED, SEND_FIXED_SELECT, RECVMSG_FIXED, RECV_FIXED_SELECT, RECV_FIXED_MULTISHOT };

FIXTURE(combo) {
	struct io_uring ring;
	unsigned char *reg, *prov;
	int sv[2];
};

FIXTURE_VARIANT(combo) {
	enum combo what;
};

FIXTURE_VARIANT_ADD(combo, sendmsg_fixed_buf_einval) { .what = SENDMSG_FIXED };
FIXTURE_VARIANT_ADD(combo, send_fixed_buf_buffer_select_einval) { .what = SEND_FIXED_SELECT };
FIXTURE_VARIANT_ADD(combo, recvmsg_fixed_buf_einval) { .what = RECVMSG_FIXED };
FIXTURE_VARIANT_ADD(combo, recv_fixed_buf_buffer_select_einval) { .what = RECV_FIXED_SELECT };
FIXTURE_VARIANT_ADD(combo, recv_fixed_buf_multishot_einval) { .what = RECV_FIXED_MULTISHOT };

FIXTURE_SETUP(combo)
{
	struct iovec iov;
	int res;

	UBC_REQUIRE(UBC_F_SENDRECV_FIXED_BUF);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->reg, LEN);
	UBC_BUF(self->prov, LEN);
	ubc_fill(self->reg, LEN, 71, 0);
	memset(self->prov, 0xee, LEN);
	iov = (struct iovec){ .iov_base = self->reg, .iov_len = LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->prov, LEN, 1, BGID, 4, &res));
	ASSERT_EQ(0, res);
	/* 16 bytes waiting, so a receive that were accepted would complete at once. */
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, 16, 72));
}

FIXTURE_TEARDOWN(combo)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->reg, LEN);
	ubc_buf_free(self->prov, LEN);
}

TEST_F(combo, refused)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	struct iovec iov = { .iov_base = self->reg, .iov_len = 16 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned char got[LEN];
	unsigned int flags;
	int res;

	switch (variant->what) {
	case SENDMSG_FIXED:
		io_uring_prep_sendmsg(sqe, self->sv[1], &msg, 0);
		break;
	case SEND_FIXED_SELECT:
		io_uring_prep_send(sqe, self->sv[1], self->reg, 16, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
		break;
	case RECVMSG_FIXED:
		io_uring_prep_recvmsg(sqe, self->sv[0], &msg, 0);
		break;
	case RECV_FIXED_SELECT:
		io_uring_prep_recv(sqe, self->sv[0], self->reg, 16, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
		break;
	case RECV_FIXED_MULTISHOT:
		io_uring_prep_recv_multishot(sqe, self->sv[0], self->reg, 16, 0);
		break;
	}
	sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
	/* buf_group and buf_index share the field: slot 0 is also what a selecting SQE names. */
	if (!(sqe->flags & IOSQE_BUFFER_SELECT))
		sqe->buf_index = 0;
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(-EINVAL, res);
	ASSERT_EQ(0u, flags);
	/* Nothing moved: the provided buffer is in the group, untouched; the 16 bytes still waiting, no more. */
	ASSERT_EQ(-1, ubc_first_not(self->prov, LEN, 0xee));
	ASSERT_EQ(0, ubc_remove(&self->ring, 4, BGID, &res));
	ASSERT_EQ(1, res);
	ASSERT_EQ(16, recv(self->sv[0], got, sizeof(got), MSG_DONTWAIT));
	ASSERT_EQ(-1, ubc_mismatch(got, 16, 72, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->reg, LEN, 71, 0));
}

TEST_HARNESS_MAIN
