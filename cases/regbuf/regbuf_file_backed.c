// SPDX-License-Identifier: MIT
/*
 * io_uring_register(2) says registered buffers "must be anonymous, non-file-backed
 * memory". Shared-memory files are file-backed and register on every kernel of the matrix
 * (6.1's io_pin_pages() lets vma_is_shmem() through; later kernels pin any mapping GUP
 * accepts): a memfd mapped MAP_SHARED or MAP_PRIVATE registers, a fixed read lands in it,
 * and for MAP_SHARED the bytes are the file's (read back with pread). Erratum recorded.
 */
#include <sys/mman.h>
#include <sys/uio.h>
#include "ubc_test.h"

#define BUF_LEN 8192

FIXTURE(regbuf) {
	struct io_uring ring;
	int memfd, fd;
	void *map;
};

FIXTURE_VARIANT(regbuf) {
	int map_flags;
};

FIXTURE_VARIANT_ADD(regbuf, memfd_shared) { .map_flags = MAP_SHARED };
FIXTURE_VARIANT_ADD(regbuf, memfd_private) { .map_flags = MAP_PRIVATE };

FIXTURE_SETUP(regbuf)
{
	UBC_RING_INIT(&self->ring, 8, 0);
	self->memfd = memfd_create("ubc-regbuf", 0);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, BUF_LEN));
	self->map = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE, variant->map_flags, self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->fd = ubc_tmpfile(BUF_LEN, 44);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(regbuf)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	munmap(self->map, BUF_LEN);
	close(self->memfd);
}

TEST_F(regbuf, registers_and_reads)
{
	struct iovec iov = { .iov_base = self->map, .iov_len = BUF_LEN };
	unsigned char back[BUF_LEN];

	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(BUF_LEN, ubc_rw_fixed(&self->ring, 0, self->fd, self->map, BUF_LEN, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->map, BUF_LEN, 44, 0));
	ASSERT_EQ(BUF_LEN, pread(self->memfd, back, BUF_LEN, 0));
	if (variant->map_flags == MAP_SHARED) {
		ASSERT_EQ(-1, ubc_mismatch(back, BUF_LEN, 44, 0));
	} else {
		/* A private copy: the file itself is untouched. */
		ASSERT_EQ(-1, ubc_first_not(back, BUF_LEN, 0));
	}
}

TEST_HARNESS_MAIN
