// SPDX-License-Identifier: MIT
/*
 * A selecting read or recv on a registered ring with no buffer between head and tail fails
 * with -ENOBUFS and no IORING_CQE_F_BUFFER (kbuf.c io_ring_buffer_select(): tail == head ->
 * no buffer; rw.c/net.c -> -ENOBUFS). Buffers written with io_uring_buf_ring_add(3) but not
 * yet committed by io_uring_buf_ring_advance(3) are not visible; once advanced they are used.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 82
#define LEN 16

FIXTURE(empty) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd, sv[2];
};

FIXTURE_SETUP(empty)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	memset(self->mem, 0, 2 * LEN);
	self->fd = ubc_tmpfile(LEN, 52);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, LEN, 52));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
}

FIXTURE_TEARDOWN(empty)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(empty, never_filled_read_and_recv)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], LEN, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	/* The failed recv took nothing from the socket and wrote nothing. */
	ASSERT_EQ(LEN, recv(self->sv[0], self->mem + LEN, LEN, MSG_DONTWAIT));
	ASSERT_EQ(-1, ubc_mismatch(self->mem + LEN, LEN, 52, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, LEN, 0));
}

TEST_F(empty, added_not_advanced_invisible)
{
	unsigned int flags;
	int res;

	io_uring_buf_ring_add(self->b.br, self->mem, LEN, 9, 3, 0);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(-1, ubc_first_not(self->mem, LEN, 0));
	io_uring_buf_ring_advance(self->b.br, 1);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(9), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 52, 0));
}

TEST_F(empty, used_up_enobufs)
{
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, LEN, 2, 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(UBC_BUF_FLAGS(i), flags);
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], LEN, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
}

TEST_HARNESS_MAIN
