// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS says a successful provide's res is the number of
 * buffers provided; kbuf.c io_add_buffers() returns 0 on success in 6.1, 6.12 and 7.3.
 * The buffers are there all the same: a read selects the first ID, remove takes the rest.
 */
#include "ubc_test.h"

#define LEN 32

FIXTURE(provide_res) {
	struct io_uring ring;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(provide_res) {
	int nr;
};

FIXTURE_VARIANT_ADD(provide_res, one_buffer) { .nr = 1 };
FIXTURE_VARIANT_ADD(provide_res, sixteen_buffers) { .nr = 16 };

FIXTURE_SETUP(provide_res)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 16 * LEN);
	self->fd = ubc_tmpfile(LEN, 32);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(provide_res)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 16 * LEN);
}

/* The provide CQE: res 0 (not nr) and no flags. */
TEST_F(provide_res, res_is_zero_not_count)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	unsigned int flags;
	int res;

	io_uring_prep_provide_buffers(sqe, self->mem, LEN, variant->nr, 3, 40);
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(0, res) TH_LOG("provide of %d buffers: res %d", variant->nr, res);
	ASSERT_EQ(0u, flags);
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, 3, &res, &flags));
	ASSERT_EQ(LEN, res);
	ASSERT_EQ(IORING_CQE_F_BUFFER | (40u << IORING_CQE_BUFFER_SHIFT), flags);
	ASSERT_EQ(-1, ubc_mismatch(self->mem, LEN, 32, 0));
	ASSERT_EQ(0, ubc_remove(&self->ring, 100, 3, &res));
	ASSERT_EQ(variant->nr - 1, res);
}

/*
 * ERRORS -ENOMEM, "The kernel was unable to allocate memory for the request", provoked: in a
 * memory cgroup limited to 0 bytes (harness/ubc_memcg.c) a provide of 4 buffers into a new
 * group completes with -ENOMEM, since neither the group's list nor a buffer can be allocated
 * (kbuf.c: kzalloc/kmalloc GFP_KERNEL_ACCOUNT; 6.1 takes a page for its buffer cache,
 * GFP_KERNEL_ACCOUNT too), and adds nothing: with the limit lifted the same provide gives 0
 * and remove then finds exactly its 4 buffers. The ring and its request cache are set up
 * before the limit (the provide's own request must not be what fails). Where no cgroup2
 * memory controller exists the test skips with that proof.
 */
#define ENOMEM_BGID 700

FIXTURE(enomem) {
	struct io_uring ring;
	char *mem;
	struct ubc_memcg m;
	int ready;
};

FIXTURE_SETUP(enomem)
{
	unsigned int flags;
	int res;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4 * LEN);
	/* A request completed and cached: the limited provide reuses it. */
	io_uring_prep_nop(io_uring_get_sqe(&self->ring));
	ASSERT_EQ(0, ubc_submit_one(&self->ring, &res, &flags));
	ASSERT_EQ(0, res);
	UBC_MEMCG_READY(&self->m, self->ready);
}

FIXTURE_TEARDOWN(enomem)
{
	if (self->ready == 1)
		ubc_memcg_close(&self->m);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * LEN);
}

static int provide4(struct io_uring *ring, char *mem, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;

	io_uring_prep_provide_buffers(sqe, mem, LEN, 4, ENOMEM_BGID, 0);
	return ubc_submit_one(ring, res, &flags);
}

TEST_F(enomem, provide_in_memcg_limit_0)
{
	int sub_limited, res_limited = 1, sub_lifted, res_lifted = 1, removed = -1, limit;

	ASSERT_EQ(0, ubc_memcg_enter(&self->m));
	limit = ubc_memcg_limit(&self->m, "0");
	sub_limited = provide4(&self->ring, self->mem, &res_limited);
	ASSERT_EQ(0, ubc_memcg_limit(&self->m, "max"));
	sub_lifted = provide4(&self->ring, self->mem, &res_lifted);
	ASSERT_EQ(0, ubc_memcg_leave(&self->m));
	ASSERT_EQ(0, limit);
	ASSERT_EQ(0, sub_limited);
	ASSERT_EQ(-ENOMEM, res_limited);
	ASSERT_EQ(0, sub_lifted);
	ASSERT_EQ(0, res_lifted);
	ASSERT_EQ(0, ubc_remove(&self->ring, 100, ENOMEM_BGID, &removed));
	ASSERT_EQ(4, removed);
}

TEST_HARNESS_MAIN
