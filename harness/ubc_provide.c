// SPDX-License-Identifier: MIT
/*
 * Helpers the provided-buffer cases share: submitting with IOSQE_BUFFER_SELECT, a selecting
 * recv, a byte-fill check, and a socket pair with pattern bytes waiting to be received.
 */
#include <sys/socket.h>
#include <unistd.h>
#include "ubc.h"

int ubc_submit_select(struct io_uring *ring, struct io_uring_sqe *sqe, int bgid,
		      int *res, unsigned int *flags)
{
	if (!sqe)
		return -EBUSY;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = bgid;
	return ubc_submit_one(ring, res, flags);
}

int ubc_recv_select(struct io_uring *ring, int fd, unsigned int len, int bgid,
		    int *res, unsigned int *flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_recv(sqe, fd, NULL, len, 0);
	return ubc_submit_select(ring, sqe, bgid, res, flags);
}

long ubc_first_not(const void *p, size_t len, unsigned char c)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != c)
			return (long)i;
	return -1;
}

int ubc_socketpair_fill(int sv[2], size_t len, unsigned int seed)
{
	unsigned char chunk[4096];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	for (size_t off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		ubc_fill(chunk, n, seed, off);
		if (write(sv[1], chunk, n) != (ssize_t)n) {
			int err = errno ? errno : EIO;

			close(sv[0]);
			close(sv[1]);
			return -err;
		}
	}
	return 0;
}
