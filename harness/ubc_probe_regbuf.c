// SPDX-License-Identifier: MIT
/*
 * Probes of registered-buffer features: IORING_NOP_FIXED_BUFFER (6.13) and the vectored fixed
 * opcodes (6.15), each beside its decisions (see ubc_probe.c for the rules every probe follows).
 */
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc.h"
#include "ubc_regbuf.h"
#include "ubc_probe.h"

/* One NOP with these nop_flags, buf_index and len (the injected result): its res. */
static int nop_res(struct io_uring *ring, unsigned int nop_flags, int idx, int len, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	sqe->nop_flags = nop_flags;
	sqe->buf_index = (__u16)idx;
	sqe->len = (__u32)len;
	return ubc_submit_one(ring, res, &flags);
}

int ubc_probe_nop_fixed_buffer(char *why, size_t len)
{
	struct io_uring ring;
	struct iovec iov;
	void *mem = ubc_buf_alloc(4096);
	int ret, res = 0, p;

	if (!mem)
		return ubc_why(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret) {
		ubc_buf_free(mem, 4096);
		return ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	}
	iov = (struct iovec){ .iov_base = mem, .iov_len = 4096 };
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		p = ubc_why(why, len, ret, "io_uring_register_buffers: %s", strerror(-ret));
		goto out;
	}
	/*
	 * Kernels without nop_flags either refuse them (6.1: non-zero rw_flags, the union
	 * nop_flags lives in, is EINVAL) or ignore them (an injected result never shows).
	 */
	ret = nop_res(&ring, IORING_NOP_INJECT_RESULT, 0, -EPERM, &res);
	if (ret) {
		p = ubc_why(why, len, ret, "NOP submission: %s", strerror(-ret));
		goto out;
	}
	p = ubc_decide_nop_inject(res, why, len);
	if (p != 1)
		goto out;
	ret = nop_res(&ring, IORING_NOP_FIXED_BUFFER, 0, 0, &res);
	if (ret)
		p = ubc_why(why, len, ret, "NOP submission: %s", strerror(-ret));
	else
		p = ubc_decide_nop_fixed_buffer(res, why, len);
out:
	io_uring_queue_exit(&ring);
	ubc_buf_free(mem, 4096);
	return p;
}

/*
 * got: the CQE res of a NOP with IORING_NOP_INJECT_RESULT and len -EPERM. 1 here means only
 * that nop_flags are honoured: ubc_probe_nop_fixed_buffer then asks about the flag itself.
 */
int ubc_decide_nop_inject(int got, char *why, size_t len)
{
	if (got == -EPERM)
		return 1;
	/* 6.1's io_nop_prep() refuses a non-zero rw_flags (the union nop_flags lives in). */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: a NOP with IORING_NOP_INJECT_RESULT (len -EPERM) returned it: "
			       "nop_flags are refused (kernels older than IORING_NOP_INJECT_RESULT, e.g. 6.1)");
	/* Kernels whose io_nop_prep() reads no field complete it with 0. */
	if (got == 0)
		return ubc_why(why, len, 0, "no errno (res 0): a NOP with IORING_NOP_INJECT_RESULT (len -EPERM) "
			       "completed with 0: nop_flags are ignored (kernels older than IORING_NOP_INJECT_RESULT)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "NOP with IORING_NOP_INJECT_RESULT -EPERM returned %d", got);
}

/* got: the CQE res of a NOP with IORING_NOP_FIXED_BUFFER on registered slot 0, where nop_flags work. */
int ubc_decide_nop_fixed_buffer(int got, char *why, size_t len)
{
	if (got == 0)
		return 1;
	/* 6.12's io_nop_prep() knows only INJECT_RESULT and refuses other flags with EINVAL. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: a NOP with IORING_NOP_FIXED_BUFFER on registered slot 0 "
			       "returned it (the flag is unknown before 6.13)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "NOP with IORING_NOP_FIXED_BUFFER on slot 0 returned %d", got);
}

int ubc_probe_rw_vec_fixed(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct iovec iov, v;
	unsigned int flags;
	void *mem = ubc_buf_alloc(4096);
	int fd, ret, res = 0, p;

	if (!mem)
		return ubc_why(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	fd = ubc_tmpfile(64, 1);
	if (fd < 0) {
		ubc_buf_free(mem, 4096);
		return ubc_why(why, len, fd, "tmpfile: %s", strerror(-fd));
	}
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret) {
		p = ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
		goto out_fd;
	}
	iov = (struct iovec){ .iov_base = mem, .iov_len = 4096 };
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		p = ubc_why(why, len, ret, "io_uring_register_buffers: %s", strerror(-ret));
		goto out;
	}
	v = (struct iovec){ .iov_base = mem, .iov_len = 64 };
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_readv_fixed(sqe, fd, &v, 1, 0, 0, 0);
	ret = ubc_submit_one(&ring, &res, &flags);
	if (ret)
		p = ubc_why(why, len, ret, "READV_FIXED submission: %s", strerror(-ret));
	else
		p = ubc_decide_rw_vec_fixed(res, why, len);
out:
	io_uring_queue_exit(&ring);
out_fd:
	close(fd);
	ubc_buf_free(mem, 4096);
	return p;
}

/* got: the CQE res of a READV_FIXED of 64 bytes of a 64-byte file into registered slot 0. */
int ubc_decide_rw_vec_fixed(int got, char *why, size_t len)
{
	if (got == 64)
		return 1;
	/* An opcode past IORING_OP_LAST is EINVAL from io_init_req() (before 6.15). */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: a well-formed IORING_OP_READV_FIXED (opcode %d) returned it "
			       "(opcode unknown before 6.15)", IORING_OP_READV_FIXED);
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "READV_FIXED of 64 bytes returned %d", got);
}

/*
 * A plain IORING_OP_SEND of 16 bytes from registered slot 0 with IORING_RECVSEND_FIXED_BUF
 * (io_uring_prep_send + ioprio, not SEND_ZC) over an AF_UNIX stream pair.
 */
int ubc_probe_sendrecv_fixed_buf(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct iovec iov;
	unsigned int flags;
	void *mem = ubc_buf_alloc(4096);
	int sv[2], ret, res = 0, p;

	if (!mem)
		return ubc_why(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		ret = -errno;
		ubc_buf_free(mem, 4096);
		return ubc_why(why, len, ret, "socketpair: %s", strerror(-ret));
	}
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret) {
		p = ubc_why(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
		goto out_sock;
	}
	iov = (struct iovec){ .iov_base = mem, .iov_len = 4096 };
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		p = ubc_why(why, len, ret, "io_uring_register_buffers: %s", strerror(-ret));
		goto out;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_send(sqe, sv[0], mem, 16, 0);
	sqe->ioprio = IORING_RECVSEND_FIXED_BUF;
	sqe->buf_index = 0;
	ret = ubc_submit_one(&ring, &res, &flags);
	if (ret)
		p = ubc_why(why, len, ret, "SEND submission: %s", strerror(-ret));
	else
		p = ubc_decide_sendrecv_fixed_buf(res, why, len);
out:
	io_uring_queue_exit(&ring);
out_sock:
	close(sv[0]);
	close(sv[1]);
	ubc_buf_free(mem, 4096);
	return p;
}

/* got: the CQE res of that SEND of 16 bytes from registered slot 0. */
int ubc_decide_sendrecv_fixed_buf(int got, char *why, size_t len)
{
	if (got == 16)
		return 1;
	/* Before "io_uring/net: support registered buffer for plain send and recv" the flag is not in SENDMSG_FLAGS. */
	if (got == -EINVAL)
		return ubc_why(why, len, 0, "errno EINVAL: a plain IORING_OP_SEND of 16 bytes with IORING_RECVSEND_FIXED_BUF "
			       "from registered slot 0 returned it (the flag is SEND_ZC-only before 7.2)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "SEND with IORING_RECVSEND_FIXED_BUF of 16 bytes returned %d", got);
}
