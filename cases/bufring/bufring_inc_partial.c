// SPDX-License-Identifier: MIT
/*
 * IOU_PBUF_RING_INC (io_uring_setup_buf_ring(3), 6.12): "each completion of a given buffer ID
 * will continue where the previous one left off". kbuf.c io_kbuf_inc_commit(): the entry's
 * addr moves up and its len down by the bytes used. Reads of 10, 20 and 5 bytes from a pipe
 * (and recvs from a socket) into one 256-byte buffer: each CQE names the same ID with
 * IORING_CQE_F_BUF_MORE, the data lies back to back from the buffer start, the ring entry
 * ends at addr + 35 / len 221, and nothing after byte 35 is written.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 88
#define BUFSZ 256

FIXTURE(inc) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int fds[2];
};

FIXTURE_VARIANT(inc) {
	int sock;
};

FIXTURE_VARIANT_ADD(inc, pipe) { .sock = 0 };
FIXTURE_VARIANT_ADD(inc, socket) { .sock = 1 };

FIXTURE_SETUP(inc)
{
	UBC_REQUIRE(UBC_F_PBUF_RING_INC);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, BUFSZ);
	memset(self->mem, 0, BUFSZ);
	if (variant->sock) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->fds));
	} else {
		ASSERT_EQ(0, pipe(self->fds));
	}
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, IOU_PBUF_RING_INC, 0));
}

FIXTURE_TEARDOWN(inc)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fds[0]);
	close(self->fds[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUFSZ);
}

TEST_F(inc, continues_where_left_off)
{
	static const int chunk[3] = { 10, 20, 5 };
	unsigned char src[64];
	struct io_uring_buf *e = ubc_br_entry(&self->b, 0);
	unsigned int flags;
	int res, pos = 0;

	ubc_br_fill(&self->b, self->mem, BUFSZ, 1, 33);
	for (int i = 0; i < 3; i++) {
		ubc_fill(src, chunk[i], 58, pos);
		ASSERT_EQ(chunk[i], write(self->fds[1], src, chunk[i]));
		ASSERT_EQ(0, ubc_take(&self->ring, self->fds[0], variant->sock, 0, BGID, &res, &flags));
		ASSERT_EQ(chunk[i], res);
		ASSERT_EQ(UBC_BUF_FLAGS(33) | IORING_CQE_F_BUF_MORE, flags) TH_LOG("chunk %d", i);
		pos += chunk[i];
		ASSERT_EQ((uintptr_t)(self->mem + pos), e->addr);
		ASSERT_EQ((unsigned int)(BUFSZ - pos), e->len);
		ASSERT_EQ(33, e->bid);
	}
	ASSERT_EQ(-1, ubc_mismatch(self->mem, 35, 58, 0));
	ASSERT_EQ(-1, ubc_first_not(self->mem + 35, BUFSZ - 35, 0));
}

TEST_HARNESS_MAIN
