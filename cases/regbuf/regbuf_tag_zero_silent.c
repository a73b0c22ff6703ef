// SPDX-License-Identifier: MIT
/*
 * IORING_REGISTER_BUFFERS2: "If a tag is zero, then tagging for this particular resource
 * is disabled". A buffer registered with tag 0 (io_uring_register_buffers_tags(3)), or
 * with no tag array at all (io_uring_register_buffers(3)), posts no CQE when it is
 * replaced or unregistered. After each step ubc_tag_barrier()'s sentinel tag CQE is the
 * first CQE: a tag CQE released by the step would have come before it. Each step is shown
 * to have happened (a step that did nothing would post nothing too): after the replace,
 * slot 0 reads into mem[1] and no longer into mem[0]; after the unregister there is no
 * table. The read takes a socket with its bytes there, so it completes inline and holds no
 * node past its CQE (see regbuf_tag_on_update).
 */
#include <sys/uio.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define BUF_LEN 4096

FIXTURE(regbuf) {
	struct io_uring ring;
	void *mem[2];
	struct iovec iov[2];
	int sv[2];	/* sv[0]: BUF_LEN bytes of pattern 67 */
};

FIXTURE_VARIANT(regbuf) {
	int tag_array;
};

FIXTURE_VARIANT_ADD(regbuf, zero_tags) { .tag_array = 1 };
FIXTURE_VARIANT_ADD(regbuf, no_tag_array) { .tag_array = 0 };

FIXTURE_SETUP(regbuf)
{
	__u64 tags[2] = { 0, 0 };

	UBC_RING_INIT(&self->ring, 8, 0);
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, self->iov, 2, BUF_LEN));
	if (variant->tag_array) {
		ASSERT_EQ(0, io_uring_register_buffers_tags(&self->ring, self->iov, tags, 2));
	} else {
		ASSERT_EQ(0, io_uring_register_buffers(&self->ring, self->iov, 2));
	}
	ASSERT_EQ(0, ubc_socketpair_fill(self->sv, BUF_LEN, 67));
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_bufs_free(self->mem, 2, BUF_LEN);
}

TEST_F(regbuf, replace_and_unregister_post_nothing)
{
	struct ubc_cqe c[4];

	ASSERT_EQ(1, ubc_update_slot(&self->ring, 0, self->mem[1], BUF_LEN, 0));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	/* The replace happened: slot 0 maps mem[1] now. */
	ASSERT_EQ(-EFAULT, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[0], BUF_LEN, 0, 0));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->sv[0], self->mem[1], BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem[1], BUF_LEN, 67, 0));
	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(0, ubc_tag_barrier(&self->ring, c, 4));
	/* So did the unregister: no table is left. */
	ASSERT_EQ(-ENXIO, io_uring_unregister_buffers(&self->ring));
}

TEST_HARNESS_MAIN
