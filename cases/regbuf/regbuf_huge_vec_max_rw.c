// SPDX-License-Identifier: MIT
/*
 * A vectored fixed write may move at most MAX_RW_COUNT (INT_MAX & PAGE_MASK, 0x7ffff000)
 * bytes: io_vec_fill_bvec() sums the iovecs and answers a total over it with EINVAL (rsrc.c
 * "total_len > MAX_RW_COUNT"), a total of exactly MAX_RW_COUNT is written. To get there the
 * iovecs repeat one registered buffer of one 2 MiB transparent huge page (proven huge,
 * harness/ubc_thp.c): coalesced into one bvec (folio_shift 21) io_estimate_bvec_size() needs
 * 3 entries an iovec, 3072 for UIO_MAXIOV (1024) iovecs; with 4 KiB pages the estimate for
 * 2 GiB is over 2^19 entries, more than kmalloc gives (ENOMEM first). The writes go to
 * /dev/null (its write_iter takes every byte), so res is the whole total.
 * Needs IORING_OP_WRITEV_FIXED (6.15, probe UBC_F_RW_VEC_FIXED) and THP.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define NR_IOV 1024			/* UIO_MAXIOV */
#define MAX_RW 0x7ffff000LL		/* MAX_RW_COUNT with 4 KiB pages */

FIXTURE(maxrw) {
	struct io_uring ring;
	struct ubc_thp t;
	struct iovec v[NR_IOV];
	int fd, ring_ok;
};

/* The last iovec's length: the whole page less `less` bytes. */
FIXTURE_VARIANT(maxrw) {
	size_t less;
	int expect;	/* 1: res is the total */
};

FIXTURE_VARIANT_ADD(maxrw, total_2g_einval) { .less = 0, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(maxrw, max_plus_one_einval) { .less = 4095, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(maxrw, exactly_max_written) { .less = 4096, .expect = 1 };

FIXTURE_SETUP(maxrw)
{
	char why[256] = "";
	struct iovec iov;
	int r;

	self->fd = -1;
	self->ring_ok = 0;
	memset(&self->t, 0, sizeof(self->t));
	UBC_REQUIRE(UBC_F_RW_VEC_FIXED);
	UBC_REQUIRE(UBC_F_THP);
	r = ubc_thp_map(&self->t, 1, MADV_HUGEPAGE, why, sizeof(why));
	ASSERT_EQ(1, r) TH_LOG("premise: 1 huge page with MADV_HUGEPAGE: %s", why);
	ASSERT_EQ((size_t)2 << 20, self->t.hpage);
	UBC_RING_INIT(&self->ring, 4, 0);
	self->ring_ok = 1;
	iov = (struct iovec){ .iov_base = self->t.mem, .iov_len = self->t.hpage };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ((long)(self->t.hpage / 1024), ubc_thp_backed_kb(self->t.mem, self->t.hpage));
	self->fd = open("/dev/null", O_WRONLY);
	ASSERT_LE(0, self->fd);
	for (int i = 0; i < NR_IOV; i++)
		self->v[i] = (struct iovec){ .iov_base = self->t.mem, .iov_len = self->t.hpage };
}

FIXTURE_TEARDOWN(maxrw)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->ring_ok)
		io_uring_queue_exit(&self->ring);
	ubc_thp_unmap(&self->t);
}

TEST_F(maxrw, writev_fixed_total)
{
	struct io_uring_sqe *sqe;
	unsigned int flags;
	long long total;
	int res;

	self->v[NR_IOV - 1].iov_len -= variant->less;
	total = (long long)(NR_IOV - 1) * self->t.hpage + self->v[NR_IOV - 1].iov_len;
	ASSERT_EQ(MAX_RW + 4096 - (long long)variant->less, total);
	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_writev_fixed(sqe, self->fd, self->v, NR_IOV, 0, 0, 0);
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(variant->expect == 1 ? MAX_RW : variant->expect, res);
	ASSERT_EQ(0u, flags);
}

TEST_HARNESS_MAIN
