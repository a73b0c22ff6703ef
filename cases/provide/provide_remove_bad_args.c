// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_remove_buffers(3) invalid arguments. kbuf.c io_remove_buffers_prep()
 * (6.1, 6.12, 7.3): nr 0 or nr > 65536 is -EINVAL (not -E2BIG as for provide), and so is any
 * non-zero addr, len, off, rw_flags or splice_fd_in; nr 65536 itself is accepted.
 */
#include "ubc_test.h"

enum field { NONE, ADDR, LEN, OFF, RW_FLAGS, SPLICE_FD_IN };

FIXTURE(remove_args) {
	struct io_uring ring;
	char *mem;
};

FIXTURE_VARIANT(remove_args) {
	int nr;
	enum field field;	/* made non-zero */
	int res;
};

FIXTURE_VARIANT_ADD(remove_args, nr_1_ok) { .nr = 1, .field = NONE, .res = 1 };
FIXTURE_VARIANT_ADD(remove_args, nr_65536_ok) { .nr = 65536, .field = NONE, .res = 1 };
FIXTURE_VARIANT_ADD(remove_args, nr_0_einval) { .nr = 0, .field = NONE, .res = -EINVAL };
FIXTURE_VARIANT_ADD(remove_args, nr_65537_einval) { .nr = 65537, .field = NONE, .res = -EINVAL };
FIXTURE_VARIANT_ADD(remove_args, addr_einval) { .nr = 1, .field = ADDR, .res = -EINVAL };
FIXTURE_VARIANT_ADD(remove_args, len_einval) { .nr = 1, .field = LEN, .res = -EINVAL };
FIXTURE_VARIANT_ADD(remove_args, off_einval) { .nr = 1, .field = OFF, .res = -EINVAL };
FIXTURE_VARIANT_ADD(remove_args, rw_flags_einval) { .nr = 1, .field = RW_FLAGS, .res = -EINVAL };
FIXTURE_VARIANT_ADD(remove_args, splice_fd_in_einval) { .nr = 1, .field = SPLICE_FD_IN, .res = -EINVAL };

FIXTURE_SETUP(remove_args)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 64);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 64, 1, 6, 0, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(remove_args)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 64);
}

/* Group 6 holds one buffer; a valid remove takes it (res 1), an invalid one is refused. */
TEST_F(remove_args, remove_res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	io_uring_prep_remove_buffers(sqe, variant->nr, 6);
	switch (variant->field) {
	case ADDR: sqe->addr = (unsigned long)self->mem; break;
	case LEN: sqe->len = 64; break;
	case OFF: sqe->off = 1; break;
	case RW_FLAGS: sqe->rw_flags = 1; break;
	case SPLICE_FD_IN: sqe->splice_fd_in = 1; break;
	case NONE: break;
	}
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(variant->res, res) TH_LOG("res %d (%s)", res, strerror(-res));
}

TEST_HARNESS_MAIN
