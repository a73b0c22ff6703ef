// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3) of buffers backed by transparent huge pages: src registers two
 * huge pages whole (slot 0) and a range from the middle of the first into the second (slot
 * 1), proven huge (harness/ubc_thp.c); dst clones both. dst shares src's io_mapped_ubuf
 * (with 6.10's coalescing, one bvec per huge page and folio_shift 21; 7.3 also counts its
 * huge pages in dst's accounting, io_buffer_acct_cloned_hpages()), so a read_fixed through
 * dst's slot 1 across the 2 MiB boundary lands exactly there, a write_fixed through dst's
 * slot 0 takes exactly those bytes, and after src unregisters dst still reads through both.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define SEED_FILE 44
#define SEED_WRITE 45
#define FILL 0xee

FIXTURE(huge) {
	struct io_uring src, dst;
	struct ubc_thp t;
	int fd, rings;
};

FIXTURE_SETUP(huge)
{
	char why[256] = "";
	size_t h;
	int r;

	self->fd = -1;
	self->rings = 0;
	memset(&self->t, 0, sizeof(self->t));
	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_REQUIRE(UBC_F_THP);
	r = ubc_thp_map(&self->t, 2, MADV_HUGEPAGE, why, sizeof(why));
	ASSERT_EQ(1, r) TH_LOG("premise: 2 huge pages with MADV_HUGEPAGE: %s", why);
	h = self->t.hpage;
	UBC_RING_INIT(&self->src, 8, 0);
	self->rings = 1;
	UBC_RING_INIT(&self->dst, 8, 0);
	self->rings = 2;
	ASSERT_EQ(0, ubc_thp_register_two(&self->src, &self->t));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ((long)(2 * h / 1024), ubc_thp_backed_kb(self->t.mem, 2 * h));
	self->fd = ubc_stamp_file(2 * h, SEED_FILE);
	ASSERT_LE(0, self->fd) TH_LOG("stamp file: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(huge)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->rings > 1)
		io_uring_queue_exit(&self->dst);
	if (self->rings > 0)
		io_uring_queue_exit(&self->src);
	ubc_thp_unmap(&self->t);
}

/* read_fixed of len bytes at off (from the mapping, file offset the same) through dst's slot. */
static int read_at(FIXTURE_DATA(huge) *self, int slot, size_t off, size_t len, long *bad)
{
	char *mem = self->t.mem;
	int res;

	memset(mem, FILL, self->t.len);
	res = ubc_rw_fixed(&self->dst, 0, self->fd, mem + off, len, off, slot);
	*bad = ubc_stamp_mismatch(mem + off, len, SEED_FILE, off);
	if (*bad < 0 && ubc_first_not(mem, off, FILL) >= 0)
		*bad = -2;
	if (*bad < 0 && ubc_first_not(mem + off + len, self->t.len - off - len, FILL) >= 0)
		*bad = -3;
	return res;
}

TEST_F(huge, read_through_clone)
{
	size_t h = self->t.hpage;
	long bad;

	/* Slot 1 across the 2 MiB boundary, then slot 0 in the second huge page. */
	ASSERT_EQ(6000, read_at(self, 1, h - 3000, 6000, &bad));
	ASSERT_EQ(-1, bad);
	ASSERT_EQ(8192, read_at(self, 0, h + 3 * 4096 + 17, 8192, &bad));
	ASSERT_EQ(-1, bad);
	/* The clone holds the buffers on its own. */
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->src));
	ASSERT_EQ(6000, read_at(self, 1, h - 3000, 6000, &bad));
	ASSERT_EQ(-1, bad);
	ASSERT_EQ((int)(h + 200), read_at(self, 1, h / 2 + 100, h + 200, &bad));
	ASSERT_EQ(-1, bad);
}

TEST_F(huge, write_through_clone)
{
	size_t h = self->t.hpage, off = h - 5000, len = 10000, flen = 2 * h;
	unsigned char *back = malloc(flen);

	ASSERT_NE(NULL, back);
	memset(self->t.mem, FILL, flen);
	ubc_stamp_fill(self->t.mem + off, len, SEED_WRITE, off);
	ASSERT_EQ((int)len, ubc_rw_fixed(&self->dst, 1, self->fd, self->t.mem + off, len, off, 0));
	ASSERT_EQ((ssize_t)flen, pread(self->fd, back, flen, 0));
	EXPECT_EQ(-1, ubc_stamp_mismatch(back + off, len, SEED_WRITE, off));
	EXPECT_EQ(-1, ubc_stamp_mismatch(back, off, SEED_FILE, 0));
	EXPECT_EQ(-1, ubc_stamp_mismatch(back + off + len, flen - off - len, SEED_FILE, off + len));
	free(back);
}

TEST_HARNESS_MAIN
