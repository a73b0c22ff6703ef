// SPDX-License-Identifier: MIT
/*
 * io_uring_prep_provide_buffers(3) ERRORS -EOVERFLOW: "the product of len and nr exceeds the
 * valid amount or overflowed". kbuf.c io_provide_buffers_prep() (6.1, 6.12, 7.3) computes
 * len * nr in an unsigned long: with len at most 2^32 - 1 and nr at most 65536 the product
 * (< 2^48) never overflows on 64-bit, so the largest product is not -EOVERFLOW. It is
 * -EFAULT when addr + len * nr runs past user space (access_ok), and -EOVERFLOW only when
 * addr + len * nr wraps past 2^64. The same huge len with nr 1 stays inside user space and
 * is accepted. addr is placed 2^40 below the end of user space: 2^47 on x86_64 (2^56 with
 * 5-level paging), 2^48 on arm64 (2^52 with 52-bit VAs), found by asking for one page just
 * below each candidate end with MAP_FIXED_NOREPLACE (a hint above the end is not refused,
 * only moved, so a hint cannot tell: on arm64 it found 2^56 and every case got -EFAULT).
 */
#include <stdint.h>
#include <sys/mman.h>
#include "ubc_test.h"

#define BGID 9
#define HUGE_LEN 0xffffffffu	/* the largest sqe->len */

enum where { BELOW_USER_END, NEAR_2_64 };

FIXTURE(product) {
	struct io_uring ring;
};

FIXTURE_VARIANT(product) {
	enum where where;
	int nr;
	int res;
};

FIXTURE_VARIANT_ADD(product, huge_len_nr_1_ok) { .where = BELOW_USER_END, .nr = 1, .res = 0 };
FIXTURE_VARIANT_ADD(product, largest_product_past_user_space_efault) { .where = BELOW_USER_END, .nr = 65536, .res = -EFAULT };
FIXTURE_VARIANT_ADD(product, largest_product_wraps_eoverflow) { .where = NEAR_2_64, .nr = 65536, .res = -EOVERFLOW };

FIXTURE_SETUP(product)
{
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_RING_INIT(&self->ring, 4, 0);
}

FIXTURE_TEARDOWN(product)
{
	io_uring_queue_exit(&self->ring);
}

/* The end of user space: the largest of 2^56, 2^52, 2^48, 2^47 with a page mappable just
 * below it (two pages below: x86_64's last user page is a guard). Taken (EEXIST) counts. */
static uint64_t user_space_end(void)
{
	static const int bits[] = { 56, 52, 48, 47 };

	for (unsigned int i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		uint64_t end = UINT64_C(1) << bits[i];
		void *want = (void *)(uintptr_t)(end - 2 * 4096);
		void *p = mmap(want, 4096, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (p == MAP_FAILED) {
			if (errno == EEXIST)
				return end;
			continue;
		}
		munmap(p, 4096);
		if (p == want)
			return end;
	}
	return UINT64_C(1) << 47;
}

TEST_F(product, provide_res)
{
	uint64_t addr = variant->where == NEAR_2_64 ? UINT64_MAX - (UINT64_C(1) << 40) + 1
						    : user_space_end() - (UINT64_C(1) << 40);
	int res;

	ASSERT_EQ(0, ubc_provide(&self->ring, (void *)(uintptr_t)addr, (int)HUGE_LEN, variant->nr,
				 BGID, 0, &res));
	ASSERT_EQ(variant->res, res) TH_LOG("addr 0x%llx len 0x%x nr %d: res %d (%s)",
					    (unsigned long long)addr, HUGE_LEN, variant->nr, res, strerror(-res));
	if (variant->res)
		return;
	/* Accepted: the group holds that one buffer. */
	ASSERT_EQ(0, ubc_remove(&self->ring, 10, BGID, &res));
	ASSERT_EQ(variant->nr, res);
}

TEST_HARNESS_MAIN
