// SPDX-License-Identifier: MIT
/*
 * Probes of IORING_REGISTER_CLONE_BUFFERS (6.12) and of its offsets (6.13), each beside its
 * decision (see ubc_probe.c for the rules every probe follows).
 */
#include <sys/uio.h>
#include "ubc.h"
#include "ubc_probe.h"

/* src holds two registered buffers, dst none; clone them with the given arguments. */
static int try_clone(unsigned int src_off, unsigned int nr, int *ret, char *why, size_t len)
{
	struct io_uring src, dst;
	struct iovec iov[2];
	void *mem = ubc_buf_alloc(8192);
	int r;

	if (!mem)
		return ubc_why(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	iov[0] = (struct iovec){ .iov_base = mem, .iov_len = 4096 };
	iov[1] = (struct iovec){ .iov_base = (char *)mem + 4096, .iov_len = 4096 };
	r = io_uring_queue_init(2, &src, 0);
	if (r) {
		ubc_buf_free(mem, 8192);
		return ubc_why(why, len, r, "io_uring_queue_init: %s", strerror(-r));
	}
	r = io_uring_queue_init(2, &dst, 0);
	if (!r) {
		r = io_uring_register_buffers(&src, iov, 2);
		if (r)
			ubc_why(why, len, r, "io_uring_register_buffers: %s", strerror(-r));
		else
			*ret = io_uring_clone_buffers_offset(&dst, &src, 0, src_off, nr, 0);
		io_uring_queue_exit(&dst);
	} else {
		ubc_why(why, len, r, "io_uring_queue_init: %s", strerror(-r));
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
		return ubc_why(why, len, 0, "errno EINVAL: a well-formed IORING_REGISTER_CLONE_BUFFERS (opcode %d) "
			       "returned it (opcode unknown before 6.12)", IORING_REGISTER_CLONE_BUFFERS);
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "well-formed clone of 2 buffers returned %d (%s)",
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
		return ubc_why(why, len, 0, "errno EINVAL: clone works but src_off=1 nr=1 returned it "
			       "(6.12 treats those fields as padding that must be zero; offsets came in 6.13)");
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "well-formed clone with src_off=1 nr=1 returned %d (%s)",
		       got, strerror(-got));
}
