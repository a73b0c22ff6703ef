// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buffers(3): a buffer whose range runs from mapped memory into an
 * unmapped (PROT_NONE guard) page cannot be pinned: EFAULT (io_pin_pages(): fewer pages
 * pinned than asked), and no table is left. A buffer ending exactly at the guard works.
 */
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 8192

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem;
	int fd;
};

FIXTURE_VARIANT(regbuf) {
	size_t len;
	int expect;
};

/* ubc_buf_alloc puts a PROT_NONE page right after the BUF_LEN bytes. */
FIXTURE_VARIANT_ADD(regbuf, ends_at_guard) { .len = BUF_LEN, .expect = 0 };
FIXTURE_VARIANT_ADD(regbuf, one_byte_into_guard) { .len = BUF_LEN + 1, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(regbuf, whole_guard_page) { .len = BUF_LEN + 4096, .expect = -EFAULT };

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	self->fd = ubc_tmpfile(BUF_LEN, 8);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(regbuf, pin)
{
	struct iovec iov = { .iov_base = self->mem, .iov_len = variant->len };

	ASSERT_EQ(variant->expect, io_uring_register_buffers(&self->ring, &iov, 1));
	if (variant->expect) {
		ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
		return;
	}
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 8, 0));
}

TEST_HARNESS_MAIN
