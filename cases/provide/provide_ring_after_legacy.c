// SPDX-License-Identifier: MIT
/*
 * A legacy group and a registered buffer ring on the same bgid, legacy first (not on the
 * page). kbuf.c io_register_pbuf_ring() (6.1, 6.12, 7.3): "if mapped buffer ring OR classic
 * exists, don't allow" -> -EEXIST while the legacy group holds buffers; a legacy group that
 * exists but is empty is replaced by the ring.
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 50
#define ENTRIES 8

FIXTURE(ring_after) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_SETUP(ring_after)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4 * LEN);
	self->fd = ubc_tmpfile(LEN, 26);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 0, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(ring_after)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * LEN);
}

/* Legacy buffers in the group: the ring registration fails with -EEXIST, the buffers stay. */
TEST_F(ring_after, nonempty_legacy_group_eexist)
{
	struct io_uring_buf_ring *br;
	int err = 0, res;

	br = io_uring_setup_buf_ring(&self->ring, ENTRIES, BGID, 0, &err);
	if (br)
		io_uring_free_buf_ring(&self->ring, br, ENTRIES, BGID);
	ASSERT_EQ(NULL, br);
	ASSERT_EQ(-EEXIST, err);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(2, res);
}

/* Emptied by remove: the ring registers, and a read then selects from the ring (ID 77). */
TEST_F(ring_after, empty_legacy_group_replaced_by_ring)
{
	struct io_uring_buf_ring *br;
	unsigned int flags;
	int err = 0, res;

	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(2, res);
	br = io_uring_setup_buf_ring(&self->ring, ENTRIES, BGID, 0, &err);
	ASSERT_NE(NULL, br) TH_LOG("io_uring_setup_buf_ring: %s", strerror(-err));
	io_uring_buf_ring_add(br, self->mem + 2 * LEN, LEN, 77, io_uring_buf_ring_mask(ENTRIES), 0);
	io_uring_buf_ring_advance(br, 1);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	io_uring_free_buf_ring(&self->ring, br, ENTRIES, BGID);
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (77u << IORING_CQE_BUFFER_SHIFT), flags) TH_LOG("flags 0x%x", flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem + 2 * LEN, LEN, 26, 0));
}

TEST_HARNESS_MAIN
