// SPDX-License-Identifier: MIT
/*
 * Tags stay with the ring that registered them: after cloning a src whose slots carry
 * tags, replacing a dst slot or unregistering dst posts no CQE on either ring (dst nodes
 * are made with tag 0, io_clone_buffers() / io_rsrc_node_alloc()), while replacing the
 * same slot on src posts src's tag on src only. "Posts nothing" is ubc_tag_barrier()'s
 * sentinel coming first on each ring: a tag released by the step would come before it.
 * Each step is shown to have happened (one that did nothing would post nothing too): the
 * replaced slot maps the new buffer on its ring and the old one on the other, and the
 * unregistered ring has no table while the other still reads. The reads take a socket
 * with the bytes there, so they complete inline and hold no node past their CQE.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[3];
	struct iovec iov[3];
	int sv[2];	/* sv[0]: 3 * BUF_LEN bytes of pattern 73 */
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
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, 3 * BUF_LEN, 73));
}

/* A fixed read of the next BUF_LEN bytes of the socket through slot of ring into buf. */
#define READ_VIA(ring, slot, buf) ubc_rw_fixed((ring), 0, self->sv[0], (buf), BUF_LEN, 0, (slot))

FIXTURE_TEARDOWN(clone)
{
	close(self->sv[0]);
	close(self->sv[1]);
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
	/* dst slot 0 maps mem[2] now; src slot 0 still maps mem[0]. */
	ASSERT_EQ(-EFAULT, READ_VIA(&self->dst, 0, self->mem[0]));
	ASSERT_EQ(BUF_LEN, READ_VIA(&self->dst, 0, self->mem[2]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[2], BUF_LEN, 73, 0));
	ASSERT_EQ(BUF_LEN, READ_VIA(&self->src, 0, self->mem[0]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 73, BUF_LEN));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(0, ubc_tag_barrier(&self->dst, c, 3));
	ASSERT_EQ(0, ubc_tag_barrier(&self->src, c, 3));
	/* dst has no table left; src's still reads. */
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(BUF_LEN, READ_VIA(&self->src, 1, self->mem[1]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 73, 2 * BUF_LEN));
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
	/* src slot 1 maps mem[2] now; dst slot 1 still maps mem[1]. */
	ASSERT_EQ(-EFAULT, READ_VIA(&self->src, 1, self->mem[1]));
	ASSERT_EQ(BUF_LEN, READ_VIA(&self->src, 1, self->mem[2]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[2], BUF_LEN, 73, 0));
	ASSERT_EQ(BUF_LEN, READ_VIA(&self->dst, 1, self->mem[1]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 73, BUF_LEN));
}

TEST_HARNESS_MAIN
