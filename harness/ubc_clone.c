// SPDX-License-Identifier: MIT
/*
 * Clone helpers: one raw IORING_REGISTER_CLONE_BUFFERS, and a ring made by another thread (for the
 * cases that need a SINGLE_ISSUER ring of another task).
 */
#include <pthread.h>
#include "ubc.h"

int ubc_clone_raw(int dst_fd, unsigned int src_fd, unsigned int flags,
		  unsigned int src_off, unsigned int dst_off, unsigned int nr)
{
	struct io_uring_clone_buffers arg;

	memset(&arg, 0, sizeof(arg));
	arg.src_fd = src_fd;
	arg.flags = flags;
	arg.src_off = src_off;
	arg.dst_off = dst_off;
	arg.nr = nr;
	/* liburing's io_uring_register() is the bare syscall returning -errno. */
	return io_uring_register(dst_fd, IORING_REGISTER_CLONE_BUFFERS, &arg, 1);
}

/* What the thread does, and what it got. */
struct ring_job {
	struct io_uring *ring;
	unsigned int entries, flags, nr;
	const struct iovec *iov;
	int ret;
};

static void *ring_job_run(void *p)
{
	struct ring_job *job = p;

	job->ret = io_uring_queue_init(job->entries, job->ring, job->flags);
	if (!job->ret && job->nr) {
		job->ret = io_uring_register_buffers(job->ring, job->iov, job->nr);
		if (job->ret)
			io_uring_queue_exit(job->ring);
	}
	return NULL;
}

int ubc_ring_in_thread(struct io_uring *ring, unsigned int entries, unsigned int flags,
		       const struct iovec *iov, unsigned int nr)
{
	struct ring_job job = { .ring = ring, .entries = entries, .flags = flags, .iov = iov, .nr = nr };
	pthread_t t;
	int err = pthread_create(&t, NULL, ring_job_run, &job);

	if (err)
		return -err;
	err = pthread_join(t, NULL);
	return err ? -err : job.ret;
}
