// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3): the clone is like registering the buffers on dst, so each
 * ring holds its own references (io_uring/rsrc.c takes a ref per cloned buffer):
 * unregistering or closing src leaves dst's buffers working, and the reverse.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define NR_BUFS 2
#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	int src_open, dst_open;
	void *mem[NR_BUFS];
	int fd;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov[NR_BUFS];

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	self->src_open = 1;
	UBC_RING_INIT(&self->dst, 8, 0);
	self->dst_open = 1;
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, iov, NR_BUFS, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, iov, NR_BUFS));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	self->fd = ubc_tmpfile(NR_BUFS * BUF_LEN, 7);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	if (self->dst_open)
		io_uring_queue_exit(&self->dst);
	if (self->src_open)
		io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, NR_BUFS, BUF_LEN);
}

/* Every slot of ring reads its file block into its buffer, byte for byte. */
#define ASSERT_ALL_SLOTS_WORK(ring) do {							\
	for (int i = 0; i < NR_BUFS; i++) {							\
		memset(self->mem[i], 0, BUF_LEN);						\
		ASSERT_EQ(BUF_LEN, ubc_rw_fixed((ring), 0, self->fd, self->mem[i], BUF_LEN,	\
						(unsigned long long)i * BUF_LEN, i)) TH_LOG("slot %d", i); \
		ASSERT_EQ(-1, ubc_mismatch(self->mem[i], BUF_LEN, 7, (size_t)i * BUF_LEN))	\
			TH_LOG("slot %d", i);							\
	}											\
} while (0)

TEST_F(clone, src_unregistered_dst_works)
{
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->src));
	/* src really lost them: its slot 0 is gone. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->src, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_ALL_SLOTS_WORK(&self->dst);
}

TEST_F(clone, src_closed_dst_works)
{
	io_uring_queue_exit(&self->src);
	self->src_open = 0;
	ASSERT_ALL_SLOTS_WORK(&self->dst);
}

TEST_F(clone, dst_unregistered_src_works)
{
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_ALL_SLOTS_WORK(&self->src);
}

TEST_F(clone, dst_closed_src_works)
{
	/* dst really had the buffers before it went away. */
	ASSERT_ALL_SLOTS_WORK(&self->dst);
	io_uring_queue_exit(&self->dst);
	self->dst_open = 0;
	ASSERT_ALL_SLOTS_WORK(&self->src);
}

TEST_HARNESS_MAIN
