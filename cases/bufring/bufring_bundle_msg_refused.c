// SPDX-License-Identifier: MIT
/*
 * IORING_RECVSEND_BUNDLE is for IORING_OP_SEND and IORING_OP_RECV only: IORING_OP_SENDMSG and
 * IORING_OP_RECVMSG with it are -EINVAL at prep (net.c io_sendmsg_prep(), io_recvmsg_prep():
 * "req->opcode == IORING_OP_SENDMSG/RECVMSG"), with no flags; nothing is sent or received and
 * the ring's head does not move. Otherwise well-formed: a msghdr with one iovec of a real
 * buffer, no buffer selection (SENDMSG with IOSQE_BUFFER_SELECT is -EOPNOTSUPP before prep on
 * some kernels), a buffer ring with buffers on the side. Needs bundles (6.10); before that the
 * flag is unknown.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 102
#define BUFSZ 16
#define WAITING 20

FIXTURE(msgref) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_VARIANT(msgref) {
	int send;
};

FIXTURE_VARIANT_ADD(msgref, sendmsg) { .send = 1 };
FIXTURE_VARIANT_ADD(msgref, recvmsg) { .send = 0 };

FIXTURE_SETUP(msgref)
{
	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	if (variant->send)
		UBC_REQUIRE(UBC_F_SEND_BUFFER_SELECT);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4 * BUFSZ);
	ubc_fill(self->mem, 4 * BUFSZ, 76, 0);
	ASSERT_EQ(0, ubc_tcp_pair_fill(self->sv, WAITING, 77));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 4, 0);
}

FIXTURE_TEARDOWN(msgref)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * BUFSZ);
}

TEST_F(msgref, bundle_einval)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char data[BUFSZ];
	struct iovec iov = { .iov_base = data, .iov_len = BUFSZ };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int flags, head = 99;
	int res, n = -1;

	if (variant->send)
		io_uring_prep_sendmsg(sqe, self->sv[1], &msg, 0);
	else
		io_uring_prep_recvmsg(sqe, self->sv[0], &msg, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	memset(data, 0, sizeof(data));
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(-EINVAL, res);
	ASSERT_EQ(0u, flags);
	usleep(20000);
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(WAITING, n);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, 4 * BUFSZ, 76, 0));
	ASSERT_EQ(-1, ubc_first_not(data, sizeof(data), 0));
	ASSERT_EQ(0, ubc_br_head(&self->ring, BGID, &head));
	ASSERT_EQ(0u, head);
}

TEST_HARNESS_MAIN
