// SPDX-License-Identifier: MIT
/*
 * struct io_uring_buf_reg's reserved words and unknown flag bits are refused, for both
 * IORING_REGISTER_PBUF_RING and IORING_UNREGISTER_PBUF_RING (kbuf.c, 7.3.4):
 * io_register_pbuf_ring(): resv not zero -> -EINVAL, a flag bit other than
 * IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC -> -EINVAL, and nothing is registered (unregister is
 * -ENOENT, a clean registration then works); io_unregister_pbuf_ring(): an unreadable argument
 * -> -EFAULT, resv not zero or any flag -> -EINVAL, and the ring stays registered (it still
 * serves a read). Before 6.4 the flags word was "pad" and checked the same way; the last
 * reserved word is resv[4] in 7.x's layout and the tail of resv[2] in the old one.
 */
#include <sys/mman.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 117
#define LEN 24

enum bad { RESV_LAST, FLAG_BIT2, FLAG_BIT7, UNREADABLE, MMAP_FLAG };

static void bad_reg(struct io_uring_buf_reg *reg, enum bad bad)
{
	if (bad == RESV_LAST)
		reg->resv[4] = 1;
	else if (bad == FLAG_BIT2)
		reg->flags = 1u << 2;
	else if (bad == FLAG_BIT7)
		reg->flags = 1u << 7;
	else if (bad == MMAP_FLAG)
		reg->flags = IOU_PBUF_RING_MMAP;
}

FIXTURE(fields) {
	struct io_uring ring;
	struct ubc_br b;
	void *ringmem, *guard;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(fields) {
	enum bad bad;
	int expect;
};

FIXTURE_VARIANT_ADD(fields, resv_last_word) { .bad = RESV_LAST, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(fields, flag_bit2) { .bad = FLAG_BIT2, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(fields, flag_bit7) { .bad = FLAG_BIT7, .expect = -EINVAL };

FIXTURE_SETUP(fields)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	/* A valid ring's memory: a register that ignored the bad field would succeed. */
	UBC_BUF(self->ringmem, 4096);
	self->guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->guard);
	self->fd = ubc_tmpfile(LEN, 61);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->b.br = NULL;
}

FIXTURE_TEARDOWN(fields)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	munmap(self->guard, 4096);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->ringmem, 4096);
	ubc_buf_free(self->mem, LEN);
}

TEST_F(fields, register_refused_nothing_registered)
{
	struct io_uring_buf_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long long)(uintptr_t)self->ringmem;
	reg.ring_entries = 4;
	reg.bgid = BGID;
	bad_reg(&reg, variant->bad);
	ASSERT_EQ(variant->expect, io_uring_register(self->ring.ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1));
	ASSERT_EQ(-ENOENT, ubc_br_unregister_raw(&self->ring, BGID));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
}

/* A read through the ring: it is still registered and in use. */
static void ring_serves_read(struct __test_metadata *_metadata, FIXTURE_DATA(fields) *self)
{
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, LEN, 1, 5);
	EXPECT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	EXPECT_EQ(LEN, res);
	EXPECT_EQ(UBC_BUF_FLAGS(5), flags);
	EXPECT_EQ(-1, ubc_mismatch(self->mem, LEN, 61, 0));
}

TEST_F(fields, unregister_refused_ring_stays)
{
	struct io_uring_buf_reg reg;

	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	memset(&reg, 0, sizeof(reg));
	reg.bgid = BGID;
	bad_reg(&reg, variant->bad);
	ASSERT_EQ(variant->expect, io_uring_register(self->ring.ring_fd, IORING_UNREGISTER_PBUF_RING, &reg, 1));
	ring_serves_read(_metadata, self);
}

/* The unregister-only refusals: an unreadable argument and the MMAP flag. */
TEST_F(fields, unregister_unreadable_efault)
{
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ASSERT_EQ(-EFAULT, io_uring_register(self->ring.ring_fd, IORING_UNREGISTER_PBUF_RING, self->guard, 1));
	ring_serves_read(_metadata, self);
}

TEST_F(fields, unregister_mmap_flag_einval)
{
	struct io_uring_buf_reg reg;

	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	memset(&reg, 0, sizeof(reg));
	reg.bgid = BGID;
	bad_reg(&reg, MMAP_FLAG);
	ASSERT_EQ(-EINVAL, io_uring_register(self->ring.ring_fd, IORING_UNREGISTER_PBUF_RING, &reg, 1));
	ring_serves_read(_metadata, self);
}

TEST_HARNESS_MAIN
