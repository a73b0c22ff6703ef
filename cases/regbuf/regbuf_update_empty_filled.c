// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers_update_tag(3) "either turning a sparse entry into a real one,
 * or replacing an existing entry": it returns the number of slots updated; an empty slot
 * becomes usable, a filled slot maps the new buffer (not the old), and { NULL, 0 } empties
 * a filled slot (__io_sqe_buffers_update()). Slots outside the update keep their buffers.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[3];
	struct iovec iov[3];
	int fd;
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 3, BUF_LEN));
	self->fd = ubc_tmpfile(BUF_LEN, 31);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 3, BUF_LEN);
}

#define READ_SLOT(slot, buf) ubc_rw_fixed(&self->ring, 0, self->fd, (buf), BUF_LEN, 0, (slot))

TEST_F(regbuf, empty_to_filled)
{
	ASSERT_EQ(0, io_uring_register_buffers_sparse(&self->ring, 4));
	ASSERT_EQ(-EFAULT, READ_SLOT(2, self->mem[0]));
	ASSERT_EQ(2, io_uring_register_buffers_update_tag(&self->ring, 2, self->iov, NULL, 2));
	ASSERT_EQ(BUF_LEN, READ_SLOT(2, self->mem[0]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 31, 0));
	ASSERT_EQ(BUF_LEN, READ_SLOT(3, self->mem[1]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 31, 0));
	ASSERT_EQ(-EFAULT, READ_SLOT(1, self->mem[0]));
}

TEST_F(regbuf, filled_replaced)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 2));
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->ring, 0, &self->iov[2], NULL, 1));
	ASSERT_EQ(-EFAULT, READ_SLOT(0, self->mem[0]));
	ASSERT_EQ(BUF_LEN, READ_SLOT(0, self->mem[2]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[2], BUF_LEN, 31, 0));
	ASSERT_EQ(BUF_LEN, READ_SLOT(1, self->mem[1]));
}

TEST_F(regbuf, filled_to_empty)
{
	struct iovec empty = { .iov_base = NULL, .iov_len = 0 };

	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 2));
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->ring, 1, &empty, NULL, 1));
	ASSERT_EQ(-EFAULT, READ_SLOT(1, self->mem[1]));
	ASSERT_EQ(BUF_LEN, READ_SLOT(0, self->mem[0]));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 31, 0));
}

TEST_HARNESS_MAIN
