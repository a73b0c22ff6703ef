// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers_update_tag(3) outside the table: no table is ENXIO, a range
 * ending past the table EINVAL, an offset + nr that wraps EOVERFLOW, nr 0 EINVAL
 * (__io_register_rsrc_update(), __io_sqe_buffers_update(), io_register_rsrc_update());
 * IORING_REGISTER_BUFFERS_UPDATE with a struct io_uring_rsrc_update2 size other than its own
 * is EINVAL, with an unreadable iovec array or tags array EFAULT (iovec_from_user(),
 * copy_from_user() of the tag); a refused update changes no slot.
 */
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
	int fd;
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
	self->fd = ubc_tmpfile(BUF_LEN, 17);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

TEST_F(regbuf, no_table_is_enxio)
{
	ASSERT_EQ(-ENXIO, io_uring_register_buffers_update_tag(&self->ring, 0, self->iov, NULL, 1));
}

TEST_F(regbuf, past_end_is_einval)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->ring, 0, self->iov, NULL, 2));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->ring, 1, &self->iov[1], NULL, 1));
	/* Slot 0 still maps mem[0], not mem[1]. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 17, 0));
}

TEST_F(regbuf, wrapping_is_eoverflow)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EOVERFLOW, io_uring_register_buffers_update_tag(&self->ring, ~0U, self->iov, NULL, 1));
}

TEST_F(regbuf, nr_zero_is_einval)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->ring, 0, self->iov, NULL, 0));
}

/* Slot 0 still maps mem[0] (a refused update replaced nothing). */
static int slot0_is_mem0(struct io_uring *ring, void *mem0, int fd)
{
	memset(mem0, 0, BUF_LEN);
	if (ubc_rw_fixed(ring, 0, fd, mem0, BUF_LEN, 0, 0) != BUF_LEN)
		return 0;
	return ubc_mismatch(mem0, BUF_LEN, 17, 0) == -1;
}

/* One raw BUFFERS_UPDATE of slot 0 with mem[1] (tag 0, read from tags), its struct's size given as size. */
static int raw_update(struct io_uring *ring, struct iovec *iov, __u64 *tag, void *data,
		      void *tags, unsigned int size)
{
	struct io_uring_rsrc_update2 up = {
		.offset = 0,
		.data = (unsigned long)(data ? data : iov),
		.tags = (unsigned long)(tags ? tags : tag),
		.nr = 1,
	};

	*tag = 0;	/* read, but no CQE to follow */
	return io_uring_register(ring->ring_fd, IORING_REGISTER_BUFFERS_UPDATE, &up, size);
}

TEST_F(regbuf, raw_update_replaces)
{
	__u64 tag;

	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(1, raw_update(&self->ring, &self->iov[1], &tag, NULL, NULL,
				sizeof(struct io_uring_rsrc_update2)));
	/* The control: slot 0 now maps mem[1]. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 17, 0));
}

TEST_F(regbuf, wrong_struct_size_is_einval)
{
	unsigned int sz = sizeof(struct io_uring_rsrc_update2);
	__u64 tag;

	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EINVAL, raw_update(&self->ring, &self->iov[1], &tag, NULL, NULL, sz - 1));
	ASSERT_EQ(-EINVAL, raw_update(&self->ring, &self->iov[1], &tag, NULL, NULL, sz + 8));
	ASSERT_TRUE(slot0_is_mem0(&self->ring, self->mem[0], self->fd));
}

/* A raw update whose iovec array (tags 0) or tags array (tags 1) is a PROT_NONE page. */
static int update_unreadable(struct io_uring *ring, struct iovec *iov, int tags)
{
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 tag;
	int ret;

	if (none == MAP_FAILED)
		return -errno;
	ret = raw_update(ring, iov, &tag, tags ? NULL : none, tags ? none : NULL,
			 sizeof(struct io_uring_rsrc_update2));
	munmap(none, 4096);
	return ret;
}

TEST_F(regbuf, unreadable_iovecs_is_efault)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EFAULT, update_unreadable(&self->ring, &self->iov[1], 0));
	ASSERT_TRUE(slot0_is_mem0(&self->ring, self->mem[0], self->fd));
}

TEST_F(regbuf, unreadable_tags_is_efault)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 1));
	ASSERT_EQ(-EFAULT, update_unreadable(&self->ring, &self->iov[1], 1));
	ASSERT_TRUE(slot0_is_mem0(&self->ring, self->mem[0], self->fd));
}

TEST_HARNESS_MAIN
