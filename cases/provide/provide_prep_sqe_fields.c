// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) / io_uring_prep_remove_buffers(3) DESCRIPTION: what the
 * prep helpers write, and what the kernel does with it. Two parts per test:
 * - liburing ABI (no kernel involved): provide puts nr in fd, addr, len, bid in off, bgid in
 *   buf_group; remove puts nr in fd, bgid in buf_group and clears addr, len and off. flags,
 *   rw_flags and splice_fd_in are 0 because io_uring_get_sqe() clears them (liburing >= 2.9),
 *   not because the helpers write them; the page's "setting IOSQE_BUFFER_SELECT in the SQE
 *   flags" describes the later read, not this SQE (the kernel refuses the flag here, see
 *   provide_select_unsupported_op).
 * - kernel: the very SQE, submitted, does what the fields say: the provide adds 16 buffers
 *   of 64 bytes from buf with IDs 300.. in group 7 (a read selects ID 300 into buf, remove
 *   takes the 15 others); the remove, with its leftover fields cleared, takes at most nr.
 */
#include <stdint.h>
#include "ubc_test.h"

#define LEN 64
#define NR 16

FIXTURE(sqe) {
	struct io_uring ring;
	char *buf;
	int fd;
};

FIXTURE_SETUP(sqe)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->buf, NR * LEN);
	self->fd = ubc_tmpfile(LEN, 36);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(sqe)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->buf, NR * LEN);
}

TEST_F(sqe, provide_sqe_layout_and_effect)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	ASSERT_NE(NULL, s);
	io_uring_prep_provide_buffers(s, self->buf, LEN, NR, 7, 300);
	/* liburing ABI */
	ASSERT_EQ(IORING_OP_PROVIDE_BUFFERS, s->opcode);
	ASSERT_EQ(NR, s->fd);
	ASSERT_EQ((uint64_t)(uintptr_t)self->buf, (uint64_t)s->addr);
	ASSERT_EQ((unsigned int)LEN, s->len);
	ASSERT_EQ(300u, (unsigned int)s->off);
	ASSERT_EQ(7, s->buf_group);
	ASSERT_EQ(0, s->flags);
	ASSERT_EQ(0u, s->rw_flags);
	ASSERT_EQ(0, s->splice_fd_in);
	/* kernel */
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, 7, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (300u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->buf, LEN, 36, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 100, 7, &res));
	ASSERT_EQ(NR - 1, res);
}

TEST_F(sqe, remove_sqe_layout_and_effect)
{
	struct io_uring_sqe *s;
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->buf, LEN, NR, 7, 0, &res));
	ASSERT_EQ(0, res);
	s = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, s);
	s->addr = 0xa5a5;	/* left over from an earlier use of this slot */
	s->len = 0xa5;
	s->off = 0xa5;
	io_uring_prep_remove_buffers(s, 5, 7);
	/* liburing ABI */
	ASSERT_EQ(IORING_OP_REMOVE_BUFFERS, s->opcode);
	ASSERT_EQ(5, s->fd);
	ASSERT_EQ(7, s->buf_group);
	ASSERT_EQ(0u, (uint64_t)s->addr);
	ASSERT_EQ(0u, s->len);
	ASSERT_EQ(0u, (uint64_t)s->off);
	ASSERT_EQ(0, s->flags);
	ASSERT_EQ(0u, s->rw_flags);
	ASSERT_EQ(0, s->splice_fd_in);
	/* kernel: 5 of the 16 go (a non-zero addr, len or off would be -EINVAL) */
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(5, res);
	ASSERT_EQ(0, ubc_remove(&self->ring, 100, 7, &res));
	ASSERT_EQ(NR - 5, res);
}

TEST_HARNESS_MAIN
