// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buf_ring(3): "The size of the ring is the product of ring_entries and
 * the size of struct io_uring_buf". The kernel pins exactly that many bytes (kbuf.c
 * io_pin_pbuf_ring() / the memory-region code): a ring that fills one page up to a
 * PROT_NONE or unmapped neighbour registers and its last entry is used; a ring whose size
 * reaches into the neighbour is refused with -EFAULT (pinning fails) and nothing is registered.
 */
#include <sys/mman.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 72
#define PG 4096
#define ONE_PAGE (PG / 16)	/* 256 entries of 16 bytes */

FIXTURE(page_end) {
	struct io_uring ring;
	char *map;	/* two pages: the ring page and its neighbour */
	char *mem;
	int fd;
};

FIXTURE_VARIANT(page_end) {
	int unmap;		/* neighbour unmapped instead of PROT_NONE */
	unsigned int entries;
	int expect;
};

FIXTURE_VARIANT_ADD(page_end, fits_prot_none) { .unmap = 0, .entries = ONE_PAGE, .expect = 0 };
FIXTURE_VARIANT_ADD(page_end, fits_unmapped) { .unmap = 1, .entries = ONE_PAGE, .expect = 0 };
FIXTURE_VARIANT_ADD(page_end, over_prot_none) { .unmap = 0, .entries = 2 * ONE_PAGE, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(page_end, over_unmapped) { .unmap = 1, .entries = 2 * ONE_PAGE, .expect = -EFAULT };

FIXTURE_SETUP(page_end)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	self->map = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	if (variant->unmap) {
		ASSERT_EQ(0, munmap(self->map + PG, PG));
	} else {
		ASSERT_EQ(0, mprotect(self->map + PG, PG, PROT_NONE));
	}
	UBC_BUF(self->mem, ONE_PAGE);
	self->fd = ubc_tmpfile(ONE_PAGE, 42);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(page_end)
{
	ubc_br_unregister_raw(&self->ring, BGID);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	munmap(self->map, 2 * PG);
	ubc_buf_free(self->mem, ONE_PAGE);
}

/* Every entry of a one-page ring, the last one ending at the neighbour, is used in order. */
TEST_F(page_end, register_and_use_last_entry)
{
	struct io_uring_buf_ring *br = (void *)self->map;
	unsigned int flags;
	int res;

	ASSERT_EQ(variant->expect, ubc_br_register_raw(&self->ring, (uintptr_t)br, variant->entries, BGID, 0, 0));
	if (variant->expect) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 1, 0, BGID, &res, &flags));
		ASSERT_EQ(-ENOBUFS, res);
		return;
	}
	io_uring_buf_ring_init(br);
	for (int i = 0; i < ONE_PAGE; i++)
		io_uring_buf_ring_add(br, self->mem + i, 1, 1000 + i, io_uring_buf_ring_mask(ONE_PAGE), i);
	io_uring_buf_ring_advance(br, ONE_PAGE);
	for (int i = 0; i < ONE_PAGE; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 1, i, BGID, &res, &flags));
		ASSERT_EQ(1, res);
		ASSERT_EQ(UBC_BUF_FLAGS(1000 + i), flags) TH_LOG("read %d", i);
	}
	ASSERT_EQ(-1, ubc_mismatch(self->mem, ONE_PAGE, 42, 0));
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 1, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
}

TEST_HARNESS_MAIN
