// SPDX-License-Identifier: MIT
/*
 * A dst ring whose register restrictions (io_uring_register_restrictions(3)) do not
 * allow IORING_REGISTER_CLONE_BUFFERS refuses the clone with EACCES
 * (__io_uring_register()); allowing the opcode lets it through. Not on the page.
 * Effect: read_fixed (the one SQE opcode dst allows) through dst's slot 0 reads into src's
 * buffer after the allowed clone, and is EFAULT (no table) after the refused one.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem;
	int fd;
};

FIXTURE_VARIANT(clone) {
	unsigned int allowed_op;
	int expect;
};

FIXTURE_VARIANT_ADD(clone, clone_not_allowed) { .allowed_op = IORING_REGISTER_BUFFERS, .expect = -EACCES };
FIXTURE_VARIANT_ADD(clone, clone_allowed) { .allowed_op = IORING_REGISTER_CLONE_BUFFERS, .expect = 0 };

FIXTURE_SETUP(clone)
{
	struct io_uring_restriction res[2] = {
		{ .opcode = IORING_RESTRICTION_REGISTER_OP, .register_op = (__u8)variant->allowed_op },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READ_FIXED },
	};
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, IORING_SETUP_R_DISABLED);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	ASSERT_EQ(0, io_uring_register_restrictions(&self->dst, res, 2));
	ASSERT_EQ(0, io_uring_enable_rings(&self->dst));
	self->fd = ubc_tmpfile(BUF_LEN, 30);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, register_op_restriction)
{
	ASSERT_EQ(variant->expect, io_uring_clone_buffers(&self->dst, &self->src));
	memset(self->mem, 0, BUF_LEN);
	ASSERT_EQ(variant->expect ? -EFAULT : BUF_LEN,
		  ubc_rw_fixed(&self->dst, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	if (!variant->expect)
		ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 30, 0));
}

TEST_HARNESS_MAIN
