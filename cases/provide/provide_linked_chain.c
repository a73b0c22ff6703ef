// SPDX-License-Identifier: MIT
/*
 * Legacy provide and remove inside IOSQE_IO_LINK chains (io_uring_prep_provide_buffers(3),
 * io_uring_prep_remove_buffers(3); links: io_uring_sqe_set_flags(3)). A chain provide -> read
 * -> remove submitted at once runs in order: the read selects the first provided buffer, the
 * remove counts the one left. A provide that fails (len 0: -EINVAL from
 * io_provide_buffers_prep()) or a remove that fails (-ENOENT) breaks the chain: the rest
 * complete with -ECANCELED and change nothing. The same with IOSQE_ASYNC on the provide and
 * remove, which then run from io-wq (kbuf.c io_ring_submit_lock() on the unlocked path).
 */
#include "ubc_test.h"

#define LEN 32
#define BGID 210

FIXTURE(chain) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(chain) {
	unsigned int async;	/* IOSQE_ASYNC on provide and remove */
};

FIXTURE_VARIANT_ADD(chain, inline) { .async = 0 };
FIXTURE_VARIANT_ADD(chain, io_wq) { .async = IOSQE_ASYNC };

FIXTURE_SETUP(chain)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 2 * LEN);
	memset(self->mem, 0, 2 * LEN);
	self->fd = ubc_tmpfile(LEN, 80);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(chain)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

/* Submit the prepared chain of n SQEs and collect the CQEs by user_data 0..n-1. */
static int run_chain(struct io_uring *ring, int n, int *res, unsigned int *flags)
{
	int ret = io_uring_submit(ring);

	if (ret != n)
		return ret < 0 ? ret : -EAGAIN;
	for (int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;

		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		if (cqe->user_data >= (unsigned long long)n)
			return -EPROTO;
		res[cqe->user_data] = cqe->res;
		flags[cqe->user_data] = cqe->flags;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

TEST_F(chain, provide_read_remove_in_order)
{
	struct io_uring_sqe *sqe;
	unsigned int flags[3];
	int res[3];

	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_provide_buffers(sqe, self->mem, LEN, 2, BGID, 40);
	sqe->user_data = 0;
	sqe->flags |= IOSQE_IO_LINK | variant->async;
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_read(sqe, self->fd, NULL, LEN, 0);
	sqe->flags |= IOSQE_IO_LINK | IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_remove_buffers(sqe, 10, BGID);
	sqe->user_data = 2;
	sqe->flags |= variant->async;
	ASSERT_EQ(0, run_chain(&self->ring, 3, res, flags));
	ASSERT_EQ(0, res[0]);
	ASSERT_EQ(0u, flags[0]);
	ASSERT_EQ(LEN, res[1]);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (40u << IORING_CQE_BUFFER_SHIFT), flags[1]);
	ASSERT_EQ(1, res[2]);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 80, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + LEN, LEN, 0));
}

TEST_F(chain, failed_provide_cancels_rest)
{
	struct io_uring_sqe *sqe;
	unsigned int flags[3];
	int res[3], r;

	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_provide_buffers(sqe, self->mem, 0, 2, BGID, 40);
	sqe->user_data = 0;
	sqe->flags |= IOSQE_IO_LINK | variant->async;
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_read(sqe, self->fd, NULL, LEN, 0);
	sqe->flags |= IOSQE_IO_LINK | IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_provide_buffers(sqe, self->mem, LEN, 2, BGID, 50);
	sqe->user_data = 2;
	sqe->flags |= variant->async;
	/* A prep failure stops submission at the failing SQE's chain: all three still complete. */
	r = io_uring_submit(&self->ring);
	ASSERT_LE(1, r);
	for (int i = 0; i < 3; i++) {
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		ASSERT_GT(3u, cqe->user_data);
		res[cqe->user_data] = cqe->res;
		flags[cqe->user_data] = cqe->flags;
		io_uring_cqe_seen(&self->ring, cqe);
	}
	ASSERT_EQ(-EINVAL, res[0]);
	ASSERT_EQ(-ECANCELED, res[1]);
	ASSERT_EQ(0u, flags[1]);
	ASSERT_EQ(-ECANCELED, res[2]);
	/* Nothing was provided. */
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &r));
	ASSERT_EQ(-ENOENT, r);
}

TEST_F(chain, failed_remove_cancels_provide)
{
	struct io_uring_sqe *sqe;
	unsigned int flags[2];
	int res[2], r;

	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_remove_buffers(sqe, 1, BGID);
	sqe->user_data = 0;
	sqe->flags |= IOSQE_IO_LINK | variant->async;
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_provide_buffers(sqe, self->mem, LEN, 2, BGID, 60);
	sqe->user_data = 1;
	sqe->flags |= variant->async;
	ASSERT_EQ(0, run_chain(&self->ring, 2, res, flags));
	ASSERT_EQ(-ENOENT, res[0]);
	ASSERT_EQ(-ECANCELED, res[1]);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &r));
	ASSERT_EQ(-ENOENT, r);
}

TEST_HARNESS_MAIN
