// SPDX-License-Identifier: MIT
/*
 * IORING_REGISTER_PBUF_RING whose argument (struct io_uring_buf_reg) cannot be read is -EFAULT
 * (kbuf.c io_register_pbuf_ring(): copy_from_user), both for a small bogus pointer and for a
 * pointer into a PROT_NONE page; nothing is registered: unregistering the bgid is then -ENOENT
 * and a well-formed registration on it works.
 */
#include <sys/mman.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 103

FIXTURE(badptr) {
	struct io_uring ring;
	struct ubc_br b;
	void *guard;
};

FIXTURE_VARIANT(badptr) {
	int prot_none;
};

FIXTURE_VARIANT_ADD(badptr, low_pointer) { .prot_none = 0 };
FIXTURE_VARIANT_ADD(badptr, prot_none_page) { .prot_none = 1 };

FIXTURE_SETUP(badptr)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, 4, 0);
	self->guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->guard);
}

FIXTURE_TEARDOWN(badptr)
{
	ubc_br_free(&self->ring, &self->b);
	munmap(self->guard, 4096);
	io_uring_queue_exit(&self->ring);
}

TEST_F(badptr, efault_nothing_registered)
{
	void *arg = variant->prot_none ? self->guard : (void *)8;

	ASSERT_EQ(-EFAULT, io_uring_register(self->ring.ring_fd, IORING_REGISTER_PBUF_RING, arg, 1));
	ASSERT_EQ(-ENOENT, ubc_br_unregister_raw(&self->ring, BGID));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 4, BGID, 0, 0));
}

TEST_HARNESS_MAIN
