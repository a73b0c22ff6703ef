// SPDX-License-Identifier: MIT
/*
 * After io_uring_unregister_buffers(3) a read_fixed or write_fixed through the slot that
 * worked before is EFAULT (no table), and the memory is not written; registering again
 * makes the same request work.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(fixed) {
	struct io_uring ring;
	void *mem;
	struct iovec iov;
	int fd;
};

FIXTURE_SETUP(fixed)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	self->iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	self->fd = ubc_tmpfile(BUF_LEN, 41);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(fixed, efault_then_works_again)
{
	unsigned char back[BUF_LEN];

	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &self->iov, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	memset(self->mem, 0xee, BUF_LEN);
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN, 0xee));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 1, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ((ssize_t)BUF_LEN, pread(self->fd, back, BUF_LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 41, 0));
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &self->iov, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 41, 0));
}

TEST_HARNESS_MAIN
