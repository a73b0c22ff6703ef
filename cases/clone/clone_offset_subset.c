// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers_offset(3): nr buffers from src_off land in dst at dst_off;
 * dst's table then has dst_off + nr slots and those before dst_off are empty
 * (io_clone_buffers() allocates max(dst_off + nr, old size) and fills only the range).
 * All of dst_off, src_off and nr 0 is the same as io_uring_clone_buffers(3).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define NR_BUFS 4
#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[NR_BUFS + 1];		/* mem[NR_BUFS] is not registered anywhere */
	struct iovec iov[NR_BUFS + 1];
	int fd;
};

FIXTURE_SETUP(clone)
{
	UBC_REQUIRE(UBC_F_CLONE_OFFSET);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, NR_BUFS + 1, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, self->iov, NR_BUFS));
	self->fd = ubc_tmpfile((NR_BUFS + 1) * BUF_LEN, 11);	/* a block per dst slot 0..4 */
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, NR_BUFS + 1, BUF_LEN);
}

/* dst slot reads file block <slot> into src buffer b, byte for byte. */
#define ASSERT_SLOT_IS(slot, b) do {								\
	memset(self->mem[b], 0, BUF_LEN);							\
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[b], BUF_LEN,	\
					(unsigned long long)(slot) * BUF_LEN, (slot)))		\
		TH_LOG("dst slot %d should be src buffer %d", (slot), (b));			\
	ASSERT_EQ(-1, ubc_mismatch(self->mem[b], BUF_LEN, 11, (size_t)(slot) * BUF_LEN));	\
} while (0)

/* src 1..2 to dst 3..4: exactly those, nothing else. */
TEST_F(clone, subset_lands_at_dst_off)
{
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 3, 1, 2, 0));
	ASSERT_SLOT_IS(3, 1);
	ASSERT_SLOT_IS(4, 2);
	/* Not shifted by one either way: slot 3 is not buffer 0 or 2. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 3));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[2], BUF_LEN, 0, 3));
}

/* Slots 0..2 did not exist in dst: they exist now, empty, and can be filled by update. */
TEST_F(clone, slots_before_dst_off_are_empty)
{
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 3, 1, 2, 0));
	for (int s = 0; s < 3; s++) {
		for (int b = 0; b < NR_BUFS; b++) {
			ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[b], BUF_LEN, 0, s))
				TH_LOG("dst slot %d, address of buffer %d", s, b);
		}
	}
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->dst, 0, &self->iov[NR_BUFS], NULL, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[NR_BUFS], BUF_LEN, 0, 0));
}

/* The table ends at dst_off + nr = 5: slot 4 updates, slot 5 is out of range. */
TEST_F(clone, table_ends_at_dst_off_plus_nr)
{
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 3, 1, 2, 0));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->dst, 5, &self->iov[NR_BUFS], NULL, 1));
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->dst, 4, &self->iov[NR_BUFS], NULL, 1));
}

/* The page: dst_off, src_off and nr all 0 performs the same action as a full clone. */
TEST_F(clone, zero_offsets_clone_everything)
{
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 0, 0, 0, 0));
	for (int i = 0; i < NR_BUFS; i++)
		ASSERT_SLOT_IS(i, i);
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->dst, NR_BUFS, &self->iov[NR_BUFS], NULL, 1));
}

TEST_HARNESS_MAIN
