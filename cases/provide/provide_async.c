// SPDX-License-Identifier: MIT
/*
 * Legacy provide and remove with IOSQE_ASYNC, run from io-wq (io_uring_sqe_set_flags(3);
 * kbuf.c io_provide_buffers() / io_remove_buffers() under io_ring_submit_lock(), which takes
 * uring_lock on the unlocked path). Results are those of the inline path: provide res 0,
 * remove the count removed, -ENOENT for an unknown group, -EINVAL on a ring's bgid. Sixteen
 * async provides of one buffer each into one group, submitted together so io-wq workers run
 * them at the same time (racy by nature; the outcome is not): all succeed, the group holds
 * the sixteen IDs, reads select each exactly once.
 */
#include "ubc_test.h"

#define LEN 16
#define BGID 220
#define N 16

FIXTURE(async) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_SETUP(async)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 32, 0);
	UBC_BUF(self->mem, N * LEN);
	self->fd = ubc_tmpfile(LEN, 81);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(async)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, N * LEN);
}

static int one_async(struct io_uring *ring, int provide, void *addr, int nr, int bgid, int bid, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;

	if (provide)
		io_uring_prep_provide_buffers(sqe, addr, LEN, nr, bgid, bid);
	else
		io_uring_prep_remove_buffers(sqe, nr, bgid);
	sqe->flags |= IOSQE_ASYNC;
	return ubc_submit_one(ring, res, &flags);
}

TEST_F(async, provide_remove_results)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, one_async(&self->ring, 1, self->mem, 4, BGID, 30, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (30u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 81, 0));
	ASSERT_EQ(0, one_async(&self->ring, 0, NULL, 2, BGID, 0, &res));
	ASSERT_EQ(2, res);
	ASSERT_EQ(0, one_async(&self->ring, 0, NULL, 10, BGID, 0, &res));
	ASSERT_EQ(1, res);
	ASSERT_EQ(0, one_async(&self->ring, 0, NULL, 1, BGID + 1, 0, &res));
	ASSERT_EQ(-ENOENT, res);
}

TEST_F(async, ring_bgid_einval)
{
	struct io_uring_buf_ring *br;
	int err = 0, res;

	UBC_REQUIRE(UBC_F_BUF_RING);
	br = io_uring_setup_buf_ring(&self->ring, 4, BGID, 0, &err);
	ASSERT_NE(NULL, br) TH_LOG("io_uring_setup_buf_ring: %s", strerror(-err));
	ASSERT_EQ(0, one_async(&self->ring, 1, self->mem, 1, BGID, 0, &res));
	EXPECT_EQ(-EINVAL, res);
	ASSERT_EQ(0, one_async(&self->ring, 0, NULL, 1, BGID, 0, &res));
	EXPECT_EQ(-EINVAL, res);
	io_uring_free_buf_ring(&self->ring, br, 4, BGID);
}

TEST_F(async, concurrent_provides_all_land)
{
	unsigned char seen[N] = { 0 };
	unsigned int flags;
	int res;

	for (int i = 0; i < N; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

		io_uring_prep_provide_buffers(sqe, self->mem + i * LEN, LEN, 1, BGID, i);
		sqe->flags |= IOSQE_ASYNC;
		sqe->user_data = i;
	}
	ASSERT_EQ(N, io_uring_submit(&self->ring));
	for (int i = 0; i < N; i++) {
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		ASSERT_EQ(0, cqe->res) TH_LOG("provide %llu", cqe->user_data);
		io_uring_cqe_seen(&self->ring, cqe);
	}
	for (int i = 0; i < N; i++) {
		unsigned int bid;

		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		bid = flags >> IORING_CQE_BUFFER_SHIFT;
		ASSERT_EQ(IORING_CQE_F_BUFFER | (bid << IORING_CQE_BUFFER_SHIFT), flags);
		ASSERT_GT(N, bid);
		ASSERT_EQ(0, seen[bid]);
		seen[bid] = 1;
		ASSERT_EQ(-1, ubc_mismatch(self->mem + bid * LEN, LEN, 81, 0));
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
}

TEST_HARNESS_MAIN
