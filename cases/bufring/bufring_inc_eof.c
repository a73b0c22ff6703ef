// SPDX-License-Identifier: MIT
/*
 * IOU_PBUF_RING_INC at end of file (not on the pages). A receive that returns 0 uses no
 * byte of the buffer: kbuf.c io_kbuf_inc_commit() "No data consumed, return false early to
 * avoid consuming the buffer". On a pipe the CQE still names the buffer: res 0 with
 * IORING_CQE_F_BUFFER | IORING_CQE_F_BUF_MORE (rw.c puts the kbuf for any res >= 0); on a
 * socket the buffer is recycled and the CQE has no flags (net.c io_recv(): ret <= 0 ->
 * io_kbuf_recycle). Either way the entry's addr/len are unchanged and the kernel's head stays.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 90
#define BUFSZ 64

FIXTURE(eof) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int fds[2];
};

FIXTURE_VARIANT(eof) {
	int sock;
	unsigned int eof_flags;
};

FIXTURE_VARIANT_ADD(eof, pipe) { .sock = 0, .eof_flags = UBC_BUF_FLAGS(4) | IORING_CQE_F_BUF_MORE };
FIXTURE_VARIANT_ADD(eof, socket) { .sock = 1, .eof_flags = 0 };

FIXTURE_SETUP(eof)
{
	UBC_REQUIRE(UBC_F_PBUF_RING_INC);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, BUFSZ);
	if (variant->sock) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->fds));
	} else {
		ASSERT_EQ(0, pipe(self->fds));
	}
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, IOU_PBUF_RING_INC, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 1, 4);
}

FIXTURE_TEARDOWN(eof)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fds[0]);
	if (self->fds[1] >= 0)
		close(self->fds[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUFSZ);
}

TEST_F(eof, zero_bytes_use_nothing)
{
	struct io_uring_buf *e = ubc_br_entry(&self->b, 0);
	unsigned int flags;
	int res;

	ASSERT_EQ(12, write(self->fds[1], "twelve bytes", 12));
	ASSERT_EQ(0, ubc_take(&self->ring, self->fds[0], variant->sock, 0, BGID, &res, &flags));
	ASSERT_EQ(12, res);
	ASSERT_EQ(UBC_BUF_FLAGS(4) | IORING_CQE_F_BUF_MORE, flags);
	close(self->fds[1]);
	self->fds[1] = -1;
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ubc_take(&self->ring, self->fds[0], variant->sock, 0, BGID, &res, &flags));
		ASSERT_EQ(0, res);
		ASSERT_EQ(variant->eof_flags, flags);
		ASSERT_EQ((uintptr_t)(self->mem + 12), e->addr);
		ASSERT_EQ((unsigned int)(BUFSZ - 12), e->len);
	}
	ASSERT_EQ(0, memcmp(self->mem, "twelve bytes", 12));
}

TEST_HARNESS_MAIN
