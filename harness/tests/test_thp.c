// SPDX-License-Identifier: MIT
/*
 * harness/ubc_thp.c and ubc_stamp.c on the running kernel. The premise helper must say
 * "huge" only when it is: 2 huge pages with MADV_HUGEPAGE are (AnonHugePages == their
 * length), the same with MADV_NOHUGEPAGE are not (0 kB, and the why says so), and with no
 * advice under enabled=madvise neither. Where the THP probe says absent, the tests skip with
 * its proof. The stamp pattern has no period: shifted by 64 KiB or by a huge page it differs
 * at once, where ubc_fill's matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ubc_test.h"

FIXTURE(thp) {
	struct ubc_thp t;
};

FIXTURE_SETUP(thp)
{
	memset(&self->t, 0, sizeof(self->t));
	UBC_REQUIRE(UBC_F_THP);
}

FIXTURE_TEARDOWN(thp)
{
	ubc_thp_unmap(&self->t);
}

TEST_F(thp, madv_hugepage_is_huge)
{
	char why[256] = "";
	int r = ubc_thp_map(&self->t, 2, MADV_HUGEPAGE, why, sizeof(why));

	ASSERT_EQ(1, r) TH_LOG("%s", why);
	ASSERT_EQ(0, (unsigned long)self->t.mem % self->t.hpage);
	ASSERT_EQ(2 * self->t.hpage, self->t.len);
	ASSERT_EQ((long)(self->t.len / 1024), ubc_thp_backed_kb(self->t.mem, self->t.len));
	/* Only the exact VMA counts: a part of it is not one. */
	ASSERT_EQ(-ENOENT, ubc_thp_backed_kb(self->t.mem, self->t.hpage));
	/* Every byte was written. */
	ASSERT_EQ(-1, ubc_first_not(self->t.mem, self->t.len, 0x5a));
}

TEST_F(thp, madv_nohugepage_is_not)
{
	char why[256] = "";
	int r = ubc_thp_map(&self->t, 2, MADV_NOHUGEPAGE, why, sizeof(why));

	ASSERT_EQ(0, r) TH_LOG("%s", why);
	ASSERT_NE(NULL, strstr(why, "AnonHugePages 0 kB")) TH_LOG("%s", why);
	ASSERT_EQ(0, ubc_thp_backed_kb(self->t.mem, self->t.len));
}

TEST_F(thp, no_advice_under_madvise_is_not)
{
	char why[256] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char mode[128] = "";
	int r;

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(mode, sizeof(mode), f));
	fclose(f);
	if (!strstr(mode, "[madvise]"))
		SKIP(return, "enabled is not [madvise]: %s", mode);
	r = ubc_thp_map(&self->t, 2, -1, why, sizeof(why));
	ASSERT_EQ(0, r) TH_LOG("%s", why);
}

TEST(vm_pin_reads)
{
	ASSERT_LE(0, ubc_vm_pin_kb());
}

TEST(stamp_has_no_period)
{
	size_t len = 4 << 20;
	unsigned char *b = malloc(len);

	ASSERT_NE(NULL, b);
	ubc_stamp_fill(b, len, 7, 0);
	ASSERT_EQ(-1, ubc_stamp_mismatch(b, len, 7, 0));
	/* Read from 3 bytes on, the pattern of position 0 differs within a few bytes. */
	ASSERT_LE(0, ubc_stamp_mismatch(b + 3, 16, 7, 0));
	/* ubc_fill repeats every 64 KiB; the stamp does not, at 64 KiB or at 2 MiB. */
	ubc_fill(b, len, 7, 0);
	ASSERT_EQ(-1, ubc_mismatch(b + (2 << 20), 4096, 7, 0));
	ubc_stamp_fill(b, len, 7, 0);
	ASSERT_LE(0, ubc_stamp_mismatch(b + (64 << 10), 4096, 7, 0));
	ASSERT_GT(8, ubc_stamp_mismatch(b + (64 << 10), 4096, 7, 0));
	ASSERT_LE(0, ubc_stamp_mismatch(b + (2 << 20), 4096, 7, 0));
	ASSERT_GT(8, ubc_stamp_mismatch(b + (2 << 20), 4096, 7, 0));
	/* Another seed differs at once. */
	ASSERT_GT(8, ubc_stamp_mismatch(b, len, 8, 0));
	ASSERT_LE(0, ubc_stamp_mismatch(b, len, 8, 0));
	free(b);
}

TEST(stamp_file_holds_it)
{
	size_t len = 200000;
	unsigned char *b = malloc(len);
	int fd = ubc_stamp_file(len, 9);

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, pread(fd, b, len, 0));
	ASSERT_EQ(-1, ubc_stamp_mismatch(b, len, 9, 0));
	ASSERT_EQ(-1, ubc_stamp_mismatch(b + 70000, 1000, 9, 70000));
	close(fd);
	free(b);
}

TEST_HARNESS_MAIN
