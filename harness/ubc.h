/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the conformance cases, each group in its own harness/ file (named
 * below): feature probes whose "absent" answer comes from a well-formed call, so a SKIP
 * always carries a proven reason (ubc_probe.c; ubc_probe_bufring.c, _clone.c and _regbuf.c
 * for those families, each probe beside its decision), buffers between guard pages
 * (ubc_buf.c), byte patterns (ubc_pattern.c), one-SQE submission (ubc_submit.c), provided
 * buffers (ubc_provide.c) and clone helpers (ubc_clone.c). Their own tests: harness/tests/.
 */
#ifndef UBC_H
#define UBC_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <liburing.h>

/* Features a case may need: one line each in ubc_features.h (name, since, probe). */
enum ubc_feature {
#define UBC_FEATURE(id, name, since, probe) UBC_F_##id,
#include "ubc_features.h"
#undef UBC_FEATURE
	UBC_F_NR
};
#define UBC_FEATURE(id, name, since, probe) int probe(char *why, size_t len);
#include "ubc_features.h"
#undef UBC_FEATURE

/*
 * harness/ubc_probe.c. 1: present. 0: absent, with the proof in why. Negative errno: the probe itself failed
 * in a way that proves nothing (the caller must FAIL, not skip); why says how.
 */
int ubc_probe(enum ubc_feature f, char *why, size_t len);
const char *ubc_feature_name(enum ubc_feature f);

/*
 * Every probe's decision, split out as a pure function beside its probe (ubc_probe.c,
 * ubc_probe_bufring.c, ubc_probe_clone.c, ubc_probe_regbuf.c): given what the probe's
 * well-formed call returned, 1 present, 0 absent (why starts with "errno <NAME>:", the errno
 * taken as proof of absence, or "no errno (<what>):" for an answer that is not an errno), or
 * -errno when that result proves nothing. harness/tests checks them on crafted inputs. got:
 * for provide and read_mshot, 1/0 "IORING_REGISTER_PROBE lists the opcodes" or the probe
 * call's -errno; for the others the -errno or success value of the call (setup_buf_ring's
 * err; register_ring_fd's return; the clone's return; ubc_br_setup's return for pbuf_mmap,
 * pbuf_inc and min_left; ubc_br_head's -errno else the head it said for pbuf_status;
 * io_uring_queue_init_mem's return for no_mmap; the CQE res of the selecting send, the recv
 * bundle, the two NOPs of nop_fixed_buffer (nop_inject: INJECT_RESULT, 1 meaning only that
 * nop_flags work), the READV_FIXED and the plain SEND with IORING_RECVSEND_FIXED_BUF).
 */
int ubc_decide_provide(int got, char *why, size_t len);
int ubc_decide_buf_ring(int got, char *why, size_t len);
int ubc_decide_ring_fd(int got, char *why, size_t len);
int ubc_decide_clone(int got, char *why, size_t len);
int ubc_decide_clone_offset(int got, char *why, size_t len);
int ubc_decide_send_select(int got, char *why, size_t len);
int ubc_decide_pbuf_mmap(int got, char *why, size_t len);
int ubc_decide_pbuf_inc(int got, char *why, size_t len);
int ubc_decide_min_left(int got, char *why, size_t len);
int ubc_decide_pbuf_status(int got, char *why, size_t len);
int ubc_decide_no_mmap(int got, char *why, size_t len);
int ubc_decide_read_mshot(int got, char *why, size_t len);
int ubc_decide_bundle(int got, char *why, size_t len);
int ubc_decide_nop_inject(int got, char *why, size_t len);
int ubc_decide_nop_fixed_buffer(int got, char *why, size_t len);
int ubc_decide_rw_vec_fixed(int got, char *why, size_t len);
int ubc_decide_sendrecv_fixed_buf(int got, char *why, size_t len);
/*
 * thp: got is the mode /sys/kernel/mm/transparent_hugepage/enabled selects (never: NEVER_ROOT
 * when this process is root and so may switch it), or -errno of opening it.
 */
enum { UBC_THP_NEVER = 0, UBC_THP_MADVISE = 1, UBC_THP_ALWAYS = 2, UBC_THP_NEVER_ROOT = 3 };
int ubc_decide_thp(int got, char *why, size_t len);

/* harness/ubc_buf.c: anonymous memory between two PROT_NONE guard pages; len is rounded up to pages. */
void *ubc_buf_alloc(size_t len);
void ubc_buf_free(void *p, size_t len);
/*
 * ubc_bufs_alloc: nr guarded buffers of len bytes in mem[0..nr-1]
 * and, when iov is not NULL, iov[i] describing mem[i]; 0, or -errno after freeing (and
 * setting to NULL) those it made. ubc_bufs_free frees mem[0..nr-1]; NULL entries are skipped.
 */
int ubc_bufs_alloc(void **mem, struct iovec *iov, int nr, size_t len);
void ubc_bufs_free(void **mem, int nr, size_t len);

/*
 * harness/ubc_pattern.c. A byte pattern that differs per seed and per position: ubc_fill
 * writes its bytes at positions pos .. pos+len-1, so a file made by ubc_tmpfile(seed) read at
 * offset pos must equal ubc_fill(seed, pos).
 */
void ubc_fill(void *p, size_t len, unsigned int seed, size_t pos);
/* Index of the first byte that differs from ubc_fill(seed, pos), or -1 if none does. */
long ubc_mismatch(const void *p, size_t len, unsigned int seed, size_t pos);
/* Index of the first of len bytes at p that is not c, or -1 if all of them are. */
long ubc_first_not(const void *p, size_t len, unsigned char c);
/* An unlinked file of len bytes holding the pattern seed from position 0; fd or -errno. */
int ubc_tmpfile(size_t len, unsigned int seed);
/* The same for any filler of ubc_fill's shape (ubc_stamp_fill: ubc_stamp_file). */
int ubc_filled_file(size_t len, unsigned int seed,
		    void (*fill)(void *p, size_t len, unsigned int seed, size_t pos));
/*
 * An AF_UNIX stream socket pair with len bytes of pattern seed (from position 0) written to
 * sv[1], waiting to be received at sv[0]; len must fit the socket buffer. 0 or -errno.
 */
int ubc_socketpair_fill(int sv[2], size_t len, unsigned int seed);

/* harness/ubc_submit.c. Submit one prepared SQE and reap its CQE: res and flags; returns 0 or -errno of the wait. */
int ubc_submit_one(struct io_uring *ring, int *res, unsigned int *flags);
/* One IORING_OP_WRITEV_FIXED (write) or READV_FIXED of nr iovecs at file offset 0 through the
 * registered buffer 0; the CQE's res, or -errno of the submission. */
int ubc_vec_fixed(struct io_uring *ring, int write, int fd, struct iovec *v, int nr);
/* One read_fixed (write 0) or write_fixed (write 1) through slot idx: the CQE res, or -errno of the submission. */
int ubc_rw_fixed(struct io_uring *ring, int write, int fd, void *buf, unsigned int len,
		 unsigned long long off, int idx);

/*
 * harness/ubc_provide.c. One IORING_OP_PROVIDE_BUFFERS (nr buffers of len bytes from
 * addr, IDs bid.., group bgid) or IORING_OP_REMOVE_BUFFERS (up to nr from group bgid):
 * returns 0 with the CQE's res in *res, or -errno of the submission or wait.
 */
int ubc_provide(struct io_uring *ring, void *addr, int len, int nr, int bgid, int bid, int *res);
int ubc_remove(struct io_uring *ring, int nr, int bgid, int *res);
/* Mark the prepared sqe IOSQE_BUFFER_SELECT from group bgid, then as ubc_submit_one. */
int ubc_submit_select(struct io_uring *ring, struct io_uring_sqe *sqe, int bgid,
		      int *res, unsigned int *flags);
/* One IORING_OP_READ of up to len bytes at off with IOSQE_BUFFER_SELECT from group bgid; as ubc_submit_one. */
int ubc_read_select(struct io_uring *ring, int fd, unsigned int len, unsigned long long off,
		    int bgid, int *res, unsigned int *flags);
/* One IORING_OP_RECV of up to len bytes (0: the whole buffer) selecting from group bgid; as ubc_submit_one. */
int ubc_recv_select(struct io_uring *ring, int fd, unsigned int len, int bgid,
		    int *res, unsigned int *flags);

/*
 * harness/ubc_clone.c. ubc_clone_raw: one IORING_REGISTER_CLONE_BUFFERS on dst_fd with
 * exactly these fields (liburing's wrapper may rewrite src_fd and flags); 0 or -errno.
 */
int ubc_clone_raw(int dst_fd, unsigned int src_fd, unsigned int flags,
		  unsigned int src_off, unsigned int dst_off, unsigned int nr);
/*
 * io_uring_queue_init(entries, ring, flags) and, if nr,
 * io_uring_register_buffers(ring, iov, nr), both done by a new thread that has ended when
 * this returns: a SINGLE_ISSUER ring made this way belongs to another task. 0, or -errno of
 * pthread_create/join or of the call that failed (the ring is then not set up).
 */
int ubc_ring_in_thread(struct io_uring *ring, unsigned int entries, unsigned int flags,
		       const struct iovec *iov, unsigned int nr);
/*
 * The buffer table of the ring whose fd is ring_fd, as the kernel reports it in
 * /proc/self/fdinfo/<ring_fd>: the number of slots (0: no table), and the first max slots'
 * address and length in slots[] ({ NULL, 0 } for an empty slot). Works on a ring the caller
 * may not use (a SINGLE_ISSUER ring of another task). -errno: fdinfo unreadable (-ENOENT:
 * no such fd), no "UserBufs" line (-ENODATA: not an io_uring, or the kernel skipped the
 * text because the ring's lock was busy), or fewer slot lines than slots (-EAGAIN).
 */
int ubc_ring_bufs(int ring_fd, struct iovec *slots, int max);

/*
 * harness/ubc_memcg.c: a memory cgroup (v2) whose memory.max makes the kernel's accounted
 * allocations of the process inside fail with -ENOMEM (its OOM killer finds nothing to
 * kill: the process has oom_score_adj -1000). ubc_memcg_open: in the calling process, a
 * private mount namespace with cgroup2 mounted under /tmp and a new child cgroup with the
 * memory controller; 1 ready, 0 unavailable (why says what is missing: no cgroup2, the
 * memory controller bound to cgroup v1, or this cgroup2 root refusing a child with it, as a
 * container's may: EBUSY/EPERM/EACCES/EROFS), -errno broken (-EPERM: not root). ubc_memcg_enter:
 * the calling process prefaults and locks its memory (no page fault may come while limited)
 * and moves into the cgroup. ubc_memcg_limit: write memory.max ("0", "max", bytes).
 * ubc_memcg_leave: limit "max", back to the root cgroup, unlock. ubc_memcg_close: remove
 * the cgroup and the mount (after leave). Each returns 0 or -errno.
 * ubc_memcg_prove: the premise, with memory.max set to limit: inside, a new ring (accounted
 * allocations) is refused with -ENOMEM, and the process leaves again: 0 it held, -EPROTO a
 * ring was made (or refused with another errno: why says which), -errno a step failed.
 * ubc_memcg_ready: ubc_memcg_open, then ubc_memcg_prove with "0" (closed again if that
 * fails): 1 ready, 0 unavailable, -errno broken, why saying what (UBC_MEMCG_READY).
 */
struct ubc_memcg {
	char root[32];		/* the private cgroup2 mount */
	char dir[64];		/* root/ubc-<pid> */
	int procs_fd, max_fd, root_procs_fd;
};
int ubc_memcg_open(struct ubc_memcg *m, char *why, size_t len);
int ubc_memcg_enter(struct ubc_memcg *m);
int ubc_memcg_limit(struct ubc_memcg *m, const char *max);
int ubc_memcg_leave(struct ubc_memcg *m);
void ubc_memcg_close(struct ubc_memcg *m);
int ubc_memcg_prove(struct ubc_memcg *m, const char *limit, char *why, size_t len);
int ubc_memcg_ready(struct ubc_memcg *m, char *why, size_t len);

/*
 * harness/ubc_thp.c: memory backed by transparent huge pages. ubc_thp_map: nr huge pages
 * (hpage_pmd_size each), hpage-aligned, between PROT_NONE guards (its VMA is exactly the
 * region), madvise(advice) (MADV_HUGEPAGE; -1: none), every byte written (0x5a); where
 * enabled (and defrag) say never, as root, they are set to madvise for the moment of the
 * writes and put back (the kernel sets never itself below 512 MiB of RAM). 1: all of
 * it is huge pages (smaps AnonHugePages of its VMA == its length); 0: mapped, but not (why
 * says how much was: a premise failure, the caller must FAIL, not skip); -errno: not mapped.
 * Unmap with ubc_thp_unmap (also after 0). ubc_thp_size: hpage_pmd_size, 0 without THP.
 * ubc_thp_backed_kb: AnonHugePages (kB) of the VMA that is exactly [mem, mem + len), or
 * -errno (-ENOENT: no such VMA). ubc_vm_pin_kb: this process's VmPin (kB), or -errno.
 * ubc_thp_register_two: on ring, t's first two huge pages (H bytes each) as the THP cases'
 * two slots: 0 both whole, 1 from H / 2 + 100 to H + H / 2 + 300; 0 or -errno.
 */
struct ubc_thp {
	void *map;		/* the whole reservation, guards included */
	size_t map_len;
	char *mem;		/* the huge pages */
	size_t len, hpage;
};
int ubc_thp_map(struct ubc_thp *t, int nr, int advice, char *why, size_t len);
void ubc_thp_unmap(struct ubc_thp *t);
size_t ubc_thp_size(void);
long ubc_thp_backed_kb(const void *mem, size_t len);
long ubc_vm_pin_kb(void);
int ubc_thp_register_two(struct io_uring *ring, const struct ubc_thp *t);

/*
 * harness/ubc_stamp.c: a byte pattern with no period (ubc_fill's repeats every 64 KiB, so
 * it cannot tell one huge page from the next). Same contract as ubc_fill / ubc_mismatch /
 * ubc_tmpfile.
 */
void ubc_stamp_fill(void *p, size_t len, unsigned int seed, size_t pos);
long ubc_stamp_mismatch(const void *p, size_t len, unsigned int seed, size_t pos);
int ubc_stamp_file(size_t len, unsigned int seed);

#endif
