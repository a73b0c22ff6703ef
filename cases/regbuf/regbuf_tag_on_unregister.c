// SPDX-License-Identifier: MIT
/*
 * io_uring_register(2) IORING_REGISTER_BUFFERS2: "after the resource had been
 * unregistered and it's not used anymore, a CQE will be posted with user_data set to the
 * specified tag". io_uring_unregister_buffers(3) of a table with tags 0x11, 0 and 0x33
 * posts exactly two CQEs, user_data 0x11 and 0x33, res 0, flags 0, in any order.
 * Kernels with per-slot resource nodes (io_free_rsrc_node(), 6.13 on) do; 6.1 and 6.12
 * free the table in __io_sqe_buffers_unregister() without posting (expected/: difference).
 * ubc_tag_barrier() collects every CQE posted before its sentinel: exactly these two.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[3];
	struct iovec iov[3];
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 3, BUF_LEN));
}

FIXTURE_TEARDOWN(regbuf)
{
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 3, BUF_LEN);
}

TEST_F(regbuf, posts_every_nonzero_tag)
{
	__u64 tags[3] = { 0x11, 0, 0x33 };
	struct ubc_cqe c[4];
	int seen11 = 0, seen33 = 0;

	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->ring, self->iov, tags, 3));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(2, ubc_tag_barrier(&self->ring, c, 4));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, c[i].res);
		ASSERT_EQ(0U, c[i].flags);
		seen11 += c[i].user_data == 0x11;
		seen33 += c[i].user_data == 0x33;
	}
	ASSERT_EQ(1, seen11);
	ASSERT_EQ(1, seen33);
}

TEST_HARNESS_MAIN
