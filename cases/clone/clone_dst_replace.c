// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers_offset(3), IORING_REGISTER_DST_REPLACE: dst may already have a
 * table; dst slots inside [dst_off, dst_off + nr) are released and replaced by src's,
 * slots before and after the range keep dst's own buffers, and the table grows when the
 * range ends past it (io_clone_buffers() copies the old nodes around the range).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096
#define NR_DST 4
#define NR_SRC 2

FIXTURE(clone) {
	struct io_uring src, dst;
	void *d[NR_DST], *s[NR_SRC];
	struct iovec dst_iov[NR_DST], src_iov[NR_SRC];
	int fd;
};

FIXTURE_SETUP(clone)
{
	UBC_REQUIRE(UBC_F_CLONE_OFFSET);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->d, self->dst_iov, NR_DST, BUF_LEN));
	ASSERT_EQ(0, ubc_bufs_alloc(self->s, self->src_iov, NR_SRC, BUF_LEN));
	self->fd = ubc_tmpfile(BUF_LEN, 13);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->d, NR_DST, BUF_LEN);
	ubc_bufs_free(self->s, NR_SRC, BUF_LEN);
}

/* dst slot reads the file into buffer buf (only possible if the slot maps buf). */
#define ASSERT_SLOT_MAPS(slot, buf) do {							\
	memset((buf), 0, BUF_LEN);								\
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, (buf), BUF_LEN, 0, (slot)))	\
		TH_LOG("dst slot %d should map " #buf, (slot));					\
	ASSERT_EQ(-1, ubc_mismatch((buf), BUF_LEN, 13, 0));					\
} while (0)
#define ASSERT_SLOT_NOT(slot, buf)								\
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, (buf), BUF_LEN, 0, (slot)))	\
		TH_LOG("dst slot %d should not map " #buf, (slot))

/* dst d0..d3, src s0,s1 into slots 1..2: before (0) and after (3) stay, inside is replaced. */
TEST_F(clone, overlap_replaced_before_and_after_kept)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, self->src_iov, NR_SRC));
	ASSERT_EQ(0, io_uring_register_buffers(&self->dst, self->dst_iov, NR_DST));
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 1, 0, 2,
						   IORING_REGISTER_DST_REPLACE));
	ASSERT_SLOT_MAPS(0, self->d[0]);
	ASSERT_SLOT_MAPS(1, self->s[0]);
	ASSERT_SLOT_NOT(1, self->d[1]);
	ASSERT_SLOT_MAPS(2, self->s[1]);
	ASSERT_SLOT_NOT(2, self->d[2]);
	ASSERT_SLOT_MAPS(3, self->d[3]);
	/* The size did not change: 4 slots. */
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->dst, NR_DST, self->dst_iov, NULL, 1));
}

/* dst d0,d1, src s0,s1 into slots 3..4: the table grows to 5 and slot 2 is a new empty one. */
TEST_F(clone, table_grows_past_old_end)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, self->src_iov, NR_SRC));
	ASSERT_EQ(0, io_uring_register_buffers(&self->dst, self->dst_iov, 2));
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 3, 0, 2,
						   IORING_REGISTER_DST_REPLACE));
	ASSERT_SLOT_MAPS(0, self->d[0]);
	ASSERT_SLOT_MAPS(1, self->d[1]);
	ASSERT_SLOT_NOT(2, self->d[2]);
	ASSERT_SLOT_NOT(2, self->s[0]);
	ASSERT_SLOT_MAPS(3, self->s[0]);
	ASSERT_SLOT_MAPS(4, self->s[1]);
	ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->dst, 4, self->dst_iov, NULL, 1));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->dst, 5, self->dst_iov, NULL, 1));
}

/* An empty src slot cloned over a real dst buffer empties that dst slot. */
TEST_F(clone, sparse_source_slot_empties_dst_slot)
{
	struct iovec src_iov[2] = {
		{ .iov_base = self->s[0], .iov_len = BUF_LEN },
		{ .iov_base = NULL, .iov_len = 0 },
	};

	ASSERT_EQ(0, io_uring_register_buffers(&self->src, src_iov, 2));
	ASSERT_EQ(0, io_uring_register_buffers(&self->dst, self->dst_iov, NR_DST));
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 2, 1, 1,
						   IORING_REGISTER_DST_REPLACE));
	ASSERT_SLOT_NOT(2, self->d[2]);
	ASSERT_SLOT_NOT(2, self->s[0]);
	ASSERT_SLOT_MAPS(1, self->d[1]);
	ASSERT_SLOT_MAPS(3, self->d[3]);
}

/* REPLACE on a dst without a table is an ordinary clone. */
TEST_F(clone, replace_into_empty_dst)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, self->src_iov, NR_SRC));
	ASSERT_EQ(0, io_uring_clone_buffers_offset(&self->dst, &self->src, 0, 0, 0,
						   IORING_REGISTER_DST_REPLACE));
	ASSERT_SLOT_MAPS(0, self->s[0]);
	ASSERT_SLOT_MAPS(1, self->s[1]);
}

/* Without the flag, the same clone over a table is EBUSY and the table is untouched. */
TEST_F(clone, without_flag_is_ebusy)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, self->src_iov, NR_SRC));
	ASSERT_EQ(0, io_uring_register_buffers(&self->dst, self->dst_iov, NR_DST));
	ASSERT_EQ(-EBUSY, io_uring_clone_buffers_offset(&self->dst, &self->src, 1, 0, 2, 0));
	ASSERT_SLOT_MAPS(1, self->d[1]);
	ASSERT_SLOT_MAPS(2, self->d[2]);
}

TEST_HARNESS_MAIN
