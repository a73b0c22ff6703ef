// SPDX-License-Identifier: MIT
/*
 * Buffer rings on an IORING_SETUP_NO_MMAP ring (io_uring_queue_init_mem(3), 6.5): the SQ/CQ
 * memory is the application's, but buffer rings register as on any ring. A user-memory ring
 * is read from; a kernel-allocated ring (IOU_PBUF_RING_MMAP) is still mapped from the ring fd
 * (memmap.c: only the SQ/CQ/SQE offsets refuse to map on a NO_MMAP ring).
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 77
#define LEN 32
#define MEMSZ (64 * 1024)

FIXTURE(nommap) {
	struct io_uring ring;
	struct ubc_br b;
	void *ringmem;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(nommap) {
	unsigned int reg_flags;
};

FIXTURE_VARIANT_ADD(nommap, user_ring) { .reg_flags = 0 };
FIXTURE_VARIANT_ADD(nommap, kernel_ring) { .reg_flags = IOU_PBUF_RING_MMAP };

FIXTURE_SETUP(nommap)
{
	struct io_uring_params p = { .flags = IORING_SETUP_NO_MMAP };
	int ret;

	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_REQUIRE(UBC_F_SETUP_NO_MMAP);
	if (variant->reg_flags & IOU_PBUF_RING_MMAP)
		UBC_REQUIRE(UBC_F_PBUF_RING_MMAP);
	UBC_BUF(self->ringmem, MEMSZ);
	ret = io_uring_queue_init_mem(8, &self->ring, &p, self->ringmem, MEMSZ);
	ASSERT_LE(0, ret) TH_LOG("io_uring_queue_init_mem: %s", strerror(-ret));
	ASSERT_EQ(IORING_SETUP_NO_MMAP, self->ring.flags & IORING_SETUP_NO_MMAP);
	UBC_BUF(self->mem, 2 * LEN);
	self->fd = ubc_tmpfile(2 * LEN, 47);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->b.br = NULL;
}

FIXTURE_TEARDOWN(nommap)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->ringmem, MEMSZ);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(nommap, buffer_ring_serves_reads)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 8, BGID, variant->reg_flags, 0));
	ubc_br_fill(&self->b, self->mem, LEN, 2, 40);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, LEN, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(40), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 47, LEN));
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(41), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + LEN, LEN, 47, 0));
	ASSERT_EQ(0, ubc_br_unregister(&self->ring, &self->b));
}

TEST_HARNESS_MAIN
