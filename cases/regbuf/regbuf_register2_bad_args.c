// SPDX-License-Identifier: MIT
/*
 * io_uring_register(2) IORING_REGISTER_BUFFERS2 takes a struct io_uring_rsrc_register and its
 * size as nr_args. io_register_rsrc() refuses a size other than sizeof(struct) (EINVAL), an
 * unreadable struct (EFAULT), nr 0 or resv2 != 0 (EINVAL), a flag other than
 * IORING_RSRC_REGISTER_SPARSE (EINVAL), and SPARSE with a data array (EINVAL, the switch's
 * break); io_sqe_buffers_register() refuses an unreadable iovec array or tags array (EFAULT).
 * Each refusal leaves no table (unregister: ENXIO). Every variant is the well-formed call
 * (one 4 KiB buffer, tag 7) with one field spoiled, and the well-formed call itself registers
 * and reads, so a kernel that skips a check registers where it must refuse.
 */
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

/* Which field of the well-formed call the variant spoils. */
enum spoil { NONE, SIZE_SHORT, SIZE_LONG, ARG_UNREADABLE, NR_ZERO, RESV2, FLAG_UNKNOWN,
	     SPARSE_WITH_DATA, DATA_UNREADABLE, TAGS_UNREADABLE };

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem, *none;	/* none: a PROT_NONE page, what the kernel cannot read */
	struct iovec iov;
	__u64 tag;
	int fd;
};

FIXTURE_VARIANT(regbuf) {
	enum spoil spoil;
	int expect;
};

FIXTURE_VARIANT_ADD(regbuf, well_formed) { .spoil = NONE, .expect = 0 };
FIXTURE_VARIANT_ADD(regbuf, size_short) { .spoil = SIZE_SHORT, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(regbuf, size_long) { .spoil = SIZE_LONG, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(regbuf, arg_unreadable) { .spoil = ARG_UNREADABLE, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(regbuf, nr_zero) { .spoil = NR_ZERO, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(regbuf, resv2_set) { .spoil = RESV2, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(regbuf, flag_unknown) { .spoil = FLAG_UNKNOWN, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(regbuf, sparse_with_data) { .spoil = SPARSE_WITH_DATA, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(regbuf, data_unreadable) { .spoil = DATA_UNREADABLE, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(regbuf, tags_unreadable) { .spoil = TAGS_UNREADABLE, .expect = -EFAULT };

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	self->none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->none);
	self->iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	self->tag = 7;
	self->fd = ubc_tmpfile(BUF_LEN, 53);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	munmap(self->none, 4096);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(regbuf, refused_leaves_no_table)
{
	struct io_uring_rsrc_register rr = {
		.nr = 1,
		.data = (unsigned long)&self->iov,
		.tags = (unsigned long)&self->tag,
	};
	unsigned int size = sizeof(rr);
	const void *arg = &rr;

	switch (variant->spoil) {
	case NONE: break;
	case SIZE_SHORT: size = sizeof(rr) - 8; break;	/* without tags */
	case SIZE_LONG: size = sizeof(rr) + 8; break;
	case ARG_UNREADABLE: arg = self->none; break;
	case NR_ZERO: rr.nr = 0; break;
	case RESV2: rr.resv2 = 1; break;
	case FLAG_UNKNOWN: rr.flags = IORING_RSRC_REGISTER_SPARSE << 1; break;
	case SPARSE_WITH_DATA: rr.flags = IORING_RSRC_REGISTER_SPARSE; break;
	case DATA_UNREADABLE: rr.data = (unsigned long)self->none; break;
	case TAGS_UNREADABLE: rr.tags = (unsigned long)self->none; break;
	}
	ASSERT_EQ(variant->expect, io_uring_register(self->ring.ring_fd, IORING_REGISTER_BUFFERS2, arg, size));
	if (variant->expect) {
		ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
		return;
	}
	/* The well-formed call: slot 0 maps the buffer. */
	memset(self->mem, 0, BUF_LEN);
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 53, 0));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
}

TEST_HARNESS_MAIN
