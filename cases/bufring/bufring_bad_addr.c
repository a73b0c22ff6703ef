// SPDX-License-Identifier: MIT
/*
 * A ring entry whose address is not a user address (a kernel one) is never written through.
 * A plain selecting recv skips nothing and fails with -ENOBUFS (kbuf.c io_ring_buffer_select():
 * access_ok() fails, no buffer; net.c -> -ENOBUFS). A bundle (6.10) fails with -EFAULT when
 * the bad entry is the first one, and also when it comes after a good one in a bundle that
 * grew its iovec array (io_ring_buffers_peek(): access_ok() in the loop, the grown array
 * freed). In each case the CQE has no flags, the bytes stay in the socket, the good buffer is
 * not written and the ring's head does not move.
 */
#include <sys/ioctl.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 98
#define BUFSZ 16
#define WAITING 40
#define KERNEL_ADDR 0xffff888000000000ULL	/* x86_64 direct map; above TASK_SIZE on arm64 too */

FIXTURE(badaddr) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	int sv[2];
};

FIXTURE_VARIANT(badaddr) {
	int bundle;
	unsigned int len;	/* sqe len */
	int bad;		/* index of the entry with the kernel address */
	int res;
};

FIXTURE_VARIANT_ADD(badaddr, recv_first) { .bundle = 0, .len = 0, .bad = 0, .res = -ENOBUFS };
FIXTURE_VARIANT_ADD(badaddr, bundle_first) { .bundle = 1, .len = BUFSZ, .bad = 0, .res = -EFAULT };
FIXTURE_VARIANT_ADD(badaddr, bundle_later_grown) { .bundle = 1, .len = 4 * BUFSZ, .bad = 1, .res = -EFAULT };

FIXTURE_SETUP(badaddr)
{
	int mask = io_uring_buf_ring_mask(4);

	UBC_REQUIRE(variant->bundle ? UBC_F_RECV_BUNDLE : UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4 * BUFSZ);
	memset(self->mem, 0, 4 * BUFSZ);
	ASSERT_EQ(0, ubc_tcp_pair_fill(self->sv, WAITING, 72));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	for (int i = 0; i < 4; i++) {
		void *addr = i == variant->bad ? (void *)(uintptr_t)KERNEL_ADDR : self->mem + i * BUFSZ;

		io_uring_buf_ring_add(self->b.br, addr, BUFSZ, 40 + i, mask, i);
	}
	io_uring_buf_ring_advance(self->b.br, 4);
}

FIXTURE_TEARDOWN(badaddr)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * BUFSZ);
}

TEST_F(badaddr, refused_nothing_moves)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags, head = 99;
	int res, n = -1;
	char why[256];

	io_uring_prep_recv(sqe, self->sv[0], NULL, variant->len, 0);
	if (variant->bundle)
		sqe->ioprio |= IORING_RECVSEND_BUNDLE;
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(variant->res, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(0, ioctl(self->sv[0], FIONREAD, &n));
	ASSERT_EQ(WAITING, n);
	ASSERT_EQ(-1, ubc_first_not(self->mem, 4 * BUFSZ, 0));
	if (ubc_probe(UBC_F_PBUF_STATUS, why, sizeof(why)) == 1) {
		ASSERT_EQ(0, ubc_br_head(&self->ring, BGID, &head));
		ASSERT_EQ(0u, head);
	}
}

TEST_HARNESS_MAIN
