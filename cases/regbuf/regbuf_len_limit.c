// SPDX-License-Identifier: MIT
/*
 * io_uring_register(2) IORING_REGISTER_BUFFERS: "a size limit of 1GiB per buffer". A
 * buffer of 1 GiB + 1 byte is EFAULT before any page is touched (io_buffer_validate() /
 * io_validate_user_buf_range(): len > SZ_1G), so a PROT_NONE reservation is enough; a
 * base whose range wraps the address space is EOVERFLOW. An iov_len of SIZE_MAX is EINVAL:
 * from 6.12 (seen on 6.12.117; 6.1.176 copies the iovec itself, io_copy_iov(), and answers
 * EFAULT by its 1 GiB cap, expected/regbuf.toml) io_sqe_buffers_register() reads iovecs with
 * iovec_from_user(), which refuses a length that does not fit ssize_t (copy_iovec_from_user():
 * EINVAL) before io_validate_user_buf_range() sees it.
 */
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define GIB (1UL << 30)

FIXTURE(regbuf) {
	struct io_uring ring;
	void *res;
};

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	/* Address space only: nothing of it may be pinned. */
	self->res = mmap(NULL, GIB + 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
}

FIXTURE_TEARDOWN(regbuf)
{
	io_uring_queue_exit(&self->ring);
	munmap(self->res, GIB + 4096);
}

TEST_F(regbuf, over_one_gib_is_efault)
{
	struct iovec iov = { .iov_base = self->res, .iov_len = GIB + 1 };

	ASSERT_EQ(-EFAULT, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_F(regbuf, wrapping_range_is_eoverflow)
{
	struct iovec iov = { .iov_base = (void *)(~0UL - 4095), .iov_len = 8192 };

	ASSERT_EQ(-EOVERFLOW, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_F(regbuf, size_max_is_einval)
{
	struct iovec iov = { .iov_base = self->res, .iov_len = SIZE_MAX };

	ASSERT_EQ(-EINVAL, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_HARNESS_MAIN
