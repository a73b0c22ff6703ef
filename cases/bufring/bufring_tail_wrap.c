// SPDX-License-Identifier: MIT
/*
 * The ring's tail and the kernel's head are 16-bit counters that wrap (io_uring.h uapi:
 * __u16 tail; kbuf.c: __u16 head, bufs[head & mask]; io_uring_buf_ring_advance(3) stores
 * tail + count as unsigned short). Over 65536 + 256 buffers through a 256-entry ring, tail and
 * head both wrap past 65535 and every read still gets the next buffer in order, with the ID
 * and data of the entry it was given; then the ring is empty (-ENOBUFS). 256 reads per submit
 * (a 256-entry ring); the test may take 100 s under emulation.
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 83
#define N 256
#define TOTAL (65536 + 256)

FIXTURE(wrap) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd;
};

FIXTURE_SETUP(wrap)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, N, 0);
	UBC_BUF(self->mem, N);
	self->fd = ubc_tmpfile(N, 53);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, N, BGID, 0, 0));
}

FIXTURE_TEARDOWN(wrap)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, N);
}

TEST_F_TIMEOUT(wrap, counters_wrap_in_order, 100)
{
	int res[N];
	unsigned int flags[N];
	unsigned long long ud[N];

	for (unsigned int done = 0; done < TOTAL; done += N) {
		/* Lap done/N: slot j holds 1 byte, ID = (done + j) & 0xffff, read file byte j. */
		for (int j = 0; j < N; j++)
			io_uring_buf_ring_add(self->b.br, self->mem + j, 1, (unsigned short)(done + j), N - 1, j);
		io_uring_buf_ring_advance(self->b.br, N);
		memset(self->mem, 0, N);
		for (int j = 0; j < N; j++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

			ASSERT_NE(NULL, sqe);
			io_uring_prep_read(sqe, self->fd, NULL, 1, j);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = BGID;
			sqe->user_data = j;
		}
		ASSERT_EQ(0, ubc_submit_reap(&self->ring, N, res, flags, ud));
		for (int j = 0; j < N; j++) {
			unsigned int bid = flags[j] >> IORING_CQE_BUFFER_SHIFT;
			unsigned int slot = (bid - done) & 0xffff;

			ASSERT_EQ(1, res[j]);
			ASSERT_EQ(UBC_BUF_FLAGS(bid), flags[j]);
			ASSERT_GT(N, slot) TH_LOG("after %u buffers: ID %u is not of this lap", done, bid);
			ASSERT_EQ(-1, ubc_mismatch(self->mem + slot, 1, 53, ud[j]))
				TH_LOG("after %u buffers: ID %u holds the wrong byte", done, bid);
		}
	}
	ASSERT_EQ((unsigned short)TOTAL, self->b.br->tail);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 1, 0, BGID, &res[0], &flags[0]));
	ASSERT_EQ(-ENOBUFS, res[0]);
}

TEST_HARNESS_MAIN
