// SPDX-License-Identifier: MIT
/*
 * A short transfer still uses up the whole legacy buffer (not on the page; legacy buffers
 * have no partial consumption, kbuf.c io_kbuf_drop_legacy()/__io_put_kbuf, 6.1, 6.12, 7.3):
 * res is the bytes moved, the CQE names the buffer, and the next request gets the next ID.
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 41

FIXTURE(short_read) {
	struct io_uring ring;
	char *mem;
};

FIXTURE_SETUP(short_read)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 3 * LEN);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 3, BGID, 0, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(short_read)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 3 * LEN);
}

/* A file of LEN+10 bytes: reads give 64 (ID 0), 10 (ID 1); the 10-byte read used all of ID 1. */
TEST_F(short_read, file_short_read_consumes_buffer)
{
	int fd = ubc_tmpfile(LEN + 10, 19), res;
	unsigned int flags;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ubc_read_select(&self->ring, fd, 0, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, fd, 0, LEN, BGID, &res, &flags));
	close(fd);
	ASSERT_EQ(10, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (1u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + LEN, 10, 19, LEN));
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
}

/* 10 bytes waiting on a socket: recv gets 10 into ID 0, and ID 0 is used up. */
TEST_F(short_read, recv_short_consumes_buffer)
{
	unsigned int flags;
	int sv[2], res;

	ASSERT_EQ(0, ubc_socketpair_fill(sv, 10, 20));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, sv[0], 0, BGID, &res, &flags));
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(10, res);
	/* Nothing is left in the socket, so no IORING_CQE_F_SOCK_NONEMPTY either. */
	ASSERT_EQ(IORING_CQE_F_BUFFER | (0u << IORING_CQE_BUFFER_SHIFT), flags) TH_LOG("flags 0x%x", flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, 10, 20, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(2, res);
}

TEST_HARNESS_MAIN
