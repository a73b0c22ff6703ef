// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buf_ring(3): ring_entries "must be a power-of-2 in size. The maximum
 * size allowed is 2^15 (32768)". kbuf.c io_register_pbuf_ring() (6.1 .. 7.x):
 * !is_power_of_2(ring_entries) -> -EINVAL, and ring_entries >= 65536 -> -EINVAL ("cannot
 * disambiguate full vs empty due to head/tail size"). An accepted ring is used by a read.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 70
#define LEN 32

FIXTURE(entries) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(entries) {
	unsigned int entries;
	int expect;
};

FIXTURE_VARIANT_ADD(entries, one) { .entries = 1, .expect = 0 };
FIXTURE_VARIANT_ADD(entries, two) { .entries = 2, .expect = 0 };
FIXTURE_VARIANT_ADD(entries, e4096) { .entries = 4096, .expect = 0 };
FIXTURE_VARIANT_ADD(entries, max_32768) { .entries = 32768, .expect = 0 };
FIXTURE_VARIANT_ADD(entries, zero) { .entries = 0, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(entries, three) { .entries = 3, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(entries, e100) { .entries = 100, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(entries, e32769) { .entries = 32769, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(entries, e65536) { .entries = 65536, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(entries, e131072) { .entries = 131072, .expect = -EINVAL };

FIXTURE_SETUP(entries)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	self->fd = ubc_tmpfile(LEN, 40);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->b.br = NULL;
}

FIXTURE_TEARDOWN(entries)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
}

TEST_F(entries, register)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(variant->expect, ubc_br_setup(&self->ring, &self->b, variant->entries, BGID, 0, 0));
	if (variant->expect) {
		/* Nothing was registered: the bgid has no ring to select from. */
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(-ENOBUFS, res);
		ASSERT_EQ(0u, flags);
		return;
	}
	ubc_br_fill(&self->b, self->mem, LEN, 1, 0x1234);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(0x1234), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 40, 0));
}

TEST_HARNESS_MAIN
