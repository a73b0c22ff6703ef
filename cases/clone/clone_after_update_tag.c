// SPDX-License-Identifier: MIT
/*
 * A clone copies src's table as it is now: after io_uring_register_buffers_update_tag(3)
 * replaced src slot 0 (A -> C), dst slot 0 maps C, not A, and dst slot 1 maps B; src got
 * the tag CQE of A, dst gets none (io_clone_buffers() takes src's current nodes). Which
 * CQEs came is read up to ubc_tag_barrier()'s sentinel on each ring.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[3];	/* A, B, C */
	struct iovec iov[3];
	int fd;
};

FIXTURE_SETUP(clone)
{
	__u64 tags[2] = { 0xa1, 0xb1 };

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 3, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->src, self->iov, tags, 2));
	self->fd = ubc_tmpfile(BUF_LEN, 59);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, 3, BUF_LEN);
}

TEST_F(clone, dst_gets_replacement)
{
	struct ubc_cqe c[3];

	ASSERT_EQ(1, ubc_update_slot(&self->src, 0, self->mem[2], BUF_LEN, 0xc1));
	ASSERT_EQ(1, ubc_tag_barrier(&self->src, c, 3));
	ASSERT_EQ(0xa1ULL, c[0].user_data);
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	memset(self->mem[2], 0, BUF_LEN);
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[2], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[2], BUF_LEN, 59, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 59, 0));
	ASSERT_EQ(0, ubc_tag_barrier(&self->dst, c, 3));
}

TEST_HARNESS_MAIN
