// SPDX-License-Identifier: MIT
/* A ring made by another thread, for the cases that need a SINGLE_ISSUER ring of another task. */
#include <pthread.h>
#include "ubc.h"

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
