// SPDX-License-Identifier: MIT
/*
 * io_uring_buf_ring_available(3) "returns the number of unconsumed (by the kernel) entries":
 * (uint16_t)(tail - kernel head), 0 when none are left, -ENOENT "if the specified buffer group
 * doesn't exist". Needs IORING_REGISTER_PBUF_STATUS ("Available since kernel 6.8").
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 87
#define LEN 16

FIXTURE(avail) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd;
};

FIXTURE_SETUP(avail)
{
	UBC_REQUIRE(UBC_F_PBUF_STATUS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 10 * LEN);
	self->fd = ubc_tmpfile(LEN, 57);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 16, BGID, 0, 0));
}

FIXTURE_TEARDOWN(avail)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 10 * LEN);
}

TEST_F(avail, counts_unconsumed)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, io_uring_buf_ring_available(&self->ring, self->b.br, BGID));
	ubc_br_fill(&self->b, self->mem, LEN, 8, 0);
	ASSERT_EQ(8, io_uring_buf_ring_available(&self->ring, self->b.br, BGID));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(i), flags);
	}
	ASSERT_EQ(5, io_uring_buf_ring_available(&self->ring, self->b.br, BGID));
	ubc_br_fill(&self->b, self->mem + 8 * LEN, LEN, 2, 8);
	ASSERT_EQ(7, io_uring_buf_ring_available(&self->ring, self->b.br, BGID));
	for (int i = 0; i < 7; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(3 + i), flags);
	}
	ASSERT_EQ(0, io_uring_buf_ring_available(&self->ring, self->b.br, BGID));
}

TEST_F(avail, unknown_bgid_enoent)
{
	ASSERT_EQ(-ENOENT, io_uring_buf_ring_available(&self->ring, self->b.br, BGID + 1));
}

TEST_HARNESS_MAIN
