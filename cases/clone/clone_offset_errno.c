// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers_offset(3) range checks, which the page does not list:
 * io_clone_buffers() in io_uring/rsrc.c (6.18, 7.3). src holds 4 buffers, dst none.
 *   offsets with nr == 0                  -> EINVAL
 *   nr > src's count                      -> EINVAL
 *   src_off + nr past src's end or wraps  -> EOVERFLOW
 *   dst_off + nr wraps                    -> EOVERFLOW
 *   dst_off + nr > IORING_MAX_REG_BUFFERS (16384) -> EINVAL; == 16384 is allowed
 * Called raw so liburing cannot rewrite src_fd or flags.
 */
#include <limits.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define NR_BUFS 4
#define BUF_LEN 4096
#define MAX_REG_BUFFERS 16384	/* IORING_MAX_REG_BUFFERS, io_uring/rsrc.c */

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem;
};

FIXTURE_VARIANT(clone) {
	unsigned int src_off, dst_off, nr;
	int expect;
};

FIXTURE_VARIANT_ADD(clone, offsets_without_nr_src) { .src_off = 1, .dst_off = 0, .nr = 0, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, offsets_without_nr_dst) { .src_off = 0, .dst_off = 1, .nr = 0, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, nr_past_src_count) { .src_off = 0, .dst_off = 0, .nr = NR_BUFS + 1, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, nr_uint_max) { .src_off = 0, .dst_off = 0, .nr = UINT_MAX, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, src_range_past_end) { .src_off = 1, .dst_off = 0, .nr = NR_BUFS, .expect = -EOVERFLOW };
FIXTURE_VARIANT_ADD(clone, src_off_at_end) { .src_off = NR_BUFS, .dst_off = 0, .nr = 1, .expect = -EOVERFLOW };
FIXTURE_VARIANT_ADD(clone, src_off_wraps) { .src_off = UINT_MAX, .dst_off = 0, .nr = 1, .expect = -EOVERFLOW };
FIXTURE_VARIANT_ADD(clone, dst_off_wraps) { .src_off = 0, .dst_off = UINT_MAX, .nr = 1, .expect = -EOVERFLOW };
FIXTURE_VARIANT_ADD(clone, dst_end_past_max) { .src_off = 0, .dst_off = MAX_REG_BUFFERS, .nr = 1, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, dst_end_past_max_by_nr) { .src_off = 0, .dst_off = MAX_REG_BUFFERS - 1, .nr = 2, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, dst_end_at_max) { .src_off = 3, .dst_off = MAX_REG_BUFFERS - 1, .nr = 1, .expect = 0 };
FIXTURE_VARIANT_ADD(clone, last_src_slot) { .src_off = NR_BUFS - 1, .dst_off = 0, .nr = 1, .expect = 0 };

FIXTURE_SETUP(clone)
{
	struct iovec iov[NR_BUFS];

	UBC_REQUIRE(UBC_F_CLONE_OFFSET);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, NR_BUFS * BUF_LEN);
	for (int i = 0; i < NR_BUFS; i++)
		iov[i] = (struct iovec){ .iov_base = (char *)self->mem + i * BUF_LEN, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, iov, NR_BUFS));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, NR_BUFS * BUF_LEN);
}

TEST_F(clone, range)
{
	int ret = ubc_clone_raw(self->dst.ring_fd, self->src.ring_fd, 0,
				variant->src_off, variant->dst_off, variant->nr);

	ASSERT_EQ(variant->expect, ret) TH_LOG("src_off %u dst_off %u nr %u: %s", variant->src_off,
					      variant->dst_off, variant->nr, strerror(-ret));
	/* A refused clone leaves dst without a table: unregister has nothing to drop. */
	if (variant->expect) {
		ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->dst));
	} else {
		/* The accepted range ends at dst_off + nr: the last slot updates, one past it does not. */
		struct iovec iov = { .iov_base = self->mem, .iov_len = BUF_LEN };
		unsigned int end = variant->dst_off + variant->nr;

		ASSERT_EQ(1, io_uring_register_buffers_update_tag(&self->dst, end - 1, &iov, NULL, 1));
		ASSERT_EQ(-EINVAL, io_uring_register_buffers_update_tag(&self->dst, end, &iov, NULL, 1));
	}
}

TEST_HARNESS_MAIN
