// SPDX-License-Identifier: MIT
/*
 * The CQE helpers of harness/ubc_regbuf.c on the running kernel: ubc_wait_cqes() returns as
 * soon as n CQEs have come (and with ms 0 takes only what is there), ubc_tag_barrier() hands
 * back exactly the CQEs posted before its sentinel (none on a quiet ring, a replaced
 * buffer's tag, a NOP's completion) and never its own, leaves the ring without a file table,
 * and refuses a ring that has one of its own; all three hand over a CQE's res and flags as
 * posted (a selecting read's IORING_CQE_F_BUFFER and ID); ubc_tags_posted_at_once() agrees
 * with when a replaced buffer's tag shows up.
 */
#include <sys/uio.h>
#include <time.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(cqe) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
};

FIXTURE_SETUP(cqe)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
}

FIXTURE_TEARDOWN(cqe)
{
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

static void queue_nop(struct io_uring *ring, unsigned long long ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_nop(sqe);
	sqe->user_data = ud;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

TEST_F(cqe, wait_returns_when_the_cqes_came)
{
	struct ubc_cqe c[4];
	struct timespec t0;

	ASSERT_EQ(0, ubc_wait_cqes(&self->ring, 1, 0, c, 4));
	queue_nop(&self->ring, 1);
	queue_nop(&self->ring, 2);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(2, ubc_wait_cqes(&self->ring, 2, UBC_CQE_WAIT_MS, c, 4));
	ASSERT_GT(1.0, secs_since(&t0));
	ASSERT_EQ(1ULL, c[0].user_data);
	ASSERT_EQ(2ULL, c[1].user_data);
	ASSERT_EQ(0, ubc_wait_cqes(&self->ring, 1, 0, c, 4));
}

TEST_F(cqe, barrier_returns_what_came_before_it)
{
	__u64 tags[2] = { 0x77, 0 };
	struct ubc_cqe c[4];

	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->ring, self->iov, tags, 2));
	ASSERT_EQ(1, ubc_update_slot(&self->ring, 0, self->mem[1], BUF_LEN, 0));
	queue_nop(&self->ring, 9);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(2, ubc_tag_barrier(&self->ring, c, 4));
	/* 6.1 posts the tag after the NOP, later kernels before it. */
	ASSERT_EQ(0x77ULL + 9ULL, c[0].user_data + c[1].user_data);
	ASSERT_TRUE(c[0].user_data == 9 || c[1].user_data == 9);
	/* Its sentinels are consumed, and its file table is gone again. */
	ASSERT_EQ(0, ubc_wait_cqes(&self->ring, 1, 0, c, 4));
	ASSERT_EQ(-ENXIO, io_uring_unregister_files(&self->ring));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	/* More CQEs than out holds are counted, not stored past it. */
	for (int i = 0; i < 3; i++)
		queue_nop(&self->ring, 20 + i);
	ASSERT_EQ(3, io_uring_submit(&self->ring));
	ASSERT_EQ(3, ubc_tag_barrier(&self->ring, c, 1));
	ASSERT_EQ(20ULL, c[0].user_data);
}

/* A selecting read of 16 bytes from fd, group bgid, submitted, not waited for. */
static int queue_select_read(struct io_uring *ring, int fd, int bgid, unsigned long long ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_read(sqe, fd, NULL, 16, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = bgid;
	sqe->user_data = ud;
	return io_uring_submit(ring);
}

/*
 * Every helper hands over the CQE's flags as they are: a selecting read's CQE carries
 * IORING_CQE_F_BUFFER and its buffer ID (5, 6, 7), through ubc_next_cqe(), ubc_wait_cqes()
 * and the CQEs ubc_tag_barrier() collects. The reads take a pipe with the bytes already
 * there: they complete inline, so the CQE is posted before io_uring_submit() returns.
 */
TEST_F(cqe, helpers_keep_flags)
{
	unsigned char data[48];
	struct ubc_cqe c[2];
	int pfd[2], res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	ASSERT_EQ(0, pipe(pfd));
	ubc_fill(data, sizeof(data), 3, 0);
	ASSERT_EQ((ssize_t)sizeof(data), write(pfd[1], data, sizeof(data)));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem[0], 16, 3, 4, 5, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(1, queue_select_read(&self->ring, pfd[0], 4, 31));
	ASSERT_EQ(0, ubc_next_cqe(&self->ring, UBC_CQE_WAIT_MS, &c[0]));
	ASSERT_EQ(31ULL, c[0].user_data);
	ASSERT_EQ(16, c[0].res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (5u << IORING_CQE_BUFFER_SHIFT), c[0].flags);
	ASSERT_EQ(1, queue_select_read(&self->ring, pfd[0], 4, 32));
	ASSERT_EQ(1, ubc_wait_cqes(&self->ring, 1, UBC_CQE_WAIT_MS, c, 2));
	ASSERT_EQ(32ULL, c[0].user_data);
	ASSERT_EQ(16, c[0].res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (6u << IORING_CQE_BUFFER_SHIFT), c[0].flags);
	ASSERT_EQ(1, queue_select_read(&self->ring, pfd[0], 4, 33));
	ASSERT_EQ(1, ubc_tag_barrier(&self->ring, c, 2));
	ASSERT_EQ(33ULL, c[0].user_data);
	ASSERT_EQ(16, c[0].res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (7u << IORING_CQE_BUFFER_SHIFT), c[0].flags);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F(cqe, barrier_refuses_a_ring_with_files)
{
	struct ubc_cqe c[1];

	ASSERT_EQ(0, io_uring_register_files_sparse(&self->ring, 2));
	ASSERT_EQ(-EBUSY, ubc_tag_barrier(&self->ring, c, 1));
	ASSERT_EQ(0, io_uring_unregister_files(&self->ring));
}

/* Its answer agrees with a buffer's tag: in the CQ ring when the update returns, or later. */
TEST_F(cqe, posted_at_once_agrees_with_a_buffer_tag)
{
	__u64 tag = 0x66;
	struct ubc_cqe c[2];
	int at_once = ubc_tags_posted_at_once(&self->ring);

	ASSERT_LE(0, at_once);
	ASSERT_GE(1, at_once);
	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->ring, self->iov, &tag, 1));
	ASSERT_EQ(1, ubc_update_slot(&self->ring, 0, self->mem[1], BUF_LEN, 0));
	ASSERT_EQ(at_once, ubc_wait_cqes(&self->ring, 1, 0, c, 2));
	if (!at_once)
		ASSERT_EQ(1, ubc_wait_cqes(&self->ring, 1, UBC_CQE_WAIT_MS, c, 2));
	ASSERT_EQ(0x66ULL, c[0].user_data);
}

TEST_HARNESS_MAIN
