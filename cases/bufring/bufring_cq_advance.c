// SPDX-License-Identifier: MIT
/*
 * io_uring_buf_ring_cq_advance(3): commits count added buffers to the ring "At the same time,
 * it advances the CQ ring of ring by count amount"; __io_uring_buf_ring_cq_advance() "advances
 * the CQ ring by cq_count entries, and the buffer ring by buf_count entries". Checked on the
 * CQ (io_uring_cq_ready) and on the kernel's side: the re-added buffers are selected, each
 * with its ID, its length (read i asks for 2 * LEN at offset i * LEN and gets LEN, the
 * buffer's length) and its address (the bytes of that offset land there).
 */
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 85
#define LEN 16

FIXTURE(cqadv) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd;
};

FIXTURE_SETUP(cqadv)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 4 * LEN);
	self->fd = ubc_tmpfile(3 * LEN, 55);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 8, BGID, 0, 0));
}

FIXTURE_TEARDOWN(cqadv)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * LEN);
}

/* Submit nr selecting reads and wait until all their CQEs are in the CQ ring, unreaped. */
static int reads_pending(struct io_uring *ring, int fd, int nr)
{
	struct io_uring_cqe *cqe;

	for (int i = 0; i < nr; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		io_uring_prep_read(sqe, fd, NULL, LEN, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
	}
	return io_uring_submit_and_wait(ring, nr) == nr ? io_uring_wait_cqe_nr(ring, &cqe, nr) : -EIO;
}

TEST_F(cqadv, both_by_count)
{
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, LEN, 2, 0);
	ASSERT_EQ(0, reads_pending(&self->ring, self->fd, 2));
	ASSERT_EQ(2u, io_uring_cq_ready(&self->ring));
	/* Give both buffers back as IDs 10, 11 and retire both CQEs in one call. */
	io_uring_buf_ring_add(self->b.br, self->mem + 2 * LEN, LEN, 10, 7, 0);
	io_uring_buf_ring_add(self->b.br, self->mem + 3 * LEN, LEN, 11, 7, 1);
	io_uring_buf_ring_cq_advance(&self->ring, self->b.br, 2);
	ASSERT_EQ(0u, io_uring_cq_ready(&self->ring));
	ASSERT_EQ(4, self->b.br->tail);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 2 * LEN,
					     (unsigned long long)i * LEN, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(10 + i), flags);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + (2 + i) * LEN, LEN, 55, (size_t)i * LEN));
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
}

TEST_F(cqadv, split_counts)
{
	unsigned int flags;
	int res;

	ubc_br_fill(&self->b, self->mem, LEN, 2, 0);
	ASSERT_EQ(0, reads_pending(&self->ring, self->fd, 2));
	io_uring_buf_ring_add(self->b.br, self->mem + 2 * LEN, LEN, 20, 7, 0);
	io_uring_buf_ring_add(self->b.br, self->mem + 3 * LEN, LEN, 21, 7, 1);
	/* One CQE retired, two buffers committed. */
	__io_uring_buf_ring_cq_advance(&self->ring, self->b.br, 1, 2);
	ASSERT_EQ(1u, io_uring_cq_ready(&self->ring));
	ASSERT_EQ(4, self->b.br->tail);
	io_uring_cq_advance(&self->ring, 1);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, 2 * LEN,
					     (unsigned long long)i * LEN, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(20 + i), flags);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + (2 + i) * LEN, LEN, 55, (size_t)i * LEN));
	}
}

TEST_HARNESS_MAIN
