// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_read_multishot(3) (6.7): on a pollable file a read "will repeatedly trigger
 * a completion event whenever data is available", each CQE with IORING_CQE_F_MORE while more
 * will come, and without it when the request ends. rw.c io_read_mshot(): a pipe with a
 * 3-buffer ring gives CQEs with F_MORE | F_BUFFER for IDs 0, 1, 2, then -ENOBUFS without
 * flags; at end of file the request ends with res 0 and no flags (the buffer is recycled);
 * "If used with a regular file ... the request will fail with -EBADFD".
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 94
#define BUFSZ 32
#define CHUNK 24

FIXTURE(rmshot) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int p[2];
};

FIXTURE_SETUP(rmshot)
{
	UBC_REQUIRE(UBC_F_READ_MULTISHOT);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 3 * BUFSZ);
	memset(self->mem, 0, 3 * BUFSZ);
	ASSERT_EQ(0, pipe(self->p));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 3, 0);
}

FIXTURE_TEARDOWN(rmshot)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->p[0]);
	if (self->p[1] >= 0)
		close(self->p[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 3 * BUFSZ);
}

static int arm(struct io_uring *ring, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_read_multishot(sqe, fd, 0, 0, BGID);
	sqe->user_data = 9;
	return io_uring_submit(ring);
}

/* Write chunk i and expect its CQE with F_MORE naming buffer i. */
static void one_chunk(struct __test_metadata *_metadata, FIXTURE_DATA(rmshot) *self, int i)
{
	unsigned char chunk[CHUNK];
	unsigned long long ud;
	unsigned int flags;
	int res;

	ubc_fill(chunk, CHUNK, 61, i * CHUNK);
	ASSERT_EQ(CHUNK, write(self->p[1], chunk, CHUNK));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(9u, ud);
	ASSERT_EQ(CHUNK, res);
	ASSERT_EQ(UBC_BUF_FLAGS(i) | IORING_CQE_F_MORE, flags) TH_LOG("chunk %d", i);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + i * BUFSZ, CHUNK, 61, i * CHUNK));
}

TEST_F(rmshot, more_until_group_runs_dry)
{
	unsigned long long ud;
	unsigned int flags;
	int res;

	ASSERT_EQ(1, arm(&self->ring, self->p[0]));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	for (int i = 0; i < 3; i++)
		one_chunk(_metadata, self, i);
	ASSERT_EQ(3, write(self->p[1], "end", 3));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
}

TEST_F(rmshot, eof_ends_request)
{
	unsigned long long ud;
	unsigned int flags;
	int res;

	ASSERT_EQ(1, arm(&self->ring, self->p[0]));
	one_chunk(_metadata, self, 0);
	close(self->p[1]);
	self->p[1] = -1;
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
}

TEST_F(rmshot, regular_file_ebadfd)
{
	unsigned long long ud;
	unsigned int flags;
	int res, fd = ubc_tmpfile(64, 61);

	ASSERT_LE(0, fd);
	ASSERT_EQ(1, arm(&self->ring, fd));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	close(fd);
	ASSERT_EQ(-EBADFD, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(-1, ubc_first_not(self->mem, 3 * BUFSZ, 0));
}

TEST_HARNESS_MAIN
