// SPDX-License-Identifier: MIT
/*
 * read_fixed / write_fixed with a buf_index at or past the table's size is EFAULT
 * (io_prep_rw() in 6.1: buf_index >= nr_user_bufs; later io_rsrc_node_lookup() finds no
 * node): the first slot past a 2-slot table, a far index, and the largest 16-bit index.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(fixed) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
	int fd;
};

FIXTURE_VARIANT(fixed) {
	int write;
	int idx;
};

FIXTURE_VARIANT_ADD(fixed, read_first_past) { .write = 0, .idx = 2 };
FIXTURE_VARIANT_ADD(fixed, write_first_past) { .write = 1, .idx = 2 };
FIXTURE_VARIANT_ADD(fixed, read_far) { .write = 0, .idx = 1000 };
FIXTURE_VARIANT_ADD(fixed, read_max_u16) { .write = 0, .idx = 65535 };

FIXTURE_SETUP(fixed)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 2));
	self->fd = ubc_tmpfile(BUF_LEN, 33);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

TEST_F(fixed, is_efault)
{
	memset(self->mem[1], 0xee, BUF_LEN);
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, variant->write, self->fd, self->mem[1],
					BUF_LEN, 0, variant->idx));
	ASSERT_EQ(-1, ubc_first_not(self->mem[1], BUF_LEN, 0xee));
	/* The last real slot works. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem[1], BUF_LEN, 0, 1));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 33, 0));
}

TEST_HARNESS_MAIN
