// SPDX-License-Identifier: MIT
/*
 * Registered-buffer helpers and the probes for IORING_NOP_FIXED_BUFFER and the vectored
 * fixed opcodes. The probes' "absent" answer is the errno an older kernel gives for the
 * same well-formed call; anything else is a probe failure (-errno).
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>
#include "ubc.h"
#include "ubc_regbuf.h"

static int say(char *why, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return ret;
}

int ubc_next_cqe(struct io_uring *ring, unsigned int ms, struct ubc_cqe *out)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return ret;
	out->user_data = cqe->user_data;
	out->res = cqe->res;
	out->flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

int ubc_collect_cqes(struct io_uring *ring, unsigned int ms, struct ubc_cqe *out, int max)
{
	struct ubc_cqe c;
	int n = 0;

	while (ubc_next_cqe(ring, ms, &c) == 0) {
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}

int ubc_update_slot(struct io_uring *ring, unsigned int slot, void *base, size_t len,
		    unsigned long long tag)
{
	struct iovec iov = { .iov_base = base, .iov_len = len };
	__u64 t = tag;

	return io_uring_register_buffers_update_tag(ring, slot, &iov, &t, 1);
}

int ubc_queue_read_fixed(struct io_uring *ring, int fd, void *buf, unsigned int len,
			 int idx, unsigned long long user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read_fixed(sqe, fd, buf, len, 0, idx);
	sqe->user_data = user_data;
	ret = io_uring_submit(ring);
	return ret == 1 ? 0 : (ret < 0 ? ret : -EAGAIN);
}

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
		return say(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret) {
		ubc_buf_free(mem, 4096);
		return say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	}
	iov = (struct iovec){ .iov_base = mem, .iov_len = 4096 };
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		p = say(why, len, ret, "io_uring_register_buffers: %s", strerror(-ret));
		goto out;
	}
	/*
	 * Kernels without nop_flags either refuse them (6.1: non-zero rw_flags, the union
	 * nop_flags lives in, is EINVAL) or ignore them (an injected result never shows).
	 */
	ret = nop_res(&ring, IORING_NOP_INJECT_RESULT, 0, -EPERM, &res);
	if (ret) {
		p = say(why, len, ret, "NOP submission: %s", strerror(-ret));
		goto out;
	}
	if (res == 0 || res == -EINVAL) {
		p = say(why, len, 0, "a NOP with IORING_NOP_INJECT_RESULT (len -EPERM) completed with %d: "
			"nop_flags are %s (kernels older than IORING_NOP_INJECT_RESULT, e.g. 6.1)",
			res, res ? "refused" : "ignored");
		goto out;
	}
	if (res != -EPERM) {
		p = say(why, len, -EPROTO, "NOP with IORING_NOP_INJECT_RESULT -EPERM gave %d", res);
		goto out;
	}
	/* 6.12's io_nop_prep() knows only INJECT_RESULT and refuses other flags with EINVAL. */
	ret = nop_res(&ring, IORING_NOP_FIXED_BUFFER, 0, 0, &res);
	if (ret)
		p = say(why, len, ret, "NOP submission: %s", strerror(-ret));
	else if (res == 0)
		p = 1;
	else if (res == -EINVAL)
		p = say(why, len, 0, "a NOP with IORING_NOP_FIXED_BUFFER on registered slot 0 returned EINVAL "
			"(the flag is unknown before 6.13)");
	else
		p = say(why, len, res < 0 ? res : -EPROTO, "NOP with IORING_NOP_FIXED_BUFFER on slot 0 gave %d", res);
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
		return say(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	fd = ubc_tmpfile(64, 1);
	if (fd < 0) {
		ubc_buf_free(mem, 4096);
		return say(why, len, fd, "tmpfile: %s", strerror(-fd));
	}
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret) {
		p = say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
		goto out_fd;
	}
	iov = (struct iovec){ .iov_base = mem, .iov_len = 4096 };
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		p = say(why, len, ret, "io_uring_register_buffers: %s", strerror(-ret));
		goto out;
	}
	v = (struct iovec){ .iov_base = mem, .iov_len = 64 };
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_readv_fixed(sqe, fd, &v, 1, 0, 0, 0);
	ret = ubc_submit_one(&ring, &res, &flags);
	if (ret)
		p = say(why, len, ret, "READV_FIXED submission: %s", strerror(-ret));
	else if (res == 64)
		p = 1;
	/* An opcode past IORING_OP_LAST is EINVAL from io_init_req() (before 6.15). */
	else if (res == -EINVAL)
		p = say(why, len, 0, "a well-formed IORING_OP_READV_FIXED (opcode %d) returned EINVAL "
			"(opcode unknown before 6.15)", IORING_OP_READV_FIXED);
	else
		p = say(why, len, res < 0 ? res : -EPROTO, "READV_FIXED of 64 bytes gave %d", res);
out:
	io_uring_queue_exit(&ring);
out_fd:
	close(fd);
	ubc_buf_free(mem, 4096);
	return p;
}
