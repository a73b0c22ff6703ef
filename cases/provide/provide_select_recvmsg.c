// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): a struct iovec destination works "only if 1 iovec is
 * provided". net.c io_recvmsg_copy_hdr() (6.1, 6.12, 7.3) with buffer selection: msg_iovlen
 * > 1 is -EINVAL; with 1 the iov_len is the most to receive; with 0 the whole buffer is used.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define LEN 64
#define BGID 22

FIXTURE(recvmsg) {
	struct io_uring ring;
	char *mem;
	char *other;
	int sv[2];
};

FIXTURE_VARIANT(recvmsg) {
	unsigned int iovlen;
	size_t iov_len;
	int res;
};

FIXTURE_VARIANT_ADD(recvmsg, one_iovec_len_16) { .iovlen = 1, .iov_len = 16, .res = 16 };
FIXTURE_VARIANT_ADD(recvmsg, one_iovec_len_200_capped) { .iovlen = 1, .iov_len = 200, .res = LEN };
FIXTURE_VARIANT_ADD(recvmsg, zero_iovecs_whole_buffer) { .iovlen = 0, .iov_len = 16, .res = LEN };
FIXTURE_VARIANT_ADD(recvmsg, two_iovecs_einval) { .iovlen = 2, .iov_len = 16, .res = -EINVAL };

FIXTURE_SETUP(recvmsg)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	UBC_BUF(self->other, 4 * LEN);
	memset(self->other, 0xee, 4 * LEN);
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, 4 * LEN, 14));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, BGID, 7, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(recvmsg)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
	ubc_buf_free(self->other, 4 * LEN);
}

TEST_F(recvmsg, recvmsg_select)
{
	struct iovec iov[2] = {
		{ .iov_base = self->other, .iov_len = variant->iov_len },
		{ .iov_base = self->other + 2 * LEN, .iov_len = variant->iov_len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = variant->iovlen };
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	long at;
	int res;

	io_uring_prep_recvmsg(sqe, self->sv[0], &msg, 0);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, BGID, &res, &flags));
	ASSERT_EQ(variant->res, res) TH_LOG("res %d", res);
	if (res < 0) {
		ASSERT_EQ(0u, flags) TH_LOG("flags 0x%x", flags);
		return;
	}
	/* Bytes remain in the socket: IORING_CQE_F_SOCK_NONEMPTY may be set (kernel-dependent), nothing else. */
	ASSERT_EQ(IORING_CQE_F_BUFFER | (7u << IORING_CQE_BUFFER_SHIFT) | (flags & IORING_CQE_F_SOCK_NONEMPTY), flags)
		TH_LOG("flags 0x%x", flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, res, 14, 0));
	at = ubc_first_not(self->other, 4 * LEN, 0xee);
	ASSERT_EQ(-1, at) TH_LOG("iov_base byte %ld written", at);
}

TEST_HARNESS_MAIN
