// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): a consumed buffer is gone until re-provided. When no
 * buffer is left in the group (or the group never existed) a selecting read fails with
 * -ENOBUFS and no IORING_CQE_F_BUFFER (rw.c: io_buffer_select() returns NULL -> -ENOBUFS,
 * 6.1, 6.12, 7.3); providing again makes the group usable.
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 30

FIXTURE(empty) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_SETUP(empty)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	self->fd = ubc_tmpfile(4 * LEN, 16);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(empty)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(empty, group_never_provided_enobufs)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
}

/* Two buffers, two reads, the third read finds the group used up. */
TEST_F(empty, used_up_group_enobufs)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 0, &res));
	ASSERT_EQ(0, res);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
}

/* Re-providing a consumed buffer (same address, same ID) makes the next read use it. */
TEST_F(empty, reprovide_makes_usable)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 4, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	memset(self->mem, 0, LEN);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 4, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, LEN, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (4u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 16, LEN));
}

TEST_HARNESS_MAIN
