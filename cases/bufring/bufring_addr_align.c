// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buf_ring(3): ring_addr "must be page aligned". kbuf.c
 * io_register_pbuf_ring() (6.1 .. 6.12): ring_addr 0 -> -EFAULT, ring_addr & ~PAGE_MASK ->
 * -EINVAL (later kernels check the same in the memory-region code). A page-aligned ring is
 * accepted and read from.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 71
#define LEN 32

FIXTURE(align) {
	struct io_uring ring;
	char *area;	/* two pages between guards */
	char *mem;
	int fd;
};

FIXTURE_VARIANT(align) {
	size_t offset;	/* of ring_addr into the area */
	int null_addr;
	int expect;
};

FIXTURE_VARIANT_ADD(align, page_aligned) { .offset = 0, .expect = 0 };
FIXTURE_VARIANT_ADD(align, plus_16) { .offset = 16, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(align, plus_2048) { .offset = 2048, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(align, plus_4095) { .offset = 4095, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(align, null_addr) { .null_addr = 1, .expect = -EFAULT };

FIXTURE_SETUP(align)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->area, 8192);
	UBC_BUF(self->mem, LEN);
	self->fd = ubc_tmpfile(LEN, 41);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(align)
{
	ubc_br_unregister_raw(&self->ring, BGID);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->area, 8192);
	ubc_buf_free(self->mem, LEN);
}

TEST_F(align, register)
{
	struct io_uring_buf_ring *br = (void *)(self->area + variant->offset);
	unsigned long long addr = variant->null_addr ? 0 : (unsigned long long)(uintptr_t)br;
	unsigned int flags;
	int res;

	ASSERT_EQ(variant->expect, ubc_br_register_raw(&self->ring, addr, 8, BGID, 0, 0));
	if (variant->expect) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(-ENOBUFS, res);
		return;
	}
	io_uring_buf_ring_init(br);
	io_uring_buf_ring_add(br, self->mem, LEN, 5, io_uring_buf_ring_mask(8), 0);
	io_uring_buf_ring_advance(br, 1);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(5), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 41, 0));
}

TEST_HARNESS_MAIN
