// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers_tags(3) / IORING_REGISTER_BUFFERS2: replacing a tagged buffer
 * through io_uring_register_buffers_update_tag(3) posts one CQE whose user_data is the old
 * buffer's tag and whose res and flags are 0 ("all other fields zeroed"); the new buffer's
 * tag is posted when it in turn is replaced. Emptying an untagged slot ({ NULL, 0 }) posts
 * nothing and leaves it empty (fixed I/O through it is EFAULT), and filling it again with a
 * tagged buffer posts nothing and maps that buffer.
 * "Exactly these CQEs" is proved by ubc_tag_barrier(): its sentinel tag CQE comes after
 * every tag released before it (6.1 posts from a delayed work item; the barrier waits for it).
 * The read that shows which buffer slot 0 maps takes a socket with its bytes already there:
 * it completes within the submitting io_uring_enter(), which posts its CQE and frees it (and
 * its reference on slot 0's node) before returning. A read of a tmpfs file (no FMODE_NOWAIT)
 * goes to io-wq, whose worker posts the CQE first and drops the request later, through the
 * submitter's task work (io_req_complete_post(), io_wq_put_work(), io_free_req()): from 6.13
 * the replaced node is then still held when the update returns, and its tag can come after
 * the sentinel (seen on Debian 7.3.4 under load: 30 failures in 400 runs).
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[3];
	struct iovec iov[3];
	int sv[2];	/* sv[0]: 2 * BUF_LEN bytes of pattern 61 ready to read */
};

FIXTURE_SETUP(regbuf)
{
	__u64 tags[2] = { 0x1001, 0 };

	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 3, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->ring, self->iov, tags, 2));
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, 2 * BUF_LEN, 61));
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 3, BUF_LEN);
}

TEST_F(regbuf, replace_posts_old_tag)
{
	struct ubc_cqe c[4];

	ASSERT_EQ(1, ubc_update_slot(&self->ring, 0, self->mem[2], BUF_LEN, 0x2002));
	ASSERT_EQ(1, ubc_tag_barrier(&self->ring, c, 4));
	ASSERT_EQ(0x1001ULL, c[0].user_data);
	ASSERT_EQ(0, c[0].res);
	ASSERT_EQ(0U, c[0].flags);
	/* Slot 0 now maps mem[2]. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[2], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[2], BUF_LEN, 61, 0));
	/* Replacing it again posts the new buffer's tag. */
	ASSERT_EQ(1, ubc_update_slot(&self->ring, 0, self->mem[0], BUF_LEN, 0));
	ASSERT_EQ(1, ubc_tag_barrier(&self->ring, c, 4));
	ASSERT_EQ(0x2002ULL, c[0].user_data);
	ASSERT_EQ(0, c[0].res);
	ASSERT_EQ(0U, c[0].flags);
}

TEST_F(regbuf, empty_to_tagged_posts_nothing)
{
	struct ubc_cqe c[4];

	/* Slot 1 maps mem[1] (untagged) ... */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[1], BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 61, 0));
	ASSERT_EQ(1, ubc_update_slot(&self->ring, 1, NULL, 0, 0));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	/* ... and is empty now: no buffer, whatever the address. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[1], BUF_LEN, 0, 1));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[2], BUF_LEN, 0, 1));
	/* Filling the now empty slot replaces nothing: no CQE either. */
	ASSERT_EQ(1, ubc_update_slot(&self->ring, 1, self->mem[2], BUF_LEN, 0x3003));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	/* The fill took effect: slot 1 maps mem[2], not mem[1]. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[1], BUF_LEN, 0, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[2], BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[2], BUF_LEN, 61, BUF_LEN));
}

TEST_HARNESS_MAIN
