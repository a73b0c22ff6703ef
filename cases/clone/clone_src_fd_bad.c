// SPDX-License-Identifier: MIT
/*
 * src_fd must be an open io_uring (io_uring_register_get_file(), io_uring_ctx_get_file()):
 * a descriptor of another kind is EOPNOTSUPP, one that is not open is EBADF. The page
 * lists neither.
 */
#include <fcntl.h>
#include <limits.h>
#include "ubc_test.h"

enum kind { PIPE, REGULAR_FILE, CLOSED_FD, MINUS_ONE };

FIXTURE(clone) {
	struct io_uring dst;
	int fds[2];
};

FIXTURE_VARIANT(clone) {
	enum kind kind;
	int expect;
};

FIXTURE_VARIANT_ADD(clone, pipe_is_eopnotsupp) { .kind = PIPE, .expect = -EOPNOTSUPP };
FIXTURE_VARIANT_ADD(clone, regular_file_is_eopnotsupp) { .kind = REGULAR_FILE, .expect = -EOPNOTSUPP };
FIXTURE_VARIANT_ADD(clone, closed_fd_is_ebadf) { .kind = CLOSED_FD, .expect = -EBADF };
FIXTURE_VARIANT_ADD(clone, minus_one_is_ebadf) { .kind = MINUS_ONE, .expect = -EBADF };

FIXTURE_SETUP(clone)
{
	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->dst, 8, 0);
	ASSERT_EQ(0, pipe(self->fds));
}

FIXTURE_TEARDOWN(clone)
{
	close(self->fds[0]);
	close(self->fds[1]);
	io_uring_queue_exit(&self->dst);
}

TEST_F(clone, src_fd)
{
	unsigned int src_fd = UINT_MAX;
	int tmp = -1, ret;

	switch (variant->kind) {
	case PIPE:
		src_fd = self->fds[0];
		break;
	case REGULAR_FILE:
		tmp = ubc_tmpfile(4096, 1);
		ASSERT_LE(0, tmp);
		src_fd = tmp;
		break;
	case CLOSED_FD:
		/* A number that was just an fd and is now free. */
		tmp = dup(self->fds[0]);
		ASSERT_LE(0, tmp);
		close(tmp);
		src_fd = tmp;
		tmp = -1;
		break;
	case MINUS_ONE:
		break;
	}
	ret = ubc_clone_raw(self->dst.ring_fd, src_fd, 0, 0, 0, 0);
	if (tmp >= 0)
		close(tmp);
	ASSERT_EQ(variant->expect, ret) TH_LOG("src_fd %u: %s", src_fd, strerror(-ret));
}

TEST_HARNESS_MAIN
