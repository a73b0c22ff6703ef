// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3) RETURN VALUE: -ENXIO "The source ring doesn't have any
 * buffers registered" (io_clone_buffers(): src table size 0).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem;
};

FIXTURE_SETUP(clone)
{
	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, never_registered_is_enxio)
{
	ASSERT_EQ(-ENXIO, io_uring_clone_buffers(&self->dst, &self->src));
}

TEST_F(clone, unregistered_is_enxio)
{
	struct iovec iov = { .iov_base = self->mem, .iov_len = BUF_LEN };

	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->src));
	ASSERT_EQ(-ENXIO, io_uring_clone_buffers(&self->dst, &self->src));
}

TEST_HARNESS_MAIN
