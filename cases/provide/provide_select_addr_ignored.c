// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3): with buffer selection "no buffer should be provided in
 * the address field". rw.c (6.1 __io_import_iovec, 6.12/7.3 __io_import_rw_buffer) replaces
 * rw->addr with the selected buffer: an address given anyway is ignored, never written.
 */
#include "ubc_test.h"

#define LEN 64

FIXTURE(addr_ignored) {
	struct io_uring ring;
	char *mem, *other;
	int fd;
};

FIXTURE_SETUP(addr_ignored)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, LEN);
	UBC_BUF(self->other, LEN);
	memset(self->other, 0xee, LEN);
	self->fd = ubc_tmpfile(LEN, 23);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, 3, 9, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(addr_ignored)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, LEN);
	ubc_buf_free(self->other, LEN);
}

TEST_F(addr_ignored, read_with_addr_uses_selected_buffer)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	long at;
	int res;

	io_uring_prep_read(sqe, self->fd, self->other, LEN, 0);
	ASSERT_EQ(0, ubc_submit_select(&self->ring, sqe, 3, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (9u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 23, 0));
	at = ubc_first_not(self->other, LEN, 0xee);
	ASSERT_EQ(-1, at) TH_LOG("sqe->addr byte %ld written", at);
}

TEST_HARNESS_MAIN
