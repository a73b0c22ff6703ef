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

int ubc_clone_raw(int dst_fd, unsigned int src_fd, unsigned int flags,
		  unsigned int src_off, unsigned int dst_off, unsigned int nr)
{
	struct io_uring_clone_buffers arg;

	memset(&arg, 0, sizeof(arg));
	arg.src_fd = src_fd;
	arg.flags = flags;
	arg.src_off = src_off;
	arg.dst_off = dst_off;
	arg.nr = nr;
	/* liburing's io_uring_register() is the bare syscall returning -errno. */
	return io_uring_register(dst_fd, IORING_REGISTER_CLONE_BUFFERS, &arg, 1);
}

int ubc_rw_fixed(struct io_uring *ring, int write, int fd, void *buf, unsigned int len,
		 unsigned long long off, int idx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;
	int res, ret;

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write_fixed(sqe, fd, buf, len, off, idx);
	else
		io_uring_prep_read_fixed(sqe, fd, buf, len, off, idx);
	ret = ubc_submit_one(ring, &res, &flags);
	return ret ? ret : res;
}

int ubc_provide(struct io_uring *ring, void *addr, int len, int nr, int bgid, int bid, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_provide_buffers(sqe, addr, len, nr, bgid, bid);
	return ubc_submit_one(ring, res, &flags);
}

int ubc_remove(struct io_uring *ring, int nr, int bgid, int *res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned int flags;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_remove_buffers(sqe, nr, bgid);
	return ubc_submit_one(ring, res, &flags);
}

int ubc_read_select(struct io_uring *ring, int fd, unsigned int len, unsigned long long off,
		    int bgid, int *res, unsigned int *flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, NULL, len, off);
	return ubc_submit_select(ring, sqe, bgid, res, flags);
}

int ubc_bufs_alloc(void **mem, struct iovec *iov, int nr, size_t len)
{
	for (int i = 0; i < nr; i++) {
		mem[i] = ubc_buf_alloc(len);
		if (!mem[i]) {
			int err = errno ? errno : ENOMEM;

			while (i--) {
				ubc_buf_free(mem[i], len);
				mem[i] = NULL;
			}
			return -err;
		}
		if (iov)
			iov[i] = (struct iovec){ .iov_base = mem[i], .iov_len = len };
	}
	return 0;
}

void ubc_bufs_free(void **mem, int nr, size_t len)
{
	for (int i = 0; i < nr; i++)
		ubc_buf_free(mem[i], len);
}
