// SPDX-License-Identifier: MIT
/*
 * The send/recv flags live in sqe->ioprio (io_uring_prep_send(3), io_uring_prep_recv(3): "the
 * ioprio field ... IORING_RECVSEND_*"). A bit no kernel knows (1 << 7) is refused at prep:
 * net.c io_sendmsg_prep() `sr->flags & ~SENDMSG_FLAGS` and io_recvmsg_prep()
 * `sr->flags & ~RECVMSG_FLAGS` -> -EINVAL (6.1, 6.12, 7.3). Here on selecting requests: the
 * CQE has no buffer flag and the group's one buffer is still there (the remove finds it).
 */
#include <sys/socket.h>
#include "ubc_test.h"

#define LEN 32
#define BGID 61
#define UNKNOWN_FLAG (1U << 7)

enum op { OP_SEND, OP_RECV, OP_RECVMSG };

FIXTURE(ioprio) {
	struct io_uring ring;
	char *mem;
	int sv[2];
};

FIXTURE_VARIANT(ioprio) {
	enum op op;
};

FIXTURE_VARIANT_ADD(ioprio, send_unknown_flag_einval) { .op = OP_SEND };
FIXTURE_VARIANT_ADD(ioprio, recv_unknown_flag_einval) { .op = OP_RECV };
FIXTURE_VARIANT_ADD(ioprio, recvmsg_unknown_flag_einval) { .op = OP_RECVMSG };

FIXTURE_SETUP(ioprio)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	if (variant->op == OP_SEND)
		UBC_REQUIRE(UBC_F_SEND_BUFFER_SELECT);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	ubc_fill(self->mem, LEN, 31, 0);
	/* Data waiting, so a recv that were accepted would complete at once. */
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, LEN, 32));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 3, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(ioprio)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
}

TEST_F(ioprio, unknown_ioprio_flag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	struct msghdr msg = { 0 };
	unsigned int flags;
	int res;

	if (variant->op == OP_SEND)
		io_uring_prep_send(sqe, self->sv[1], NULL, 0, 0);
	else if (variant->op == OP_RECV)
		io_uring_prep_recv(sqe, self->sv[0], NULL, 0, 0);
	else
		io_uring_prep_recvmsg(sqe, self->sv[0], &msg, 0);
	sqe->ioprio = UNKNOWN_FLAG;
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(-EINVAL, res);
	ASSERT_EQ(0u, flags);
	/* Nothing was taken: the buffer is in the group, the data still in the socket. */
	ASSERT_EQ(0, ubc_remove(&self->ring, 4, BGID, &res));
	ASSERT_EQ(1, res);
	if (variant->op != OP_SEND) {
		char got[LEN + 1];

		ASSERT_EQ(LEN, recv(self->sv[0], got, sizeof(got), MSG_DONTWAIT));
	}
}

TEST_HARNESS_MAIN
