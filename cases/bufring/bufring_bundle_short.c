// SPDX-License-Identifier: MIT
/*
 * Short bundles (io_uring_prep_recv_multishot(3), IORING_RECVSEND_BUNDLE): a bundle takes
 * only the buffers the data needs and only those the ring has. kbuf.c io_ring_buffers_peek():
 * nr_avail = tail - head; the last buffer may be partly filled, and for a ring without
 * IOU_PBUF_RING_INC the kernel does not write the entry's length (partial_map, 6.12.y and
 * later; earlier kernels truncated the head buffer's len: "the head buffer's length left
 * intact"). Over TCP; with len 0 the kernel first maps one buffer and retries with the byte
 * count the socket reports left (net.c io_recv_finish(), IO_SR_MSG_RETRY), all in one CQE.
 * Variants: 20 bytes into 8 free buffers (2 used), 100 bytes into 3 buffers (48 received, the
 * rest stays), a 10-byte bundle from a 64-byte head buffer (entry len stays 64).
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 96
#define NBUF 8

FIXTURE(short_bundle) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_VARIANT(short_bundle) {
	int waiting, len;		/* bytes in the socket, sqe len */
	int bufsz, nfilled;		/* ring: nfilled buffers of bufsz bytes */
	int res, nbufs;
};

FIXTURE_VARIANT_ADD(short_bundle, data_short) { .waiting = 20, .len = 0, .bufsz = 16, .nfilled = 8, .res = 20, .nbufs = 2 };
FIXTURE_VARIANT_ADD(short_bundle, ring_short) { .waiting = 100, .len = 0, .bufsz = 16, .nfilled = 3, .res = 48, .nbufs = 3 };
FIXTURE_VARIANT_ADD(short_bundle, head_len_kept) { .waiting = 30, .len = 10, .bufsz = 64, .nfilled = 2, .res = 10, .nbufs = 1 };

FIXTURE_SETUP(short_bundle)
{
	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, NBUF * 64);
	memset(self->mem, 0, NBUF * 64);
	ASSERT_EQ(0, ubc_tcp_pair_fill(self->sv, variant->waiting, 63));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, NBUF, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, variant->bufsz, variant->nfilled, 0);
}

FIXTURE_TEARDOWN(short_bundle)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, NBUF * 64);
}

TEST_F(short_bundle, takes_what_is_needed_and_there)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags, left = variant->waiting > variant->res ? IORING_CQE_F_SOCK_NONEMPTY : 0;
	int res;

	io_uring_prep_recv(sqe, self->sv[0], NULL, variant->len, 0);
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(variant->res, res);
	ASSERT_EQ(UBC_BUF_FLAGS(0) | left, flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, res, 63, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + res, NBUF * 64 - res, 0));
	for (int i = 0; i < variant->nfilled; i++) {
		ASSERT_EQ((unsigned int)variant->bufsz, ubc_br_entry(&self->b, i)->len) TH_LOG("entry %d", i);
	}
	/* The partly used last buffer is gone too: the next receive starts after it. */
	if (!left)
		ASSERT_EQ(0, ubc_tcp_send(self->sv, 1, 63, variant->res));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], 1, BGID, &res, &flags));
	if (variant->nbufs == variant->nfilled) {
		ASSERT_EQ(-ENOBUFS, res);
	} else {
		ASSERT_EQ(1, res);
		ASSERT_EQ((unsigned int)variant->nbufs, flags >> IORING_CQE_BUFFER_SHIFT);
	}
}

TEST_HARNESS_MAIN
