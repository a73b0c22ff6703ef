// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): nr buffers of len bytes starting at addr get the IDs
 * bid .. bid+nr-1; a read with IOSQE_BUFFER_SELECT reports the ID it used in cqe->flags.
 * The page's example (16 buffers from bid 0 get IDs 0..15) is the second test.
 */
#include "ubc_test.h"

#define NR 4
#define NR_PAGE 16	/* the page's example: 16 buffers from bid 0 */
#define LEN 64
#define BGID 7
#define BID0 10

FIXTURE(provide) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_SETUP(provide)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, NR_PAGE * LEN);
	memset(self->mem, 0, NR_PAGE * LEN);
	self->fd = ubc_tmpfile(NR_PAGE * LEN, 5);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(provide)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, NR_PAGE * LEN);
}

/* Each read gets the next ID, and its data lands at addr + (ID - bid) * len. */
TEST_F(provide, ids_and_addresses_in_order)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	io_uring_prep_provide_buffers(sqe, self->mem, LEN, NR, BGID, BID0);
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(0, res) TH_LOG("provide res %d", res);

	for (int i = 0; i < NR; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, (unsigned long long)i * LEN,
					     BGID, &res, &flags));
		ASSERT_EQ(LEN, res) TH_LOG("read %d: res %d", i, res);
		ASSERT_EQ(IORING_CQE_F_BUFFER | ((unsigned int)(BID0 + i) << IORING_CQE_BUFFER_SHIFT), flags)
			TH_LOG("read %d: flags 0x%x", i, flags);
	}
	/* Data of file block i sits in buffer i: the ID really names that address. */
	for (int i = 0; i < NR; i++) {
		ASSERT_EQ(-1, ubc_mismatch(self->mem + i * LEN, LEN, 5, (size_t)i * LEN))
			TH_LOG("buffer %d does not hold file block %d", BID0 + i, i);
	}
}

/*
 * The page's own example, as written: "If 16 buffers are provided and start with an initial
 * bid of 0, then the buffer IDs will range from 0..15". Sixteen reads get IDs 0..15 in that
 * order, each into its own buffer, and a seventeenth finds the group empty (-ENOBUFS).
 */
TEST_F(provide, page_example_16_from_bid_0)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	io_uring_prep_provide_buffers(sqe, self->mem, LEN, NR_PAGE, BGID, 0);
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(0, res);
	for (int i = 0; i < NR_PAGE; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, (unsigned long long)i * LEN,
					     BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(IORING_CQE_F_BUFFER | ((unsigned int)i << IORING_CQE_BUFFER_SHIFT), flags)
			TH_LOG("read %d: flags 0x%x", i, flags);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + (size_t)i * LEN, LEN, 5, (size_t)i * LEN));
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
}

TEST_HARNESS_MAIN
