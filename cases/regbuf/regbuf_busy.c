// SPDX-License-Identifier: MIT
/*
 * A ring that has a buffer table refuses a second registration with EBUSY
 * (io_sqe_buffers_register(): table already set), whether the first was a normal or a
 * sparse table and the second a normal or sparse one; the first table is untouched and,
 * after io_uring_unregister_buffers(3), the same registration works. "Which table" is told
 * by the tables' shapes: the normal ones hold one buffer (mem[0] first, mem[1] second) and
 * refuse an update of slot 1 (past the end: EINVAL); the sparse one has two empty slots,
 * and its slot 1 takes an update and then maps that buffer.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
	int fd;
};

FIXTURE_VARIANT(regbuf) {
	int first_sparse, second_sparse;
};

FIXTURE_VARIANT_ADD(regbuf, normal_then_normal) { 0, 0 };
FIXTURE_VARIANT_ADD(regbuf, normal_then_sparse) { 0, 1 };
FIXTURE_VARIANT_ADD(regbuf, sparse_then_normal) { 1, 0 };

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
	self->fd = ubc_tmpfile(BUF_LEN, 9);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

static int reg(struct io_uring *ring, int sparse, struct iovec *iov)
{
	return sparse ? io_uring_register_buffers_sparse(ring, 2) : io_uring_register_buffers(ring, iov, 1);
}

/*
 * Which table is in place: the sparse one has two empty slots (slot 1 can be updated, after
 * which it maps its buffer), the normal one slot 0 = buf only (slot 1 is past its end:
 * EINVAL). After the check the table is as before only for the normal one (the caller
 * unregisters either way).
 */
static void check_table(struct __test_metadata *_metadata, FIXTURE_DATA(regbuf) *self,
			int sparse, int buf)
{
	int other = !buf;

	if (sparse) {
		ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
		ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 0));
		ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
		ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->ring, 1, &self->iov[1], NULL, 1));
		memset(self->mem[1], 0, BUF_LEN);
		ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
		ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 9, 0));
	} else {
		memset(self->mem[buf], 0, BUF_LEN);
		ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[buf], BUF_LEN, 0, 0));
		ASSERT_EQ(-1, ubc_mismatch(self->mem[buf], BUF_LEN, 9, 0));
		ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[other], BUF_LEN, 0, 0));
		ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->ring, 1, &self->iov[other], NULL, 1));
	}
}

TEST_F(regbuf, second_is_ebusy)
{
	ASSERT_EQ(0, reg(&self->ring, variant->first_sparse, &self->iov[0]));
	ASSERT_EQ(-EBUSY, reg(&self->ring, variant->second_sparse, &self->iov[1]));
	/* The first table is still the one in place, not the second. */
	check_table(_metadata, self, variant->first_sparse, 0);
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	/* Now the second registers, and it is the one in place. */
	ASSERT_EQ(0, reg(&self->ring, variant->second_sparse, &self->iov[1]));
	check_table(_metadata, self, variant->second_sparse, 1);
}

TEST_HARNESS_MAIN
