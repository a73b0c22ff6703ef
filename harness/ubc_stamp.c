// SPDX-License-Identifier: MIT
/*
 * A byte pattern without a period: ubc_fill's repeats every 64 KiB, so data that lands a
 * multiple of 64 KiB away (one huge page off, two huge pages swapped) still matches it.
 * Each byte here is a hash of its position and the seed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "ubc.h"

static unsigned char stamp_byte(size_t off, unsigned int seed)
{
	uint64_t x = ((uint64_t)off + 1) * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 40);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return (unsigned char)(x >> 56);
}

void ubc_stamp_fill(void *p, size_t len, unsigned int seed, size_t pos)
{
	unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = stamp_byte(pos + i, seed);
}

long ubc_stamp_mismatch(const void *p, size_t len, unsigned int seed, size_t pos)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != stamp_byte(pos + i, seed))
			return (long)i;
	return -1;
}

int ubc_stamp_file(size_t len, unsigned int seed)
{
	return ubc_filled_file(len, seed, ubc_stamp_fill);
}
