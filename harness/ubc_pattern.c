// SPDX-License-Identifier: MIT
/* The byte pattern: writing it, finding where memory departs from it, and files and sockets holding it. */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc.h"

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

long ubc_first_not(const void *p, size_t len, unsigned char c)
{
	const unsigned char *b = p;
	unsigned char ref[4096];
	size_t i = 0;

	/* A page at a time with memcmp (the THP cases check megabytes), then byte by byte. */
	memset(ref, c, sizeof(ref));
	while (len - i >= sizeof(ref) && !memcmp(b + i, ref, sizeof(ref)))
		i += sizeof(ref);
	for (; i < len; i++)
		if (b[i] != c)
			return (long)i;
	return -1;
}

int ubc_filled_file(size_t len, unsigned int seed,
		    void (*fill)(void *p, size_t len, unsigned int seed, size_t pos))
{
	char tmpl[] = "/tmp/ubc-XXXXXX";
	unsigned char chunk[65536];
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return -errno;
	unlink(tmpl);
	for (size_t off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		fill(chunk, n, seed, off);
		if (pwrite(fd, chunk, n, (off_t)off) != (ssize_t)n) {
			int err = errno ? errno : EIO;

			close(fd);
			return -err;
		}
	}
	return fd;
}

int ubc_tmpfile(size_t len, unsigned int seed)
{
	return ubc_filled_file(len, seed, ubc_fill);
}

int ubc_socketpair_fill(int sv[2], size_t len, unsigned int seed)
{
	unsigned char chunk[4096];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	for (size_t off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		ubc_fill(chunk, n, seed, off);
		if (write(sv[1], chunk, n) != (ssize_t)n) {
			int err = errno ? errno : EIO;

			close(sv[0]);
			close(sv[1]);
			return -err;
		}
	}
	return 0;
}
