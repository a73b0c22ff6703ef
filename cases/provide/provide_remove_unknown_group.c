// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_remove_buffers(3) on a group never provided. 6.12 and 7.3 kbuf.c look the
 * group up in an xarray and answer -ENOENT. 6.1 kept groups 0..63 in an array allocated on the
 * first provide to any of them (io_init_bl_list), so there a never-used group below 64 "exists"
 * once another low group was provided, and remove returns 0. The group that was provided
 * keeps its buffer: removing from it afterwards takes exactly 1.
 */
#include "ubc_test.h"

FIXTURE(unknown) {
	struct io_uring ring;
	char *mem;
};

FIXTURE_VARIANT(unknown) {
	int other_bgid;	/* group provided first, -1 for none */
	int bgid;	/* group removed from, never provided */
};

FIXTURE_VARIANT_ADD(unknown, fresh_ring) { .other_bgid = -1, .bgid = 3 };
FIXTURE_VARIANT_ADD(unknown, other_low_group_exists) { .other_bgid = 1, .bgid = 3 };
FIXTURE_VARIANT_ADD(unknown, other_high_group_exists) { .other_bgid = 1000, .bgid = 2000 };

FIXTURE_SETUP(unknown)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 64);
}

FIXTURE_TEARDOWN(unknown)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 64);
}

TEST_F(unknown, remove_enoent)
{
	int res;

	if (variant->other_bgid >= 0) {
		ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, 64, 1, variant->other_bgid, 0, &res));
		ASSERT_EQ(0, res);
	}
	ASSERT_EQ(0, ubc_remove(&self->ring, 1, variant->bgid, &res));
	ASSERT_EQ(-ENOENT, res) TH_LOG("remove from never-provided group %d: res %d", variant->bgid, res);
	if (variant->other_bgid >= 0) {
		ASSERT_EQ(0, ubc_remove(&self->ring, 10, variant->other_bgid, &res));
		ASSERT_EQ(1, res) TH_LOG("group %d should hold the one buffer provided", variant->other_bgid);
	}
}

TEST_HARNESS_MAIN
