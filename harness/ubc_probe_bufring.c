// SPDX-License-Identifier: MIT
/*
 * Probes of buffer rings (5.19) and of what came after them: kernel-allocated rings, ring
 * status, incremental rings and min_left, bundles, read multishot, and IORING_SETUP_NO_MMAP
 * (which bufring_no_mmap_ring needs). See ubc_probe.c for the rules every probe follows;
 * each probe's decision is the pure ubc_decide_* right after it.
 */
#include <limits.h>
#include <unistd.h>
#include "ubc_bufring.h"
#include "ubc_probe.h"

int ubc_probe_buf_ring(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	int ret = io_uring_queue_init(2, &ring, 0), err = 0;

	if (ret)
		return ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	br = io_uring_setup_buf_ring(&ring, 8, 0, 0, &err);
	if (br)
		io_uring_free_buf_ring(&ring, br, 8, 0);
	io_uring_queue_exit(&ring);
	return ubc_decide_buf_ring(br ? 0 : (err ? err : -EPROTO), why, len);
}

/* got: 0 when the ring was set up, else io_uring_setup_buf_ring's -errno. */
int ubc_decide_buf_ring(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* Before 5.19 the register opcode is unknown, which __io_uring_register answers with EINVAL. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: a well-formed IORING_REGISTER_PBUF_RING returned it "
			       "(opcode unknown before 5.19)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "io_uring_setup_buf_ring: %d (%s)", got, strerror(-got));
}

/* Register an 8-entry ring on bgid 1 with these reg fields; 0 or -errno. */
static int try_register(unsigned int flags, unsigned int min_left, char *why, size_t len, int *reg_ret)
{
	struct io_uring ring;
	struct ubc_br b;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret)
		return ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	*reg_ret = ubc_br_setup(&ring, &b, 8, 1, flags, min_left);
	if (!*reg_ret)
		ubc_br_free(&ring, &b);
	io_uring_queue_exit(&ring);
	return 0;
}

int ubc_probe_pbuf_mmap(char *why, size_t len)
{
	int r, ret = 0;

	r = ubc_probe_buf_ring(why, len);
	if (r <= 0)
		return r;
	r = try_register(IOU_PBUF_RING_MMAP, 0, why, len, &ret);
	if (r)
		return r;
	return ubc_decide_pbuf_mmap(ret, why, len);
}

/* got: ubc_br_setup's return for an IOU_PBUF_RING_MMAP ring (the register, then its mmap). */
int ubc_decide_pbuf_mmap(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* Before 6.4 the flags field was "pad", and a non-zero pad is -EINVAL. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: IORING_REGISTER_PBUF_RING with flags IOU_PBUF_RING_MMAP and "
			       "no address returned it (the flags field was padding before 6.4)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "kernel-allocated buffer ring: register or mmap returned %d",
		       got);
}

int ubc_probe_pbuf_inc(char *why, size_t len)
{
	int r, ret = 0;

	r = ubc_probe_buf_ring(why, len);
	if (r <= 0)
		return r;
	r = try_register(IOU_PBUF_RING_INC, 0, why, len, &ret);
	if (r)
		return r;
	return ubc_decide_pbuf_inc(ret, why, len);
}

/* got: ubc_br_setup's return for an IOU_PBUF_RING_INC ring. */
int ubc_decide_pbuf_inc(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* 6.4..6.11 refuse flags other than IOU_PBUF_RING_MMAP, older ones any non-zero pad. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: IORING_REGISTER_PBUF_RING with flags IOU_PBUF_RING_INC "
			       "returned it (unknown flag before 6.12)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "incremental buffer ring register returned %d", got);
}

int ubc_probe_min_left(char *why, size_t len)
{
	int r, ret = 0;

	r = ubc_probe_pbuf_inc(why, len);
	if (r <= 0)
		return r;
	r = try_register(IOU_PBUF_RING_INC, 16, why, len, &ret);
	if (r)
		return r;
	return ubc_decide_min_left(ret, why, len);
}

/* got: ubc_br_setup's return for an IOU_PBUF_RING_INC ring with min_left 16, where INC works. */
int ubc_decide_min_left(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* Without min_left, that field is resv[0] of the register struct and must be zero. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: an IOU_PBUF_RING_INC register with min_left 16 returned it "
			       "(the field is reserved where min_left is not known)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "incremental register with min_left 16 returned %d", got);
}

int ubc_probe_pbuf_status(char *why, size_t len)
{
	struct io_uring ring;
	struct ubc_br b;
	unsigned int head = 99;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret)
		return ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	ret = ubc_br_setup(&ring, &b, 8, 1, 0, 0);
	if (ret) {
		io_uring_queue_exit(&ring);
		return ubc_why(why, len, ret, "buffer ring register: %s", strerror(-ret));
	}
	ret = ubc_br_head(&ring, 1, &head);
	ubc_br_free(&ring, &b);
	io_uring_queue_exit(&ring);
	return ubc_decide_pbuf_status(ret ? ret : head > INT_MAX ? INT_MAX : (int)head, why, len);
}

/* got: ubc_br_head's -errno on a fresh registered ring, else the head it said (0 expected). */
int ubc_decide_pbuf_status(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* Before 6.8 register opcode 26 is unknown: -EINVAL. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: IORING_REGISTER_PBUF_STATUS (opcode %d) on a registered ring "
			       "returned it (opcode unknown before 6.8)", IORING_REGISTER_PBUF_STATUS);
	if (got > 0)
		return ubc_why(why, len, -EPROTO, "IORING_REGISTER_PBUF_STATUS on a fresh ring said head %d", got);
	return ubc_why(why, len, got, "IORING_REGISTER_PBUF_STATUS returned %d (%s)", got, strerror(-got));
}

int ubc_probe_no_mmap(char *why, size_t len)
{
	struct io_uring ring;
	size_t sz = 64 * 1024;
	void *mem = ubc_buf_alloc(sz);
	int ret;

	if (!mem)
		return ubc_why(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	ret = io_uring_queue_init_mem(4, &ring, &(struct io_uring_params){ .flags = IORING_SETUP_NO_MMAP }, mem, sz);
	if (ret >= 0)
		io_uring_queue_exit(&ring);
	ubc_buf_free(mem, sz);
	return ubc_decide_no_mmap(ret, why, len);
}

/* got: io_uring_queue_init_mem's return (the bytes of mem it used, or -errno). */
int ubc_decide_no_mmap(int got, char *why, size_t len)
{
	if (got >= 0)
		return 1;
	/* Before 6.5 io_uring_setup() rejects the unknown setup flag with -EINVAL. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: io_uring_setup with IORING_SETUP_NO_MMAP and app memory "
			       "returned it (unknown setup flag before 6.5)");
	return ubc_why(why, len, got, "io_uring_queue_init_mem returned %d (%s)", got, strerror(-got));
}

int ubc_probe_read_mshot(char *why, size_t len)
{
	struct io_uring_probe *p = io_uring_get_probe();
	int ok;

	if (!p)
		return ubc_decide_read_mshot(-ENOMEM, why, len);
	ok = io_uring_opcode_supported(p, IORING_OP_READ_MULTISHOT);
	io_uring_free_probe(p);
	return ubc_decide_read_mshot(ok ? 1 : 0, why, len);
}

/* got: 1 when IORING_REGISTER_PROBE lists the opcode, 0 when not, -errno when the probe call failed. */
int ubc_decide_read_mshot(int got, char *why, size_t len)
{
	if (got == 1)
		return 1;
	if (got == 0)
		return ubc_why(why, len, 0, "no errno (probe list): IORING_REGISTER_PROBE does not list "
			       "IORING_OP_READ_MULTISHOT (opcode %d, 6.7)", IORING_OP_READ_MULTISHOT);
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "io_uring_get_probe() failed (IORING_REGISTER_PROBE, 5.6): %d", got);
}

/* 8 bytes waiting on a socket pair; one recv bundle from a 2-entry ring of 4-byte buffers. */
int ubc_probe_bundle(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct ubc_br b;
	unsigned int flags;
	char data[8];
	int sv[2], res = 0, ret;

	ret = io_uring_queue_init(2, &ring, 0);
	if (ret)
		return ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	ret = ubc_br_setup(&ring, &b, 2, 1, 0, 0);
	if (ret) {
		io_uring_queue_exit(&ring);
		return ubc_why(why, len, ret, "buffer ring register: %s", strerror(-ret));
	}
	ret = ubc_socketpair_fill(sv, sizeof(data), 1);
	if (!ret) {
		ubc_br_fill(&b, data, 4, 2, 0);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_recv(sqe, sv[0], NULL, 8, 0);
		sqe->ioprio |= IORING_RECVSEND_BUNDLE;
		ret = ubc_submit_select(&ring, sqe, 1, &res, &flags);
		close(sv[0]);
		close(sv[1]);
	}
	ubc_br_free(&ring, &b);
	io_uring_queue_exit(&ring);
	if (ret)
		return ubc_why(why, len, ret, "socketpair or submit: %s", strerror(-ret));
	return ubc_decide_bundle(res, why, len);
}

/* got: the CQE res of a recv bundle with 8 bytes waiting and two 4-byte ring buffers. */
int ubc_decide_bundle(int got, char *why, size_t len)
{
	/* Any data received proves the flag is known (how many buffers one bundle takes is what
	 * the bundle cases check: 6.16 takes one here). */
	if (got > 0 && got <= 8)
		return 1;
	/* Before 6.10 io_recvmsg_prep() refuses the unknown ioprio flag with -EINVAL. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: a recv with IORING_RECVSEND_BUNDLE from a buffer ring "
			       "returned it (unknown recv flag before 6.10)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "recv bundle of 8 bytes returned %d", got);
}
