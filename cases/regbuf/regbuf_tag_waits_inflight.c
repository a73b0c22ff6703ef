// SPDX-License-Identifier: MIT
/*
 * IORING_REGISTER_BUFFERS2: the tag CQE comes once the resource is "not used anymore";
 * updates "might [hold resources] alive until all requests using it complete". A
 * read_fixed from an empty pipe through tagged slot 0 stays in flight (deterministic: no
 * data, no CQE); replacing slot 0 then posts no tag CQE for as long as the read waits
 * (UBC_NO_CQE_MS). Writing to the pipe completes the read into the OLD buffer, and only
 * then the tag CQE arrives (the request's node reference: req->buf_node / rsrc_node).
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
	int got_read = 0, got_tag = 0;

	memset(self->mem[0], 0, BUF_LEN);
	memset(self->mem[1], 0, BUF_LEN);
	ASSERT_EQ(0, ubc_queue_read_fixed(&self->ring, self->pfd[0], self->mem[0], MSG_LEN, 0, READ_UD));
	ASSERT_EQ(1, ubc_update_slot(&self->ring, 0, self->mem[1], BUF_LEN, 0));
	/* The read holds the old buffer: neither its CQE nor the tag may come yet. */
	ASSERT_EQ(0, ubc_collect_cqes(&self->ring, UBC_NO_CQE_MS, c, 4));
	ubc_fill(msg, MSG_LEN, 91, 0);
	ASSERT_EQ(MSG_LEN, write(self->pfd[1], msg, MSG_LEN));
	ASSERT_EQ(2, ubc_collect_cqes(&self->ring, UBC_CQE_WAIT_MS, c, 4));
	for (int i = 0; i < 2; i++) {
		if (c[i].user_data == READ_UD) {
			ASSERT_EQ(MSG_LEN, c[i].res);
			got_read++;
		} else {
			ASSERT_EQ((unsigned long long)TAG, c[i].user_data);
			ASSERT_EQ(0, c[i].res);
			ASSERT_EQ(0U, c[i].flags);
			got_tag++;
		}
	}
	ASSERT_EQ(1, got_read);
	ASSERT_EQ(1, got_tag);
	/* The bytes went to the buffer the read was issued with, not the replacement. */
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], MSG_LEN, 91, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem[1], BUF_LEN, 0));
}

TEST_HARNESS_MAIN
