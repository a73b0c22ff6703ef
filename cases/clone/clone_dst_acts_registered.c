// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3): the clone "is identical to performing a
 * io_uring_register_buffers(3) operation on the dst ring". So dst's table afterwards
 * behaves as a registered one: registering again is EBUSY, it has exactly src's count
 * of slots for updates, it is dst's own table, and unregistering it works once.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define NR_BUFS 3
#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[NR_BUFS + 1];		/* the last one is never in src */
	struct iovec iov[NR_BUFS + 1];
	int fd;
};

FIXTURE_SETUP(clone)
{
	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, NR_BUFS + 1, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, self->iov, NR_BUFS));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	self->fd = ubc_tmpfile(BUF_LEN, 3);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, NR_BUFS + 1, BUF_LEN);
}

/* io_sqe_buffers_register(): a ring with a buffer table refuses another with EBUSY. */
TEST_F(clone, register_again_is_ebusy)
{
	ASSERT_EQ(-EBUSY, io_uring_register_buffers(&self->dst, &self->iov[NR_BUFS], 1));
}

/* io_sqe_buffers_unregister(): the cloned table unregisters once, then ENXIO; then dst registers anew. */
TEST_F(clone, unregister_once_then_enxio)
{
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(0, io_uring_register_buffers(&self->dst, &self->iov[NR_BUFS], 1));
}

/* __io_sqe_buffers_update(): the table has src's count: offset+nr past it is EINVAL, the last slot is not. */
TEST_F(clone, update_range_is_src_count)
{
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->dst, NR_BUFS, &self->iov[NR_BUFS], NULL, 1));
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->dst, NR_BUFS - 1, &self->iov[NR_BUFS], NULL, 1));
}

/* Updating a dst slot changes dst only: src's slot still maps src's buffer. */
TEST_F(clone, update_of_dst_leaves_src)
{
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->dst, 0, &self->iov[NR_BUFS], NULL, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[NR_BUFS], BUF_LEN, 0, 0));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->src, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 3, 0));
}

TEST_HARNESS_MAIN
