// SPDX-License-Identifier: MIT
/*
 * A tagged registration that fails posts no tag CQE for the buffers it had already taken
 * in (io_sqe_buffers_register(): io_clear_table_tags() before the table is dropped, or the
 * tags never stored): the third iovec has length 0 (EFAULT), or an empty slot carries a
 * tag (EINVAL). No table is left. A tagged update that fails the same way posts nothing
 * and leaves the slot as it was. "Nothing posted": ubc_tag_barrier()'s sentinel tag CQE
 * is the first CQE.
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[3];
	struct iovec iov[3];
	int fd;
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 3, BUF_LEN));
	self->fd = ubc_tmpfile(BUF_LEN, 71);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 3, BUF_LEN);
}

TEST_F(regbuf, bad_length_posts_nothing)
{
	__u64 tags[3] = { 0x41, 0x42, 0x43 };
	struct ubc_cqe c[4];

	self->iov[2].iov_len = 0;
	ASSERT_EQ(-EFAULT, io_uring_register_buffers_tags(&self->ring, self->iov, tags, 3));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_F(regbuf, tagged_empty_slot_is_einval)
{
	__u64 tags[3] = { 0x51, 0x52, 0x53 };
	struct ubc_cqe c[4];

	self->iov[1] = (struct iovec){ .iov_base = NULL, .iov_len = 0 };
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_tags(&self->ring, self->iov, tags, 3));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_F(regbuf, failed_update_posts_nothing)
{
	__u64 tags[1] = { 0x61 };
	struct ubc_cqe c[4];

	ASSERT_EQ(0, io_uring_register_buffers_tags(&self->ring, self->iov, tags, 1));
	/* A tag on an empty replacement is EINVAL; a zero-length buffer is EFAULT. */
	ASSERT_EQ(-EINVAL, ubc_update_slot(&self->ring, 0, NULL, 0, 0x62));
	ASSERT_EQ(-EFAULT, ubc_update_slot(&self->ring, 0, self->mem[1], 0, 0x63));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 71, 0));
}

TEST_HARNESS_MAIN
