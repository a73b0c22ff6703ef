// SPDX-License-Identifier: MIT
/*
 * Per-group capacity of legacy provided buffers (not on the page). 7.3 kbuf.c io_add_buffers():
 * a group holds at most MAX_BIDS_PER_BGID (65536) buffers; a provide into a full group
 * fails with -EOVERFLOW, one that fills it part-way adds what fits and still returns 0.
 * 6.1 and 6.12 have no cap; 6.16 .. 7.x before "io_uring/kbuf: align legacy buffer add limit
 * with MAX_BIDS_PER_BGID" capped at USHRT_MAX (65535), one short of the IDs a provide accepts.
 */
#include "ubc_test.h"

#define MAXNR 65536
#define BGID 5

FIXTURE(capacity) {
	struct io_uring ring;
	char *mem;
};

FIXTURE_SETUP(capacity)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, MAXNR);
}

FIXTURE_TEARDOWN(capacity)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, MAXNR);
}

/* Remove everything from the group, counting what was there. */
static int drain(struct io_uring *ring, int *count)
{
	int res, ret;

	*count = 0;
	do {
		ret = ubc_remove(ring, MAXNR, BGID, &res);
		if (ret)
			return ret;
		if (res > 0)
			*count += res;
	} while (res > 0);
	return res;
}

/* One provide of 65536 one-byte buffers (IDs 0..65535) into an empty group keeps all of them. */
TEST_F(capacity, group_holds_65536)
{
	int res, count;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 1, MAXNR, BGID, 0, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, drain(&self->ring, &count));
	ASSERT_EQ(MAXNR, count) TH_LOG("a provide of 65536 kept only %d buffers", count);
}

/* Once the group is full, one more buffer is refused with -EOVERFLOW and the group is unchanged. */
TEST_F(capacity, full_group_refuses_eoverflow)
{
	int res, before, after;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 1, MAXNR, BGID, 0, &res));
	ASSERT_EQ(0, res);
	/* Count, then refill exactly what was there, so the group is as full as it gets. */
	ASSERT_EQ(0, drain(&self->ring, &before));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 1, before, BGID, 0, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 1, 1, BGID, 0, &res));
	ASSERT_EQ(-EOVERFLOW, res) TH_LOG("provide into a group of %d buffers: res %d", before, res);
	ASSERT_EQ(0, drain(&self->ring, &after));
	ASSERT_EQ(before, after);
}

TEST_HARNESS_MAIN
