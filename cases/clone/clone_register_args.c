// SPDX-License-Identifier: MIT
/*
 * io_uring_register(2) checks for IORING_REGISTER_CLONE_BUFFERS before the clone:
 * __io_uring_register() wants a non-NULL arg and nr_args == 1 (else EINVAL), and the
 * struct must be readable (copy_from_user: EFAULT). Not on the page.
 */
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 4096

enum argkind { GOOD, NULL_ARG, UNMAPPED, STRADDLES_GUARD };

FIXTURE(clone) {
	struct io_uring src, dst;
	void *mem, *argpage;
};

FIXTURE_VARIANT(clone) {
	enum argkind arg;
	unsigned int nr_args;
	int expect;
};

FIXTURE_VARIANT_ADD(clone, nr_args_0) { .arg = GOOD, .nr_args = 0, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, nr_args_2) { .arg = GOOD, .nr_args = 2, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, null_arg) { .arg = NULL_ARG, .nr_args = 1, .expect = -EINVAL };
FIXTURE_VARIANT_ADD(clone, unmapped_arg) { .arg = UNMAPPED, .nr_args = 1, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(clone, arg_runs_into_guard) { .arg = STRADDLES_GUARD, .nr_args = 1, .expect = -EFAULT };
FIXTURE_VARIANT_ADD(clone, well_formed) { .arg = GOOD, .nr_args = 1, .expect = 0 };

FIXTURE_SETUP(clone)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, BUF_LEN);
	UBC_BUF(self->argpage, BUF_LEN);	/* one page between guard pages */
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = BUF_LEN };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
}

FIXTURE_TEARDOWN(clone)
{
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, BUF_LEN);
	ubc_buf_free(self->argpage, BUF_LEN);
}

TEST_F(clone, register_call)
{
	struct io_uring_clone_buffers good = { .src_fd = self->src.ring_fd };
	/* The page size is at least 4096, so argpage + 4096 - 8 runs into the guard page. */
	char *page_end = (char *)self->argpage + sysconf(_SC_PAGESIZE);
	void *arg = &good;

	switch (variant->arg) {
	case GOOD:
		break;
	case NULL_ARG:
		arg = NULL;
		break;
	case UNMAPPED:
		arg = page_end;		/* the guard page after argpage */
		break;
	case STRADDLES_GUARD:
		memcpy(page_end - 8, &good, 8);
		arg = page_end - 8;
		break;
	}
	ASSERT_EQ(variant->expect, io_uring_register(self->dst.ring_fd, IORING_REGISTER_CLONE_BUFFERS,
						     arg, variant->nr_args));
	ASSERT_EQ(variant->expect ? -ENXIO : 0, io_uring_unregister_buffers(&self->dst));
}

TEST_HARNESS_MAIN
