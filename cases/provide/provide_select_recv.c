// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): selection is supported for socket receive. net.c
 * io_recv() (6.1, 6.12, 7.3): the SQE's len is the most to receive, 0 = whole buffer; the CQE
 * carries IORING_CQE_F_BUFFER and the ID. The socket holds exactly what the two receives take,
 * so the flags word is compared whole: IORING_CQE_F_SOCK_NONEMPTY is allowed only on the first
 * CQE, while bytes remain (whether a kernel reports it for AF_UNIX varies: host 6.18 does), and
 * must be clear on the last.
 */
#include "ubc_test.h"

#define LEN 64
#define BGID 21

FIXTURE(recv) {
	struct io_uring ring;
	char *mem;
	int sv[2];
};

FIXTURE_VARIANT(recv) {
	unsigned int sqe_len;
	int res;
};

FIXTURE_VARIANT_ADD(recv, len_16_receives_16) { .sqe_len = 16, .res = 16 };
FIXTURE_VARIANT_ADD(recv, len_0_receives_whole_buffer) { .sqe_len = 0, .res = LEN };
FIXTURE_VARIANT_ADD(recv, len_200_capped_to_buffer) { .sqe_len = 200, .res = LEN };

FIXTURE_SETUP(recv)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	memset(self->mem, 0xee, 2 * LEN);
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, 2 * variant->res, 13));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 500, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(recv)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

/* Two receives: IDs 500 then 501, each limited by len or by the buffer, stream in order. */
TEST_F(recv, recv_select)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < 2; i++) {
		unsigned int flags;
		int res;

		ASSERT_EQ(0, ubc_recv_select(&self->ring, self->sv[0], variant->sqe_len, BGID, &res, &flags));
		ASSERT_EQ(variant->res, res);
		unsigned int want = IORING_CQE_F_BUFFER | ((500 + i) << IORING_CQE_BUFFER_SHIFT);

		/* Bytes remain after the first receive only. */
		if (i == 0)
			want |= flags & IORING_CQE_F_SOCK_NONEMPTY;
		ASSERT_EQ(want, flags) TH_LOG("receive %u: flags 0x%x", i, flags);
		ASSERT_EQ(-1, ubc_mismatch(self->mem + i * LEN, res, 13, pos));
		pos += res;
	}
}

TEST_HARNESS_MAIN
