// SPDX-License-Identifier: MIT
/*
 * Provided buffers: provide and remove, and submissions that select a buffer (IOSQE_BUFFER_SELECT):
 * any prepared SQE, a read, a recv. Built on ubc_submit_one (ubc_submit.c).
 */
#include "ubc.h"

int ubc_provide(struct io_uring *ring, void *addr, int len, int nr, int bgid, int bid, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_provide_buffers(sqe, addr, len, nr, bgid, bid);
	return ubc_submit_one(ring, res, &flags);
}

int ubc_remove(struct io_uring *ring, int nr, int bgid, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_remove_buffers(sqe, nr, bgid);
	return ubc_submit_one(ring, res, &flags);
}

int ubc_submit_select(struct io_uring *ring, struct io_uring_sqe *sqe, int bgid,
		      int *res, unsigned int *flags)
{
	if (!sqe)
		return -EBUSY;
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = bgid;
	return ubc_submit_one(ring, res, flags);
}

int ubc_read_select(struct io_uring *ring, int fd, unsigned int len, unsigned long long off,
		    int bgid, int *res, unsigned int *flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, NULL, len, off);
	return ubc_submit_select(ring, sqe, bgid, res, flags);
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
