// SPDX-License-Identifier: MIT
/*
 * Buffer selection for IORING_OP_READ: the SQE's len is the most to read into the selected
 * buffer, and len 0 means "the whole buffer". kbuf.c io_provided_buffer_select():
 * "if (*len == 0 || *len > kbuf->len) *len = kbuf->len" (6.1, 6.12, 7.3).
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 2

FIXTURE(read_len) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(read_len) {
	unsigned int sqe_len;
	int res;
};

FIXTURE_VARIANT_ADD(read_len, len_16_reads_16) { .sqe_len = 16, .res = 16 };
FIXTURE_VARIANT_ADD(read_len, len_0_reads_whole_buffer) { .sqe_len = 0, .res = LEN };
FIXTURE_VARIANT_ADD(read_len, len_200_capped_to_buffer) { .sqe_len = 200, .res = LEN };

FIXTURE_SETUP(read_len)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	memset(self->mem, 0xee, 2 * LEN);
	self->fd = ubc_tmpfile(4 * LEN, 8);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 0, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(read_len)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

/* The file holds 4*LEN bytes, so only len and the buffer size limit the read. */
TEST_F(read_len, bytes_read)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, variant->sqe_len, 0, BGID, &res, &flags));
	ASSERT_EQ(variant->res, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER, flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, res, 8, 0));
	/* Nothing written past what was read: the next byte keeps its fill. */
	ASSERT_EQ(0xee, (unsigned char)self->mem[res]);
}

TEST_HARNESS_MAIN
