// SPDX-License-Identifier: MIT
/*
 * A SINGLE_ISSUER src ring owned by another task cannot be cloned from: EEXIST
 * (io_register_clone_buffers() in 6.18 and 7.3: src_ctx->submitter_task != current).
 * Not on the page. Kernel-dependent: 6.12.107 has no such check and returns 0, so
 * expected/ marks this case as failing there; no probe can tell the check apart.
 */
#include <pthread.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring dst, src;	/* src: SINGLE_ISSUER, made by another thread */
	void *mem;
	struct iovec iov;
	int src_ret;
};

static void *make_src(void *p)
{
	FIXTURE_DATA(clone) *self = p;

	self->src_ret = io_uring_queue_init(8, &self->src, IORING_SETUP_SINGLE_ISSUER);
	if (!self->src_ret)
		self->src_ret = io_uring_register_buffers(&self->src, &self->iov, 1);
	return NULL;
}

FIXTURE_SETUP(clone)
{
	pthread_t t;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	self->iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, pthread_create(&t, NULL, make_src, self));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, self->src_ret) TH_LOG("SINGLE_ISSUER ring in a thread: %s", strerror(-self->src_ret));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->src);
	io_uring_queue_exit(&self->dst);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, is_eexist)
{
	ASSERT_EQ(-EEXIST, ubc_clone_raw(self->dst.ring_fd, self->src.ring_fd, 0, 0, 0, 0));
	/* Nothing was cloned. */
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->dst));
}

TEST_HARNESS_MAIN
