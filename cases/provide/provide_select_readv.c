// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): selection works with a struct iovec destination "but
 * only if 1 iovec is provided". rw.c io_iov_buffer_select_prep(): readv with a count other
 * than 1 is -EINVAL; the one iovec's iov_len is the most to read (0 = whole buffer) and its
 * iov_base is ignored (6.1, 6.12, 7.3).
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define LEN 64
#define BGID 4

FIXTURE(readv) {
	struct io_uring ring;
	char *mem;
	char *other;
	int fd;
};

FIXTURE_VARIANT(readv) {
	unsigned int nr_vecs;
	size_t iov_len;
	int res;
};

FIXTURE_VARIANT_ADD(readv, one_iovec_len_16) { .nr_vecs = 1, .iov_len = 16, .res = 16 };
FIXTURE_VARIANT_ADD(readv, one_iovec_len_0_whole_buffer) { .nr_vecs = 1, .iov_len = 0, .res = LEN };
FIXTURE_VARIANT_ADD(readv, one_iovec_len_200_capped) { .nr_vecs = 1, .iov_len = 200, .res = LEN };
FIXTURE_VARIANT_ADD(readv, two_iovecs_einval) { .nr_vecs = 2, .iov_len = 16, .res = -EINVAL };
FIXTURE_VARIANT_ADD(readv, zero_iovecs_einval) { .nr_vecs = 0, .iov_len = 16, .res = -EINVAL };

FIXTURE_SETUP(readv)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	UBC_BUF(self->other, 4 * LEN);
	memset(self->other, 0xee, 4 * LEN);
	self->fd = ubc_tmpfile(4 * LEN, 9);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 33, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(readv)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
	ubc_buf_free(self->other, 4 * LEN);
}

TEST_F(readv, readv_select)
{
	struct iovec iov[2] = {
		{ .iov_base = self->other, .iov_len = variant->iov_len },
		{ .iov_base = self->other + 2 * LEN, .iov_len = variant->iov_len },
	};
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	long at;
	int res;

	io_uring_prep_readv(sqe, self->fd, iov, variant->nr_vecs, 0);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(variant->res, res) TH_LOG("res %d", res);
	if (res < 0) {
		ASSERT_EQ(0u, flags);
		return;
	}
	ASSERT_EQ(IORING_CQE_F_BUFFER | (33u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, res, 9, 0));
	/* iov_base was not written: the data went to the provided buffer only. */
	at = ubc_first_not(self->other, 4 * LEN, 0xee);
	ASSERT_EQ(-1, at) TH_LOG("iov_base byte %ld written", at);
}

TEST_HARNESS_MAIN
