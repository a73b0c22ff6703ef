// SPDX-License-Identifier: MIT
/*
 * Plain IORING_OP_SEND and IORING_OP_RECV through a registered buffer: IORING_RECVSEND_FIXED_BUF
 * in sqe->ioprio, the slot in sqe->buf_index, addr/len inside the slot's range as for
 * read_fixed (io_uring_prep_send_zc_fixed(3): "buf and len arguments must fall within a region
 * specified by buf_index"). net.c (7.2 on) imports the range at issue (io_send()/io_recv(),
 * REQ_F_IMPORT_BUFFER) and keeps the iterator across a MSG_WAITALL retry. Checked: the bytes
 * sent are those at the address, twice in a row and across a page boundary; a recv lands at
 * its address, short then full, and nothing else is written; MSG_WAITALL transfers that need
 * several rounds (a recv fed in two parts, a 256 KiB send through a smaller socket buffer)
 * complete whole, every byte in place.
 */
#include <pthread.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define REG_LEN (2 * 4096)
#define BIG (256 * 1024)

FIXTURE(frw) {
	struct io_uring ring;
	unsigned char *reg;
	int sv[2];
};

FIXTURE_SETUP(frw)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_SENDRECV_FIXED_BUF);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->reg, REG_LEN);
	memset(self->reg, 0xee, REG_LEN);
	iov = (struct iovec){ .iov_base = self->reg, .iov_len = REG_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
}

FIXTURE_TEARDOWN(frw)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->reg, REG_LEN);
}

static void prep_fixed(struct io_uring_sqe *sqe, int send, int fd, void *addr, unsigned int len, int msg_flags)
{
	if (send)
		io_uring_prep_send(sqe, fd, addr, len, msg_flags);
	else
		io_uring_prep_recv(sqe, fd, addr, len, msg_flags);
	sqe->ioprio = IORING_RECVSEND_FIXED_BUF;
	sqe->buf_index = 0;
	sqe->user_data = 3;
}

static int fixed_io(struct io_uring *ring, int send, int fd, void *addr, unsigned int len, unsigned int *flags)
{
	int res;

	prep_fixed(io_uring_get_sqe(ring), send, fd, addr, len, 0);
	if (ubc_submit_one(ring, &res, flags))
		return -1000;
	return res;
}

/* 100 bytes from offset 3000, then 300 from 3900 (across the page boundary): the peer gets exactly those. */
TEST_F(frw, send_twice_at_offsets)
{
	static const size_t off[2] = { 3000, 3900 }, len[2] = { 100, 300 };
	unsigned char got[512];
	unsigned int flags;

	ubc_fill(self->reg, REG_LEN, 73, 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ((int)len[i], fixed_io(&self->ring, 1, self->sv[1], self->reg + off[i], len[i], &flags));
		ASSERT_EQ(0u, flags);
		ASSERT_EQ((ssize_t)len[i], recv(self->sv[0], got, sizeof(got), MSG_DONTWAIT));
		ASSERT_EQ(-1, ubc_mismatch(got, len[i], 73, off[i])) TH_LOG("send %d", i);
	}
}

/* 50 bytes waiting, a recv of 100 at offset 1000 takes the 50; then 100 waiting, a recv of 100 at 4050 takes them. */
TEST_F(frw, recv_short_then_full_at_offsets)
{
	unsigned char data[150];
	unsigned int flags;
	int res;

	ubc_fill(data, sizeof(data), 74, 0);
	ASSERT_EQ(50, write(self->sv[1], data, 50));
	res = fixed_io(&self->ring, 0, self->sv[0], self->reg + 1000, 100, &flags);
	ASSERT_EQ(50, res);
	ASSERT_EQ(0u, flags) TH_LOG("nothing left in the socket, flags 0x%x", flags);
	ASSERT_EQ(-1, ubc_mismatch(self->reg + 1000, 50, 74, 0));
	ASSERT_EQ(100, write(self->sv[1], data + 50, 100));
	ASSERT_EQ(100, fixed_io(&self->ring, 0, self->sv[0], self->reg + 4050, 100, &flags));
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(-1, ubc_mismatch(self->reg + 4050, 100, 74, 50));
	/* Nothing else written. */
	ASSERT_EQ(-1, ubc_first_not(self->reg, 1000, 0xee));
	ASSERT_EQ(-1, ubc_first_not(self->reg + 1050, 4050 - 1050, 0xee));
	ASSERT_EQ(-1, ubc_first_not(self->reg + 4150, REG_LEN - 4150, 0xee));
}

/* MSG_WAITALL recv of 200 at offset 4000, fed 80 then 120 bytes: one CQE of 200, in place. */
TEST_F(frw, recv_waitall_two_parts)
{
	unsigned char data[200];
	unsigned long long ud;
	unsigned int flags;
	int res;

	ubc_fill(data, sizeof(data), 75, 0);
	prep_fixed(io_uring_get_sqe(&self->ring), 0, self->sv[0], self->reg + 4000, 200, MSG_WAITALL);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud));
	ASSERT_EQ(80, write(self->sv[1], data, 80));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 100, &res, &flags, &ud)) TH_LOG("res %d after 80 bytes", res);
	ASSERT_EQ(120, write(self->sv[1], data + 80, 120));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
	ASSERT_EQ(3u, ud);
	ASSERT_EQ(200, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(-1, ubc_mismatch(self->reg + 4000, 200, 75, 0));
	ASSERT_EQ(-1, ubc_first_not(self->reg, 4000, 0xee));
	ASSERT_EQ(-1, ubc_first_not(self->reg + 4200, REG_LEN - 4200, 0xee));
}

struct reader {
	int fd;
	unsigned char *got;
	size_t n;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;

	while (r->n < BIG) {
		ssize_t k = recv(r->fd, r->got + r->n, BIG - r->n, 0);

		if (k <= 0)
			break;
		r->n += (size_t)k;
	}
	return NULL;
}

/*
 * A MSG_WAITALL send of 256 KiB from a registered buffer through a 4 KiB send buffer goes out
 * in many partial sends (io_send() retries from where it stopped): one CQE of 256 KiB and the
 * reader gets every byte in order.
 */
FIXTURE(fbig) {
	struct io_uring ring;
	unsigned char *reg, *got;
	int sv[2];
};

FIXTURE_SETUP(fbig)
{
	struct iovec iov;
	int sz = 4096;

	UBC_REQUIRE(UBC_F_SENDRECV_FIXED_BUF);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->reg, BIG);
	UBC_BUF(self->got, BIG);
	ubc_fill(self->reg, BIG, 76, 0);
	iov = (struct iovec){ .iov_base = self->reg, .iov_len = BIG };
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, setsockopt(self->sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)));
}

FIXTURE_TEARDOWN(fbig)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->reg, BIG);
	ubc_buf_free(self->got, BIG);
}

TEST_F(fbig, send_waitall_many_rounds)
{
	struct reader r = { .fd = self->sv[0], .got = self->got, .n = 0 };
	unsigned long long ud;
	unsigned int flags;
	pthread_t t;
	int res;

	prep_fixed(io_uring_get_sqe(&self->ring), 1, self->sv[1], self->reg, BIG, MSG_WAITALL);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, pthread_create(&t, NULL, read_all, &r));
	ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 10000, &res, &flags, &ud));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(BIG, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ((size_t)BIG, r.n);
	ASSERT_EQ(-1, ubc_mismatch(self->got, BIG, 76, 0));
}

TEST_HARNESS_MAIN
