// SPDX-License-Identifier: MIT
/*
 * A selecting read writes at most min(sqe len, buffer len) bytes into the buffer and nothing
 * past them (kbuf.c io_ring_buffer_select(): "if (*len == 0 || *len > buf_len) *len =
 * buf_len"; 6.1: *len > buf->len). A len of 0 means the whole buffer. Bytes after the read
 * length, in the buffer and in the neighbouring memory, keep their canary value; the same
 * for recv (over TCP, which reports the bytes left: IORING_CQE_F_SOCK_NONEMPTY).
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 81
#define AREA 256
#define CANARY 0xa5

FIXTURE(bound) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int fd;
};

FIXTURE_VARIANT(bound) {
	unsigned int buf_len;	/* length in the ring entry */
	unsigned int sqe_len;
	int expect;
	int recv;
};

FIXTURE_VARIANT_ADD(bound, sqe_len_caps) { .buf_len = 64, .sqe_len = 10, .expect = 10 };
FIXTURE_VARIANT_ADD(bound, buf_len_caps) { .buf_len = 10, .sqe_len = 64, .expect = 10 };
FIXTURE_VARIANT_ADD(bound, zero_is_whole) { .buf_len = 48, .sqe_len = 0, .expect = 48 };
FIXTURE_VARIANT_ADD(bound, recv_sqe_len_caps) { .buf_len = 64, .sqe_len = 10, .expect = 10, .recv = 1 };
FIXTURE_VARIANT_ADD(bound, recv_buf_len_caps) { .buf_len = 10, .sqe_len = 64, .expect = 10, .recv = 1 };

FIXTURE_SETUP(bound)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, AREA);
	memset(self->mem, CANARY, AREA);
	self->fd = ubc_tmpfile(AREA, 51);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
}

FIXTURE_TEARDOWN(bound)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, AREA);
}

TEST_F(bound, nothing_past_len)
{
	unsigned char *buf = self->mem + 64;	/* canaries on both sides */
	unsigned int flags;
	int res, sv[2] = { -1, -1 };

	io_uring_buf_ring_add(self->b.br, buf, variant->buf_len, 3, 3, 0);
	io_uring_buf_ring_advance(self->b.br, 1);
	if (variant->recv) {
		ASSERT_EQ(0, ubc_tcp_pair_fill(sv, AREA, 51));
		ASSERT_EQ(0, ubc_recv_select(&self->ring, sv[0], variant->sqe_len, BGID, &res, &flags));
		close(sv[0]);
		close(sv[1]);
	} else {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, variant->sqe_len, 0, BGID, &res, &flags));
	}
	ASSERT_EQ(variant->expect, res);
	/* A recv leaves the rest in the socket and says so (IORING_CQE_F_SOCK_NONEMPTY). */
	ASSERT_EQ(UBC_BUF_FLAGS(3) | (variant->recv ? IORING_CQE_F_SOCK_NONEMPTY : 0), flags);
	ASSERT_EQ(-1, ubc_mismatch(buf, res, 51, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem, 64, CANARY));
	ASSERT_EQ(-1, ubc_first_not(buf + res, AREA - 64 - res, CANARY));
}

TEST_HARNESS_MAIN
