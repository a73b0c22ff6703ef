// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_recvmsg_multishot(3): each CQE's buffer starts with a struct
 * io_uring_recvmsg_out, then msg_namelen bytes for the source address, msg_controllen bytes
 * of control data, then the payload; res is the length of all of it; the header gives the
 * name, control and payload lengths and the flags (MSG_TRUNC when the payload did not fit;
 * payloadlen is then what was received, 96, not the datagram's 200: the recvmsg is done
 * without MSG_TRUNC and payloadlen is its result). net.c io_recvmsg_prep_multishot()/io_recvmsg_multishot() (6.0 .. 7.3). UDP over
 * loopback so that every datagram has a source address: 20 and 30 bytes, then 200 bytes into
 * a 128-byte buffer (96 bytes of room after the 16-byte header and the 16-byte name).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 95
#define BUFSZ 128
#define NAMELEN ((int)sizeof(struct sockaddr_in))
#define HDR ((int)sizeof(struct io_uring_recvmsg_out) + NAMELEN)

FIXTURE(rmshot) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *mem;
	struct sockaddr_in from;
	int rx, tx;
};

FIXTURE_SETUP(rmshot)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int sv[2];

	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, 4 * BUFSZ);
	memset(self->mem, 0xee, 4 * BUFSZ);
	/* ubc_tcp_pair brings lo up; its sockets are not used. */
	ASSERT_EQ(0, ubc_tcp_pair(sv));
	close(sv[0]);
	close(sv[1]);
	self->rx = socket(AF_INET, SOCK_DGRAM, 0);
	self->tx = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, self->rx);
	ASSERT_LE(0, self->tx);
	ASSERT_EQ(0, bind(self->rx, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, getsockname(self->rx, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, connect(self->tx, (struct sockaddr *)&a, sizeof(a)));
	alen = sizeof(self->from);
	ASSERT_EQ(0, getsockname(self->tx, (struct sockaddr *)&self->from, &alen));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
	ubc_br_fill(&self->b, self->mem, BUFSZ, 4, 0);
}

FIXTURE_TEARDOWN(rmshot)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->rx);
	close(self->tx);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * BUFSZ);
}

TEST_F(rmshot, header_name_payload)
{
	static const int sent[3] = { 20, 30, 200 };
	struct msghdr msg = { .msg_namelen = NAMELEN };
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned char dgram[200];
	unsigned long long ud;
	unsigned int flags;
	int res;

	io_uring_prep_recvmsg_multishot(sqe, self->rx, &msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = 9;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(-ETIME, ubc_wait_cqe_ms(&self->ring, 50, &res, &flags, &ud));
	for (int i = 0; i < 3; i++) {
		unsigned char *buf = self->mem + i * BUFSZ;
		struct io_uring_recvmsg_out out;
		struct sockaddr_in name;
		int fits = sent[i] < BUFSZ - HDR ? sent[i] : BUFSZ - HDR;

		ubc_fill(dgram, sent[i], 78, i * 256);
		ASSERT_EQ(sent[i], send(self->tx, dgram, sent[i], 0));
		ASSERT_EQ(0, ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &ud));
		ASSERT_EQ(9u, ud);
		ASSERT_EQ(HDR + fits, res) TH_LOG("datagram %d", i);
		ASSERT_EQ(UBC_BUF_FLAGS(i) | IORING_CQE_F_MORE, flags) TH_LOG("datagram %d flags 0x%x", i, flags);
		memcpy(&out, buf, sizeof(out));
		ASSERT_EQ((unsigned int)NAMELEN, out.namelen);
		ASSERT_EQ(0u, out.controllen);
		ASSERT_EQ((unsigned int)fits, out.payloadlen) TH_LOG("datagram %d", i);
		ASSERT_EQ(sent[i] > fits ? (unsigned int)MSG_TRUNC : 0u, out.flags) TH_LOG("datagram %d", i);
		memcpy(&name, buf + sizeof(out), sizeof(name));
		ASSERT_EQ(AF_INET, name.sin_family);
		ASSERT_EQ(self->from.sin_port, name.sin_port);
		ASSERT_EQ(self->from.sin_addr.s_addr, name.sin_addr.s_addr);
		ASSERT_EQ(-1, ubc_mismatch(buf + HDR, fits, 78, i * 256)) TH_LOG("datagram %d", i);
		ASSERT_EQ(-1, ubc_first_not(buf + HDR + fits, BUFSZ - HDR - fits, 0xee)) TH_LOG("datagram %d", i);
	}
}

TEST_HARNESS_MAIN
