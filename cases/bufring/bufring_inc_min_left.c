// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buf_ring(3): "min_left is the minimum value that should be left in an
 * incrementally consumed buffer ring for the buffer to be considered valid. If not set,
 * defaults to a single byte. Only valid with IOU_PBUF_RING_INC". kbuf.c
 * io_kbuf_inc_commit(): the buffer stays (BUF_MORE) only while more than min_left - 1 bytes
 * are left; io_register_pbuf_ring(): min_left without IOU_PBUF_RING_INC -> -EINVAL.
 * 100-byte buffers with min_left 50, pipe: 40 bytes (60 left) keep it, 20 more (40 left)
 * retire it with no BUF_MORE, the next receive uses the next buffer.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 92
#define BUFSZ 100

FIXTURE(minleft) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int fds[2];
};

FIXTURE_SETUP(minleft)
{
	UBC_REQUIRE(UBC_F_PBUF_MIN_LEFT);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * BUFSZ);
	ASSERT_EQ(0, pipe(self->fds));
	self->b.br = NULL;
}

FIXTURE_TEARDOWN(minleft)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fds[0]);
	close(self->fds[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * BUFSZ);
}

static int put_take(FIXTURE_DATA(minleft) *self, int n, int *res, unsigned int *flags)
{
	unsigned char src[BUFSZ];

	memset(src, n, n);
	if (write(self->fds[1], src, n) != n)
		return -EIO;
	return ubc_read_select(&self->ring, self->fds[0], 0, 0, BGID, res, flags);
}

TEST_F(minleft, retired_below_min_left)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, IOU_PBUF_RING_INC, 50));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 2, 60);
	ASSERT_EQ(0, put_take(self, 40, &res, &flags));
	ASSERT_EQ(40, res);
	ASSERT_EQ(UBC_BUF_FLAGS(60) | IORING_CQE_F_BUF_MORE, flags);
	ASSERT_EQ(0, put_take(self, 10, &res, &flags));
	ASSERT_EQ(10, res);
	ASSERT_EQ(UBC_BUF_FLAGS(60) | IORING_CQE_F_BUF_MORE, flags);	/* exactly 50 left */
	ASSERT_EQ(0, put_take(self, 20, &res, &flags));
	ASSERT_EQ(20, res);
	ASSERT_EQ(UBC_BUF_FLAGS(60), flags);				/* 30 left < 50 */
	ASSERT_EQ(0, put_take(self, 5, &res, &flags));
	ASSERT_EQ(5, res);
	ASSERT_EQ(UBC_BUF_FLAGS(61) | IORING_CQE_F_BUF_MORE, flags);
	ASSERT_EQ(-1, ubc_first_not(self->mem + 50, 20, 20));
	ASSERT_EQ(-1, ubc_first_not(self->mem + BUFSZ, 5, 5));
}

TEST_F(minleft, without_inc_einval)
{
	ASSERT_EQ(-EINVAL, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 50));
	/* Nothing registered. */
	ASSERT_EQ(-ENOENT, ubc_br_unregister_raw(&self->ring, BGID));
}

TEST_HARNESS_MAIN
