// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): "Different buffer group IDs can be used ... to have
 * different sizes". A request's buf_group picks the group; the CQE's ID and the byte count
 * come from that group's buffers (kbuf.c io_buffer_select(), 6.1, 6.12, 7.3).
 */
#include "ubc_test.h"

#define SMALL 32
#define BIG 256

FIXTURE(sizes) {
	struct io_uring ring;
	char *small, *big;
	int fd;
};

FIXTURE_SETUP(sizes)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->small, 2 * SMALL);
	UBC_BUF(self->big, 2 * BIG);
	self->fd = ubc_tmpfile(4096, 15);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->small, SMALL, 2, 1, 10, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->big, BIG, 2, 2, 20, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(sizes)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->small, 2 * SMALL);
	ubc_buf_free(self->big, 2 * BIG);
}

/* Reads of len 0 (whole buffer) alternate groups 2,1,2,1: sizes 256,32,256,32 and IDs 20,10,21,11. */
TEST_F(sizes, each_group_its_size_and_ids)
{
	static const int group[4] = { 2, 1, 2, 1 }, size[4] = { BIG, SMALL, BIG, SMALL };
	static const int id[4] = { 20, 10, 21, 11 };
	char *where[4] = { self->big, self->small, self->big + BIG, self->small + SMALL };
	unsigned int flags;
	int res;

	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 0, (unsigned long long)i * 512,
					     group[i], &res, &flags));
		ASSERT_EQ(size[i], res) TH_LOG("read %d from group %d", i, group[i]);
		ASSERT_EQ(IORING_CQE_F_BUFFER | ((unsigned int)id[i] << IORING_CQE_BUFFER_SHIFT), flags);
		ASSERT_EQ(-1, ubc_mismatch(where[i], size[i], 15, (size_t)i * 512));
	}
}

TEST_HARNESS_MAIN
