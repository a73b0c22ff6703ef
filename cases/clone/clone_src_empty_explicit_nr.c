// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers_offset(3) with nr = 1 from a src without buffers: -ENXIO, as the
 * page says for a src without buffers (6.18, 7.3: io_clone_buffers() tests the src table
 * before comparing nr with it). Kernel-dependent: 6.13 to 6.17 compared nr with the empty
 * table first and return EINVAL (seen on Debian 6.16.12 and 6.17.13: the reorder was not
 * backported to 6.17.y; 6.18.15 and later give ENXIO), so expected/ marks this case there
 * (kernels >=6.13,<6.18); no probe tells the two orders apart.
 */
#include "ubc_test.h"

FIXTURE(clone) {
	struct io_uring src, dst;
};

FIXTURE_SETUP(clone)
{
	UBC_REQUIRE(UBC_F_CLONE_OFFSET);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
}

TEST_F(clone, nr_1_is_enxio)
{
	ASSERT_EQ(-ENXIO, io_uring_clone_buffers_offset(&self->dst, &self->src, 0, 0, 1, 0));
}

TEST_HARNESS_MAIN
