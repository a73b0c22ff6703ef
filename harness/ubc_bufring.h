/* SPDX-License-Identifier: MIT */
/*
 * Buffer-ring helpers for cases/bufring: a ring registered by hand (user memory or
 * IOU_PBUF_RING_MMAP), filling it, raw IORING_REGISTER_PBUF_RING calls (ubc_bufring.c), and
 * the held-buffer cases' fixture and waiting recv (ubc_held.c). The buffer-ring probes are
 * in ubc_probe_bufring.c (their lines in ubc_features.h).
 */
#ifndef UBC_BUFRING_H
#define UBC_BUFRING_H

#include <stdint.h>
#include "ubc.h"

/* A registered buffer ring: its memory (ours or the kernel's, mapped from the ring fd). */
struct ubc_br {
	struct io_uring_buf_ring *br;
	size_t map_len;		/* bytes mapped at br (a whole number of pages) */
	unsigned int entries;
	int bgid;
	int kernel_mem;		/* IOU_PBUF_RING_MMAP: br is a mapping of the ring fd */
	int registered;
};

/*
 * One IORING_REGISTER_PBUF_RING with exactly these fields (other fields zero); 0 or -errno.
 * ubc_br_unregister_raw: IORING_UNREGISTER_PBUF_RING for bgid.
 */
int ubc_br_register_raw(struct io_uring *ring, unsigned long long addr, unsigned int entries,
			unsigned int bgid, unsigned int flags, unsigned int min_left);
int ubc_br_unregister_raw(struct io_uring *ring, unsigned int bgid);

/*
 * Register a ring of entries on bgid with reg flags (IOU_PBUF_RING_INC, IOU_PBUF_RING_MMAP)
 * and min_left: user memory is fresh anonymous pages between guard pages; with
 * IOU_PBUF_RING_MMAP the kernel's ring is mapped from the ring fd. The tail starts at 0.
 * 0 or -errno (of the register or the mmap); nothing is left behind on failure.
 */
int ubc_br_setup(struct io_uring *ring, struct ubc_br *b, unsigned int entries, int bgid,
		 unsigned int flags, unsigned int min_left);
/* Unregister (if still registered) and unmap; 0 or -errno of the unregister. */
int ubc_br_free(struct io_uring *ring, struct ubc_br *b);
/* Unregister only, keeping the memory mapped; 0 or -errno. */
int ubc_br_unregister(struct io_uring *ring, struct ubc_br *b);
/* Add nr buffers of len bytes from base (buffer i at base + i*len, ID bid0 + i), then advance. */
void ubc_br_fill(struct ubc_br *b, void *base, unsigned int len, int nr, unsigned int bid0);
/* The entry at ring position pos (head or tail counter value, masked here). */
struct io_uring_buf *ubc_br_entry(struct ubc_br *b, unsigned int pos);

/* The kernel's head of bgid (IORING_REGISTER_PBUF_STATUS, 6.8): 0 with *head, or -errno. */
int ubc_br_head(struct io_uring *ring, int bgid, unsigned int *head);

/*
 * Submit nr prepared SQEs, reap nr CQEs into res[]/flags[] in completion order (user_data is
 * left to the caller); 0 or -errno of the submit or wait.
 */
int ubc_submit_reap(struct io_uring *ring, int nr, int *res, unsigned int *flags,
		    unsigned long long *udata);
/* Wait up to ms milliseconds for a CQE: 0 with it copied out and seen, -ETIME if none came. */
int ubc_wait_cqe_ms(struct io_uring *ring, int ms, int *res, unsigned int *flags,
		    unsigned long long *udata);

/*
 * One selecting receive of up to len bytes (0: the whole buffer) from group bgid: a recv when
 * sock, else a read at offset 0 (pipes); as ubc_submit_one.
 */
int ubc_take(struct io_uring *ring, int fd, int sock, unsigned int len, int bgid,
	     int *res, unsigned int *flags);

/*
 * A connected TCP pair over 127.0.0.1 (loopback brought up if it is down, as in a fresh
 * guest): sv[0] receives, sv[1] sends (TCP_NODELAY). TCP reports the bytes left after a
 * receive on every kernel (IORING_CQE_F_SOCK_NONEMPTY, bundles); AF_UNIX only from 6.17 on.
 * ubc_tcp_pair_fill: then len bytes of pattern seed sent and waited for until all are
 * readable at sv[0] (bounded wait). ubc_tcp_send: n bytes of pattern seed from position pos,
 * waited for the same way (on top of what is already waiting). 0 or -errno.
 */
int ubc_tcp_pair(int sv[2]);
/* Wait (at most about 2 s) until at least want bytes are readable at fd (FIONREAD); 0 or -errno. */
int ubc_wait_readable(int fd, int want);
int ubc_tcp_pair_fill(int sv[2], size_t len, unsigned int seed);
int ubc_tcp_send(int sv[2], size_t n, unsigned int seed, size_t pos);

/*
 * The held-buffer cases (harness/ubc_held.c): a selecting recv that waits, holding its buffer
 * or about to take one, while the case changes the group under it. ubc_held_setup: a ring of
 * 8 entries, an AF_UNIX stream pair (sv[0] receives, sv[1] sends) and two guarded zeroed
 * areas of len bytes, legacy and ringbuf; 0 or -errno, with nothing left behind.
 * ubc_held_free: all of it, and b while it is registered.
 */
struct ubc_held {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *legacy, *ringbuf;
	size_t len;
	int sv[2];
};
int ubc_held_setup(struct ubc_held *h, size_t len);
void ubc_held_free(struct ubc_held *h);
/*
 * Give group bgid one buffer of h->len bytes: UBC_HELD_LEGACY provides legacy as ID
 * UBC_HELD_LEGACY_ID; UBC_HELD_RING registers b (4 entries) holding ringbuf as ID
 * UBC_HELD_RING_ID. 0, the provide's res, or -errno of the call.
 */
enum ubc_held_kind { UBC_HELD_LEGACY, UBC_HELD_RING };
#define UBC_HELD_LEGACY_ID	7
#define UBC_HELD_RING_ID	9
int ubc_held_give(struct ubc_held *h, int bgid, enum ubc_held_kind kind);

#define UBC_HELD_UD		1ULL	/* user_data of ubc_held_recv's request */
#define UBC_HELD_WAIT_MS	100	/* how long it must stay without a CQE */
/*
 * Submit one recv of up to len bytes (0: the whole buffer) with msg_flags at h->sv[0],
 * selecting from group bgid, with sqe_flags added (IOSQE_ASYNC: from io-wq), and prove it
 * waits: no CQE for UBC_HELD_WAIT_MS. 0; -EALREADY when it completed instead (its CQE is
 * consumed; the premise is broken, e.g. the data was already there or the group empty); or
 * -errno of the submission or wait.
 */
int ubc_held_recv(struct ubc_held *h, unsigned int len, int msg_flags, int bgid,
		  unsigned int sqe_flags);
/*
 * Wait (up to 5 s) for that recv's CQE: 0 with its res and flags; -ETIME when none came,
 * -EPROTO when the CQE is another request's (its user_data not UBC_HELD_UD).
 */
int ubc_held_done(struct ubc_held *h, int *res, unsigned int *flags);

/* IORING_CQE_F_BUFFER with buffer ID bid, the flag word a selecting CQE carries. */
#define UBC_BUF_FLAGS(bid) (IORING_CQE_F_BUFFER | ((unsigned int)(bid) << IORING_CQE_BUFFER_SHIFT))

#endif
