/* SPDX-License-Identifier: MIT */
/*
 * Helpers for cases/regbuf and the clone-in-context cases: CQEs waited for with a
 * deadline (tag CQEs come late on kernels that post them from a work item), one-slot
 * updates, and pipes that keep a fixed read in flight until written.
 */
#ifndef UBC_REGBUF_H
#define UBC_REGBUF_H

#include <liburing.h>

/* liburing's copy of the uapi header leaves out the test-only NOP flags. */
#ifndef IORING_NOP_FILE
#define IORING_NOP_FILE		(1U << 1)
#endif
#ifndef IORING_NOP_FIXED_FILE
#define IORING_NOP_FIXED_FILE	(1U << 2)
#endif
#ifndef IORING_NOP_FIXED_BUFFER
#define IORING_NOP_FIXED_BUFFER	(1U << 3)
#endif

/*
 * How long a case waits for a CQE the kernel must post (a tag CQE from 6.1's delayed
 * rsrc work can take a second), and how long "nothing is posted" is watched for.
 */
#define UBC_CQE_WAIT_MS		3000
#define UBC_NO_CQE_MS		1500

/* One CQE as a case compares it. */
struct ubc_cqe {
	unsigned long long user_data;
	int res;
	unsigned int flags;
};

/* Wait up to ms for the next CQE and consume it: 0, -ETIME when none came, or -errno. */
int ubc_next_cqe(struct io_uring *ring, unsigned int ms, struct ubc_cqe *out);
/* Consume every CQE that arrives within ms into out[0..max-1]; the number taken. */
int ubc_collect_cqes(struct io_uring *ring, unsigned int ms, struct ubc_cqe *out, int max);

/* io_uring_register_buffers_update_tag of one slot: the call's return value. */
int ubc_update_slot(struct io_uring *ring, unsigned int slot, void *base, size_t len,
		    unsigned long long tag);

/*
 * Submit (without waiting) a read_fixed of len bytes from fd into buf through slot idx,
 * with the given user_data. 0 or -errno of the submission.
 */
int ubc_queue_read_fixed(struct io_uring *ring, int fd, void *buf, unsigned int len,
			 int idx, unsigned long long user_data);

#endif
