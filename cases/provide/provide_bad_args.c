// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS -EINVAL, -EOVERFLOW, -EFAULT, checked against
 * kbuf.c io_provide_buffers_prep() (6.1, 6.12, 7.3): len 0 is -EINVAL; addr + len*nr past the
 * end of the address space is -EOVERFLOW; a range outside user space (access_ok) is -EFAULT;
 * non-zero rw_flags or splice_fd_in (reserved for this opcode) is -EINVAL. The well-formed
 * provide really adds its four buffers (a read selects ID 0 at mem, remove takes 3).
 */
#include <stdint.h>
#include "ubc_test.h"

enum what { GOOD, LEN_ZERO, ADDR_WRAPS, KERNEL_ADDR, RW_FLAGS, SPLICE_FD_IN };

FIXTURE(bad_args) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(bad_args) {
	enum what what;
	int res;
};

FIXTURE_VARIANT_ADD(bad_args, well_formed_ok) { .what = GOOD, .res = 0 };
FIXTURE_VARIANT_ADD(bad_args, len_zero_einval) { .what = LEN_ZERO, .res = -EINVAL };
FIXTURE_VARIANT_ADD(bad_args, addr_range_wraps_eoverflow) { .what = ADDR_WRAPS, .res = -EOVERFLOW };
FIXTURE_VARIANT_ADD(bad_args, kernel_addr_efault) { .what = KERNEL_ADDR, .res = -EFAULT };
FIXTURE_VARIANT_ADD(bad_args, rw_flags_einval) { .what = RW_FLAGS, .res = -EINVAL };
FIXTURE_VARIANT_ADD(bad_args, splice_fd_in_einval) { .what = SPLICE_FD_IN, .res = -EINVAL };

FIXTURE_SETUP(bad_args)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4096);
	self->fd = ubc_tmpfile(64, 35);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(bad_args)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4096);
}

/* Four 64-byte buffers, ID 0, group 4, with one field made bad. */
TEST_F(bad_args, provide_res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	void *addr = self->mem;
	unsigned int flags;
	int len = 64, res;

	if (variant->what == LEN_ZERO)
		len = 0;
	if (variant->what == ADDR_WRAPS)
		addr = (void *)(UINTPTR_MAX - 100);	/* 4*64 bytes from here wrap past 2^64 */
	if (variant->what == KERNEL_ADDR)
		addr = (void *)(UINT64_C(1) << 63);	/* no wrap, but above any user address */
	io_uring_prep_provide_buffers(sqe, addr, len, 4, 4, 0);
	if (variant->what == RW_FLAGS)
		sqe->rw_flags = 1;
	if (variant->what == SPLICE_FD_IN)
		sqe->splice_fd_in = 1;
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(variant->res, res) TH_LOG("res %d (%s)", res, strerror(-res));
	if (variant->res)
		return;
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 64, 0, 4, &res, &flags));
	ASSERT_EQ(64, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (0u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, 64, 35, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, 4, &res));
	ASSERT_EQ(3, res);
}

TEST_HARNESS_MAIN
