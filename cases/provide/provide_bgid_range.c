// SPDX-License-Identifier: MIT
/*
 * Group IDs: buf_group is a 16-bit SQE field, so groups 0..65535. 6.1 kbuf.c stored groups
 * below 64 in an array and the rest in an xarray (BGID_ARRAY); 6.12 and 7.3 use the xarray
 * for all. Each group on both sides of that split provides and selects alike.
 */
#include "ubc_test.h"

#define LEN 64

FIXTURE(bgid) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(bgid) {
	int bgid;
};

FIXTURE_VARIANT_ADD(bgid, bgid_0) { .bgid = 0 };
FIXTURE_VARIANT_ADD(bgid, bgid_63) { .bgid = 63 };
FIXTURE_VARIANT_ADD(bgid, bgid_64) { .bgid = 64 };
FIXTURE_VARIANT_ADD(bgid, bgid_65535) { .bgid = 65535 };

FIXTURE_SETUP(bgid)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	self->fd = ubc_tmpfile(LEN, 25);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(bgid)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

/* A decoy buffer in the neighbouring group must not be picked. */
TEST_F(bgid, provide_and_select)
{
	int other = variant->bgid == 65535 ? 65534 : variant->bgid + 1;
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem + LEN, LEN, 1, other, 200, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, variant->bgid, 100, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, variant->bgid, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (100u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 25, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, variant->bgid, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, other, &res));
	ASSERT_EQ(1, res);
}

TEST_HARNESS_MAIN
