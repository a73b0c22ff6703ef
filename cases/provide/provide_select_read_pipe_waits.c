// SPDX-License-Identifier: MIT
/*
 * A selecting read of an empty pipe waits (no CQE for 100 ms), and a write then completes it
 * into the selected buffer: res the bytes written, IORING_CQE_F_BUFFER and the ID, the bytes
 * at the buffer's start and nothing after them (rw.c io_read(): -EAGAIN from the non-blocking
 * attempt arms poll, the retry reads through the imported iterator; 6.1 .. 7.3). The second
 * buffer of the group is still there afterwards (remove finds 1).
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define LEN 64
#define DATA 24
#define BGID 64

FIXTURE(pipew) {
	struct io_uring ring;
	unsigned char *mem;
	int p[2];
};

FIXTURE_VARIANT(pipew) {
	unsigned int sqe_flags;
};

FIXTURE_VARIANT_ADD(pipew, inline) { .sqe_flags = 0 };
FIXTURE_VARIANT_ADD(pipew, io_wq) { .sqe_flags = IOSQE_ASYNC };

FIXTURE_SETUP(pipew)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	memset(self->mem, 0xee, 2 * LEN);
	ASSERT_EQ(0, pipe(self->p));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 30, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(pipew)
{
	close(self->p[0]);
	close(self->p[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(pipew, read_waits_then_lands_in_buffer)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char data[DATA];
	unsigned long long ud;
	unsigned int flags;
	int res;

	io_uring_prep_read(sqe, self->p[0], NULL, LEN, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT | variant->sqe_flags;
	sqe->buf_group = BGID;
	sqe->user_data = 4;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud)) TH_LOG("res %d before any write", res);
	ubc_fill(data, DATA, 35, 0);
	ASSERT_EQ(DATA, write(self->p[1], data, DATA));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(4u, ud);
	ASSERT_EQ(DATA, res);
	ASSERT_EQ(UBC_BUF_FLAGS(30), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, DATA, 35, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + DATA, 2 * LEN - DATA, 0xee));
	ASSERT_EQ(0, ubc_remove(&self->ring, 4, BGID, &res));
	ASSERT_EQ(1, res);
}

TEST_HARNESS_MAIN
