// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3): after a clone, dst has the same registered buffers as src.
 * Proof in the write direction: write_fixed through every dst slot writes exactly the
 * bytes held in src's memory for that slot.
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
	/* A different pattern per buffer: a slot mix-up writes the wrong one. */
	for (int i = 0; i < NR_BUFS; i++)
		ubc_fill(self->mem[i], BUF_LEN, 20 + i, 0);
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, iov, NR_BUFS));
	self->fd = ubc_tmpfile((size_t)BUF_LEN * NR_BUFS, 0);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, NR_BUFS, BUF_LEN);
}

/* The page: "src and dst will have the same set of registered buffers" (write side). */
TEST_F(clone, every_slot_writes_src_memory)
{
	static unsigned char back[BUF_LEN];

	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	for (int i = 0; i < NR_BUFS; i++) {
		int res = ubc_rw_fixed(&self->dst, 1, self->fd, self->mem[i], BUF_LEN,
				       (unsigned long long)i * BUF_LEN, i);

		ASSERT_EQ(BUF_LEN, res) TH_LOG("slot %d: write_fixed res %d", i, res);
	}
	for (int i = 0; i < NR_BUFS; i++) {
		ASSERT_EQ(BUF_LEN, pread(self->fd, back, BUF_LEN, (off_t)i * BUF_LEN));
		ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 20 + i, 0))
			TH_LOG("file block %d does not hold src buffer %d's bytes", i, i);
	}
}

TEST_HARNESS_MAIN
