// SPDX-License-Identifier: MIT
/*
 * Feature probes. Each makes one well-formed call that succeeds where the feature exists;
 * only the errno an older kernel gives for that exact call counts as proof of absence.
 * Anything else is returned as a probe failure, which the cases turn into a FAIL.
 * Each probe is split in two: the calls (ubc_probe_*), and a pure decision on what they
 * returned (ubc_decide_*), which harness/tests checks on recorded errnos. An "absent"
 * answer's why starts with "errno <NAME>:" so a SKIP names the errno it rests on (the
 * runner flags it as a regression at or above the feature's release).
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "ubc.h"

static const struct {
	const char *name;
	int (*probe)(char *why, size_t len);
} features[UBC_F_NR] = {
#define UBC_FEATURE(id, name, since, probe) [UBC_F_##id] = { name, probe },
#include "ubc_features.h"
#undef UBC_FEATURE
};

const char *ubc_feature_name(enum ubc_feature f)
{
	return f < UBC_F_NR ? features[f].name : "unknown feature";
}

static int say(char *why, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return ret;
}

/* got: 1 when IORING_REGISTER_PROBE lists both opcodes, 0 when not, -errno when the probe call failed. */
int ubc_decide_provide(int got, char *why, size_t len)
{
	if (got == 1)
		return 1;
	if (got == 0)
		return say(why, len, 0, "no errno (probe list): IORING_REGISTER_PROBE does not list opcodes %d/%d",
			   IORING_OP_PROVIDE_BUFFERS, IORING_OP_REMOVE_BUFFERS);
	return say(why, len, got < 0 ? got : -EPROTO, "io_uring_get_probe() failed (IORING_REGISTER_PROBE, 5.6): %d", got);
}

int ubc_probe_provide(char *why, size_t len)
{
	struct io_uring_probe *p = io_uring_get_probe();
	int ok;

	if (!p)
		return ubc_decide_provide(-ENOMEM, why, len);
	ok = io_uring_opcode_supported(p, IORING_OP_PROVIDE_BUFFERS) &&
	     io_uring_opcode_supported(p, IORING_OP_REMOVE_BUFFERS);
	io_uring_free_probe(p);
	return ubc_decide_provide(ok ? 1 : 0, why, len);
}

int ubc_probe_buf_ring(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	int ret = io_uring_queue_init(2, &ring, 0), err = 0;

	if (ret)
		return say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
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
		return say(why, len, 0, "errno EINVAL: a well-formed IORING_REGISTER_PBUF_RING returned it "
			   "(opcode unknown before 5.19)");
	return say(why, len, got < 0 ? got : -EPROTO, "io_uring_setup_buf_ring: %d (%s)", got, strerror(-got));
}

int ubc_probe_ring_fd(char *why, size_t len)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret)
		return say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	ret = io_uring_register_ring_fd(&ring);
	io_uring_queue_exit(&ring);
	return ubc_decide_ring_fd(ret, why, len);
}

/* got: io_uring_register_ring_fd's return (1: one fd registered). */
int ubc_decide_ring_fd(int got, char *why, size_t len)
{
	if (got == 1)
		return 1;
	if (got == -EINVAL)
		return say(why, len, 0, "errno EINVAL: a well-formed IORING_REGISTER_RING_FDS returned it "
			   "(opcode unknown before 5.18)");
	return say(why, len, got < 0 ? got : -EPROTO, "io_uring_register_ring_fd returned %d", got);
}

/* src holds two registered buffers, dst none; clone them with the given arguments. */
static int try_clone(unsigned int src_off, unsigned int nr, int *ret, char *why, size_t len)
{
	struct io_uring src, dst;
	struct iovec iov[2];
	void *mem = ubc_buf_alloc(8192);
	int r;

	if (!mem)
		return say(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	iov[0] = (struct iovec){ .iov_base = mem, .iov_len = 4096 };
	iov[1] = (struct iovec){ .iov_base = (char *)mem + 4096, .iov_len = 4096 };
	r = io_uring_queue_init(2, &src, 0);
	if (r) {
		ubc_buf_free(mem, 8192);
		return say(why, len, r, "io_uring_queue_init: %s", strerror(-r));
	}
	r = io_uring_queue_init(2, &dst, 0);
	if (!r) {
		r = io_uring_register_buffers(&src, iov, 2);
		if (r)
			say(why, len, r, "io_uring_register_buffers: %s", strerror(-r));
		else
			*ret = io_uring_clone_buffers_offset(&dst, &src, 0, src_off, nr, 0);
		io_uring_queue_exit(&dst);
	} else {
		say(why, len, r, "io_uring_queue_init: %s", strerror(-r));
	}
	io_uring_queue_exit(&src);
	ubc_buf_free(mem, 8192);
	return r;
}

int ubc_probe_clone(char *why, size_t len)
{
	int ret = 0, r = try_clone(0, 0, &ret, why, len);

	if (r)
		return r;
	return ubc_decide_clone(ret, why, len);
}

/* got: the well-formed clone's return. */
int ubc_decide_clone(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* Before 6.12 opcode 30 is unknown: __io_uring_register's default case is -EINVAL. */
	if (got == -EINVAL)
		return say(why, len, 0, "errno EINVAL: a well-formed IORING_REGISTER_CLONE_BUFFERS (opcode %d) "
			   "returned it (opcode unknown before 6.12)", IORING_REGISTER_CLONE_BUFFERS);
	return say(why, len, got < 0 ? got : -EPROTO, "well-formed clone of 2 buffers returned %d (%s)",
		   got, strerror(-got));
}

int ubc_probe_clone_offset(char *why, size_t len)
{
	int ret = 0, r = ubc_probe_clone(why, len);

	if (r <= 0)
		return r;
	r = try_clone(1, 1, &ret, why, len);
	if (r)
		return r;
	return ubc_decide_clone_offset(ret, why, len);
}

/* got: the return of a well-formed clone with src_off 1, nr 1, on a kernel where clone works. */
int ubc_decide_clone_offset(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* 6.12's struct had pad[6] where src_off/dst_off/nr now live, and rejected non-zero pad. */
	if (got == -EINVAL)
		return say(why, len, 0, "errno EINVAL: clone works but src_off=1 nr=1 returned it "
			   "(6.12 treats those fields as padding that must be zero; offsets came in 6.13)");
	return say(why, len, got < 0 ? got : -EPROTO, "well-formed clone with src_off=1 nr=1 returned %d (%s)",
		   got, strerror(-got));
}

/* Send 16 bytes from a provided buffer over a socketpair. */
int ubc_probe_send_select(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	unsigned int flags;
	char buf[16] = "ubc-send-select";
	int sv[2], res = 0, ret;

	ret = io_uring_queue_init(2, &ring, 0);
	if (ret)
		return say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		ret = -errno;
		io_uring_queue_exit(&ring);
		return say(why, len, ret, "socketpair: %s", strerror(-ret));
	}
	ret = ubc_provide(&ring, buf, sizeof(buf), 1, 1, 0, &res);
	if (!ret && res)
		ret = res;
	if (!ret) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, sv[0], NULL, 0, 0);
		ret = ubc_submit_select(&ring, sqe, 1, &res, &flags);
	}
	close(sv[0]);
	close(sv[1]);
	io_uring_queue_exit(&ring);
	if (ret)
		return say(why, len, ret, "provide or submit failed: %s", strerror(-ret));
	return ubc_decide_send_select(res, why, len);
}

/* got: the CQE res of a selecting send of the 16-byte provided buffer. */
int ubc_decide_send_select(int got, char *why, size_t len)
{
	if (got == 16)
		return 1;
	/* Before 6.10 IORING_OP_SEND has no .buffer_select: io_init_req() answers EOPNOTSUPP. */
	if (got == -EOPNOTSUPP)
		return say(why, len, 0, "errno EOPNOTSUPP: a well-formed IORING_OP_SEND with IOSQE_BUFFER_SELECT "
			   "returned it (SEND selects buffers since 6.10)");
	return say(why, len, got < 0 ? got : -EPROTO, "send from a provided buffer returned %d", got);
}

int ubc_probe(enum ubc_feature f, char *why, size_t len)
{
	why[0] = '\0';
	if (f >= UBC_F_NR)
		return say(why, len, -EINVAL, "no probe for feature %d", (int)f);
	return features[f].probe(why, len);
}
