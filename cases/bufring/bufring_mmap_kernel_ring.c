// SPDX-License-Identifier: MIT
/*
 * IOU_PBUF_RING_MMAP (io_uring.h uapi, 6.4): "the kernel will allocate the memory for the
 * ring. The application must not set a ring_addr ... must subsequently call mmap(2) with the
 * offset IORING_OFF_PBUF_RING | (bgid << IORING_OFF_PBUF_SHIFT)". The mapped ring is the
 * one the kernel reads: a buffer added there is selected. A ring_addr given with the flag is
 * ignored by the newest kernels (kbuf.c io_setup_pbuf_ring() passes no user address to the
 * region code); 6.4 .. 6.12 refused it with -EINVAL (see README). A bgid with no kernel ring
 * cannot be mapped: mmap fails with EINVAL on 7.2 and later, ENOMEM before
 * (io_uring_get_unmapped_area() turned the lookup's error into -ENOMEM; see README).
 */
#include <sys/mman.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 75
#define LEN 32

FIXTURE(kring) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd;
};

FIXTURE_SETUP(kring)
{
	UBC_REQUIRE(UBC_F_PBUF_RING_MMAP);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	self->fd = ubc_tmpfile(2 * LEN, 45);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->b.br = NULL;
}

FIXTURE_TEARDOWN(kring)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(kring, mapped_ring_is_used)
{
	struct io_uring_buf_ring *again;
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 16, BGID, IOU_PBUF_RING_MMAP, 0));
	ASSERT_EQ(0, self->b.br->tail);
	ubc_br_fill(&self->b, self->mem, LEN, 2, 300);
	/* A second mapping of the offset shows the same kernel pages. */
	again = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->ring.ring_fd,
		     IORING_OFF_PBUF_RING | ((unsigned long long)BGID << IORING_OFF_PBUF_SHIFT));
	ASSERT_NE(MAP_FAILED, again);
	ASSERT_EQ(2, again->tail);
	ASSERT_EQ(301, again->bufs[1].bid);
	munmap(again, 4096);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(300), flags);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, LEN, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(301), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, 2 * LEN, 45, 0));
}

/* The address is ignored: the ring is the kernel's, the memory at the address is never touched. */
TEST_F(kring, mmap_flag_ignores_addr)
{
	struct io_uring_buf_ring *br;
	unsigned int flags;
	char *area;
	int res;

	UBC_BUF(area, 4096);
	memset(area, 0, 4096);
	res = ubc_br_register_raw(&self->ring, (uintptr_t)area, 16, BGID, IOU_PBUF_RING_MMAP, 0);
	ASSERT_EQ(0, res);
	br = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->ring.ring_fd,
		  IORING_OFF_PBUF_RING | ((unsigned long long)BGID << IORING_OFF_PBUF_SHIFT));
	ASSERT_NE(MAP_FAILED, br);
	ASSERT_NE((void *)area, (void *)br);
	io_uring_buf_ring_add(br, self->mem, LEN, 77, 15, 0);
	io_uring_buf_ring_advance(br, 1);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	munmap(br, 4096);
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(77), flags);
	ASSERT_EQ(-1, ubc_first_not(area, 4096, 0));
	ubc_buf_free(area, 4096);
	ASSERT_EQ(0, ubc_br_unregister_raw(&self->ring, BGID));
}

TEST_F(kring, mmap_without_kernel_ring_einval)
{
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->ring.ring_fd,
		 IORING_OFF_PBUF_RING | ((unsigned long long)BGID << IORING_OFF_PBUF_SHIFT));
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	/* A user-memory ring on that bgid has nothing for the ring fd to map either. */
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 16, BGID, 0, 0));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->ring.ring_fd,
		 IORING_OFF_PBUF_RING | ((unsigned long long)BGID << IORING_OFF_PBUF_SHIFT));
	if (p != MAP_FAILED)
		munmap(p, 4096);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
