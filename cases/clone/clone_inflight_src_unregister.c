// SPDX-License-Identifier: MIT
/*
 * A fixed read on the dst through a cloned slot, kept in flight deterministically (it
 * reads an empty pipe), survives src giving its buffers up: io_uring_unregister_buffers(src)
 * returns 0 at once (it waits for nothing of dst's), or src is closed; then the pipe is
 * written and the dst read completes with all bytes in the shared memory; the dst slot
 * still works afterwards (the mapping is refcounted, io_clone_buffers() / io_buffer_unmap()).
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096
#define MSG_LEN 100
#define READ_UD 9

FIXTURE(clone) {
	struct io_uring src, dst;
	int src_open;
	void *mem;
	int pfd[2], fd;
};

FIXTURE_VARIANT(clone) {
	int close_src;
};

FIXTURE_VARIANT_ADD(clone, src_unregisters) { .close_src = 0 };
FIXTURE_VARIANT_ADD(clone, src_closes) { .close_src = 1 };

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	self->src_open = 1;
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	ASSERT_EQ(0, io_uring_clone_buffers(&self->dst, &self->src));
	ASSERT_EQ(0, pipe(self->pfd));
	self->fd = ubc_tmpfile(BUF_LEN, 57);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fd);
	close(self->pfd[0]);
	close(self->pfd[1]);
	io_uring_queue_exit(&self->dst);
	if (self->src_open)
		io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
}

TEST_F(clone, read_completes_into_memory)
{
	unsigned char msg[MSG_LEN];
	struct ubc_cqe c;

	memset(self->mem, 0, BUF_LEN);
	ASSERT_EQ(0, ubc_queue_read_fixed(&self->dst, self->pfd[0], self->mem, MSG_LEN, 0, READ_UD));
	/* In flight: an empty pipe gives no completion (none has come by now). */
	ASSERT_EQ(-ETIME, ubc_next_cqe(&self->dst, 0, &c));
	if (variant->close_src) {
		io_uring_queue_exit(&self->src);
		self->src_open = 0;
	} else {
		ASSERT_EQ(0, io_uring_unregister_buffers(&self->src));
	}
	ubc_fill(msg, MSG_LEN, 58, 0);
	ASSERT_EQ(MSG_LEN, write(self->pfd[1], msg, MSG_LEN));
	ASSERT_EQ(0, ubc_next_cqe(&self->dst, UBC_CQE_WAIT_MS, &c));
	ASSERT_EQ((unsigned long long)READ_UD, c.user_data);
	ASSERT_EQ(MSG_LEN, c.res);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, MSG_LEN, 58, 0));
	ASSERT_EQ(-1, ubc_first_not((unsigned char *)self->mem + MSG_LEN, BUF_LEN - MSG_LEN, 0));
	/* The dst slot still maps the memory. */
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, BUF_LEN, 57, 0));
}

TEST_HARNESS_MAIN
