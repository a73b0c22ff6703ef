// SPDX-License-Identifier: MIT
/*
 * A bundle (IORING_RECVSEND_BUNDLE, 6.10) that finds nothing to map fails before any byte
 * moves: on a ring with no buffer between head and tail (an entry written but not advanced is
 * not seen) -ENOBUFS (kbuf.c io_ring_buffers_peek() "!nr_avail"); with a length-0 entry at the
 * head and an sqe len, -ENOBUFS ("!len"); on a bgid with no group at all, recv and send both
 * -ENOENT (io_buffers_peek() / io_buffers_select() "!bl"). In each case the CQE has no flags,
 * the bytes stay in the socket and the ring's head does not move.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 97
#define NO_GROUP 977
#define BUFSZ 16
#define WAITING 20

FIXTURE(bempty) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_SETUP(bempty)
{
	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4 * BUFSZ);
	memset(self->mem, 0, 4 * BUFSZ);
	ASSERT_EQ(0, ubc_tcp_pair_fill(self->sv, WAITING, 71));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
}

FIXTURE_TEARDOWN(bempty)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * BUFSZ);
}

/* One bundle recv (sqe len len) at sv[0] from group bgid: its res and flags. */
static int bundle_recv(struct io_uring *ring, int fd, unsigned int len, int bgid,
		       int *res, unsigned int *flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_recv(sqe, fd, NULL, len, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	return ubc_submit_select(ring, sqe, bgid, res, flags);
}

/* Nothing was taken: the bytes wait in the socket, the buffers are untouched, the head is 0. */
static int untouched(struct __test_metadata *_metadata, FIXTURE_DATA(bempty) *self)
{
	unsigned int head = 99;
	int n = -1;

	EXPECT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	EXPECT_EQ(WAITING, n);
	EXPECT_EQ(-1, ubc_first_not(self->mem, 4 * BUFSZ, 0));
	EXPECT_EQ(0, ubc_br_head(&self->ring, BGID, &head));
	EXPECT_EQ(0u, head);
	return 0;
}

TEST_F(bempty, empty_ring_enobufs)
{
	unsigned int flags;
	int res;

	/* A whole entry at the head position, but the tail is not advanced over it. */
	io_uring_buf_ring_add(self->b.br, self->mem, BUFSZ, 5, io_uring_buf_ring_mask(4), 0);
	ASSERT_EQ(0, bundle_recv(&self->ring, self->sv[0], 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	untouched(_metadata, self);
	ASSERT_EQ(0, bundle_recv(&self->ring, self->sv[0], 2 * BUFSZ, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	untouched(_metadata, self);
}

TEST_F(bempty, zero_len_head_enobufs)
{
	int mask = io_uring_buf_ring_mask(4);
	unsigned int flags;
	int res;

	io_uring_buf_ring_add(self->b.br, self->mem, 0, 1, mask, 0);
	io_uring_buf_ring_add(self->b.br, self->mem + BUFSZ, BUFSZ, 2, mask, 1);
	io_uring_buf_ring_advance(self->b.br, 2);
	ASSERT_EQ(0, bundle_recv(&self->ring, self->sv[0], 2 * BUFSZ, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
	untouched(_metadata, self);
}

TEST_F(bempty, unknown_group_recv_enoent)
{
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, BUFSZ, 4, 0);
	ASSERT_EQ(0, bundle_recv(&self->ring, self->sv[0], 0, NO_GROUP, &res, &flags));
	ASSERT_EQ(-ENOENT, res);
	ASSERT_EQ(0u, flags);
	untouched(_metadata, self);
}

TEST_F(bempty, unknown_group_send_enoent)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res, n = -1;

	UBC_REQUIRE(UBC_F_SEND_BUFFER_SELECT);
	ASSERT_EQ(0, recv(self->sv[0], self->mem, WAITING, MSG_DONTWAIT) == WAITING ? 0 : -1);
	memset(self->mem, 0, WAITING);
	io_uring_prep_send(sqe, self->sv[1], NULL, 0, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, NO_GROUP, &res, &flags));
	ASSERT_EQ(-ENOENT, res);
	ASSERT_EQ(0u, flags);
	usleep(20000);
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(0, n);
}

TEST_HARNESS_MAIN
