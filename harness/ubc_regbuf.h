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
 * How long a case waits at most for a CQE the kernel must post: a tag CQE from 6.1's
 * delayed rsrc work comes about a second after the node is dropped (slower under TCG);
 * every wait returns as soon as what it waits for has come.
 */
#define UBC_CQE_WAIT_MS		10000

/* The user_data of ubc_tag_barrier()'s sentinel CQEs (never a case's tag). */
#define UBC_SENTINEL_TAG	0x5e471e1000000000ULL

/* One CQE as a case compares it. */
struct ubc_cqe {
	unsigned long long user_data;
	int res;
	unsigned int flags;
};

/* Wait up to ms for the next CQE and consume it: 0, -ETIME when none came, or -errno. */
int ubc_next_cqe(struct io_uring *ring, unsigned int ms, struct ubc_cqe *out);
/*
 * Consume CQEs into out[0..max-1] until n have come or ms have passed since the call
 * (ms 0: only those already posted); the number taken (more than max are counted, not kept).
 */
int ubc_wait_cqes(struct io_uring *ring, int n, unsigned int ms, struct ubc_cqe *out, int max);

/*
 * Tag barrier: proves that every tag CQE of a resource node dropped before the call has
 * been posted, without watching for a fixed time. Registers a one-slot sparse file table
 * (the ring must have none), fills the slot with an eventfd tagged UBC_SENTINEL_TAG and
 * empties it again, which drops that node and so posts the sentinel's tag CQE through the
 * same rsrc node machinery as a buffer's; waits (up to UBC_CQE_WAIT_MS) for it, twice
 * (see ubc_regbuf.c for why twice), then unregisters the file table. Every other CQE that
 * came before the last sentinel is consumed into out[0..max-1]; returns their number, or
 * -errno (-ETIME: a sentinel never came). Not for a ring with a request in flight that
 * holds a node: 6.1 and 6.12 release nodes in order, so the sentinel would wait for it; from
 * 6.13 the sentinel passes it. A request completed by io-wq still holds its node for a while
 * after its CQE has been reaped: use a slot inline (socket or pipe with data) before
 * replacing it and counting tags (ubc_regbuf.c).
 */
int ubc_tag_barrier(struct io_uring *ring, struct ubc_cqe *out, int max);
/*
 * Whether this kernel posts a dropped node's tag CQE before the register call that drops
 * it returns (1: 6.4 and later) or later, from a work item (0: 6.1's delayed rsrc work),
 * measured with one sentinel on ring (which must have no CQE pending); -errno.
 */
int ubc_tags_posted_at_once(struct io_uring *ring);
/*
 * Where tags are posted from 6.1's delayed work (HZ after the node is released), how long
 * "no tag CQE" is watched for when no barrier can be used (a request in flight holds the
 * node list). Only used where ubc_tags_posted_at_once() says 0.
 */
#define UBC_DEFERRED_TAG_MS	1500

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
