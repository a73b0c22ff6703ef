// SPDX-License-Identifier: MIT
/* One SQE submitted and its CQE reaped; a fixed read or write through a registered slot. */
#include "ubc.h"

int ubc_submit_one(struct io_uring *ring, int *res, unsigned int *flags)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_submit(ring);

	if (ret != 1)
		return ret < 0 ? ret : -EAGAIN;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	*res = cqe->res;
	*flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

int ubc_rw_fixed(struct io_uring *ring, int write, int fd, void *buf, unsigned int len,
		 unsigned long long off, int idx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;
	int res, ret;

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write_fixed(sqe, fd, buf, len, off, idx);
	else
		io_uring_prep_read_fixed(sqe, fd, buf, len, off, idx);
	ret = ubc_submit_one(ring, &res, &flags);
	return ret ? ret : res;
}

int ubc_vec_fixed(struct io_uring *ring, int write, int fd, struct iovec *v, int nr)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;
	int res, ret;

	if (!sqe)
		return -EBUSY;
	(write ? io_uring_prep_writev_fixed : io_uring_prep_readv_fixed)(sqe, fd, v, nr, 0, 0, 0);
	ret = ubc_submit_one(ring, &res, &flags);
	return ret ? ret : res;
}
