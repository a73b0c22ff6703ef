// SPDX-License-Identifier: MIT
/*
 * The probes' decisions (harness/ubc_probe*.c ubc_decide_*) on recorded results: the errno an
 * older kernel gives for the well-formed call (recorded on Debian 6.1.176 and 6.12.107, and
 * taken from the kernels' sources) is "absent", and the why names that errno; success is
 * "present"; any other errno, or an unexpected success value, proves nothing (negative).
 */
#include <limits.h>
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
		/* An "absent" why names its proof first: the errno, or that there is none. */
		if (r == 0) {
			ASSERT_TRUE(!strncmp(why, "errno E", 7) || !strncmp(why, "no errno (", 10))
				TH_LOG("%s(%d): absent why \"%s\" starts with neither \"errno E\" nor \"no errno (\"",
				       probe, rows[i].got, why);
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

/* 6.1.176: IOU_PBUF_RING_MMAP in the register's pad returned -EINVAL. */
TEST(pbuf_mmap_decision)
{
	CHECK(ubc_decide_pbuf_mmap,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: IORING_REGISTER_PBUF_RING with flags IOU_PBUF_RING_MMAP" },
	      { -ENOMEM, -ENOMEM, NULL },
	      { -EEXIST, -EEXIST, NULL },
	      { -EFAULT, -EFAULT, NULL },
	      { 1, -EPROTO, NULL });
}

/* 6.1.176: IOU_PBUF_RING_INC in the register's pad returned -EINVAL. */
TEST(pbuf_inc_decision)
{
	CHECK(ubc_decide_pbuf_inc,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: IORING_REGISTER_PBUF_RING with flags IOU_PBUF_RING_INC" },
	      { -EEXIST, -EEXIST, NULL },
	      { -ENOMEM, -ENOMEM, NULL },
	      { 2, -EPROTO, NULL });
}

/* 6.12.107 and 6.16.12 .. 6.19.14: min_left 16 is a non-zero resv[0], -EINVAL. */
TEST(min_left_decision)
{
	CHECK(ubc_decide_min_left,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: an IOU_PBUF_RING_INC register with min_left 16" },
	      { -EEXIST, -EEXIST, NULL },
	      { -EFAULT, -EFAULT, NULL },
	      { 16, -EPROTO, NULL });
}

/* 6.1.176: register opcode 26 returned -EINVAL; a head other than 0 on a fresh ring is wrong. */
TEST(pbuf_status_decision)
{
	CHECK(ubc_decide_pbuf_status,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: IORING_REGISTER_PBUF_STATUS" },
	      { -ENOENT, -ENOENT, NULL },
	      { -EFAULT, -EFAULT, NULL },
	      { 1, -EPROTO, "head 1" },
	      { 99, -EPROTO, "head 99" },
	      { INT_MAX, -EPROTO, NULL });
}

/* 6.1.176: io_uring_setup with IORING_SETUP_NO_MMAP returned -EINVAL. */
TEST(no_mmap_decision)
{
	CHECK(ubc_decide_no_mmap,
	      { 0, 1, NULL },
	      { 8192, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: io_uring_setup with IORING_SETUP_NO_MMAP" },
	      { -EFAULT, -EFAULT, NULL },
	      { -ENOMEM, -ENOMEM, NULL },
	      { -EPERM, -EPERM, NULL });
}

/* 6.1.176: IORING_REGISTER_PROBE lists no opcode 49. */
TEST(read_mshot_decision)
{
	CHECK(ubc_decide_read_mshot,
	      { 1, 1, NULL },
	      { 0, 0, "no errno (probe list): IORING_REGISTER_PROBE does not list IORING_OP_READ_MULTISHOT" },
	      { -ENOMEM, -ENOMEM, NULL },
	      { -EINVAL, -EINVAL, NULL },
	      { 2, -EPROTO, NULL });
}

/* 6.1.176: the recv with IORING_RECVSEND_BUNDLE completed with -EINVAL. */
TEST(bundle_decision)
{
	CHECK(ubc_decide_bundle,
	      { 8, 1, NULL },
	      { 4, 1, NULL },
	      { 1, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: a recv with IORING_RECVSEND_BUNDLE" },
	      { -ENOBUFS, -ENOBUFS, NULL },
	      { -EOPNOTSUPP, -EOPNOTSUPP, NULL },
	      { 0, -EPROTO, NULL },
	      { 9, -EPROTO, NULL });
}

/* 6.1.176: the INJECT_RESULT NOP completed with -EINVAL (nop_flags refused); 0: ignored. */
TEST(nop_inject_decision)
{
	CHECK(ubc_decide_nop_inject,
	      { -EPERM, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: a NOP with IORING_NOP_INJECT_RESULT" },
	      { 0, 0, "no errno (res 0): a NOP with IORING_NOP_INJECT_RESULT" },
	      { -EFAULT, -EFAULT, NULL },
	      { -ENOMEM, -ENOMEM, NULL },
	      { 1, -EPROTO, NULL });
}

/* 6.12.107: the IORING_NOP_FIXED_BUFFER NOP completed with -EINVAL (flag unknown). */
TEST(nop_fixed_buffer_decision)
{
	CHECK(ubc_decide_nop_fixed_buffer,
	      { 0, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: a NOP with IORING_NOP_FIXED_BUFFER" },
	      { -EFAULT, -EFAULT, NULL },
	      { -EPERM, -EPERM, NULL },
	      { 1, -EPROTO, NULL });
}

/* 6.1.176: READV_FIXED (opcode 60) completed with -EINVAL. */
TEST(rw_vec_fixed_decision)
{
	CHECK(ubc_decide_rw_vec_fixed,
	      { 64, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: a well-formed IORING_OP_READV_FIXED" },
	      { -EFAULT, -EFAULT, NULL },
	      { -EOPNOTSUPP, -EOPNOTSUPP, NULL },
	      { 63, -EPROTO, NULL },
	      { 0, -EPROTO, NULL });
}

/* 7.1 and older: a plain SEND with IORING_RECVSEND_FIXED_BUF is -EINVAL (unknown flag). */
TEST(sendrecv_fixed_buf_decision)
{
	CHECK(ubc_decide_sendrecv_fixed_buf,
	      { 16, 1, NULL },
	      { -EINVAL, 0, "errno EINVAL: a plain IORING_OP_SEND" },
	      { -EFAULT, -EFAULT, NULL },
	      { 15, -EPROTO, NULL },
	      { 0, -EPROTO, NULL });
}

TEST(unknown_feature_is_a_failure)
{
	char why[64];

	ASSERT_EQ(-EINVAL, ubc_probe(UBC_F_NR, why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "no probe"));
}

TEST(thp_decision)
{
	CHECK(ubc_decide_thp,
	      { UBC_THP_MADVISE, 1, NULL },
	      { UBC_THP_ALWAYS, 1, NULL },
	      { UBC_THP_NEVER_ROOT, 1, NULL },
	      { UBC_THP_NEVER, 0, "no errno (enabled=never, not root)" },
	      { -ENOENT, 0, "errno ENOENT:" },
	      { -EACCES, -EACCES, NULL },
	      { 4, -EPROTO, NULL });
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
