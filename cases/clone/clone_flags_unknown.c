// SPDX-License-Identifier: MIT
/*
 * IORING_REGISTER_CLONE_BUFFERS refuses flag bits it does not know and non-zero padding
 * with EINVAL (io_register_clone_buffers(): flags mask, memchr_inv(pad)); the page does
 * not list this errno. Everything else in the call is well formed: src has a buffer, dst
 * has none. Padding words 5..7 (bytes 20..31) are padding on every kernel with clone.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem;
};

FIXTURE_VARIANT(clone) {
	unsigned int flags;
	int pad_word;		/* 0: none; else index of the u32 set to 1 in pad[] */
};

FIXTURE_VARIANT_ADD(clone, flag_bit2) { .flags = 1u << 2 };
FIXTURE_VARIANT_ADD(clone, flag_bit31) { .flags = 1u << 31 };
FIXTURE_VARIANT_ADD(clone, all_unknown_bits) { .flags = ~3u };
FIXTURE_VARIANT_ADD(clone, pad_first_word) { .pad_word = 1 };
FIXTURE_VARIANT_ADD(clone, pad_last_word) { .pad_word = 3 };

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, is_einval)
{
	struct io_uring_clone_buffers arg = { .src_fd = self->src.ring_fd, .flags = variant->flags };

	if (variant->pad_word)
		arg.pad[variant->pad_word - 1] = 1;
	ASSERT_EQ(-EINVAL, io_uring_register(self->dst.ring_fd, IORING_REGISTER_CLONE_BUFFERS, &arg, 1));
	/* And nothing was cloned. */
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->dst));
	/* The same call without the bad bits is fine. */
	arg.flags = 0;
	memset(arg.pad, 0, sizeof(arg.pad));
	ASSERT_EQ(0, io_uring_register(self->dst.ring_fd, IORING_REGISTER_CLONE_BUFFERS, &arg, 1));
	/* which gave dst a table to unregister. */
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->dst));
}

TEST_HARNESS_MAIN
