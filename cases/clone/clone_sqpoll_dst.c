// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3) into an IORING_SETUP_SQPOLL dst: the dst's SQ thread issues
 * the fixed reads and writes, and it finds the cloned table like a registered one: every
 * slot reads into, and writes from, src's memory; the table keeps working after src
 * unregisters (the dst nodes hold their own references, io_clone_buffers()).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define NR_BUFS 2
#define BUF_LEN 4096

/*
 * One fixed read or write on the SQPOLL ring. io_uring_submit() on SQPOLL returns the
 * entries the SQ thread has not consumed yet, which is 0 when it was quick, so the
 * completion alone tells (ubc_rw_fixed() would take 0 for a failed submission).
 */
static int sq_rw_fixed(struct io_uring *ring, int write, int fd, void *buf, unsigned int len,
		       unsigned long long off, int idx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write_fixed(sqe, fd, buf, len, off, idx);
	else
		io_uring_prep_read_fixed(sqe, fd, buf, len, off, idx);
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[NR_BUFS];
	int fd;
};

FIXTURE_SETUP(clone)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 1000 };
	struct iovec iov[NR_BUFS];
	int ret;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	ret = io_uring_queue_init_params(8, &self->dst, &p);
	ASSERT_EQ(0, ret) TH_LOG("SQPOLL ring: %s", strerror(-ret));
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, iov, NR_BUFS, BUF_LEN));
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, iov, NR_BUFS));
	self->fd = ubc_tmpfile(NR_BUFS * BUF_LEN, 51);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, NR_BUFS, BUF_LEN);
}

TEST_F(clone, sq_thread_reads_and_writes)
{
	unsigned char back[BUF_LEN];

	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	for (int i = 0; i < NR_BUFS; i++) {
		memset(self->mem[i], 0, BUF_LEN);
		ASSERT_EQ(BUF_LEN, sq_rw_fixed(&self->dst, 0, self->fd, self->mem[i], BUF_LEN,
						(unsigned long long)i * BUF_LEN, i));
		ASSERT_EQ(-1, ubc_mismatch(self->mem[i], BUF_LEN, 51, (size_t)i * BUF_LEN));
	}
	ubc_fill(self->mem[1], BUF_LEN, 52, 0);
	ASSERT_EQ(BUF_LEN, sq_rw_fixed(&self->dst, 1, self->fd, self->mem[1], BUF_LEN, 0, 1));
	ASSERT_EQ(BUF_LEN, pread(self->fd, back, BUF_LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 52, 0));
}

TEST_F(clone, works_after_src_unregisters)
{
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->src));
	memset(self->mem[0], 0, BUF_LEN);
	ASSERT_EQ(BUF_LEN, sq_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[0], BUF_LEN, 51, 0));
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->src, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
}

TEST_HARNESS_MAIN
