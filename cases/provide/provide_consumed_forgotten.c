// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): "Once a buffer has been consumed for an operation, it is
 * no longer known to io_uring." kbuf.c: a selected legacy buffer leaves the group's list and
 * is freed when the CQE is posted (6.12/7.3 io_kbuf_drop_legacy; 6.1 back to the cache), so
 * remove_buffers no longer counts it and io_uring never writes to it again.
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 31

FIXTURE(forgotten) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_SETUP(forgotten)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 3 * LEN);
	self->fd = ubc_tmpfile(4 * LEN, 17);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 3, BGID, 0, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(forgotten)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 3 * LEN);
}

/* Of 3 buffers, 1 read: remove finds exactly the 2 unused ones. */
TEST_F(forgotten, remove_counts_only_unused)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(0, ubc_remove(&self->ring, 100, BGID, &res));
	ASSERT_EQ(2, res);
}

/* After a buffer is used, later reads never land in it again (IDs 1, 2, then -ENOBUFS). */
TEST_F(forgotten, used_buffer_not_selected_again)
{
	unsigned int flags;
	long at;
	int res;

	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(IORING_CQE_F_BUFFER | (0u << IORING_CQE_BUFFER_SHIFT), flags);
	memset(self->mem, 0x5a, LEN);
	for (unsigned int id = 1; id <= 2; id++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, LEN, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(IORING_CQE_F_BUFFER | (id << IORING_CQE_BUFFER_SHIFT), flags);
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, LEN, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	at = ubc_first_not(self->mem, LEN, 0x5a);
	ASSERT_EQ(-1, at) TH_LOG("consumed buffer 0 rewritten at %ld", at);
}

TEST_HARNESS_MAIN
