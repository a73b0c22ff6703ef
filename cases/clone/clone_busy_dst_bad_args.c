// SPDX-License-Identifier: MIT
/*
 * Which error wins when dst already has buffers and the argument is bad too (not on the
 * page). Since 6.13 io_register_clone_buffers() reads and checks the argument (EFAULT,
 * EINVAL for unknown flags or non-zero padding) before it tests dst's table (EBUSY without
 * IORING_REGISTER_DST_REPLACE), but non-zero padding only after it, in io_clone_buffers()
 * (host 6.18: EBUSY). 6.12 tested the table first and answers EBUSY to all of them
 * (expected/ marks it). The refused call leaves dst's own buffer in slot 0.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

enum bad { NOTHING, FLAG_BIT2, PAD_WORD, UNREADABLE };

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem[2], *argpage;
	int fd;
};

FIXTURE_VARIANT(clone) {
	enum bad bad;
	int expect;
};

FIXTURE_VARIANT_ADD(clone, well_formed_is_ebusy) { .bad = NOTHING, .expect = -EBUSY };
FIXTURE_VARIANT_ADD(clone, unknown_flag_is_einval) { .bad = FLAG_BIT2, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, pad_after_busy_is_ebusy) { .bad = PAD_WORD, .expect = -EBUSY };
FIXTURE_VARIANT_ADD(clone, unreadable_arg_is_efault) { .bad = UNREADABLE, .expect = -EFAULT };

FIXTURE_SETUP(clone)
{
	struct iovec iov[2];

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, iov, 2, BUF_LEN));
	UBC_BUF(self->argpage, BUF_LEN);
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov[0], 1));
	ASSERT_EQ(0, io_uring_register_buffers(&self->dst, &iov[1], 1));
	self->fd = ubc_tmpfile(BUF_LEN, 37);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
	ubc_buf_free(self->argpage, BUF_LEN);
}

TEST_F(clone, busy_dst)
{
	struct io_uring_clone_buffers arg = { .src_fd = self->src.ring_fd };
	void *p = &arg;

	if (variant->bad == FLAG_BIT2)
		arg.flags = 1u << 2;
	if (variant->bad == PAD_WORD)
		arg.pad[0] = 1;
	if (variant->bad == UNREADABLE)
		p = (char *)self->argpage + sysconf(_SC_PAGESIZE);	/* the guard page */
	ASSERT_EQ(variant->expect, io_uring_register(self->dst.ring_fd, IORING_REGISTER_CLONE_BUFFERS, p, 1));
	/* dst's slot 0 is still its own buffer, not src's. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem[1], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 37, 0));
}

TEST_HARNESS_MAIN
