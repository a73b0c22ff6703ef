// SPDX-License-Identifier: MIT
/*
 * The memory cgroup of harness/ubc_memcg.c, on the running kernel. Its premise is that
 * memory.max 0 makes this process's accounted kernel allocations fail with -ENOMEM (and
 * that nothing else does): outside the cgroup and inside it without a limit a new ring
 * sets up, inside with memory.max 0 io_uring_queue_init() is -ENOMEM, lifted again it sets
 * up; the process survives (its OOM killer found nothing to kill), leaves, and the cgroup
 * and its mount are gone after close. A bad limit is refused. ubc_memcg_prove() holds with
 * memory.max 0 and reports the premise broken (-EPROTO) when the limit does not limit
 * ("max"): a case must not run on a cgroup that refuses nothing. Where no cgroup2 memory
 * controller exists (a host whose memory controller is on cgroup v1), the tests skip with
 * that proof; the QEMU guests have one.
 */
#include <sys/stat.h>
#include "ubc_test.h"

FIXTURE(memcg) {
	struct ubc_memcg m;
	int ready;
};

FIXTURE_SETUP(memcg)
{
	char why[256] = "";

	self->ready = ubc_memcg_open(&self->m, why, sizeof(why));
	if (self->ready == 0)
		SKIP(return, "memory cgroup unavailable: %s", why);
	ASSERT_EQ(1, self->ready) TH_LOG("ubc_memcg_open: %s", strerror(-self->ready));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->ready == 1)
		ubc_memcg_close(&self->m);
}

static int new_ring(void)
{
	struct io_uring r;
	int ret = io_uring_queue_init(8, &r, 0);

	if (!ret)
		io_uring_queue_exit(&r);
	return ret;
}

TEST_F(memcg, limit_zero_fails_accounted_allocations)
{
	int outside, inside, limited, lifted, ret;

	outside = new_ring();
	ASSERT_EQ(0, ubc_memcg_enter(&self->m));
	inside = new_ring();
	ret = ubc_memcg_limit(&self->m, "0");
	limited = ret ? 1 : new_ring();
	ASSERT_EQ(0, ubc_memcg_limit(&self->m, "max"));
	lifted = new_ring();
	ASSERT_EQ(0, ubc_memcg_leave(&self->m));
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, outside);
	ASSERT_EQ(0, inside);
	ASSERT_EQ(-ENOMEM, limited);
	ASSERT_EQ(0, lifted);
}

TEST_F(memcg, bad_limit_refused_and_close_removes)
{
	struct stat st;
	char dir[sizeof(self->m.dir)], root[sizeof(self->m.root)];

	ASSERT_EQ(-EINVAL, ubc_memcg_limit(&self->m, "lots"));
	ASSERT_EQ(0, stat(self->m.dir, &st));
	memcpy(dir, self->m.dir, sizeof(dir));
	memcpy(root, self->m.root, sizeof(root));
	ubc_memcg_close(&self->m);
	self->ready = 0;
	ASSERT_EQ(-1, stat(dir, &st));
	ASSERT_EQ(-1, stat(root, &st));
}

TEST_F(memcg, prove_holds_at_zero_and_reports_no_limit)
{
	char why[256] = "";

	ASSERT_EQ(0, ubc_memcg_prove(&self->m, "0", why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(-EPROTO, ubc_memcg_prove(&self->m, "max", why, sizeof(why)));
	ASSERT_NE(NULL, strstr(why, "a new ring was made")) TH_LOG("%s", why);
	/* Left after each: a ring outside the cgroup is made. */
	ASSERT_EQ(0, new_ring());
}

TEST(ready_opens_proven)
{
	struct ubc_memcg m;
	char why[256] = "";
	int ready = ubc_memcg_ready(&m, why, sizeof(why));

	if (ready == 0)
		SKIP(return, "memory cgroup unavailable: %s", why);
	ASSERT_EQ(1, ready) TH_LOG("%s: %s", strerror(-ready), why);
	ASSERT_EQ(0, ubc_memcg_prove(&m, "0", why, sizeof(why))) TH_LOG("%s", why);
	ubc_memcg_close(&m);
}

TEST_HARNESS_MAIN
