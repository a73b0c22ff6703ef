// SPDX-License-Identifier: MIT
/*
 * The probes' decisions (harness/ubc_probe.c ubc_decide_*) on recorded results: the errno an
 * older kernel gives for the well-formed call (recorded on Debian 6.1.176 and 6.12.107, and
 * taken from the kernels' sources) is "absent", and the why names that errno; success is
 * "present"; any other errno, or an unexpected success value, proves nothing (negative).
 */
#include "ubc_test.h"

struct row {
	int got, want;
	const char *says;	/* text the why must hold, NULL: not checked */
};

static void check(struct __test_metadata *_metadata, const char *probe,
		  int (*decide)(int, char *, size_t), const struct row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		char why[256] = "";
		int r = decide(rows[i].got, why, sizeof(why));

		ASSERT_EQ(rows[i].want, r) TH_LOG("%s(%d): %d, why \"%s\"", probe, rows[i].got, r, why);
		if (rows[i].says) {
			ASSERT_NE(NULL, strstr(why, rows[i].says))
				TH_LOG("%s(%d): why \"%s\" lacks \"%s\"", probe, rows[i].got, why, rows[i].says);
		}
		if (r != 1) {
			ASSERT_NE('\0', why[0]) TH_LOG("%s(%d) gave no reason", probe, rows[i].got);
		}
	}
}
#define CHECK(decide, ...) do {								\
	static const struct row rows[] = { __VA_ARGS__ };				\
	check(_metadata, #decide, decide, rows, sizeof(rows) / sizeof(rows[0]));	\
} while (0)

TEST(provide_decision)
{
	CHECK(ubc_decide_provide,
	      { 1, 1, NULL },
	      { 0, 0, "does not list" },
	      { -ENOMEM, -ENOMEM, NULL },
	      { -EINVAL, -EINVAL, NULL },
	      { 2, -EPROTO, NULL });
}

TEST(buf_ring_decision)
{
	CHECK(ubc_decide_buf_ring,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL:" },
	      { -EEXIST, -EEXIST, NULL },
	      { -ENOMEM, -ENOMEM, NULL },
	      { -EOPNOTSUPP, -EOPNOTSUPP, NULL },
	      { 3, -EPROTO, NULL });
}

TEST(ring_fd_decision)
{
	CHECK(ubc_decide_ring_fd,
	      { 1, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL:" },
	      { 0, -EPROTO, NULL },
	      { 2, -EPROTO, NULL },
	      { -EBADF, -EBADF, NULL },
	      { -EFAULT, -EFAULT, NULL });
}

/* 6.1.176: the clone probe's register call returned -EINVAL (opcode 30 unknown). */
TEST(clone_decision)
{
	CHECK(ubc_decide_clone,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL:" },
	      { -ENXIO, -ENXIO, NULL },
	      { -EBUSY, -EBUSY, NULL },
	      { -EOPNOTSUPP, -EOPNOTSUPP, NULL },
	      { -EPERM, -EPERM, NULL },
	      { 1, -EPROTO, NULL });
}

/* 6.12.107: the offset probe's clone (src_off 1, nr 1) returned -EINVAL (padding must be 0). */
TEST(clone_offset_decision)
{
	CHECK(ubc_decide_clone_offset,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL:" },
	      { -EOVERFLOW, -EOVERFLOW, NULL },
	      { -ENXIO, -ENXIO, NULL },
	      { 1, -EPROTO, NULL });
}

/* 6.1.176: the selecting send's CQE res was -EOPNOTSUPP (SEND has no .buffer_select). */
TEST(send_select_decision)
{
	CHECK(ubc_decide_send_select,
	      { 16, 1, NULL },
	      { -EOPNOTSUPP, 0, "errno EOPNOTSUPP:" },
	      { -EINVAL, -EINVAL, NULL },
	      { -ENOBUFS, -ENOBUFS, NULL },
	      { 15, -EPROTO, NULL },
	      { 0, -EPROTO, NULL });
}

TEST(unknown_feature_is_a_failure)
{
	char why[64];

	ASSERT_EQ(-EINVAL, ubc_probe(UBC_F_NR, why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "no probe"));
}

/* Every feature's probe gives 1, 0 with a reason, or a negative errno with a reason. */
TEST(probes_answer_on_this_kernel)
{
	for (int f = 0; f < UBC_F_NR; f++) {
		char why[256] = "";
		int r = ubc_probe(f, why, sizeof(why));

		ASSERT_LE(r, 1);
		if (r != 1) {
			ASSERT_NE('\0', why[0]) TH_LOG("%s: %d without a reason", ubc_feature_name(f), r);
		}
		TH_LOG("%s: %d %s", ubc_feature_name(f), r, why);
	}
}

TEST_HARNESS_MAIN
