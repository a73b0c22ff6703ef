// SPDX-License-Identifier: MIT
/*
 * IOU_PBUF_RING_INC: "When more completions should be expected for a given buffer ID, the CQE
 * will have IORING_CQE_F_BUF_MORE set". kbuf.c io_kbuf_inc_commit(): the flag is set exactly
 * when bytes are left in the buffer after this completion; a completion that uses the last
 * byte carries no BUF_MORE and retires the entry (head moves on). A transfer is capped at the
 * bytes left. Two 30-byte buffers (IDs 1, 2); pipe and TCP socket (the last receive leaves
 * bytes behind: IORING_CQE_F_SOCK_NONEMPTY).
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 89
#define BUFSZ 30

FIXTURE(more) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int fds[2];
};

FIXTURE_VARIANT(more) {
	int sock;
};

FIXTURE_VARIANT_ADD(more, pipe) { .sock = 0 };
FIXTURE_VARIANT_ADD(more, socket) { .sock = 1 };

FIXTURE_SETUP(more)
{
	UBC_REQUIRE(UBC_F_PBUF_RING_INC);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * BUFSZ);
	if (variant->sock) {
		ASSERT_EQ(0, ubc_tcp_pair(self->fds));
	} else {
		ASSERT_EQ(0, pipe(self->fds));
	}
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, IOU_PBUF_RING_INC, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 2, 1);
}

FIXTURE_TEARDOWN(more)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fds[0]);
	close(self->fds[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * BUFSZ);
}

/* Put n bytes in, take one selecting receive; its res and flags. */
static void step(struct __test_metadata *_metadata, FIXTURE_DATA(more) *self, int sock, int n,
		 int *res, unsigned int *flags)
{
	unsigned char src[64];

	memset(src, n, n);
	ASSERT_EQ(n, write(self->fds[1], src, n));
	if (sock)
		ASSERT_EQ(0, ubc_wait_readable(self->fds[0], n));
	ASSERT_EQ(0, ubc_take(&self->ring, self->fds[0], sock, 0, BGID, res, flags));
}

TEST_F(more, flag_exactly_while_room_left)
{
	unsigned int flags, nonempty = variant->sock ? IORING_CQE_F_SOCK_NONEMPTY : 0;
	int res;

	step(_metadata, self, variant->sock, 10, &res, &flags);
	ASSERT_EQ(10, res);
	ASSERT_EQ(UBC_BUF_FLAGS(1) | IORING_CQE_F_BUF_MORE, flags);
	step(_metadata, self, variant->sock, 10, &res, &flags);
	ASSERT_EQ(10, res);
	ASSERT_EQ(UBC_BUF_FLAGS(1) | IORING_CQE_F_BUF_MORE, flags);
	/* The last 10 bytes of buffer 1: no BUF_MORE, the next receive uses buffer 2. */
	step(_metadata, self, variant->sock, 10, &res, &flags);
	ASSERT_EQ(10, res);
	ASSERT_EQ(UBC_BUF_FLAGS(1), flags);
	step(_metadata, self, variant->sock, 25, &res, &flags);
	ASSERT_EQ(25, res);
	ASSERT_EQ(UBC_BUF_FLAGS(2) | IORING_CQE_F_BUF_MORE, flags);
	/* 10 bytes waiting, 5 left in buffer 2: 5 are taken and the buffer is done. */
	step(_metadata, self, variant->sock, 10, &res, &flags);
	ASSERT_EQ(5, res);
	ASSERT_EQ(UBC_BUF_FLAGS(2) | nonempty, flags);
	ASSERT_EQ(-1, ubc_first_not(self->mem, 10, 10));
	ASSERT_EQ(-1, ubc_first_not(self->mem + 20, 10, 10));
	ASSERT_EQ(-1, ubc_first_not(self->mem + 30, 25, 25));
	ASSERT_EQ(-1, ubc_first_not(self->mem + 55, 5, 10));
	ASSERT_EQ(0, ubc_take(&self->ring, self->fds[0], variant->sock, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0u, flags);
}

TEST_HARNESS_MAIN
