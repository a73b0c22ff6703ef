// SPDX-License-Identifier: MIT
/*
 * Tags stay with the ring that registered them: after cloning a src whose slots carry
 * tags, replacing a dst slot or unregistering dst posts no CQE on either ring (dst nodes
 * are made with tag 0, io_clone_buffers() / io_rsrc_node_alloc()), while replacing the
 * same slot on src posts src's tag on src only. "Posts nothing" is ubc_tag_barrier()'s
 * sentinel coming first on each ring: a tag released by the step would come before it.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[3];
	struct iovec iov[3];
};

FIXTURE_SETUP(clone)
{
	__u64 tags[2] = { 0x71, 0x72 };

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 3, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->src, self->iov, tags, 2));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, 3, BUF_LEN);
}

TEST_F(clone, dst_replace_and_unregister_post_nothing)
{
	struct ubc_cqe c[3];

	ASSERT_EQ(1, ubc_update_slot(&self->dst, 0, self->mem[2], BUF_LEN, 0));
	ASSERT_EQ(0, ubc_tag_barrier(&self->dst, c, 3));
	ASSERT_EQ(0, ubc_tag_barrier(&self->src, c, 3));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(0, ubc_tag_barrier(&self->dst, c, 3));
	ASSERT_EQ(0, ubc_tag_barrier(&self->src, c, 3));
}

TEST_F(clone, src_replace_posts_on_src_only)
{
	struct ubc_cqe c[3];

	ASSERT_EQ(1, ubc_update_slot(&self->src, 1, self->mem[2], BUF_LEN, 0));
	ASSERT_EQ(1, ubc_tag_barrier(&self->src, c, 3));
	ASSERT_EQ(0x72ULL, c[0].user_data);
	ASSERT_EQ(0, c[0].res);
	ASSERT_EQ(0U, c[0].flags);
	ASSERT_EQ(0, ubc_tag_barrier(&self->dst, c, 3));
}

TEST_HARNESS_MAIN
