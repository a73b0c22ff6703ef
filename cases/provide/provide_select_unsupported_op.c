// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): IOSQE_BUFFER_SELECT on an op that does not support it
 * gives "a CQE res error of -EINVAL". io_uring.c io_init_req(): "if (!def->buffer_select)
 * return io_init_fail_req(req, -EOPNOTSUPP)" in 6.1, 6.12 and 7.3: the errno is -EOPNOTSUPP.
 * SENDMSG is one of them up to 7.3 (opdef.c: SEND selects since 6.10, SENDMSG never did).
 */
#include <sys/socket.h>
#include "ubc_test.h"

enum op { OP_WRITE, OP_READ_FIXED, OP_FSYNC, OP_PROVIDE, OP_SENDMSG };

FIXTURE(unsupported) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(unsupported) {
	enum op op;
};

FIXTURE_VARIANT_ADD(unsupported, write) { .op = OP_WRITE };
FIXTURE_VARIANT_ADD(unsupported, read_fixed) { .op = OP_READ_FIXED };
FIXTURE_VARIANT_ADD(unsupported, fsync) { .op = OP_FSYNC };
FIXTURE_VARIANT_ADD(unsupported, provide_buffers) { .op = OP_PROVIDE };
FIXTURE_VARIANT_ADD(unsupported, sendmsg) { .op = OP_SENDMSG };

FIXTURE_SETUP(unsupported)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 128);
	self->fd = ubc_tmpfile(128, 22);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	/* A group with a buffer, so the op could select one if it were allowed to. */
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 64, 1, 8, 0, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(unsupported)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 128);
}

TEST_F(unsupported, buffer_select_eopnotsupp)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	struct msghdr msg = { 0 };
	unsigned int flags;
	int sv[2], res;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	switch (variant->op) {
	case OP_WRITE: io_uring_prep_write(sqe, self->fd, NULL, 64, 0); break;
	case OP_READ_FIXED: io_uring_prep_read_fixed(sqe, self->fd, NULL, 64, 0, 0); break;
	case OP_FSYNC: io_uring_prep_fsync(sqe, self->fd, 0); break;
	case OP_PROVIDE: io_uring_prep_provide_buffers(sqe, self->mem + 64, 64, 1, 8, 1); break;
	case OP_SENDMSG: io_uring_prep_sendmsg(sqe, sv[0], &msg, 0); break;
	}
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, 8, &res, &flags));
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(-EOPNOTSUPP, res) TH_LOG("res %d (%s)", res, strerror(-res));
	ASSERT_EQ(0u, flags);
	/* The group's buffer was not taken. */
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, 8, &res));
	ASSERT_EQ(1, res);
}

TEST_HARNESS_MAIN
