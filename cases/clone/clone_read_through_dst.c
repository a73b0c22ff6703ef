// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3): after a successful clone, dst has the same registered
 * buffers as src. Proof: read_fixed through dst into every slot lands in src's memory.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define NR_BUFS 4
#define BUF_LEN 8192

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[NR_BUFS];
	int fd;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov[NR_BUFS];

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, iov, NR_BUFS, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, iov, NR_BUFS));
	self->fd = ubc_tmpfile((size_t)BUF_LEN * NR_BUFS, 3);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, NR_BUFS, BUF_LEN);
}

/* The page: "src and dst will have the same set of registered buffers". */
TEST_F(clone, every_slot_reads_into_src_memory)
{
	int res;
	unsigned int flags;

	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	for (int i = 0; i < NR_BUFS; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->dst);

		/* File block i goes into slot i; a slot mix-up shows as the wrong pattern offset. */
		io_uring_prep_read_fixed(sqe, self->fd, self->mem[i], BUF_LEN, (__u64)i * BUF_LEN, i);
		ASSERT_EQ(0, ubc_submit_one(&self->dst, &res, &flags));
		ASSERT_EQ(BUF_LEN, res) TH_LOG("slot %d: read_fixed res %d", i, res);
	}
	for (int i = 0; i < NR_BUFS; i++) {
		ASSERT_EQ(-1, ubc_mismatch(self->mem[i], BUF_LEN, 3, (size_t)i * BUF_LEN))
			TH_LOG("slot %d: src memory does not hold file block %d", i, i);
	}
}

TEST_HARNESS_MAIN
