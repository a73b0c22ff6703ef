// SPDX-License-Identifier: MIT
/*
 * io_uring_buf_ring_head(3) (IORING_REGISTER_PBUF_STATUS, 6.8) gives the kernel's head of a
 * buffer ring: 0 before anything is submitted, +1 per completed selecting read (kbuf.c
 * io_register_pbuf_status(): buf_status.head = bl->head), unchanged by a read that failed with
 * -ENOBUFS. A bgid with no group is -ENOENT, a legacy group -EINVAL. An argument that cannot be
 * read is -EFAULT (copy_from_user); one that can be read but not written (a read-only page)
 * is -EFAULT too, from the copy_to_user of the result, and the page keeps its bytes.
 */
#include <sys/mman.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 86
#define LEN 16

FIXTURE(head) {
	struct io_uring ring;
	struct ubc_br b;
	char *mem;
	int fd;
};

FIXTURE_SETUP(head)
{
	UBC_REQUIRE(UBC_F_PBUF_STATUS);
	UBC_RING_INIT(&self->ring, 4, 0);
	UBC_BUF(self->mem, 4 * LEN);
	self->fd = ubc_tmpfile(LEN, 56);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, 8, BGID, 0, 0));
}

FIXTURE_TEARDOWN(head)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, 4 * LEN);
}

TEST_F(head, follows_completions)
{
	uint16_t head = 0xffff;
	unsigned int flags;
	int res;

	ASSERT_EQ(0, io_uring_buf_ring_head(&self->ring, BGID, &head));
	ASSERT_EQ(0, head);
	ubc_br_fill(&self->b, self->mem, LEN, 3, 0);
	/* Adding buffers moves the tail, not the head. */
	ASSERT_EQ(0, io_uring_buf_ring_head(&self->ring, BGID, &head));
	ASSERT_EQ(0, head);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
		ASSERT_EQ(LEN, res);
		ASSERT_EQ(UBC_BUF_FLAGS(i), flags);
		ASSERT_EQ(0, io_uring_buf_ring_head(&self->ring, BGID, &head));
		ASSERT_EQ(i + 1, head);
	}
	ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags));
	ASSERT_EQ(-ENOBUFS, res);
	ASSERT_EQ(0, io_uring_buf_ring_head(&self->ring, BGID, &head));
	ASSERT_EQ(3, head);
}

TEST_F(head, unknown_bgid_enoent)
{
	uint16_t head = 0x5555;

	ASSERT_EQ(-ENOENT, io_uring_buf_ring_head(&self->ring, 1234, &head));
	ASSERT_EQ(0x5555, head);
}

TEST_F(head, legacy_group_einval)
{
	uint16_t head = 0x5555;
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, self->mem, LEN, 1, 1235, 0, &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(-EINVAL, io_uring_buf_ring_head(&self->ring, 1235, &head));
	ASSERT_EQ(0x5555, head);
}

TEST_F(head, unreadable_arg_efault)
{
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, none);
	/* The group exists (BGID); an unread argument would name bgid 0, which has none. */
	EXPECT_EQ(-EFAULT, io_uring_register(self->ring.ring_fd, IORING_REGISTER_PBUF_STATUS, none, 1));
	munmap(none, 4096);
}

TEST_F(head, readonly_result_efault)
{
	struct io_uring_buf_status *st = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, st);
	st->buf_group = BGID;
	st->head = 0x5555;
	ASSERT_EQ(0, mprotect(st, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, io_uring_register(self->ring.ring_fd, IORING_REGISTER_PBUF_STATUS, st, 1));
	EXPECT_EQ(BGID, (int)st->buf_group);
	EXPECT_EQ(0x5555u, st->head);
	munmap(st, 4096);
}

TEST_HARNESS_MAIN
