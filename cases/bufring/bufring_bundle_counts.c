// SPDX-License-Identifier: MIT
/*
 * IORING_RECVSEND_BUNDLE (io_uring_prep_recv_multishot(3), 6.10): a receive "will attempt to
 * fill multiple buffers"; "res indicates the total number of bytes received, and the buffer ID
 * returned in the CQE flags field indicates the first buffer"; "The buffers consumed will be
 * contiguous from the initial buffer, in the order in which they appear in the buffer ring".
 * From 16-byte buffers IDs 10..17 over TCP, a recv bundle with len L maps whole buffers only:
 * kbuf.c io_ring_buffers_peek() stops before an end piece it would have to truncate
 * ("partial_map"; only a bundle's first buffer may be cut), so one CQE reports
 * 16 * floor(L / 16) bytes (when that much is waiting) with the first ID, the bytes lie in
 * consecutive buffers, the entries keep their lengths, and the next receive starts at the
 * buffer after the bundle. Kernels before that change truncated and included the end piece.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 95
#define BUFSZ 16
#define NBUF 8

FIXTURE(bundle) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_VARIANT(bundle) {
	int waiting;	/* bytes in the socket */
	int len;	/* sqe len */
	int res;
	int nbufs;	/* buffers the bundle used */
};

FIXTURE_VARIANT_ADD(bundle, three_whole) { .waiting = 48, .len = 48, .res = 48, .nbufs = 3 };
FIXTURE_VARIANT_ADD(bundle, end_piece_left) { .waiting = 40, .len = 40, .res = 32, .nbufs = 2 };
FIXTURE_VARIANT_ADD(bundle, len_limits) { .waiting = 100, .len = 50, .res = 48, .nbufs = 3 };

FIXTURE_SETUP(bundle)
{
	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, NBUF * BUFSZ);
	memset(self->mem, 0, NBUF * BUFSZ);
	ASSERT_EQ(0, ubc_tcp_pair_fill(self->sv, variant->waiting, 62));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, NBUF, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, NBUF, 10);
}

FIXTURE_TEARDOWN(bundle)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, NBUF * BUFSZ);
}

TEST_F(bundle, one_cqe_contiguous_buffers)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags, left = variant->waiting > variant->res ? IORING_CQE_F_SOCK_NONEMPTY : 0;
	int res;

	io_uring_prep_recv(sqe, self->sv[0], NULL, variant->len, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(variant->res, res);
	ASSERT_EQ(UBC_BUF_FLAGS(10) | left, flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, res, 62, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + res, NBUF * BUFSZ - res, 0));
	/* The entries keep their lengths; the next receive takes the buffer after the bundle. */
	for (int i = 0; i < NBUF; i++)
		ASSERT_EQ((unsigned int)BUFSZ, ubc_br_entry(&self->b, i)->len);
	if (!left)
		ASSERT_EQ(0, ubc_tcp_send(self->sv, 1, 62, variant->res));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], 1, BGID, &res, &flags));
	ASSERT_EQ(1, res);
	ASSERT_EQ(10u + variant->nbufs, flags >> IORING_CQE_BUFFER_SHIFT);
}

TEST_HARNESS_MAIN
