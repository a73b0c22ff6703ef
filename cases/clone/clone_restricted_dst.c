// SPDX-License-Identifier: MIT
/*
 * A dst ring whose register restrictions (io_uring_register_restrictions(3)) do not
 * allow IORING_REGISTER_CLONE_BUFFERS refuses the clone with EACCES
 * (__io_uring_register()); allowing the opcode lets it through. Not on the page.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem;
};

FIXTURE_VARIANT(clone) {
	unsigned int allowed_op;
	int expect;
};

FIXTURE_VARIANT_ADD(clone, clone_not_allowed) { .allowed_op = IORING_REGISTER_BUFFERS, .expect = -EACCES };
FIXTURE_VARIANT_ADD(clone, clone_allowed) { .allowed_op = IORING_REGISTER_CLONE_BUFFERS, .expect = 0 };

FIXTURE_SETUP(clone)
{
	struct io_uring_restriction res = {
		.opcode = IORING_RESTRICTION_REGISTER_OP,
		.register_op = (__u8)variant->allowed_op,
	};
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, IORING_SETUP_R_DISABLED);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	ASSERT_EQ(0, io_uring_register_restrictions(&self->dst, &res, 1));
	ASSERT_EQ(0, io_uring_enable_rings(&self->dst));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, register_op_restriction)
{
	ASSERT_EQ(variant->expect, io_uring_clone_buffers(&self->dst, &self->src));
}

TEST_HARNESS_MAIN
