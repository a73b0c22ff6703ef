// SPDX-License-Identifier: MIT
/*
 * IOU_PBUF_RING_INC on a regular file (erratum to "each completion ... will continue where
 * the previous one left off"). A file that cannot be polled has its buffer committed when it
 * is selected (kbuf.c io_ring_buffer_select(): "!io_file_can_poll(req)" ->
 * io_kbuf_commit(req, bl, *len, 1)), so the buffer advances by the selected length
 * min(sqe len, bytes left), not by the bytes read. Reads of len 100 from a 10-byte file into
 * a 256-byte buffer land at +0, +100 and +200; the third selects the last 56 bytes and
 * retires the buffer (no BUF_MORE); a read at EOF still moves the buffer on.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 91
#define BUFSZ 256

FIXTURE(file) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int fd;
};

FIXTURE_SETUP(file)
{
	UBC_REQUIRE(UBC_F_PBUF_RING_INC);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * BUFSZ);
	memset(self->mem, 0, 2 * BUFSZ);
	self->fd = ubc_tmpfile(10, 59);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, IOU_PBUF_RING_INC, 0));
}

FIXTURE_TEARDOWN(file)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * BUFSZ);
}

TEST_F(file, advances_by_selected_len)
{
	struct io_uring_buf *e = ubc_br_entry(&self->b, 0);
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, BUFSZ, 1, 8);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 100, 0, BGID, &res, &flags));
		ASSERT_EQ(10, res);
		ASSERT_EQ(UBC_BUF_FLAGS(8) | IORING_CQE_F_BUF_MORE, flags);
		ASSERT_EQ((uintptr_t)(self->mem + 100 * (i + 1)), e->addr);
		ASSERT_EQ((unsigned int)(BUFSZ - 100 * (i + 1)), e->len);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + 100 * i, 10, 59, 0));
		ASSERT_EQ(-1, ubc_first_not(self->mem + 100 * i + 10, 90, 0));
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 100, 0, BGID, &res, &flags));
	ASSERT_EQ(10, res);
	ASSERT_EQ(UBC_BUF_FLAGS(8), flags);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 100, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
}

TEST_F(file, eof_read_moves_buffer)
{
	struct io_uring_buf *e = ubc_br_entry(&self->b, 0);
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, BUFSZ, 1, 9);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 40, 10, BGID, &res, &flags));
	ASSERT_EQ(0, res);
	ASSERT_EQ(UBC_BUF_FLAGS(9) | IORING_CQE_F_BUF_MORE, flags);
	ASSERT_EQ((uintptr_t)(self->mem + 40), e->addr);
	ASSERT_EQ((unsigned int)(BUFSZ - 40), e->len);
	ASSERT_EQ(-1, ubc_first_not(self->mem, 2 * BUFSZ, 0));
}

TEST_HARNESS_MAIN
