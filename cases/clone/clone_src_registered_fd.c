// SPDX-License-Identifier: MIT
/*
 * IORING_REGISTER_SRC_REGISTERED (include/uapi/linux/io_uring.h): src_fd is an index into
 * the task's registered ring fds (io_uring_register_ring_fd(3)), not a file descriptor.
 * io_uring_register_get_file() / io_uring_ctx_get_file(): an unused index is EBADF, an
 * index >= 16 (IO_RINGFD_REG_MAX) is EINVAL. liburing's wrapper switches to the index by
 * itself when src has a registered fd.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096
#define RINGFD_REG_MAX 16	/* IO_RINGFD_REG_MAX */

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem;
	int fd;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_REQUIRE(UBC_F_REGISTER_RING_FD);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	ASSERT_EQ(1, io_uring_register_ring_fd(&self->src));
	self->fd = ubc_tmpfile(BUF_LEN, 17);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, registered_index_clones)
{
	ASSERT_EQ(0, ubc_clone_raw(self->dst.ring_fd, self->src.enter_ring_fd,
				   IORING_REGISTER_SRC_REGISTERED, 0, 0, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 17, 0));
}

TEST_F(clone, unused_index_is_ebadf)
{
	/* Only one ring fd is registered, so the next index is empty. */
	unsigned int idx = (unsigned int)(self->src.enter_ring_fd + 1) % RINGFD_REG_MAX;

	ASSERT_EQ(-EBADF, ubc_clone_raw(self->dst.ring_fd, idx, IORING_REGISTER_SRC_REGISTERED, 0, 0, 0));
}

TEST_F(clone, index_past_table_is_einval)
{
	ASSERT_EQ(-EINVAL, ubc_clone_raw(self->dst.ring_fd, RINGFD_REG_MAX,
					 IORING_REGISTER_SRC_REGISTERED, 0, 0, 0));
}

/* With the normal fd closed, only the index reaches src: liburing's wrapper must use it. */
TEST_F(clone, liburing_uses_index_when_fd_closed)
{
	ASSERT_EQ(1, io_uring_close_ring_fd(&self->src));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem, BUF_LEN, 0, 0));
}

TEST_HARNESS_MAIN
