// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): IDs run from bid upwards, and several provide calls may
 * fill one group. kbuf.c io_add_buffers() appends to the group's list and
 * io_provided_buffer_select() takes its head: selection follows provide order, not ID order.
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 9

FIXTURE(multi) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_SETUP(multi)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 4 * LEN);
	memset(self->mem, 0, 4 * LEN);
	self->fd = ubc_tmpfile(4 * LEN, 11);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(multi)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * LEN);
}

/* First call: IDs 100,101 at mem; second call: IDs 0,1 at mem+2*LEN. Reads get 100,101,0,1. */
TEST_F(multi, two_calls_one_group_in_provide_order)
{
	static const int want[4] = { 100, 101, 0, 1 };
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 100, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem + 2 * LEN, LEN, 2, BGID, 0, &res));
	ASSERT_EQ(0, res);

	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, (unsigned long long)i * LEN,
					     BGID, &res, &flags));
		ASSERT_EQ(LEN, res) TH_LOG("read %d: res %d", i, res);
		ASSERT_EQ(IORING_CQE_F_BUFFER | ((unsigned int)want[i] << IORING_CQE_BUFFER_SHIFT), flags)
			TH_LOG("read %d: flags 0x%x", i, flags);
	}
	/* Read i landed in the i-th buffer by address, i.e. in provide order. */
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(-1, ubc_mismatch(self->mem + i * LEN, LEN, 11, (size_t)i * LEN))
			TH_LOG("buffer at mem+%d*LEN does not hold read %d", i, i);
	}
}

TEST_HARNESS_MAIN
