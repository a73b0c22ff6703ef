// SPDX-License-Identifier: MIT
/*
 * A second buffer ring on a bgid that has one (not on the pages). kbuf.c
 * io_register_pbuf_ring() (6.1 .. 7.x): "if mapped buffer ring OR classic exists, don't
 * allow" -> -EEXIST. The first ring stays registered and in use; the second's memory is
 * never read by the kernel.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 73
#define LEN 16

FIXTURE(twice) {
	struct io_uring ring;
	struct ubc_br first, second;
	char *mem;
	int fd;
};

FIXTURE_SETUP(twice)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	self->fd = ubc_tmpfile(2 * LEN, 43);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->second.br = NULL;
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->first, 4, BGID, 0, 0));
}

FIXTURE_TEARDOWN(twice)
{
	ubc_br_free(&self->ring, &self->second);
	ubc_br_free(&self->ring, &self->first);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

TEST_F(twice, second_register_eexist_first_kept)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(-EEXIST, ubc_br_setup(&self->ring, &self->second, 8, BGID, 0, 0));
	/* The same bgid with a different size and the same memory is refused too. */
	ASSERT_EQ(-EEXIST, ubc_br_register_raw(&self->ring, (uintptr_t)self->first.br, 4, BGID, 0, 0));
	ubc_br_fill(&self->first, self->mem, LEN, 1, 21);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(21), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 43, 0));
	/* The first ring is still registered: unregistering it works once. */
	ASSERT_EQ(0, ubc_br_unregister(&self->ring, &self->first));
}

TEST_HARNESS_MAIN
