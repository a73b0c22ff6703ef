// SPDX-License-Identifier: MIT
/*
 * io_uring_unregister_buf_ring(3) "On failure it returns -errno". kbuf.c
 * io_unregister_pbuf_ring(): a bgid with no group -> -ENOENT; a legacy group (provided
 * buffers, no ring) -> -EINVAL, and its buffers stay. 6.1 keeps bgids 0..63 in an array
 * once any low group exists, so a never-used low bgid is found there (see README).
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define LEN 16

FIXTURE(unknown) {
	struct io_uring ring;
	char *mem;
};

FIXTURE_SETUP(unknown)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
}

FIXTURE_TEARDOWN(unknown)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(unknown, never_registered_enoent)
{
	ASSERT_EQ(-ENOENT, io_uring_unregister_buf_ring(&self->ring, 1000));
	ASSERT_EQ(-ENOENT, io_uring_unregister_buf_ring(&self->ring, 65535));
}

/* A low bgid that was never used, while another low group exists. */
TEST_F(unknown, low_bgid_with_low_group_enoent)
{
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, 2, 0, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(-ENOENT, io_uring_unregister_buf_ring(&self->ring, 3));
}

TEST_F(unknown, legacy_group_einval_buffers_kept)
{
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, 1001, 0, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(-EINVAL, io_uring_unregister_buf_ring(&self->ring, 1001));
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, 1001, &res));
	ASSERT_EQ(2, res);
}

TEST_HARNESS_MAIN
