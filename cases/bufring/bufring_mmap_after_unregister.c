// SPDX-License-Identifier: MIT
/*
 * A kernel-allocated ring (IOU_PBUF_RING_MMAP) stays mapped after unregister: the mapping
 * holds its own references to the pages (kbuf.c io_pbuf_mmap() / vm_insert_pages, memmap.c),
 * so the process can still read and write it, with its contents kept, until munmap; the kernel
 * no longer reads it. A new mmap at that offset fails: EINVAL on 7.2 and later, ENOMEM before
 * (io_uring_get_unmapped_area() turned the lookup's error into -ENOMEM; see README), and a new
 * registration on
 * the bgid gets fresh pages that do not alias the old mapping.
 */
#include <sys/mman.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 76
#define LEN 32
#define OFF (IORING_OFF_PBUF_RING | ((unsigned long long)BGID << IORING_OFF_PBUF_SHIFT))

FIXTURE(stays) {
	struct io_uring ring;
	struct ubc_br b, again;
	char *mem;
	int fd;
};

FIXTURE_SETUP(stays)
{
	UBC_REQUIRE(UBC_F_PBUF_RING_MMAP);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	self->fd = ubc_tmpfile(LEN, 46);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->again.br = NULL;
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 16, BGID, IOU_PBUF_RING_MMAP, 0));
}

FIXTURE_TEARDOWN(stays)
{
	ubc_br_free(&self->ring, &self->again);
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(stays, mapping_survives_unregister)
{
	struct io_uring_buf *e;
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, LEN, 3, 600);
	ASSERT_EQ(0, ubc_br_unregister(&self->ring, &self->b));
	/* Still mapped, contents kept, and writable. */
	e = ubc_br_entry(&self->b, 1);
	ASSERT_EQ((uintptr_t)(self->mem + LEN), e->addr);
	ASSERT_EQ(601, e->bid);
	ASSERT_EQ(3, self->b.br->tail);
	e->len = 7;
	ASSERT_EQ(7u, e->len);
	/* The kernel does not read it any more. */
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);

	/* Registering again gives a new, empty ring; the old mapping is not it. */
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->again, 16, BGID, IOU_PBUF_RING_MMAP, 0));
	ASSERT_EQ(0, self->again.br->tail);
	ASSERT_EQ(0u, self->again.br->bufs[1].addr);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ubc_br_fill(&self->again, self->mem + LEN, LEN, 1, 700);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(700), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + LEN, LEN, 46, 0));
	ASSERT_EQ(3, self->b.br->tail);
}

TEST_F(stays, no_new_mapping_after_unregister)
{
	void *p;

	ASSERT_EQ(0, ubc_br_unregister(&self->ring, &self->b));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->ring.ring_fd, OFF);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	/* The old mapping is still there. */
	ASSERT_EQ(0, self->b.br->tail);
}

TEST_HARNESS_MAIN
