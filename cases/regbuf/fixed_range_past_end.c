// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_read_fixed(3): "buf and nbytes arguments must fall within a region
 * specified by buf_index". A range ending one byte past the buffer, starting one byte
 * before it, or starting past its end is EFAULT for read_fixed and write_fixed
 * (io_import_fixed() / validate_fixed_range()), and nothing is written to memory or file.
 * So is an address whose end wraps past 2^64 (addr ~0 - 8, 4096 bytes: the
 * check_add_overflow() of validate_fixed_range(), before the range check).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 8192
#define REG_OFF 4096
#define REG_LEN 2048

FIXTURE(fixed) {
	struct io_uring ring;
	unsigned char *mem;
	int fd;
};

FIXTURE_VARIANT(fixed) {
	long off;	/* from the registered base */
	unsigned int len;
	unsigned long addr;	/* when set: this address, not base + off */
};

FIXTURE_VARIANT_ADD(fixed, one_past_end) { .off = 0, .len = REG_LEN + 1 };
FIXTURE_VARIANT_ADD(fixed, tail_one_past_end) { .off = REG_LEN - 10, .len = 11 };
FIXTURE_VARIANT_ADD(fixed, one_before_start) { .off = -1, .len = 10 };
FIXTURE_VARIANT_ADD(fixed, starts_past_end) { .off = REG_LEN + 1, .len = 1 };
FIXTURE_VARIANT_ADD(fixed, end_wraps) { .len = 4096, .addr = ~0UL - 8 };

/* Register [mem + REG_OFF, + REG_LEN): memory on both sides is mapped but not registered. */
FIXTURE_SETUP(fixed)
{
	struct iovec iov;

	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem + REG_OFF, .iov_len = REG_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	self->fd = ubc_tmpfile(BUF_LEN, 27);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fixed)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

/* The variant's address: its own, or off from the registered base. */
static unsigned char *target(unsigned char *mem, const FIXTURE_VARIANT(fixed) *v)
{
	return v->addr ? (unsigned char *)v->addr : mem + REG_OFF + v->off;
}

TEST_F(fixed, read_is_efault)
{
	unsigned char *p = target(self->mem, variant);

	memset(self->mem, 0xee, BUF_LEN);
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->fd, p, variant->len, 0, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, BUF_LEN, 0xee));
}

TEST_F(fixed, write_is_efault)
{
	unsigned char *p = target(self->mem, variant);
	unsigned char back[BUF_LEN];

	memset(self->mem, 0xee, BUF_LEN);
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 1, self->fd, p, variant->len, 0, 0));
	ASSERT_EQ((ssize_t)BUF_LEN, pread(self->fd, back, BUF_LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 27, 0));
}

TEST_HARNESS_MAIN
