// SPDX-License-Identifier: MIT
/*
 * A recv bundle that takes the ring's last buffer ends there, though more data waits
 * (kbuf.c REQ_F_BL_EMPTY; net.c io_recv_finish() "bundle with no more immediate buffers,
 * we're done"). With 48 bytes waiting over TCP and 16-byte ring buffers, IDs 30..:
 * - a multishot bundle over 2 buffers (inline, the peek path: io_ring_buffers_peek() sets the
 *   flag when head reaches tail) posts one CQE of 32 bytes with the first ID and
 *   IORING_CQE_F_SOCK_NONEMPTY, without IORING_CQE_F_MORE: the request is over, no -ENOBUFS
 *   CQE follows and 16 bytes stay in the socket;
 * - a bundle issued from io-wq (IOSQE_ASYNC: io_recv_buf_select() selects one buffer at a
 *   time through io_ring_buffer_select(), which sets the flag when head + 1 == tail) over 1
 *   buffer receives 16 bytes and over 2 buffers 32 (one retry appends the second), each
 *   with the first ID and SOCK_NONEMPTY, and a NOP linked after it runs (the bundle did not
 *   fail).
 */
#include <sys/ioctl.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 99
#define BUFSZ 16
#define WAITING 48

FIXTURE(drain) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_VARIANT(drain) {
	int nbufs;
	int async;
};

FIXTURE_VARIANT_ADD(drain, mshot_two) { .nbufs = 2, .async = 0 };
FIXTURE_VARIANT_ADD(drain, iowq_one) { .nbufs = 1, .async = 1 };
FIXTURE_VARIANT_ADD(drain, iowq_two) { .nbufs = 2, .async = 1 };

FIXTURE_SETUP(drain)
{
	UBC_REQUIRE(UBC_F_RECV_BUNDLE);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 4 * BUFSZ);
	memset(self->mem, 0, 4 * BUFSZ);
	ASSERT_EQ(0, ubc_tcp_pair_fill(self->sv, WAITING, 73));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, variant->nbufs, 30);
}

FIXTURE_TEARDOWN(drain)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * BUFSZ);
}

TEST_F(drain, ends_on_last_buffer)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	int got = variant->nbufs * BUFSZ, nr = variant->async ? 2 : 1;
	unsigned long long ud[2];
	unsigned int flags[2];
	int res[2], n = -1;

	if (variant->async) {
		io_uring_prep_recv(sqe, self->sv[0], NULL, 0, 0);
		sqe->flags |= IOSQE_ASYNC | IOSQE_IO_LINK;
	} else {
		io_uring_prep_recv_multishot(sqe, self->sv[0], NULL, 0, 0);
	}
	sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 1;
	if (variant->async) {
		sqe = io_uring_get_sqe(&self->ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = 2;
	}
	ASSERT_EQ(0, ubc_submit_reap(&self->ring, nr, res, flags, ud));
	ASSERT_EQ(1u, ud[0]);
	ASSERT_EQ(got, res[0]);
	ASSERT_EQ(UBC_BUF_FLAGS(30) | IORING_CQE_F_SOCK_NONEMPTY, flags[0]);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, got, 73, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + got, 4 * BUFSZ - got, 0));
	if (variant->async) {
		ASSERT_EQ(2u, ud[1]);
		ASSERT_EQ(0, res[1]);
	}
	/* Nothing more comes; the rest is still in the socket. */
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res[0], &flags[0], &ud[0]));
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(WAITING - got, n);
}

TEST_HARNESS_MAIN
