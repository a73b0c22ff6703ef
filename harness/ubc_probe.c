// SPDX-License-Identifier: MIT
/*
 * Feature probes: the table of ubc_features.h, ubc_probe() and ubc_why(), and the probes of
 * provided buffers, registered ring fds and selecting sends. The other probes are in one file
 * a family, each beside its decision: ubc_probe_bufring.c, ubc_probe_clone.c,
 * ubc_probe_regbuf.c. Each makes one well-formed call that succeeds where the feature exists;
 * only the errno an older kernel gives for that exact call counts as proof of absence.
 * Anything else is returned as a probe failure, which the cases turn into a FAIL.
 * Every probe is split in two: the calls (ubc_probe_*), and beside them a pure decision
 * on what they returned (ubc_decide_*), which harness/tests checks on recorded errnos. A
 * decision's "absent" why starts with "errno <NAME>:" so a SKIP names the errno it rests on
 * (the runner flags it as a regression at or above the feature's release), or with
 * "no errno (<what>):" where the proof is no errno (an opcode missing from
 * IORING_REGISTER_PROBE's list, a NOP that ignored its flags).
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc.h"
#include "ubc_probe.h"

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

int ubc_why(char *why, size_t len, int ret, const char *fmt, ...)
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
		return ubc_why(why, len, 0, "no errno (probe list): IORING_REGISTER_PROBE does not list opcodes %d/%d",
			       IORING_OP_PROVIDE_BUFFERS, IORING_OP_REMOVE_BUFFERS);
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "io_uring_get_probe() failed (IORING_REGISTER_PROBE, 5.6): %d", got);
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

int ubc_probe_ring_fd(char *why, size_t len)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret)
		return ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
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
		return ubc_why(why, len, 0, "errno EINVAL: a well-formed IORING_REGISTER_RING_FDS returned it "
			       "(opcode unknown before 5.18)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "io_uring_register_ring_fd returned %d", got);
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
		return ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		ret = -errno;
		io_uring_queue_exit(&ring);
		return ubc_why(why, len, ret, "socketpair: %s", strerror(-ret));
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
		return ubc_why(why, len, ret, "provide or submit failed: %s", strerror(-ret));
	return ubc_decide_send_select(res, why, len);
}

/* got: the CQE res of a selecting send of the 16-byte provided buffer. */
int ubc_decide_send_select(int got, char *why, size_t len)
{
	if (got == 16)
		return 1;
	/* Before 6.10 IORING_OP_SEND has no .buffer_select: io_init_req() answers EOPNOTSUPP. */
	if (got == -EOPNOTSUPP)
		return ubc_why(why, len, 0, "errno EOPNOTSUPP: a well-formed IORING_OP_SEND with IOSQE_BUFFER_SELECT "
			       "returned it (SEND selects buffers since 6.10)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "send from a provided buffer returned %d", got);
}

int ubc_probe(enum ubc_feature f, char *why, size_t len)
{
	why[0] = '\0';
	if (f >= UBC_F_NR)
		return ubc_why(why, len, -EINVAL, "no probe for feature %d", (int)f);
	return features[f].probe(why, len);
}
