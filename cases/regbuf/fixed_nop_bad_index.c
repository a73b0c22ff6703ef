// SPDX-License-Identifier: MIT
/*
 * IORING_OP_NOP with IORING_NOP_FIXED_BUFFER looks up registered buffer buf_index: a
 * filled slot completes with 0; an index past the table, an empty sparse slot, or any
 * index on a ring without a table fails the request (req_set_fail(): a linked NOP behind
 * it is cancelled with -ECANCELED) with res -EFAULT (io_nop() / io_find_buf_node()).
 * Needs the flag (6.13, probe UBC_F_NOP_FIXED_BUFFER; liburing's header leaves it out).
 * NOPs complete within the submission (a cancelled link from task work run before the
 * submit call returns to the case): the CQEs are waited for until they come, and then no
 * other is in the CQ ring.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096
#define NOP_UD 1
#define LINK_UD 2

FIXTURE(fixed) {
	struct io_uring ring;
	void *mem;
};

FIXTURE_VARIANT(fixed) {
	int table;	/* 0 none, 1 one filled slot, 2 sparse 2 slots with slot 0 filled */
	int idx;
	int expect;
};

FIXTURE_VARIANT_ADD(fixed, filled_slot) { .table = 1, .idx = 0, .expect = 0 };
FIXTURE_VARIANT_ADD(fixed, past_table) { .table = 1, .idx = 1, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(fixed, far_index) { .table = 1, .idx = 40000, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(fixed, empty_sparse_slot) { .table = 2, .idx = 1, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(fixed, no_table) { .table = 0, .idx = 0, .expect = -EFAULT };

FIXTURE_SETUP(fixed)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_NOP_FIXED_BUFFER);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	if (variant->table == 1)
		ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	if (variant->table == 2) {
		ASSERT_EQ(0, io_uring_register_buffers_sparse(&self->ring, 2));
		ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->ring, 0, &iov, NULL, 1));
	}
}

FIXTURE_TEARDOWN(fixed)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

/* A NOP on slot idx, linked (IOSQE_IO_LINK) to a plain NOP when link is set. */
static int queue_nops(struct io_uring *ring, int idx, int link)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_nop(sqe);
	sqe->nop_flags = IORING_NOP_FIXED_BUFFER;
	sqe->buf_index = (__u16)idx;
	sqe->user_data = NOP_UD;
	if (link) {
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = LINK_UD;
	}
	return io_uring_submit(ring);
}

TEST_F(fixed, nop_res)
{
	struct ubc_cqe c[2];

	ASSERT_EQ(1, queue_nops(&self->ring, variant->idx, 0));
	ASSERT_EQ(1, ubc_wait_cqes(&self->ring, 1, UBC_CQE_WAIT_MS, c, 2));
	ASSERT_EQ(0, ubc_wait_cqes(&self->ring, 1, 0, c + 1, 1));
	ASSERT_EQ((unsigned long long)NOP_UD, c[0].user_data);
	ASSERT_EQ(variant->expect, c[0].res);
	ASSERT_EQ(0U, c[0].flags);
}

/* A failed lookup fails the request (req_set_fail()): the link behind it is cancelled. */
TEST_F(fixed, link_behind)
{
	struct ubc_cqe c[3];

	ASSERT_EQ(2, queue_nops(&self->ring, variant->idx, 1));
	ASSERT_EQ(2, ubc_wait_cqes(&self->ring, 2, UBC_CQE_WAIT_MS, c, 3));
	ASSERT_EQ(0, ubc_wait_cqes(&self->ring, 1, 0, c + 2, 1));
	ASSERT_EQ((unsigned long long)NOP_UD, c[0].user_data);
	ASSERT_EQ((unsigned long long)LINK_UD, c[1].user_data);
	ASSERT_EQ(variant->expect ? -ECANCELED : 0, c[1].res);
}

TEST_HARNESS_MAIN
