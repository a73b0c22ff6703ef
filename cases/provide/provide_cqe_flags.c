// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): on success the CQE flags have IORING_CQE_F_BUFFER set and
 * the buffer ID in the upper 16 bits (kbuf.c __io_put_kbuf*: IORING_CQE_F_BUFFER |
 * bid << IORING_CQE_BUFFER_SHIFT). The highest ID, 65535, and one with bit 15 set come back
 * whole; for a plain file read no other flag bit is set.
 */
#include "ubc_test.h"

#define LEN 64

FIXTURE(cqe_flags) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(cqe_flags) {
	int bid;
};

FIXTURE_VARIANT_ADD(cqe_flags, bid_0) { .bid = 0 };
FIXTURE_VARIANT_ADD(cqe_flags, bid_0x8001) { .bid = 0x8001 };
FIXTURE_VARIANT_ADD(cqe_flags, bid_65535) { .bid = 65535 };

FIXTURE_SETUP(cqe_flags)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	self->fd = ubc_tmpfile(LEN, 24);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(cqe_flags)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
}

TEST_F(cqe_flags, buffer_flag_and_id)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, 6, variant->bid, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, 6, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | ((unsigned int)variant->bid << IORING_CQE_BUFFER_SHIFT), flags)
		TH_LOG("flags 0x%08x", flags);
}

TEST_HARNESS_MAIN
