// SPDX-License-Identifier: MIT
/*
 * IORING_REGISTER_BUFFERS2: the tag CQE comes once the resource is "not used anymore";
 * updates "might [hold resources] alive until all requests using it complete". A
 * read_fixed from an empty pipe through tagged slot 0 stays in flight (deterministic: no
 * data, no CQE); replacing slot 0 then posts no tag CQE while the read waits: right after
 * the update the CQ ring is empty, which proves it where a released node's tag is posted
 * within the update call (6.4 and later, ubc_tags_posted_at_once()); 6.1 posts from a
 * delayed work item and no sentinel can pass the held node there, so on such a kernel the
 * ring is watched for UBC_DEFERRED_TAG_MS instead. Writing to the pipe completes the read into the OLD buffer, and only then
 * the tag CQE arrives (the request's node reference: req->buf_node / rsrc_node): the read's
 * CQE is the first, the tag's the second (a tag released early, even by 6.1's delayed work,
 * would come before the read's), and ubc_tag_barrier() shows no third.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096
#define MSG_LEN 64
#define TAG 0xfeed
#define READ_UD 7

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
	int pfd[2];
};

FIXTURE_SETUP(regbuf)
{
	__u64 tag = TAG;

	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->ring, self->iov, &tag, 1));
	ASSERT_EQ(0, pipe(self->pfd));
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->pfd[0]);
	close(self->pfd[1]);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

TEST_F(regbuf, tag_after_read_completes)
{
	unsigned char msg[MSG_LEN];
	struct ubc_cqe c[4];
	int at_once = ubc_tags_posted_at_once(&self->ring);

	ASSERT_LE(0, at_once);
	memset(self->mem[0], 0, BUF_LEN);
	memset(self->mem[1], 0, BUF_LEN);
	ASSERT_EQ(0, ubc_queue_read_fixed(&self->ring, self->pfd[0], self->mem[0], MSG_LEN, 0, READ_UD));
	ASSERT_EQ(1, ubc_update_slot(&self->ring, 0, self->mem[1], BUF_LEN, 0));
	/* The read holds the old buffer: neither its CQE nor the tag has come. */
	ASSERT_EQ(0, ubc_wait_cqes(&self->ring, 1, at_once ? 0 : UBC_DEFERRED_TAG_MS, c, 4));
	ubc_fill(msg, MSG_LEN, 91, 0);
	ASSERT_EQ(MSG_LEN, write(self->pfd[1], msg, MSG_LEN));
	ASSERT_EQ(2, ubc_wait_cqes(&self->ring, 2, UBC_CQE_WAIT_MS, c, 4));
	/* First the read, then the tag its completion released. */
	ASSERT_EQ((unsigned long long)READ_UD, c[0].user_data);
	ASSERT_EQ(MSG_LEN, c[0].res);
	ASSERT_EQ((unsigned long long)TAG, c[1].user_data);
	ASSERT_EQ(0, c[1].res);
	ASSERT_EQ(0U, c[1].flags);
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	/* The bytes went to the buffer the read was issued with, not the replacement. */
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], MSG_LEN, 91, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem[1], BUF_LEN, 0));
}

TEST_HARNESS_MAIN
