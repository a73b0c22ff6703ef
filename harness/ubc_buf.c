// SPDX-License-Identifier: MIT
/* Guarded buffers, byte patterns and pattern files for the cases. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ubc.h"

static size_t page_round(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) / pg * pg;
}

void *ubc_buf_alloc(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), body = page_round(len ? len : 1);
	/* Anonymous on purpose: 6.1 refuses to register file-backed (initramfs) memory. */
	char *map = mmap(NULL, body + 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (map == MAP_FAILED)
		return NULL;
	if (mprotect(map + pg, body, PROT_READ | PROT_WRITE)) {
		munmap(map, body + 2 * pg);
		return NULL;
	}
	return map + pg;
}

void ubc_buf_free(void *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (p)
		munmap((char *)p - pg, page_round(len ? len : 1) + 2 * pg);
}

static unsigned char pattern_byte(size_t off, unsigned int seed)
{
	/* Distinct across seeds and never constant over a page. */
	return (unsigned char)((off * 131u + (off >> 8) * 7u + seed * 29u + 1u) & 0xff);
}

void ubc_fill(void *p, size_t len, unsigned int seed, size_t pos)
{
	unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = pattern_byte(pos + i, seed);
}

long ubc_mismatch(const void *p, size_t len, unsigned int seed, size_t pos)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != pattern_byte(pos + i, seed))
			return (long)i;
	return -1;
}

int ubc_tmpfile(size_t len, unsigned int seed)
{
	char tmpl[] = "/tmp/ubc-XXXXXX";
	unsigned char chunk[4096];
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return -errno;
	unlink(tmpl);
	for (size_t off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		ubc_fill(chunk, n, seed, off);
		if (pwrite(fd, chunk, n, (off_t)off) != (ssize_t)n) {
			int err = errno ? errno : EIO;

			close(fd);
			return -err;
		}
	}
	return fd;
}

int ubc_submit_one(struct io_uring *ring, int *res, unsigned int *flags)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_submit(ring);

	if (ret != 1)
		return ret < 0 ? ret : -EAGAIN;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	*res = cqe->res;
	*flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}
