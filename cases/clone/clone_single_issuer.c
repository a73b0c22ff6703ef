// SPDX-License-Identifier: MIT
/*
 * IORING_SETUP_SINGLE_ISSUER rings and clone (not on the page):
 * - dst owned by another task: __io_uring_register() refuses any register call, EEXIST.
 * - both owned by the caller: the clone works.
 * (A src owned by another task: clone_src_single_issuer_other_task.)
 */
#include <pthread.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring plain, other;	/* other: SINGLE_ISSUER, made by another thread */
	void *mem;
	struct iovec iov;
	int other_ret;
};

static void *make_other(void *p)
{
	FIXTURE_DATA(clone) *self = p;

	self->other_ret = io_uring_queue_init(8, &self->other, IORING_SETUP_SINGLE_ISSUER);
	if (!self->other_ret)
		self->other_ret = io_uring_register_buffers(&self->other, &self->iov, 1);
	return NULL;
}

FIXTURE_SETUP(clone)
{
	pthread_t t;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->plain, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	self->iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, pthread_create(&t, NULL, make_other, self));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, self->other_ret) TH_LOG("SINGLE_ISSUER ring in a thread: %s", strerror(-self->other_ret));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->other);
	io_uring_queue_exit(&self->plain);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, dst_of_other_task_is_eexist)
{
	ASSERT_EQ(0, io_uring_register_buffers(&self->plain, &self->iov, 1));
	/* other has buffers, but EEXIST comes before the dst-busy check. */
	ASSERT_EQ(-EEXIST, ubc_clone_raw(self->other.ring_fd, self->plain.ring_fd, 0, 0, 0, 0));
}

TEST_F(clone, both_of_caller_clone)
{
	struct io_uring a, b;

	UBC_RING_INIT(&a, 8, IORING_SETUP_SINGLE_ISSUER);
	UBC_RING_INIT(&b, 8, IORING_SETUP_SINGLE_ISSUER);
	EXPECT_EQ(0, io_uring_register_buffers(&a, &self->iov, 1));
	EXPECT_EQ(0, io_uring_clone_buffers(&b, &a));
	io_uring_queue_exit(&b);
	io_uring_queue_exit(&a);
}

TEST_HARNESS_MAIN
