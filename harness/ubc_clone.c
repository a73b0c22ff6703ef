// SPDX-License-Identifier: MIT
/*
 * Clone helpers: one raw IORING_REGISTER_CLONE_BUFFERS, a ring made by another thread (for the
 * cases that need a SINGLE_ISSUER ring of another task), and a ring's buffer table as the
 * kernel reports it in fdinfo (what the caller cannot otherwise see of a ring it may not use).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
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

/*
 * io_uring's fdinfo (io_uring/fdinfo.c, 6.1 to 7.3): a line "UserBufs:\t<n>", then one line
 * per slot, "<index>: 0x<addr>/<len>", or "<index>: <none>" for an empty slot from 6.13;
 * 6.1 and 6.12 print their dummy buffer (address ~0) for an empty slot. The slot lines are
 * left out (6.1, 6.12) or the whole text is (6.13 on) when the ring's lock is busy.
 */
int ubc_ring_bufs(int ring_fd, struct iovec *slots, int max)
{
	char path[64], line[256];
	int n = -1, seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr, len;
		unsigned int idx;
		char none[8];

		if (n < 0) {
			if (sscanf(line, "UserBufs: %d", &n) != 1)
				n = -1;
			continue;
		}
		if (seen == n)
			break;
		if (sscanf(line, " %u: 0x%llx/%llu", &idx, &addr, &len) == 3) {
			if (addr == ~0ULL)
				addr = len = 0;
		} else if (sscanf(line, " %u: %7s", &idx, none) == 2 && !strcmp(none, "<none>")) {
			addr = len = 0;
		} else {
			break;
		}
		if (idx != (unsigned int)seen)
			break;
		if (seen < max)
			slots[seen] = (struct iovec){ .iov_base = (void *)(unsigned long)addr,
						      .iov_len = (size_t)len };
		seen++;
	}
	fclose(f);
	if (n < 0)
		return -ENODATA;
	return seen == n ? n : -EAGAIN;
}
