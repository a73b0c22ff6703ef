// SPDX-License-Identifier: MIT
/*
 * A registered buffer ring and a legacy group on the same bgid, ring first (not on the
 * page). kbuf.c (6.1, 6.12, 7.3): "can't use provide/remove buffers command on mapped
 * buffers" -> provide and remove on a ring's bgid give -EINVAL; once the ring is unregistered
 * the bgid takes legacy buffers again.
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 51
#define ENTRIES 8

FIXTURE(legacy_after) {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	char *mem;
	int fd;
};

FIXTURE_SETUP(legacy_after)
{
	int err = 0;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	self->fd = ubc_tmpfile(LEN, 27);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->br = io_uring_setup_buf_ring(&self->ring, ENTRIES, BGID, 0, &err);
	ASSERT_NE(NULL, self->br) TH_LOG("io_uring_setup_buf_ring: %s", strerror(-err));
}

FIXTURE_TEARDOWN(legacy_after)
{
	if (self->br)
		io_uring_free_buf_ring(&self->ring, self->br, ENTRIES, BGID);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(legacy_after, provide_into_ring_group_einval)
{
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 0, &res));
	ASSERT_EQ(-EINVAL, res);
}

TEST_F(legacy_after, remove_from_ring_group_einval)
{
	int res;

	ASSERT_EQ(0, ubc_remove(&self->ring, 1, BGID, &res));
	ASSERT_EQ(-EINVAL, res);
}

/* After unregistering, a provide succeeds and a read selects the legacy buffer (ID 5). */
TEST_F(legacy_after, legacy_usable_after_unregister)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, io_uring_free_buf_ring(&self->ring, self->br, ENTRIES, BGID));
	self->br = NULL;
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 5, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (5u << IORING_CQE_BUFFER_SHIFT), flags);
}

TEST_HARNESS_MAIN
