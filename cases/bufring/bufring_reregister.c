// SPDX-License-Identifier: MIT
/*
 * io_uring_unregister_buf_ring(3) then io_uring_register_buf_ring(3) on the same bgid:
 * unregister returns 0 and frees the group (kbuf.c io_unregister_pbuf_ring()), a second
 * unregister finds nothing (-ENOENT), and a new registration starts a new ring whose head
 * is 0 again, whatever the old ring had consumed.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 74
#define LEN 16

FIXTURE(rereg) {
	struct io_uring ring;
	struct ubc_br old, fresh;
	char *mem;
	int fd;
};

FIXTURE_SETUP(rereg)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 8 * LEN);
	self->fd = ubc_tmpfile(LEN, 44);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->fresh.br = NULL;
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->old, 4, BGID, 0, 0));
}

FIXTURE_TEARDOWN(rereg)
{
	ubc_br_free(&self->ring, &self->fresh);
	ubc_br_free(&self->ring, &self->old);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 8 * LEN);
}

TEST_F(rereg, new_ring_starts_at_head_zero)
{
	unsigned int flags;
	int res;

	/* The old ring's head moves to 3. */
	ubc_br_fill(&self->old, self->mem, LEN, 4, 0);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(i), flags);
	}
	ASSERT_EQ(0, ubc_br_unregister(&self->ring, &self->old));
	ASSERT_EQ(-ENOENT, ubc_br_unregister_raw(&self->ring, BGID));
	/* Unregistered: nothing to select even though the old memory still holds a buffer. */
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);

	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->fresh, 4, BGID, 0, 0));
	memset(self->mem, 0, 8 * LEN);
	io_uring_buf_ring_add(self->fresh.br, self->mem + 4 * LEN, LEN, 90, 3, 0);
	io_uring_buf_ring_add(self->fresh.br, self->mem + 5 * LEN, LEN, 91, 3, 1);
	io_uring_buf_ring_add(self->fresh.br, self->mem + 6 * LEN, LEN, 92, 3, 2);
	io_uring_buf_ring_add(self->fresh.br, self->mem + 7 * LEN, LEN, 93, 3, 3);
	io_uring_buf_ring_advance(self->fresh.br, 4);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(90), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + 4 * LEN, LEN, 44, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, 4 * LEN, 0));
}

TEST_HARNESS_MAIN
