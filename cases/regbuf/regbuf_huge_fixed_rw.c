// SPDX-License-Identifier: MIT
/*
 * Registered buffers backed by transparent huge pages (io_uring_register_buffers(3): any
 * anonymous memory). Two 2 MiB huge pages, proven huge (harness/ubc_thp.c: smaps
 * AnonHugePages, before and after registering), registered as slot 0 (both, whole) and
 * slot 1 (from the middle of the first, 100 bytes past its half, to 300 bytes past the
 * half of the second). From 6.10 io_sqe_buffer_register() coalesces such a buffer into one
 * bvec per folio (io_check_coalesce_buffer(), io_coalesce_buffer(), imu->folio_shift 21)
 * and io_import_fixed() finds an address by that shift (first bvec, then seg_skip whole
 * folios); 6.1 keeps one bvec per 4 KiB page. Either way a read_fixed at an address puts
 * the file's bytes exactly there and a write_fixed takes exactly those bytes, at offsets
 * crossing 4 KiB boundaries, the 2 MiB boundary, deep in the second page, at the end and
 * whole. The pattern has no period (ubc_stamp.c), so a byte one huge page off is caught.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define SEED_FILE 41
#define SEED_WRITE 42
#define FILL 0xee

FIXTURE(huge) {
	struct io_uring ring;
	struct ubc_thp t;
	int fd, ring_ok;
};

/* An address as (halves of a huge page, bytes): H / 2 * half + delta from the mapping. */
FIXTURE_VARIANT(huge) {
	int slot;
	int half, delta;	/* where the I/O starts */
	int lhalf, ldelta;	/* its length */
};

/* Slot 0: both huge pages, whole. */
FIXTURE_VARIANT_ADD(huge, whole_cross_4k) { .slot = 0, .half = 0, .delta = 4096 - 100, .lhalf = 0, .ldelta = 300 };
FIXTURE_VARIANT_ADD(huge, whole_cross_2m) { .slot = 0, .half = 2, .delta = -5000, .lhalf = 0, .ldelta = 10000 };
FIXTURE_VARIANT_ADD(huge, whole_deep_second) { .slot = 0, .half = 2, .delta = 3 * 4096 + 17, .lhalf = 0, .ldelta = 8192 };
FIXTURE_VARIANT_ADD(huge, whole_last_bytes) { .slot = 0, .half = 4, .delta = -777, .lhalf = 0, .ldelta = 777 };
FIXTURE_VARIANT_ADD(huge, whole_all) { .slot = 0, .half = 0, .delta = 0, .lhalf = 4, .ldelta = 0 };
/* Slot 1: from half + 100 of the first huge page to half + 300 of the second. */
FIXTURE_VARIANT_ADD(huge, mid_start) { .slot = 1, .half = 1, .delta = 100, .lhalf = 0, .ldelta = 5000 };
FIXTURE_VARIANT_ADD(huge, mid_cross_2m) { .slot = 1, .half = 2, .delta = -3000, .lhalf = 0, .ldelta = 6000 };
FIXTURE_VARIANT_ADD(huge, mid_last_bytes) { .slot = 1, .half = 3, .delta = 300 - 999, .lhalf = 0, .ldelta = 999 };
FIXTURE_VARIANT_ADD(huge, mid_all) { .slot = 1, .half = 1, .delta = 100, .lhalf = 2, .ldelta = 200 };

FIXTURE_SETUP(huge)
{
	char why[256] = "";
	size_t h;
	int r;

	self->fd = -1;
	self->ring_ok = 0;
	memset(&self->t, 0, sizeof(self->t));
	UBC_REQUIRE(UBC_F_THP);
	r = ubc_thp_map(&self->t, 2, MADV_HUGEPAGE, why, sizeof(why));
	ASSERT_EQ(1, r) TH_LOG("premise: 2 huge pages with MADV_HUGEPAGE: %s", why);
	h = self->t.hpage;
	UBC_RING_INIT(&self->ring, 8, 0);
	self->ring_ok = 1;
	ASSERT_EQ(0, ubc_thp_register_two(&self->ring, &self->t));
	/* Pinning (FOLL_LONGTERM may migrate) left them huge. */
	ASSERT_EQ((long)(2 * h / 1024), ubc_thp_backed_kb(self->t.mem, 2 * h));
	self->fd = ubc_stamp_file(2 * h, SEED_FILE);
	ASSERT_LE(0, self->fd) TH_LOG("stamp file: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(huge)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->ring_ok)
		io_uring_queue_exit(&self->ring);
	ubc_thp_unmap(&self->t);
}

static size_t at(const struct ubc_thp *t, int half, int delta)
{
	return t->hpage / 2 * (size_t)half + (size_t)(long)delta;
}

TEST_F(huge, read_lands_at_address)
{
	size_t off = at(&self->t, variant->half, variant->delta);
	size_t len = at(&self->t, variant->lhalf, variant->ldelta), end = off + len;
	char *mem = self->t.mem;

	memset(mem, FILL, self->t.len);
	/* File offset = buffer offset: every position reads its own bytes. */
	ASSERT_EQ((int)len, ubc_rw_fixed(&self->ring, 0, self->fd, mem + off, len, off, variant->slot));
	ASSERT_EQ(-1, ubc_stamp_mismatch(mem + off, len, SEED_FILE, off));
	ASSERT_EQ(-1, ubc_first_not(mem, off, FILL));
	ASSERT_EQ(-1, ubc_first_not(mem + end, self->t.len - end, FILL));
}

TEST_F(huge, write_takes_from_address)
{
	size_t off = at(&self->t, variant->half, variant->delta);
	size_t len = at(&self->t, variant->lhalf, variant->ldelta), end = off + len;
	size_t flen = self->t.len;
	unsigned char *back = malloc(flen);

	ASSERT_NE(NULL, back);
	memset(self->t.mem, FILL, flen);
	ubc_stamp_fill(self->t.mem + off, len, SEED_WRITE, off);
	ASSERT_EQ((int)len, ubc_rw_fixed(&self->ring, 1, self->fd, self->t.mem + off, len, off, variant->slot));
	ASSERT_EQ((ssize_t)flen, pread(self->fd, back, flen, 0));
	EXPECT_EQ(-1, ubc_stamp_mismatch(back + off, len, SEED_WRITE, off));
	/* The rest of the file keeps its bytes. */
	EXPECT_EQ(-1, ubc_stamp_mismatch(back, off, SEED_FILE, 0));
	EXPECT_EQ(-1, ubc_stamp_mismatch(back + end, flen - end, SEED_FILE, end));
	free(back);
}

TEST_HARNESS_MAIN
