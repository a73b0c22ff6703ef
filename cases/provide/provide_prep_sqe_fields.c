// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) DESCRIPTION: what the prep helper writes. addr and len
 * are the first buffer and the size of each, nr (the count, which the page calls "len
 * number of buffers") goes in fd, bid in off, bgid in buf_group. The page's "setting
 * IOSQE_BUFFER_SELECT in the SQE flags" describes the later read, not this SQE: the helper
 * leaves flags 0 (and the kernel refuses the flag here, see provide_select_unsupported_op).
 * io_uring_prep_remove_buffers(3): nr in fd, bgid in buf_group, everything else 0.
 * The SQE comes from io_uring_get_sqe() (liburing >= 2.9 clears flags and the other
 * per-request fields there; the prep helpers leave them alone).
 */
#include <stdint.h>
#include "ubc_test.h"

/* An SQE of a fresh ring that is never submitted. */
#define GET_SQE(ring, sqe) do {								\
	UBC_RING_INIT(&(ring), 2, 0);							\
	(sqe) = io_uring_get_sqe(&(ring));						\
	ASSERT_NE(NULL, (sqe));								\
} while (0)

TEST(provide_sqe_layout)
{
	struct io_uring ring;
	struct io_uring_sqe *s;
	char buf[8];

	GET_SQE(ring, s);
	io_uring_prep_provide_buffers(s, buf, 4096, 16, 7, 300);
	struct io_uring_sqe sqe = *s;
	io_uring_queue_exit(&ring);
	ASSERT_EQ(IORING_OP_PROVIDE_BUFFERS, sqe.opcode);
	ASSERT_EQ(16, sqe.fd);
	ASSERT_EQ((uint64_t)(uintptr_t)buf, (uint64_t)sqe.addr);
	ASSERT_EQ(4096u, sqe.len);
	ASSERT_EQ(300u, (unsigned int)sqe.off);
	ASSERT_EQ(7, sqe.buf_group);
	ASSERT_EQ(0, sqe.flags);
	ASSERT_EQ(0u, sqe.rw_flags);
	ASSERT_EQ(0, sqe.splice_fd_in);
}

TEST(remove_sqe_layout)
{
	struct io_uring ring;
	struct io_uring_sqe *s;

	GET_SQE(ring, s);
	s->addr = 0xa5a5;	/* left over from an earlier use of this slot */
	s->len = 0xa5;
	s->off = 0xa5;
	io_uring_prep_remove_buffers(s, 16, 7);
	struct io_uring_sqe sqe = *s;
	io_uring_queue_exit(&ring);
	ASSERT_EQ(IORING_OP_REMOVE_BUFFERS, sqe.opcode);
	ASSERT_EQ(16, sqe.fd);
	ASSERT_EQ(7, sqe.buf_group);
	ASSERT_EQ(0u, (uint64_t)sqe.addr);
	ASSERT_EQ(0u, sqe.len);
	ASSERT_EQ(0u, (uint64_t)sqe.off);
	ASSERT_EQ(0, sqe.flags);
	ASSERT_EQ(0u, sqe.rw_flags);
	ASSERT_EQ(0, sqe.splice_fd_in);
}

TEST_HARNESS_MAIN
