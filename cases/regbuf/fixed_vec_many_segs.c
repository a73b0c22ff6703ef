// SPDX-License-Identifier: MIT
/*
 * Vectored fixed I/O with many iovecs. io_import_reg_vec() sizes its bvec array by
 * io_estimate_bvec_size(): (iov_len >> 12) + 2 entries an iovec (4 KiB pages), and grows the
 * request's cached vector when that is more than it holds (io_vec_realloc(), kmalloc with
 * __GFP_NOWARN: at most 4 MiB, 262144 entries of 16 bytes; on x86-64 a bio_vec and an iovec
 * are both 16 bytes, so nothing is added for the conversion). 300 iovecs of 10 bytes in
 * reverse order with gaps: each gets exactly its 10 bytes of the file, the gaps nothing.
 * 1024 iovecs (UIO_MAXIOV) of 254 pages each estimate exactly 262144 entries: the array is
 * allocated and the whole 1 GiB (1024 * 1040384 bytes) is written to /dev/null.
 * Needs IORING_OP_READV_FIXED (6.15, probe UBC_F_RW_VEC_FIXED).
 */
#include <fcntl.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BIG_LEN (254 * 4096)	/* (BIG_LEN >> 12) + 2 = 256 entries an iovec */
#define NR_BIG 1024		/* UIO_MAXIOV: 1024 * 256 = 262144 entries, 4 MiB */
#define NR_SMALL 300
#define SEG 10
#define STRIDE 13

FIXTURE(segs) {
	struct io_uring ring;
	unsigned char *mem;
	struct iovec v[NR_BIG];
	int fd;
};

FIXTURE_SETUP(segs)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_RW_VEC_FIXED);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, BIG_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BIG_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	self->fd = ubc_tmpfile(NR_SMALL * SEG, 73);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(segs)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BIG_LEN);
}

TEST_F(segs, many_small_iovecs_land_exactly)
{
	/* iovec i at (NR_SMALL - 1 - i) * STRIDE: the file's bytes i * SEG .. come there. */
	for (int i = 0; i < NR_SMALL; i++)
		self->v[i] = (struct iovec){ .iov_base = self->mem + (NR_SMALL - 1 - i) * STRIDE,
					     .iov_len = SEG };
	memset(self->mem, 0xee, BIG_LEN);
	ASSERT_EQ(NR_SMALL * SEG, ubc_vec_fixed(&self->ring, 0, self->fd, self->v, NR_SMALL));
	for (int i = 0; i < NR_SMALL; i++) {
		unsigned char *p = self->mem + (NR_SMALL - 1 - i) * STRIDE;

		ASSERT_EQ(-1, ubc_mismatch(p, SEG, 73, (size_t)i * SEG)) TH_LOG("iovec %d", i);
		ASSERT_EQ(-1, ubc_first_not(p + SEG, STRIDE - SEG, 0xee)) TH_LOG("gap after %d", i);
	}
	ASSERT_EQ(-1, ubc_first_not(self->mem + NR_SMALL * STRIDE, BIG_LEN - NR_SMALL * STRIDE, 0xee));
}

TEST_F(segs, estimate_of_4mib_allocated)
{
	int null = open("/dev/null", O_WRONLY);

	ASSERT_LE(0, null);
	for (int i = 0; i < NR_BIG; i++)
		self->v[i] = (struct iovec){ .iov_base = self->mem, .iov_len = BIG_LEN };
	EXPECT_EQ(NR_BIG * BIG_LEN, ubc_vec_fixed(&self->ring, 1, null, self->v, NR_BIG));
	close(null);
}

TEST_HARNESS_MAIN
