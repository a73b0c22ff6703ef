// SPDX-License-Identifier: MIT
/*
 * Register restrictions (io_uring_register_restrictions(3)) gate buffer registration: a
 * ring that allows only IORING_REGISTER_BUFFERS_UPDATE refuses IORING_REGISTER_BUFFERS
 * and IORING_REGISTER_BUFFERS2 (register_buffers_sparse) with EACCES and keeps no table;
 * one that allows IORING_REGISTER_BUFFERS registers, and then its unregister (not allowed)
 * is EACCES (__io_uring_register(): !test_bit(opcode, register_op)).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem;
	int fd;
};

FIXTURE_VARIANT(regbuf) {
	unsigned int allowed_op;
};

FIXTURE_VARIANT_ADD(regbuf, update_only) { .allowed_op = IORING_REGISTER_BUFFERS_UPDATE };
FIXTURE_VARIANT_ADD(regbuf, register_only) { .allowed_op = IORING_REGISTER_BUFFERS };

FIXTURE_SETUP(regbuf)
{
	/* A restricted ring also needs its SQE opcodes allowed: READ_FIXED checks the table. */
	struct io_uring_restriction res[2] = {
		{ .opcode = IORING_RESTRICTION_REGISTER_OP, .register_op = (__u8)variant->allowed_op },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READ_FIXED },
	};

	UBC_RING_INIT(&self->ring, 8, IORING_SETUP_R_DISABLED);
	UBC_BUF(self->mem, BUF_LEN);
	ASSERT_EQ(0, io_uring_register_restrictions(&self->ring, res, 2));
	ASSERT_EQ(0, io_uring_enable_rings(&self->ring));
	self->fd = ubc_tmpfile(BUF_LEN, 3);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(regbuf, register_op)
{
	struct iovec iov = { .iov_base = self->mem, .iov_len = BUF_LEN };

	if (variant->allowed_op == IORING_REGISTER_BUFFERS_UPDATE) {
		ASSERT_EQ(-EACCES, io_uring_register_buffers(&self->ring, &iov, 1));
		ASSERT_EQ(-EACCES, io_uring_register_buffers_sparse(&self->ring, 1));
		/* Allowed, but there is no table to update. */
		ASSERT_EQ(-ENXIO, io_uring_register_buffers_update_tag(&self->ring, 0, &iov, NULL, 1));
		return;
	}
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 3, 0));
	ASSERT_EQ(-EACCES, io_uring_unregister_buffers(&self->ring));
}

TEST_HARNESS_MAIN
