// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_remove_buffers(3): removes up to nr buffers from group bgid and the CQE res
 * is the number removed. kbuf.c: io_remove_buffers() / __io_manage_buffers_legacy() return
 * the count; a group that exists but is empty gives 0 (6.1, 6.12, 7.3).
 */
#include "ubc_test.h"

#define LEN 32
#define BGID 12

FIXTURE(remove_count) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_SETUP(remove_count)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 8 * LEN);
	self->fd = ubc_tmpfile(8 * LEN, 2);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 8, BGID, 0, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(remove_count)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 8 * LEN);
}

/* 8 provided: remove 3 -> 3, remove 10 -> the 5 left, remove again -> 0. */
TEST_F(remove_count, res_is_number_removed)
{
	int res;

	ASSERT_EQ(0, ubc_remove(&self->ring, 3, BGID, &res));
	ASSERT_EQ(3, res);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(5, res);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(0, res) TH_LOG("existing, emptied group: res %d", res);
}

/* Removal takes buffers from the head: after removing 3, a read selects ID 3. */
TEST_F(remove_count, removes_from_head)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_remove(&self->ring, 3, BGID, &res));
	ASSERT_EQ(3, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (3u << IORING_CQE_BUFFER_SHIFT), flags);
}

/* A group emptied by reads (not by remove) still exists: remove gives 0, not -ENOENT. */
TEST_F(remove_count, group_used_up_by_reads_gives_zero)
{
	unsigned int flags;
	int res;

	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
	}
	ASSERT_EQ(0, ubc_remove(&self->ring, 1, BGID, &res));
	ASSERT_EQ(0, res);
}

TEST_HARNESS_MAIN
