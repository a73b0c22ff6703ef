// SPDX-License-Identifier: MIT
/*
 * The ring helpers of harness/ubc_clone.c on the running kernel. ubc_ring_bufs() reads a
 * ring's buffer table from fdinfo: none before registering and after unregistering, each
 * buffer's address and length, an emptied slot as { NULL, 0 }, and an error for an fd that is
 * closed or not an io_uring. ubc_ring_in_thread() builds the premise of the SINGLE_ISSUER
 * clone cases, a ring of another task holding the given buffers: the ring exists, its table
 * is exactly those buffers (none for nr 0), this task's register calls on it are EEXIST
 * when it is SINGLE_ISSUER and reach the table (EBUSY) when it is not, and a failing setup
 * or registration is returned, not hidden.
 */
#include <sys/eventfd.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(rings) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
};

FIXTURE_SETUP(rings)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
}

FIXTURE_TEARDOWN(rings)
{
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

TEST_F(rings, bufs_reads_the_table)
{
	struct iovec empty = { 0 }, got[3];

	ASSERT_EQ(0, ubc_ring_bufs(self->ring.ring_fd, got, 3));
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 2));
	memset(got, 0x5a, sizeof(got));
	ASSERT_EQ(2, ubc_ring_bufs(self->ring.ring_fd, got, 3));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(self->mem[i], got[i].iov_base);
		ASSERT_EQ((size_t)BUF_LEN, got[i].iov_len);
	}
	/* Only max slots are stored; all are counted. */
	memset(got, 0x5a, sizeof(got));
	ASSERT_EQ(2, ubc_ring_bufs(self->ring.ring_fd, got, 1));
	ASSERT_EQ(self->mem[0], got[0].iov_base);
	ASSERT_EQ(0x5a5a5a5a5a5a5a5aULL, (unsigned long long)(unsigned long)got[1].iov_base);
	/* An emptied slot. */
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->ring, 1, &empty, NULL, 1));
	ASSERT_EQ(2, ubc_ring_bufs(self->ring.ring_fd, got, 3));
	ASSERT_EQ(self->mem[0], got[0].iov_base);
	ASSERT_EQ(NULL, got[1].iov_base);
	ASSERT_EQ(0u, got[1].iov_len);
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(0, ubc_ring_bufs(self->ring.ring_fd, got, 3));
}

TEST_F(rings, bufs_refuses_what_is_no_ring)
{
	struct iovec got[1];
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(-ENODATA, ubc_ring_bufs(efd, got, 1));
	close(efd);
	ASSERT_EQ(-ENOENT, ubc_ring_bufs(efd, got, 1));
}

/* A SINGLE_ISSUER ring of another task, with exactly the buffers asked for. */
TEST_F(rings, in_thread_single_issuer_holds_the_buffers)
{
	struct io_uring other;
	struct iovec got[3];

	ASSERT_EQ(0, ubc_ring_in_thread(&other, 8, IORING_SETUP_SINGLE_ISSUER, self->iov, 2));
	ASSERT_LE(0, other.ring_fd);
	ASSERT_EQ((unsigned int)IORING_SETUP_SINGLE_ISSUER,
		  other.flags & IORING_SETUP_SINGLE_ISSUER);
	ASSERT_EQ(2, ubc_ring_bufs(other.ring_fd, got, 3));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(self->mem[i], got[i].iov_base);
		ASSERT_EQ((size_t)BUF_LEN, got[i].iov_len);
	}
	/* Not this task's: every register call is refused before it looks at the table. */
	ASSERT_EQ(-EEXIST, io_uring_register_buffers(&other, self->iov, 1));
	ASSERT_EQ(-EEXIST, io_uring_unregister_buffers(&other));
	ASSERT_EQ(2, ubc_ring_bufs(other.ring_fd, got, 3));
	io_uring_queue_exit(&other);
}

/* Without SINGLE_ISSUER the ring is usable here: its table is there (EBUSY), then goes. */
TEST_F(rings, in_thread_plain_ring_is_usable_here)
{
	struct io_uring other;
	struct iovec got[2];

	ASSERT_EQ(0, ubc_ring_in_thread(&other, 8, 0, &self->iov[1], 1));
	ASSERT_EQ(1, ubc_ring_bufs(other.ring_fd, got, 2));
	ASSERT_EQ(self->mem[1], got[0].iov_base);
	ASSERT_EQ(-EBUSY, io_uring_register_buffers(&other, self->iov, 1));
	ASSERT_EQ(0, io_uring_unregister_buffers(&other));
	ASSERT_EQ(0, ubc_ring_bufs(other.ring_fd, got, 2));
	io_uring_queue_exit(&other);
}

TEST_F(rings, in_thread_nr_0_registers_nothing)
{
	struct io_uring other;
	struct iovec got[1];

	ASSERT_EQ(0, ubc_ring_in_thread(&other, 8, IORING_SETUP_SINGLE_ISSUER, self->iov, 0));
	ASSERT_EQ(0, ubc_ring_bufs(other.ring_fd, got, 1));
	io_uring_queue_exit(&other);
}

/* Failures come back as -errno: the ring setup's, then the registration's. */
TEST_F(rings, in_thread_reports_failures)
{
	struct iovec bad = { .iov_base = self->mem[0], .iov_len = 0 };
	struct io_uring other;

	ASSERT_EQ(-EINVAL, ubc_ring_in_thread(&other, 0, IORING_SETUP_SINGLE_ISSUER, self->iov, 1));
	ASSERT_EQ(-EFAULT, ubc_ring_in_thread(&other, 8, IORING_SETUP_SINGLE_ISSUER, &bad, 1));
}

TEST_HARNESS_MAIN
