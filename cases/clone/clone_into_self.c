// SPDX-License-Identifier: MIT
/*
 * A ring as its own source (src_fd == the dst ring): io_register_clone_buffers() treats
 * it like any dst: with buffers it is EBUSY, without them ENXIO. With
 * IORING_REGISTER_DST_REPLACE (6.13+) a ring may copy its own slot to another slot
 * (7.3 skips taking the second lock when src == dst).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring ring;
	void *mem[2];
	int fd;
};

FIXTURE_SETUP(clone)
{
	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem[0], BUF_LEN);
	UBC_BUF(self->mem[1], BUF_LEN);
	self->fd = ubc_tmpfile(BUF_LEN, 19);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem[0], BUF_LEN);
	ubc_buf_free(self->mem[1], BUF_LEN);
}

static void reg_two(struct __test_metadata *_metadata, struct io_uring *ring, void **mem)
{
	struct iovec iov[2] = {
		{ .iov_base = mem[0], .iov_len = BUF_LEN },
		{ .iov_base = mem[1], .iov_len = BUF_LEN },
	};

	ASSERT_EQ(0, io_uring_register_buffers(ring, iov, 2));
}

TEST_F(clone, with_buffers_is_ebusy)
{
	reg_two(_metadata, &self->ring, self->mem);
	ASSERT_EQ(-EBUSY, ubc_clone_raw(self->ring.ring_fd, self->ring.ring_fd, 0, 0, 0, 0));
	/* Still its own two buffers. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
}

TEST_F(clone, without_buffers_is_enxio)
{
	ASSERT_EQ(-ENXIO, ubc_clone_raw(self->ring.ring_fd, self->ring.ring_fd, 0, 0, 0, 0));
}

TEST_F(clone, replace_copies_own_slot)
{
	UBC_REQUIRE(UBC_F_CLONE_OFFSET);
	reg_two(_metadata, &self->ring, self->mem);
	/* Slot 0 into slot 1: slot 1 then maps mem[0], no longer mem[1]. */
	ASSERT_EQ(0, ubc_clone_raw(self->ring.ring_fd, self->ring.ring_fd,
				   IORING_REGISTER_DST_REPLACE, 0, 1, 1));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 19, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
}

TEST_HARNESS_MAIN
