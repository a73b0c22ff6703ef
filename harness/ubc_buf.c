// SPDX-License-Identifier: MIT
/* Guarded buffers: anonymous memory between two PROT_NONE pages, one or an array of them. */
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
