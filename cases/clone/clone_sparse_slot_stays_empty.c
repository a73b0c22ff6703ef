// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3): dst gets the same set of buffers as src, including its
 * empty (sparse) slots: an empty source slot is empty in dst, and a fixed read through
 * it fails with EFAULT (io_uring/rsrc.c: no buffer node, or 6.12's dummy_ubuf) while the
 * real slots around it work. A source table with only empty slots clones as well.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[3];
	int fd;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov[3];

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, iov, 3, BUF_LEN));
	/* A NULL, zero-length iovec registers an empty slot (io_buffer_validate). */
	iov[1] = (struct iovec){ .iov_base = NULL, .iov_len = 0 };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, iov, 3));
	self->fd = ubc_tmpfile(3 * BUF_LEN, 5);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, 3, BUF_LEN);
}

TEST_F(clone, empty_source_slot_is_empty_in_dst)
{
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	/* The empty slot: no buffer, whatever address is given. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
	/* Its neighbours are the real buffers 0 and 2. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[2], BUF_LEN, 2 * BUF_LEN, 2));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 5, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[2], BUF_LEN, 5, 2 * BUF_LEN));
}

/*
 * A source table of only empty slots still counts as "buffers registered" for clone:
 * io_clone_buffers() checks the table size, so the clone works (no ENXIO) and dst gets
 * the same number of empty slots.
 */
TEST(all_empty_source_table_clones_empty_slots)
{
	struct io_uring src, dst;
	struct iovec iov;
	void *mem;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&src, 8, 0);
	UBC_RING_INIT(&dst, 8, 0);
	UBC_BUF(mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers_sparse(&src, 2));
	ASSERT_EQ(0, io_uring_clone_buffers(&dst, &src));
	/* Two slots, both empty: slot 1 can be filled, slot 2 does not exist. */
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&dst, 1, &iov, NULL, 1));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&dst, 2, &iov, NULL, 1));
	io_uring_queue_exit(&dst);
	io_uring_queue_exit(&src);
	ubc_buf_free(mem, BUF_LEN);
}

TEST_HARNESS_MAIN
