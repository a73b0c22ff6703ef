// SPDX-License-Identifier: MIT
/*
 * The byte-pattern helpers (harness/ubc_pattern.c) on crafted buffers: every data-path check
 * of the suite rests on ubc_mismatch() and ubc_first_not() finding a wrong byte wherever it is.
 */
#include <sys/socket.h>
#include <unistd.h>
#include "ubc_test.h"

#define LEN 5000	/* more than a page, not a multiple of 256 */

static unsigned char a[LEN], b[LEN];

TEST(mismatch_none_on_filled_buffer)
{
	ubc_fill(a, LEN, 7, 0);
	ASSERT_EQ(-1, ubc_mismatch(a, LEN, 7, 0));
	ASSERT_EQ(-1, ubc_mismatch(a, 0, 7, 0));
}

TEST(mismatch_at_first_byte)
{
	ubc_fill(a, LEN, 7, 0);
	a[0] ^= 1;
	ASSERT_EQ(0, ubc_mismatch(a, LEN, 7, 0));
}

TEST(mismatch_at_last_byte)
{
	ubc_fill(a, LEN, 7, 0);
	a[LEN - 1] ^= 0x80;
	ASSERT_EQ(LEN - 1, ubc_mismatch(a, LEN, 7, 0));
	/* A length that stops before the bad byte does not see it. */
	ASSERT_EQ(-1, ubc_mismatch(a, LEN - 1, 7, 0));
}

TEST(mismatch_reports_the_first_of_several)
{
	ubc_fill(a, LEN, 7, 0);
	a[4097] = (unsigned char)~a[4097];
	a[4500] = (unsigned char)~a[4500];
	ASSERT_EQ(4097, ubc_mismatch(a, LEN, 7, 0));
}

TEST(mismatch_sees_wrong_seed_and_wrong_position)
{
	ubc_fill(a, LEN, 7, 0);
	ASSERT_EQ(0, ubc_mismatch(a, LEN, 8, 0));
	ASSERT_EQ(0, ubc_mismatch(a, LEN, 7, 1));
	ASSERT_EQ(0, ubc_mismatch(a, LEN, 7, 4096));
}

/* fill at pos is the tail of fill from 0: a file block read at offset pos compares with pos. */
TEST(fill_is_positional)
{
	ubc_fill(a, LEN, 3, 0);
	ubc_fill(b, LEN - 1000, 3, 1000);
	ASSERT_EQ(0, memcmp(a + 1000, b, LEN - 1000));
	ASSERT_EQ(-1, ubc_mismatch(a + 1000, LEN - 1000, 3, 1000));
}

/* Seeds differ at every byte, and no 256-byte block repeats within a page. */
TEST(fill_differs_per_seed_and_block)
{
	ubc_fill(a, LEN, 1, 0);
	ubc_fill(b, LEN, 2, 0);
	for (int i = 0; i < LEN; i++) {
		ASSERT_NE(a[i], b[i]) TH_LOG("seeds 1 and 2 agree at byte %d", i);
	}
	for (int blk = 1; blk < 16; blk++) {
		ASSERT_NE(0, memcmp(a, a + blk * 256, 256)) TH_LOG("block %d repeats block 0", blk);
	}
}

TEST(first_not_none_first_last)
{
	memset(a, 0xee, LEN);
	ASSERT_EQ(-1, ubc_first_not(a, LEN, 0xee));
	ASSERT_EQ(0, ubc_first_not(a, LEN, 0xef));
	a[LEN - 1] = 0;
	ASSERT_EQ(LEN - 1, ubc_first_not(a, LEN, 0xee));
	a[0] = 0xed;
	ASSERT_EQ(0, ubc_first_not(a, LEN, 0xee));
	ASSERT_EQ(-1, ubc_first_not(a, 0, 0x11));
}

/* A pattern file holds ubc_fill(seed, 0) over several 4096-byte chunks and a partial one. */
TEST(tmpfile_holds_the_pattern)
{
	int fd = ubc_tmpfile(3 * 4096 + 17, 9);

	ASSERT_LE(0, fd);
	ASSERT_EQ(3 * 4096 + 17, lseek(fd, 0, SEEK_END));
	ASSERT_EQ(LEN, pread(fd, a, LEN, 0));
	ASSERT_EQ(-1, ubc_mismatch(a, LEN, 9, 0));
	ASSERT_EQ(LEN, pread(fd, a, LEN, 3 * 4096 + 17 - LEN));
	ASSERT_EQ(-1, ubc_mismatch(a, LEN, 9, 3 * 4096 + 17 - LEN));
	close(fd);
}

TEST(socketpair_holds_the_pattern)
{
	int sv[2];

	ASSERT_EQ(0, ubc_socketpair_fill(sv, LEN, 4));
	ASSERT_EQ(LEN, recv(sv[0], a, LEN, MSG_WAITALL));
	ASSERT_EQ(-1, ubc_mismatch(a, LEN, 4, 0));
	ASSERT_EQ(-1, recv(sv[0], a, 1, MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
