// SPDX-License-Identifier: MIT
/*
 * io_uring_buf_ring_add(3): "buf_offset is the offset to insert at from the current tail ...
 * If buffers are provided in a loop before being committed, the buf_offset must be
 * incremented by one for each buffer added", and NOTES: the kernel does not care which ID
 * maps to which buffer. Four buffers added at offsets 0..3 with IDs 40, 7, 300, 2 are used in
 * offset order with those IDs; advancing by 2 exposes only the first two.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 84
#define LEN 16

static const unsigned short ids[4] = { 40, 7, 300, 2 };
/* What the reads must report, in order (written out, not derived from ids). */
static const unsigned int want[4] = { 40, 7, 300, 2 };

FIXTURE(offset) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd;
};

FIXTURE_SETUP(offset)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4 * LEN);
	self->fd = ubc_tmpfile(4 * LEN, 54);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 8, BGID, 0, 0));
}

FIXTURE_TEARDOWN(offset)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * LEN);
}

TEST_F(offset, offset_order_and_partial_advance)
{
	unsigned int flags;
	int res;

	/* Added out of order: offset 3 first, then 0, 2, 1. */
	static const int order[4] = { 3, 0, 2, 1 };

	for (int k = 0; k < 4; k++) {
		int i = order[k];

		io_uring_buf_ring_add(self->b.br, self->mem + i * LEN, LEN, ids[i], io_uring_buf_ring_mask(8), i);
	}
	ASSERT_EQ(0, self->b.br->tail);
	io_uring_buf_ring_advance(self->b.br, 2);
	ASSERT_EQ(2, self->b.br->tail);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, i * LEN, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(want[i]), flags);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + i * LEN, LEN, 54, i * LEN));
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	/* The rest were written at offsets 2 and 3 from the old tail: now tail+0 and tail+1. */
	io_uring_buf_ring_advance(self->b.br, 2);
	for (int i = 2; i < 4; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, i * LEN, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(want[i]), flags);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + i * LEN, LEN, 54, i * LEN));
	}
}

TEST_HARNESS_MAIN
