// SPDX-License-Identifier: MIT
/*
 * Probes of registered-buffer features: IORING_NOP_FIXED_BUFFER (6.13) and the vectored fixed
 * opcodes (6.15). See ubc_probe.c for the rules every probe follows.
 */
#include <sys/uio.h>
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
	if (res == 0 || res == -EINVAL) {
		p = ubc_why(why, len, 0, "a NOP with IORING_NOP_INJECT_RESULT (len -EPERM) completed with %d: "
			    "nop_flags are %s (kernels older than IORING_NOP_INJECT_RESULT, e.g. 6.1)",
			    res, res ? "refused" : "ignored");
		goto out;
	}
	if (res != -EPERM) {
		p = ubc_why(why, len, -EPROTO, "NOP with IORING_NOP_INJECT_RESULT -EPERM gave %d", res);
		goto out;
	}
	/* 6.12's io_nop_prep() knows only INJECT_RESULT and refuses other flags with EINVAL. */
	ret = nop_res(&ring, IORING_NOP_FIXED_BUFFER, 0, 0, &res);
	if (ret)
		p = ubc_why(why, len, ret, "NOP submission: %s", strerror(-ret));
	else if (res == 0)
		p = 1;
	else if (res == -EINVAL)
		p = ubc_why(why, len, 0, "a NOP with IORING_NOP_FIXED_BUFFER on registered slot 0 returned EINVAL "
			    "(the flag is unknown before 6.13)");
	else
		p = ubc_why(why, len, res < 0 ? res : -EPROTO, "NOP with IORING_NOP_FIXED_BUFFER on slot 0 gave %d", res);
out:
	io_uring_queue_exit(&ring);
	ubc_buf_free(mem, 4096);
	return p;
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
	else if (res == 64)
		p = 1;
	/* An opcode past IORING_OP_LAST is EINVAL from io_init_req() (before 6.15). */
	else if (res == -EINVAL)
		p = ubc_why(why, len, 0, "a well-formed IORING_OP_READV_FIXED (opcode %d) returned EINVAL "
			    "(opcode unknown before 6.15)", IORING_OP_READV_FIXED);
	else
		p = ubc_why(why, len, res < 0 ? res : -EPROTO, "READV_FIXED of 64 bytes gave %d", res);
out:
	io_uring_queue_exit(&ring);
out_fd:
	close(fd);
	ubc_buf_free(mem, 4096);
	return p;
}
