// SPDX-License-Identifier: MIT
/*
 * A byte pattern without a period: ubc_fill's repeats every 64 KiB, so data that lands a
 * multiple of 64 KiB away (one huge page off, two huge pages swapped) still matches it.
 * Each aligned 8 bytes are a hash of their position and the seed, byte k of a word its
 * bits 8k..8k+7: one hash for 8 bytes (the THP cases stamp and check megabytes per test,
 * which under TCG cost seconds at a hash a byte).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ubc.h"

/* The word at byte position 8 * w (splitmix64's finaliser). */
static uint64_t stamp_word(size_t w, unsigned int seed)
{
	uint64_t x = ((uint64_t)w + 1) * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 40);

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Word x as the 8 bytes it stands for (byte k = bits 8k..8k+7), in memory order. */
static uint64_t as_bytes(uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(x);
#else
	return x;
#endif
}

/* The byte at position off: byte off % 8 of its word. */
static unsigned char stamp_byte(size_t off, unsigned int seed)
{
	return (unsigned char)(stamp_word(off >> 3, seed) >> (8 * (off & 7)));
}

/* A word at a time where the stamp's words are aligned and whole, else a byte at a time. */
void ubc_stamp_fill(void *p, size_t len, unsigned int seed, size_t pos)
{
	unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		if (!((pos + i) & 7) && len - i >= 8) {
			uint64_t x = as_bytes(stamp_word((pos + i) >> 3, seed));

			memcpy(b + i, &x, 8);
			i += 7;
			continue;
		}
		b[i] = stamp_byte(pos + i, seed);
	}
}

/* The same; a word that differs is then read byte by byte, which finds the byte. */
long ubc_stamp_mismatch(const void *p, size_t len, unsigned int seed, size_t pos)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		if (!((pos + i) & 7) && len - i >= 8) {
			uint64_t x = as_bytes(stamp_word((pos + i) >> 3, seed)), y;

			memcpy(&y, b + i, 8);
			if (x == y) {
				i += 7;
				continue;
			}
		}
		if (b[i] != stamp_byte(pos + i, seed))
			return (long)i;
	}
	return -1;
}

int ubc_stamp_file(size_t len, unsigned int seed)
{
	return ubc_filled_file(len, seed, ubc_stamp_fill);
}
