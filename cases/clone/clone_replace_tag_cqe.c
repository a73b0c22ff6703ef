// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers_offset(3) with IORING_REGISTER_DST_REPLACE over tagged dst slots:
 * the replaced slot's buffer is released, so its tag CQE is posted (user_data 0x82, res 0,
 * flags 0) and only that one: the slots kept before and after the range carry their nodes
 * over and post nothing until dst unregisters, which then posts exactly their tags (0x81,
 * 0x83), never the cloned slot's (io_clone_buffers(), io_rsrc_data_free()). Kernels that
 * drop the slots after the range (6.16, 6.17) post 0x83 at the replace: see expected/.
 * The CQEs of each step are those before ubc_tag_barrier()'s sentinel.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *d[3], *s;
	struct iovec dst_iov[3];
	int fd;
};

FIXTURE_SETUP(clone)
{
	__u64 tags[3] = { 0x81, 0x82, 0x83 };
	struct iovec src_iov;

	UBC_REQUIRE(UBC_F_CLONE_OFFSET);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->d, self->dst_iov, 3, BUF_LEN));
	UBC_BUF(self->s, BUF_LEN);
	src_iov = (struct iovec){ .iov_base = self->s, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &src_iov, 1));
	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->dst, self->dst_iov, tags, 3));
	self->fd = ubc_tmpfile(BUF_LEN, 63);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->d, 3, BUF_LEN);
	ubc_buf_free(self->s, BUF_LEN);
}

TEST_F(clone, replace_posts_replaced_tag_only)
{
	struct ubc_cqe c[4];

	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 1, 0, 1,
						   IORING_REGISTER_DST_REPLACE));
	ASSERT_EQ(1, ubc_tag_barrier(&self->dst, c, 4));
	ASSERT_EQ(0x82ULL, c[0].user_data);
	ASSERT_EQ(0, c[0].res);
	ASSERT_EQ(0U, c[0].flags);
	/* Slot 1 maps src's buffer; the kept slots still map theirs. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->s, BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_mismatch(self->s, BUF_LEN, 63, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->d[2], BUF_LEN, 0, 2));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->d[0], BUF_LEN, 0, 0));
}

TEST_F(clone, unregister_posts_kept_tags)
{
	struct ubc_cqe c[4];
	int seen81 = 0, seen83 = 0;

	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 1, 0, 1,
						   IORING_REGISTER_DST_REPLACE));
	ASSERT_EQ(1, ubc_tag_barrier(&self->dst, c, 4));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(2, ubc_tag_barrier(&self->dst, c, 4));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, c[i].res);
		seen81 += c[i].user_data == 0x81;
		seen83 += c[i].user_data == 0x83;
	}
	ASSERT_EQ(1, seen81);
	ASSERT_EQ(1, seen83);
}

TEST_HARNESS_MAIN
