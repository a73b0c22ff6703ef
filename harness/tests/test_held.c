// SPDX-License-Identifier: MIT
/*
 * The held-buffer helpers of harness/ubc_held.c on the running kernel. ubc_held_recv's
 * premise is a recv that waits: it holds on an empty socket with a buffer in the group, and
 * it is refused (-EALREADY) when the premise is broken: the data is already there, a
 * MSG_WAITALL recv already has all it wants, or the group has no buffer (the recv ends at
 * once with -ENOBUFS). ubc_held_give puts the buffer the ID says in the group, and
 * ubc_held_done takes only the held recv's CQE.
 */
#include <sys/socket.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 7
#define LEN 32

FIXTURE(held) {
	struct ubc_held h;
};

FIXTURE_SETUP(held)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	ASSERT_EQ(0, ubc_held_setup(&self->h, LEN));
}

FIXTURE_TEARDOWN(held)
{
	ubc_held_free(&self->h);
}

/* The premise holds: the recv waits, then completes into the group's buffer when data comes. */
static void waits_then_completes(struct __test_metadata *_metadata, struct ubc_held *h,
				 enum ubc_held_kind kind, void *into, int id)
{
	unsigned int flags;
	int res;

	ASSERT_EQ(0, ubc_held_give(h, BGID, kind));
	ASSERT_EQ(0, ubc_held_recv(h, 0, 0, BGID, 0));
	ASSERT_EQ(LEN, write(h->sv[1], "held-buffer-helper-test-32-bytes", LEN));
	ASSERT_EQ(0, ubc_held_done(h, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(UBC_BUF_FLAGS(id), flags);
	ASSERT_EQ(0, memcmp(into, "held-buffer-helper-test-32-bytes", LEN));
}

TEST_F(held, legacy_recv_waits)
{
	waits_then_completes(_metadata, &self->h, UBC_HELD_LEGACY, self->h.legacy, UBC_HELD_LEGACY_ID);
}

TEST_F(held, ring_recv_waits)
{
	waits_then_completes(_metadata, &self->h, UBC_HELD_RING, self->h.ringbuf, UBC_HELD_RING_ID);
}

/* Broken premises: each recv completes at once, and the helper says so. */
TEST_F(held, data_already_there_is_refused)
{
	ASSERT_EQ(0, ubc_held_give(&self->h, BGID, UBC_HELD_LEGACY));
	ASSERT_EQ(5, write(self->h.sv[1], "ready", 5));
	ASSERT_EQ(-EALREADY, ubc_held_recv(&self->h, 0, 0, BGID, 0));
}

TEST_F(held, waitall_already_satisfied_is_refused)
{
	ASSERT_EQ(0, ubc_held_give(&self->h, BGID, UBC_HELD_RING));
	ASSERT_EQ(10, write(self->h.sv[1], "0123456789", 10));
	ASSERT_EQ(-EALREADY, ubc_held_recv(&self->h, 10, MSG_WAITALL, BGID, 0));
}

TEST_F(held, empty_group_is_refused)
{
	ASSERT_EQ(-EALREADY, ubc_held_recv(&self->h, 0, 0, BGID, 0));
	ASSERT_EQ(-EALREADY, ubc_held_recv(&self->h, 0, 0, BGID, IOSQE_ASYNC));
}

/* ubc_held_done waits for the held recv only: another request's CQE is -EPROTO. */
TEST_F(held, done_refuses_another_cqe)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->h.ring);
	unsigned int flags;
	int res;

	io_uring_prep_nop(sqe);
	sqe->user_data = UBC_HELD_UD + 1;
	ASSERT_EQ(1, io_uring_submit(&self->h.ring));
	ASSERT_EQ(-EPROTO, ubc_held_done(&self->h, &res, &flags));
}

TEST_HARNESS_MAIN
