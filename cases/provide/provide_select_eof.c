// SPDX-License-Identifier: MIT
/*
 * What end-of-file does to a selected buffer (not on the page). A read at EOF (file or pipe
 * with no writer) completes with res 0 and still consumes the buffer: the CQE carries
 * IORING_CQE_F_BUFFER and its ID (rw.c kiocb_done() -> io_put_kbuf(), 6.1, 6.12, 7.3). A recv
 * that returns 0 puts the buffer back instead (net.c io_recv(): "ret <= 0 && !done_io ->
 * io_kbuf_recycle()"), so the CQE has no buffer flag and the group keeps it.
 */
#include <sys/socket.h>
#include "ubc_test.h"

#define LEN 64
#define BGID 40

FIXTURE(eof) {
	struct io_uring ring;
	char *mem;
};

FIXTURE_SETUP(eof)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 2 * LEN);
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 2, BGID, 70, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(eof)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * LEN);
}

/* Read at the end of a LEN-byte file: res 0, ID 70 reported and gone (1 left). */
TEST_F(eof, file_eof_consumes_buffer)
{
	int fd = ubc_tmpfile(LEN, 18), res;
	unsigned int flags;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ubc_read_select(&self->ring, fd, LEN, LEN, BGID, &res, &flags));
	close(fd);
	ASSERT_EQ(0, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (70u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
}

/* Read from a pipe whose write end is closed: same as a file. */
TEST_F(eof, pipe_eof_consumes_buffer)
{
	unsigned int flags;
	int p[2], res;

	ASSERT_EQ(0, pipe(p));
	close(p[1]);
	ASSERT_EQ(0, ubc_read_select(&self->ring, p[0], LEN, 0, BGID, &res, &flags));
	close(p[0]);
	ASSERT_EQ(0, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (70u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
}

/*
 * recv after the peer shut down writing: res 0, no buffer flag, and ID 70 goes back to the
 * head of the group (io_kbuf_recycle_legacy() list_add), so the next read selects it again.
 */
TEST_F(eof, recv_eof_keeps_buffer)
{
	unsigned int flags;
	int sv[2], res, fd;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, shutdown(sv[1], SHUT_WR));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, sv[0], LEN, BGID, &res, &flags));
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, res);
	ASSERT_EQ(0u, flags) TH_LOG("flags 0x%x", flags);
	fd = ubc_tmpfile(LEN, 18);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ubc_read_select(&self->ring, fd, LEN, 0, BGID, &res, &flags));
	close(fd);
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (70u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
}

TEST_HARNESS_MAIN
