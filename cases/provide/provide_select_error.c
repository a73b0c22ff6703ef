// SPDX-License-Identifier: MIT
/*
 * What an error completion does to a selected buffer (not on the page). The buffer lies in
 * PROT_NONE memory, so the copy fails with -EFAULT after selection. A read fails with the
 * buffer consumed: the CQE still carries IORING_CQE_F_BUFFER and the ID (6.1
 * io_req_complete_failed / 6.12, 7.3 io_req_defer_failed -> io_put_kbuf). A recv puts the
 * buffer back (net.c io_recv() -> io_kbuf_recycle()): no flag, the group keeps it.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include "ubc_test.h"

#define BGID 42

FIXTURE(error) {
	struct io_uring ring;
	char *mem;
	size_t pg;
};

FIXTURE_SETUP(error)
{
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	self->pg = (size_t)sysconf(_SC_PAGESIZE);
	UBC_BUF(self->mem, 2 * self->pg);
	ASSERT_EQ(0, mprotect(self->mem, 2 * self->pg, PROT_NONE));
	/* provide only range-checks addresses: inaccessible memory is accepted. */
	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, self->pg, 2, BGID, 90, &res));
	ASSERT_EQ(0, res);
}

FIXTURE_TEARDOWN(error)
{
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 2 * self->pg);
}

TEST_F(error, read_efault_consumes_buffer)
{
	int fd = ubc_tmpfile(self->pg, 21), res;
	unsigned int flags;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ubc_read_select(&self->ring, fd, 0, 0, BGID, &res, &flags));
	close(fd);
	ASSERT_EQ(-EFAULT, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (90u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(1, res);
}

TEST_F(error, recv_efault_keeps_buffer)
{
	unsigned int flags;
	char data[16] = "0123456789abcdef";
	int sv[2], res;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(16, write(sv[1], data, sizeof(data)));
	ASSERT_EQ(0, ubc_recv_select(&self->ring, sv[0], 0, BGID, &res, &flags));
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(-EFAULT, res);
	/* No buffer flag; the 16 bytes are still queued, so IORING_CQE_F_SOCK_NONEMPTY may be set
	 * (6.17.13 sets it, host 6.18.44 does not), and nothing else. */
	ASSERT_EQ(flags & IORING_CQE_F_SOCK_NONEMPTY, flags) TH_LOG("flags 0x%x", flags);
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(2, res);
}

TEST_HARNESS_MAIN
