// SPDX-License-Identifier: MIT
/*
 * A SINGLE_ISSUER src ring owned by another task cannot be cloned from: EEXIST
 * (io_register_clone_buffers() in 6.18 and 7.3: src_ctx->submitter_task != current).
 * Not on the page. Kernel-dependent: 6.12.107 has no such check and returns 0, so
 * expected/ marks this case as failing there; no probe can tell the check apart.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring dst, src;	/* src: SINGLE_ISSUER, made by another thread */
	void *mem;
};

FIXTURE_SETUP(clone)
{
	struct iovec iov, got;
	int ret;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ret = ubc_ring_in_thread(&self->src, 8, IORING_SETUP_SINGLE_ISSUER, &iov, 1);
	ASSERT_EQ(0, ret) TH_LOG("SINGLE_ISSUER ring in a thread: %s", strerror(-ret));
	/* The premise, as the kernel reports it: src has one buffer, mem (not ENXIO's case). */
	ret = ubc_ring_bufs(self->src.ring_fd, &got, 1);
	ASSERT_EQ(1, ret) TH_LOG("src's buffer table (fdinfo): %d", ret);
	ASSERT_EQ(self->mem, got.iov_base);
	ASSERT_EQ((size_t)BUF_LEN, got.iov_len);
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
